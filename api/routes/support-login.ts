// Gradient Support sign-in with email and password (accounts from `npm run admin`). The form
// is protected against login CSRF by a double-submit token in a signed cookie, and the POST is
// rate limited per address.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import formbody from '@fastify/formbody';
import { verifySupportLogin } from '../accounts.js';
import { HttpError } from '../errors.js';
import { HtmlOrError, Redirect } from '../schemas.js';
import { html, page } from '../html.js';
import { MAX_NEXT_LENGTH, safeNext, safeNextPath } from '../next-path.js';
import { SIGN_IN_HELP_PATH, SUPPORT_LOGIN_PATH } from '../sign-in-redirect.js';
import { cookieOptions, createSession, destroySession, LOGIN_CSRF_COOKIE, randomToken, sha256, SESSION_COOKIE, SESSION_TTL_MS } from '../session.js';

const LOGIN_PATH = SUPPORT_LOGIN_PATH;
const LoginBody = Type.Object({
  email: Type.String({ maxLength: 254 }),
  password: Type.String({ maxLength: 1024 }),
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
  next: Type.Optional(Type.String({ maxLength: MAX_NEXT_LENGTH })),
});
const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: MAX_NEXT_LENGTH, description: 'a path on this site to return to after signing in' })) });


export const supportLoginRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, config } = app.deps;
  await app.register(formbody);

  function form(reply: FastifyReply, status: number, opts: { error?: string; email?: string; next?: string } = {}) {
    const token = randomToken(24);
    const back = safeNextPath(opts.next);
    const help = back ? `${SIGN_IN_HELP_PATH}?next=${encodeURIComponent(back)}` : SIGN_IN_HELP_PATH;
    void reply.setCookie(LOGIN_CSRF_COOKIE, token, cookieOptions(config, 30 * 60 * 1000, LOGIN_PATH));
    const body = html`<h1>Gradient Support sign-in</h1>
${opts.error ? html`<p role="alert" class="error">${opts.error}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="next" value="${safeNext(opts.next)}">
<label>Email <input name="email" type="email" autocomplete="username" value="${opts.email ?? ''}" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p>District staff and students sign in through their district’s ClassLink instead: <a href="${help}">how to sign in</a>.</p>`;
    return reply.code(status).type('text/html').header('cache-control', 'no-store').send(page('Support sign-in', body));
  }

  app.get(LOGIN_PATH, { schema: { hide: true, querystring: LoginQuery } }, async (req, reply) => {
    if (req.principal?.kind === 'support' && req.principal.via === 'session') return reply.redirect(safeNext(req.query.next), 302);
    return form(reply, 200, { next: req.query.next });
  });

  // Flooding from one address: 100 posts per 5 minutes whatever the account (before the body is read).
  // Guessing one account's password: 10 tries per 5 minutes per address and account (needs the body).
  const perAccount = app.createRateLimit({
    max: 10,
    timeWindow: '5 minutes',
    keyGenerator: (req) => `${req.ip}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').trim().toLowerCase()}`,
  });
  app.post(LOGIN_PATH, { config: { rateLimit: { max: 100, timeWindow: '5 minutes' }, ownCsrf: true }, schema: {
        summary: 'Gradient Support sign-in (HTML form post)',
        tags: ['sign-in'],
        security: [],
        consumes: ['application/x-www-form-urlencoded'],
        body: LoginBody,
        response: { 303: Redirect('signed in (session cookie set): to `next` on this site, default /admin'), '4xx': HtmlOrError('the sign-in form again with why (401 wrong email or password, 403 expired form), or `{error, message}` (400, 429)') },
      },
    }, async (req, reply) => {
    const { email, password, _csrf: sent, next } = req.body;
    const raw = req.cookies[LOGIN_CSRF_COOKIE];
    const expected = raw ? req.unsignCookie(raw) : null;
    if (!sent || !expected?.valid || expected.value !== sent) {
      return form(reply, 403, { error: 'This sign-in form has expired. Please sign in again.', email, next });
    }
    // Counted only for password checks, after the form token: a stale form is not a guess.
    const limit = await perAccount(req);
    if (!limit.isAllowed && limit.isExceeded) {
      void reply.header('retry-after', String(limit.ttlInSeconds));
      throw new HttpError(429, 'rate_limited', `too many sign-in attempts for this account from your address: wait ${Math.ceil(limit.ttlInSeconds / 60)} min and try again`);
    }
    const account = await verifySupportLogin(db, email, password);
    if (!account) {
      req.log.info('support sign-in refused');
      return form(reply, 401, { error: 'Email or password is wrong, or the account is disabled.', email, next });
    }
    const old = req.cookies[SESSION_COOKIE] ? req.unsignCookie(req.cookies[SESSION_COOKIE]!) : null;
    if (old?.valid && old.value) await destroySession(db, sha256(old.value));
    const { id } = await createSession(db, { kind: 'support', supportAccountId: account.id });
    void reply.setCookie(SESSION_COOKIE, id, cookieOptions(config, SESSION_TTL_MS));
    void reply.clearCookie(LOGIN_CSRF_COOKIE, { path: LOGIN_PATH });
    req.log.info({ supportAccountId: account.id }, 'support sign-in');
    return reply.redirect(safeNext(next), 303);
  });
};
