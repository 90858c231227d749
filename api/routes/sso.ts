// ClassLink SSO for district staff and students (DESIGN §2 "SSO"), and support's per-district
// SSO settings. The sign-in in flight (state, nonce, PKCE verifier) lives server-side, single use;
// the browser holds only a random flow id in a signed cookie scoped to this district's /sso path.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as client from 'openid-client';
import { getDistrict } from '../../roster/districts.js';
import { HttpError, notFound } from '../errors.js';
import { html, page } from '../html.js';
import { MAX_NEXT_LENGTH, safeNext, safeNextPath } from '../next-path.js';
import { districtContacts, isRefusal, matchLogin } from '../identity.js';
import { OidcClients, SsoLoginError, ssoSettings, defaultUserInfoUrl } from '../oidc.js';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies, HtmlOrError, Nullable, Redirect } from '../schemas.js';
import {
  cookieOptions,
  createSession,
  destroySession,
  savePendingLogin,
  sha256,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  SSO_FLOW_COOKIE,
  SSO_FLOW_TTL_MS,
  takePendingLogin,
} from '../session.js';
import type { Role } from '../auth.js';

const SsoParams = Type.Object({ districtId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });
const LoginQuery = Type.Object({
  login_hint: Type.Optional(Type.String({ maxLength: 254 })),
  next: Type.Optional(Type.String({ maxLength: MAX_NEXT_LENGTH, description: 'a path on this site to return a leader to after signing in (default /admin)' })),
});
const SsoSettingsReply = Type.Object({
  districtId: Type.String(),
  configured: Type.Boolean({ description: 'issuer, client id and client secret are all set' }),
  issuer: Nullable(Type.String()),
  clientId: Nullable(Type.String()),
  tenantId: Nullable(Type.String()),
  userInfoUrl: Nullable(Type.String()),
  redirectUri: Type.String({ description: 'register this redirect URI with ClassLink' }),
  loginUrl: Type.String({ description: 'the sign-in link for the district’s people' }),
  warnings: Type.Array(Type.String()),
});
const REFUSAL = 'an HTML page saying why the sign-in was refused and whom to ask (header x-sso-refusal: the code)';
const SignInResponses = (success: string) => ({ 302: Redirect(success), '4xx': HtmlOrError(REFUSAL), 502: HtmlOrError(REFUSAL) });

const SsoSettingsBody = Type.Object(
  {
    issuer: Type.String({ format: 'uri', description: 'OIDC issuer, e.g. https://launchpad.classlink.com' }),
    clientId: Type.String({ minLength: 1, maxLength: 200 }),
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'omit to keep the stored one' })),
    tenantId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], { description: 'ClassLink TenantId logins must carry' })),
    userInfoUrl: Type.Optional(Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'ClassLink /v2/my/info; default derived from the issuer' })),
  },
  { additionalProperties: false },
);

/** Where a person lands after signing in. */
export function homeFor(role: Role): string {
  return role === 'support' || role === 'leader' ? '/admin' : '/me';
}

const flowPath = (districtId: string) => `/sso/${districtId}`;
/** The page to return to, held beside the flow cookie (same path and lifetime) until the callback. */
const SSO_NEXT_COOKIE = 'cls_sso_next';

