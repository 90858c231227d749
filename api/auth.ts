// Authentication and authorization as one plugin of hooks on the root instance:
//   onRequest:     who is asking (support bearer token, API token or session cookie), then the
//                  route's access from api/authz.ts: 401/403 before any handler or body parsing;
//   preValidation: CSRF check for state-changing requests made with the session cookie
//                  (bearer-token requests carry no ambient credential and are exempt).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { LeaderTitle } from '../db/schema.js';
import { accessFor, decide, type Access } from './authz.js';
import { HttpError } from './errors.js';
import { html, page } from './html.js';
import { identityFor, isRefusal } from './identity.js';
import { signInLocation, SIGN_IN_HELP_PATH, SUPPORT_LOGIN_PATH } from './sign-in-redirect.js';
import { cookieSecret, destroySession, loadSession, SESSION_COOKIE, type SessionRecord } from './session.js';
import { findApiToken } from './tokens.js';

export type Role = 'support' | 'leader' | 'teacher' | 'student';

export interface Principal {
  /** The role: support, leader (of districtId), teacher or student. */
  kind: Role;
  /** Who acted, for the audit log: "support-token", "token:<name>", "support:<email>", "leader:<district>/<sourcedId>". */
  id: string;
  via: 'bearer' | 'session';
  name: string;
  email: string | null;
  districtId: string | null;
  sourcedId: string | null;
  rosterRole: string | null;
  leaderTitle: LeaderTitle | null;
  session: SessionRecord | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route registered after the auth plugin, with the access the policy gives it. */
    routeAccess(): { method: string; url: string; access: Access }[];
  }
  interface FastifyContextConfig {
    /** The route checks CSRF itself (the support login form's double-submit token). */
    ownCsrf?: boolean;
  }
}

function sameSecret(a: string, b: string): boolean {
  // Compare digests so neither length nor content leaks through timing.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const supportTokenPrincipal = (id: string, name: string): Principal => ({
  kind: 'support', id, via: 'bearer', name, email: null, districtId: null, sourcedId: null, rosterRole: null, leaderTitle: null, session: null,
});

/** The original hook (support token only); kept for callers that mount routes of their own. */
export function bearerAuth(supportToken: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && sameSecret(match[1]!.trim(), supportToken)) {
      request.principal = supportTokenPrincipal('support-token', 'support API token');
      return;
    }
    return reply.code(401).send({
      error: 'unauthorized',
      message: header ? 'the bearer token is not valid: use the support API token' : 'sign in, or send Authorization: Bearer <support API token>',
    });
  };
}

type Authenticated = { principal: Principal | null; badToken?: boolean; staleSession?: boolean };

async function authenticate(app: FastifyInstance, req: FastifyRequest): Promise<Authenticated> {
  const { db, config } = app.deps;
  const header = req.headers.authorization;
  if (header) {
    // An Authorization header is never mixed with the cookie: a bad token is a bad request, not a fallback.
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!token) return { principal: null, badToken: true };
    if (sameSecret(token, config.supportApiToken)) return { principal: supportTokenPrincipal('support-token', 'support API token') };
    const found = await findApiToken(db, token);
    if (found) return { principal: supportTokenPrincipal(`token:${found.name}`, `API token ${found.name}`) };
    return { principal: null, badToken: true };
  }
  const raw = req.cookies[SESSION_COOKIE];
  if (!raw) return { principal: null };
  const unsigned = req.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return { principal: null, staleSession: true };
  const session = await loadSession(db, unsigned.value);
  if (!session) return { principal: null, staleSession: true };
  const s = session.subject;
  if (s.kind === 'support') {
    const account = await db.selectFrom('support_accounts').select(['email', 'disabled_at']).where('id', '=', s.supportAccountId).executeTakeFirst();
    if (!account || account.disabled_at) {
      await destroySession(db, session.idHash);
      return { principal: null, staleSession: true };
    }
    return {
      principal: { kind: 'support', id: `support:${account.email}`, via: 'session', name: account.email, email: account.email, districtId: null, sourcedId: null, rosterRole: null, leaderTitle: null, session },
    };
  }
  // Re-read the roster each request: a deactivated user or a withdrawn leader role applies at once.
  const who = await identityFor(db, s.districtId, s.sourcedId);
  if (isRefusal(who)) {
    await destroySession(db, session.idHash);
    return { principal: null, staleSession: true };
  }
  return {
    principal: {
      kind: who.role, id: `${who.role}:${who.districtId}/${who.sourcedId}`, via: 'session', name: who.name, email: who.email,
      districtId: who.districtId, sourcedId: who.sourcedId, rosterRole: who.rosterRole, leaderTitle: who.leaderTitle, session,
    },
  };
}

