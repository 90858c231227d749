// The signed-in person: GET /api/me (JSON, with the CSRF token for session callers and the
// current-term schedule for district users), GET /me (the same as a page), POST /logout.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { getDistrict } from '../../roster/districts.js';
import { personClasses, type ClassSummary } from '../../roster/schedules.js';
import { listTerms, todayIn } from '../../roster/terms.js';
import type { Principal } from '../auth.js';
import { wantsHtml } from '../auth.js';
import { csrfField, html, page } from '../html.js';
import { destroySession, SESSION_COOKIE } from '../session.js';
import { homeFor } from './sso.js';
import { Type } from '@sinclair/typebox';
import { ClassSummaryReply, errorReplies, HtmlPage, Nullable } from '../schemas.js';

const MeReply = Type.Object({
  role: Type.String({ description: 'support, leader, teacher or student' }),
  name: Type.String(),
  email: Nullable(Type.String()),
  districtId: Nullable(Type.String()),
  districtName: Nullable(Type.String()),
  sourcedId: Nullable(Type.String()),
  rosterRole: Nullable(Type.String()),
  leaderTitle: Nullable(Type.String()),
  via: Type.String({ description: 'bearer or session' }),
  home: Type.String({ description: 'the page this person lands on' }),
  csrfToken: Nullable(Type.String({ description: 'send as x-csrf-token on writes with the session cookie' })),
  sessionExpiresAt: Nullable(Type.String({ format: 'date-time' })),
  schedule: Nullable(
    Type.Object({
      date: Type.String(),
      currentTerm: Nullable(Type.Object({ sourcedId: Type.String(), title: Type.String() })),
      classes: Type.Array(ClassSummaryReply),
    }),
  ),
});
const LogoutReply = Type.Object({ signedOut: Type.Boolean({ description: 'a session ended' }), message: Type.String() });

export const meRoutes: FastifyPluginAsync = async (app) => {
  const { db } = app.deps;
  // Logout is posted by a plain HTML form.
  await app.register(formbody);

  async function schedule(p: Principal) {
    if (!p.districtId || !p.sourcedId) return null;
    const district = await getDistrict(db, p.districtId);
    if (!district) return null;
    const date = todayIn(district.timezone);
    const { current } = await listTerms(db, district.id, date);
    const classes = await personClasses(db, district.id, p.sourcedId, date);
    return { districtName: district.name, date, currentTerm: current ? { sourcedId: current.sourcedId, title: current.title } : null, classes };
  }

  const principalOf = (req: FastifyRequest) => req.principal!;

  app.get('/api/me', { schema: { summary: 'The signed-in person, with the current-term schedule for district users', response: { 200: MeReply, ...errorReplies(401, 403) } } }, async (req) => {
    const p = principalOf(req);
    const sched = await schedule(p);
    return {
      role: p.kind,
      name: p.name,
      email: p.email,
      districtId: p.districtId,
      districtName: sched?.districtName ?? null,
      sourcedId: p.sourcedId,
      rosterRole: p.rosterRole,
      leaderTitle: p.leaderTitle,
      via: p.via,
      home: homeFor(p.kind),
      csrfToken: p.session?.csrfToken ?? null,
      sessionExpiresAt: p.session ? p.session.expiresAt.toISOString() : null,
      schedule: sched ? { date: sched.date, currentTerm: sched.currentTerm, classes: sched.classes } : null,
    };
  });

  app.get('/me', { schema: { hide: true } }, async (req, reply) => {
    const p = principalOf(req);
    const sched = await schedule(p);
    const row = (c: ClassSummary) =>
      html`<tr><td>${c.periods.join(', ')}</td><td>${c.title}</td><td>${c.course?.title ?? ''}</td><td>${c.teachers.map((t) => t.name).join(', ')}</td><td>${c.location ?? ''}</td><td>${c.enrollment.students}</td></tr>`;
    const classes = sched
      ? sched.classes.length
        ? html`<h2>Your classes${sched.currentTerm ? html` – ${sched.currentTerm.title}` : ''}</h2>
<table><thead><tr><th>Period</th><th>Class</th><th>Course</th><th>Teachers</th><th>Room</th><th>Students</th></tr></thead><tbody>${sched.classes.map(row)}</tbody></table>`
        : html`<p>No classes in progress today (${sched.date}).</p>`
      : html``;
    const body = html`<h1>${p.name}</h1>
<p>${p.kind}${sched ? html` · ${sched.districtName}` : ''}${p.email ? html` · ${p.email}` : ''}</p>
${classes}
${p.session ? html`<form method="post" action="/logout">${csrfField(p.session.csrfToken)}<button type="submit">Sign out</button></form>` : ''}`;
    return reply.type('text/html').send(page(p.name, body));
  });

  app.post(
    '/logout',
    {
      schema: {
        summary: 'End the session (the cookie is cleared)',
        response: {
          200: { description: 'signed out', content: { 'application/json': { schema: LogoutReply }, 'text/html': { schema: HtmlPage('a “you are signed out” page, for a form post') } } },
          ...errorReplies(401, 403),
        },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      // A session caller passed the CSRF check in the auth hook before reaching here.
      if (p?.session) await destroySession(db, p.session.idHash);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      if (wantsHtml(req) || req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
        return reply.type('text/html').send(page('Signed out', html`<h1>You are signed out</h1><p>Close this tab, or sign in again from your district’s ClassLink.</p>`));
      }
      return { signedOut: Boolean(p?.session), message: p?.via === 'bearer' ? 'bearer tokens are not sessions: revoke a token with `npm run admin -- token revoke <id>`' : 'signed out' };
    },
  );
};