/** A leader goes back to the page they asked for; everyone else to their home (their pages are few). */
export function landingFor(role: Role, next: string | null): string {
  return role === 'leader' ? safeNext(next, homeFor(role)) : homeFor(role);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const ssoRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, config, secrets } = app.deps;
  const oidc = new OidcClients({ allowInsecure: config.env !== 'production' });
  const redirectUri = (districtId: string) => `${config.api.publicUrl}/sso/${districtId}/callback`;
  // A school signs in behind one address at 8 a.m.: generous per address, it only bounds floods of
  // pending sign-ins (the password check is ClassLink's).
  const loginRate = { rateLimit: { max: 600, timeWindow: '1 minute' } };

  async function refuse(reply: FastifyReply, districtId: string, status: number, code: string, reason: string, ask: 'district' | 'support') {
    const contacts = ask === 'district' ? await districtContacts(db, districtId) : [];
    const whom =
      ask === 'support'
        ? html`<p>If this keeps happening, tell Gradient Support which district you signed in to (<code>${districtId}</code>) and the time.</p>`
        : contacts.length
          ? html`<p>Ask your district’s Gradient leaders to check your roster entry:</p><ul>${contacts.map((c) => html`<li>${c.name}${c.email ? html` – <a href="mailto:${c.email}">${c.email}</a>` : ''}</li>`)}</ul>`
          : html`<p>Ask your school office or your district’s ClassLink administrator to check that you are in the roster shared with Gradient.</p>`;
    return reply
      .code(status)
      .type('text/html')
      .header('x-sso-refusal', code)
      .send(page('Sign-in refused', html`<h1>We couldn’t sign you in</h1><p class="error">${reason}</p>${whom}<p><a href="/sso/${districtId}/login">Try again</a></p>`));
  }

  app.get('/sso/:districtId/login', { config: loginRate, schema: { summary: 'Start a ClassLink sign-in', tags: ['sign-in'], security: [], params: SsoParams, querystring: LoginQuery, response: SignInResponses('to ClassLink’s authorization endpoint (a short-lived sign-in cookie is set)') } }, async (req, reply) => {
    const { districtId } = req.params;
    const district = await getDistrict(db, districtId);
    const settings = district ? ssoSettings(district, secrets) : null;
    if (!district || !settings) {
      return refuse(reply, districtId, 404, 'sso_not_configured', `District “${districtId}” has no ClassLink sign-in set up with Gradient.`, 'support');
    }
    const pending = { districtId, state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    let url: URL;
    try {
      url = await oidc.authorizationUrl(settings, redirectUri(districtId), { ...pending, loginHint: req.query.login_hint });
    } catch (err) {
      if (err instanceof SsoLoginError) {
        req.log.warn({ districtId, code: err.code }, 'sso discovery failed');
        return refuse(reply, districtId, err.status, err.code, err.message, 'support');
      }
      throw err;
    }
    const flowId = await savePendingLogin(db, pending);
    void reply.setCookie(SSO_FLOW_COOKIE, flowId, cookieOptions(config, SSO_FLOW_TTL_MS, flowPath(districtId)));
    const next = safeNextPath(req.query.next);
    if (next) void reply.setCookie(SSO_NEXT_COOKIE, next, cookieOptions(config, SSO_FLOW_TTL_MS, flowPath(districtId)));
    else void reply.clearCookie(SSO_NEXT_COOKIE, { path: flowPath(districtId) });
    return reply.redirect(url.href, 302);
  });

  app.get('/sso/:districtId/callback', { config: loginRate, schema: { summary: 'ClassLink’s answer to a sign-in', tags: ['sign-in'], security: [], params: SsoParams, response: SignInResponses('signed in (session cookie set): leaders to the `next` they started with (default /admin), teachers and students to /me') } }, async (req, reply) => {
    const { districtId } = req.params;
    const query = req.query as Record<string, unknown>;
    void reply.clearCookie(SSO_FLOW_COOKIE, { path: flowPath(districtId) });
    void reply.clearCookie(SSO_NEXT_COOKIE, { path: flowPath(districtId) });
    const rawNext = req.cookies[SSO_NEXT_COOKIE];
    const signedNext = rawNext ? req.unsignCookie(rawNext) : null;
    const next = signedNext?.valid ? safeNextPath(signedNext.value) : null;
    const district = await getDistrict(db, districtId);
    const settings = district ? ssoSettings(district, secrets) : null;
    if (!district || !settings) {
      return refuse(reply, districtId, 404, 'sso_not_configured', `District “${districtId}” has no ClassLink sign-in set up with Gradient.`, 'support');
    }
    const raw = req.cookies[SSO_FLOW_COOKIE];
    const flow = raw ? req.unsignCookie(raw) : null;
    const pending = flow?.valid && flow.value ? await takePendingLogin(db, flow.value) : undefined;
    if (!pending || pending.districtId !== districtId) {
      return refuse(reply, districtId, 400, 'no_sign_in_in_progress', 'This sign-in has expired, was already used, or was started in another browser. Start again.', 'support');
    }
    if (typeof query.state !== 'string' || !query.state) {
      return refuse(reply, districtId, 400, 'missing_state', 'The answer from ClassLink carries no state, so Gradient cannot tell it belongs to your sign-in. Start again.', 'support');
    }
    if (!sameText(query.state, pending.state)) {
      return refuse(reply, districtId, 400, 'state_mismatch', 'The answer from ClassLink belongs to a different sign-in. Start again.', 'support');
    }
    let who;
    try {
      who = await oidc.finish(settings, new URL(req.url, config.api.publicUrl), pending);
    } catch (err) {
      if (!(err instanceof SsoLoginError)) throw err;
      req.log.warn({ districtId, code: err.code }, 'sso sign-in failed');
      return refuse(reply, districtId, err.status, err.code, err.message, 'support');
    }
    const identity = await matchLogin(db, district, who);
    if (isRefusal(identity)) {
      req.log.info({ districtId, code: identity.refused }, 'sso sign-in refused');
      return refuse(reply, districtId, 403, identity.refused, identity.reason, identity.refused === 'wrong_tenant' ? 'support' : 'district');
    }
    // A fresh session id on every sign-in (no fixation); a session this browser had ends.
    const old = req.cookies[SESSION_COOKIE] ? req.unsignCookie(req.cookies[SESSION_COOKIE]!) : null;
    if (old?.valid && old.value) await destroySession(db, sha256(old.value));
    const { id } = await createSession(db, { kind: 'district_user', districtId, sourcedId: identity.sourcedId });
    void reply.setCookie(SESSION_COOKIE, id, cookieOptions(config, SESSION_TTL_MS));
    await db
      .updateTable('login_invites')
      .set({ accepted_at: new Date() })
      .where('district_id', '=', districtId)
      .where('user_sourced_id', '=', identity.sourcedId)
      .where('accepted_at', 'is', null)
      .execute();
    req.log.info({ districtId, sourcedId: identity.sourcedId, role: identity.role }, 'sso sign-in');
    return reply.redirect(landingFor(identity.role, next), 302);
  });

  const settingsView = (d: NonNullable<Awaited<ReturnType<typeof getDistrict>>>) => ({
    districtId: d.id,
    configured: Boolean(d.sso_issuer && d.sso_client_id && d.sso_secret_enc),
    issuer: d.sso_issuer,
    clientId: d.sso_client_id,
    tenantId: d.sso_tenant_id,
    userInfoUrl: d.sso_userinfo_url ?? (d.sso_issuer ? defaultUserInfoUrl(d.sso_issuer) : null),
    redirectUri: redirectUri(d.id),
    loginUrl: `${config.api.publicUrl}/sso/${d.id}/login`,
    warnings: d.sso_issuer && !d.sso_tenant_id ? ['no tenantId: logins are matched by sourcedId and email alone; set the ClassLink TenantId so another tenant’s users cannot match'] : [],
  });

  app.get('/api/districts/:id/sso', { schema: { params: DistrictIdParams, response: { 200: SsoSettingsReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const d = await getDistrict(db, req.params.id);
    if (!d) throw notFound(`district "${req.params.id}"`);
    return settingsView(d);
  });

  app.put('/api/districts/:id/sso', { schema: { params: DistrictIdParams, body: SsoSettingsBody, response: { 200: SsoSettingsReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const d = await getDistrict(db, req.params.id);
    if (!d) throw notFound(`district "${req.params.id}"`);
    const b = req.body;
    if (!b.clientSecret && !d.sso_secret_enc) throw new HttpError(400, 'client_secret_required', 'send clientSecret: this district has no SSO client secret stored yet');
    await oidc.verifyIssuer({ districtId: d.id, issuer: b.issuer, clientId: b.clientId, clientSecret: b.clientSecret ?? secrets.open(d.sso_secret_enc!) });
    const updated = await db
      .updateTable('districts')
      .set({
        sso_issuer: b.issuer,
        sso_client_id: b.clientId,
        ...(b.clientSecret ? { sso_secret_enc: secrets.seal(b.clientSecret) } : {}),
        ...(b.tenantId !== undefined ? { sso_tenant_id: b.tenantId } : {}),
        ...(b.userInfoUrl !== undefined ? { sso_userinfo_url: b.userInfoUrl } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', d.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await db
      .insertInto('audit_events')
      .values({ district_id: d.id, actor: req.principal?.id ?? 'unknown', action: 'sso configured', note: null, details: JSON.stringify({ issuer: updated.sso_issuer, clientId: updated.sso_client_id, tenantId: updated.sso_tenant_id }) })
      .execute();
    return settingsView(updated);
  });
};