/** People in a browser get a page; scripts get JSON. */
export function wantsHtml(req: FastifyRequest): boolean {
  return !req.url.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    const { config } = app.deps;
    await app.register(cookie, { secret: cookieSecret(config) });
    // Opt-in per route (login routes set config.rateLimit); one in-memory store per process.
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_req, ctx) => new HttpError(429, 'rate_limited', `too many sign-in attempts from your address: wait ${ctx.after} and try again`),
    });

    const routes: { method: string; url: string }[] = [];
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
    });
    app.decorate('routeAccess', () => routes.map((r) => ({ ...r, access: accessFor(r.method, r.url, r.url) })));

    app.addHook('onRequest', async (req, reply) => {
      const { principal, badToken, staleSession } = await authenticate(app, req);
      req.principal = principal;
      if (staleSession) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      const access = accessFor(req.method, req.routeOptions.url, req.url.split('?')[0]!);
      if (access === 'public') return;
      if (badToken) {
        return reply.code(401).send({ error: 'unauthorized', message: 'the bearer token is not valid (or was revoked): use the support API token or a live token from `npm run admin -- token create`' });
      }
      const decision = decide(access, principal, (req.params ?? {}) as Record<string, string | undefined>);
      if (decision.allowed) return;
      if (wantsHtml(req)) {
        // A person asking for a page is taken to sign in, and brought back afterwards (303: the
        // sign-in is fetched with GET whatever was asked).
        if (decision.status === 401 && (req.method === 'GET' || req.method === 'HEAD')) {
          return reply.redirect(await signInLocation(app.deps.db, access, (req.params ?? {}) as Record<string, string | undefined>, req.url), 303);
        }
        const body =
          decision.status === 401
            ? html`<h1>Please sign in</h1><p>Your session has ended. <a href="${SIGN_IN_HELP_PATH}">How to sign in</a>; Gradient Support: <a href="${SUPPORT_LOGIN_PATH}">sign in here</a>.</p>`
            : html`<h1>Not allowed</h1><p>${decision.message}.</p>`;
        return reply.code(decision.status).type('text/html').send(page(decision.status === 401 ? 'Sign in' : 'Not allowed', body));
      }
      return reply.code(decision.status).send({ error: decision.error, message: decision.message });
    });

    app.addHook('preValidation', async (req, reply) => {
      const p = req.principal;
      if (!p || p.via !== 'session' || SAFE_METHODS.has(req.method)) return;
      // The support login form carries its own double-submit token (there is no session to hold one yet).
      if (req.routeOptions.config?.ownCsrf) return;
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : null;
      const header = req.headers['x-csrf-token'];
      const sent = typeof header === 'string' ? header : typeof body?._csrf === 'string' ? body._csrf : '';
      const origin = req.headers.origin;
      const crossOrigin = typeof origin === 'string' && origin !== new URL(config.api.publicUrl).origin;
      if (!sent || !sameSecret(sent, p.session!.csrfToken) || crossOrigin) {
        return reply.code(403).send({
          error: 'csrf',
          message: crossOrigin
            ? `requests with the session cookie must come from ${new URL(config.api.publicUrl).origin}`
            : 'this request needs the CSRF token: send the X-CSRF-Token header with csrfToken from GET /api/me (the pages’ forms include it)',
        });
      }
      if (body && '_csrf' in body) delete body._csrf;
    });
  },
  { name: 'classlink-sync-auth' },
);
