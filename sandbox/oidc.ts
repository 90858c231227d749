// A ClassLink-like OpenID Connect provider (oidc-provider 9) whose accounts are the tenant's
// rostered users: sign in with a user's email or username and the dev password. Claims carry the
// ClassLink identity fields (SourcedId, TenantId, LoginId, Role) that tie a login to a roster row,
// and GET /v2/my/info answers like ClassLink's user-info API.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Provider from 'oidc-provider';
import { createMemoryAdapter } from './oidc-memory-adapter.js';
import type { SandboxTenant } from './tenant.js';
import type { UserRecord } from './types.js';

// oidc-provider ships no types (types/oidc-provider.d.ts declares it `any`); these describe the
// small part used here so mistakes still show up at compile time.
interface InteractionDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}
interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}
interface OidcProvider {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionResult(req: IncomingMessage, res: ServerResponse, result: object, opts?: { mergeWithLastSubmission?: boolean }): Promise<string>;
  Grant: { new (init: { clientId: string; accountId: string }): OidcGrant; find(id: string): Promise<OidcGrant | undefined> };
  AccessToken: { find(token: string): Promise<{ accountId?: string } | undefined> };
}
/** The slice of KoaContextWithOIDC the hooks below read. */
interface OidcContext {
  type: string;
  body: unknown;
  oidc: {
    client?: { clientId: string };
    result?: { consent?: { grantId?: string } };
    session?: { accountId: string; grantIdFor(clientId: string): string | undefined };
    provider: OidcProvider;
  };
}

export const OIDC_PREFIX = '/oidc';
export const DEV_PASSWORD = 'sandbox';

export interface OidcClientConfig {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** openid-client 6 defaults to client_secret_post; ClassLink accepts both. */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
  post_logout_redirect_uris?: string[];
}

/** ClassLink's roles are Student, Teacher and Tenant Administrator; aides sign in as teachers. */
const CLASSLINK_ROLE: Record<UserRecord['role'], string> = {
  student: 'Student', teacher: 'Teacher', aide: 'Teacher', administrator: 'Tenant Administrator', guardian: 'Parent',
};

export function classLinkClaims(user: UserRecord, tenantId: string) {
  return {
    sub: user.sourcedId,
    email: user.email,
    email_verified: true,
    name: `${user.givenName} ${user.familyName}`,
    given_name: user.givenName,
    family_name: user.familyName,
    SourcedId: user.sourcedId,
    TenantId: tenantId,
    LoginId: user.username,
    Role: CLASSLINK_ROLE[user.role],
  };
}

/** Emails and usernames end in the user's sourcedId number, so lookup needs no index. */
export function findUserByLogin(tenant: SandboxTenant, login: string): UserRecord | undefined {
  const wanted = login.trim().toLowerCase();
  const m = /(\d+)(@[^@]+)?$/.exec(wanted);
  if (!m) return undefined;
  const user = tenant.generator.get('users', `usr-${m[1]}`);
  if (!user || (user.email.toLowerCase() !== wanted && user.username.toLowerCase() !== wanted)) return undefined;
  return user;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, clientId: string, districtName: string, error?: string, login = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – ${escapeHtml(districtName)} (sandbox)</title></head>
<body>
<h1>${escapeHtml(districtName)}</h1>
<p>Sandbox ClassLink sign-in for <code>${escapeHtml(clientId)}</code>. Any rostered user's email or username; password <code>${DEV_PASSWORD}</code>.</p>
${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${OIDC_PREFIX}/interaction/${escapeHtml(uid)}/login">
  <label>Email or username <input name="login" id="login" type="text" autocomplete="username" value="${escapeHtml(login)}" required autofocus></label>
  <label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" id="submit">Sign in</button>
</form>
</body></html>`;
}

export class SandboxOidc {
  private provider: OidcProvider | undefined;
  private readonly jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'sandbox-rs256', alg: 'RS256', use: 'sig' };
  private readonly cookieKey = randomBytes(32).toString('base64url');

  constructor(private readonly tenant: SandboxTenant, private readonly clients: OidcClientConfig[]) {}

  get issuer(): string | undefined {
    return this.provider?.issuer;
  }

  /** The issuer is only known once the server has a port, so the provider is made then. */
  attach(baseUrl: string): void {
    const tenant = this.tenant;
    const configuration = {
      adapter: createMemoryAdapter(),
      clients: this.clients.map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        redirect_uris: c.redirect_uris,
        post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_post',
      })),
      jwks: { keys: [this.jwk as never] },
      cookies: { keys: [this.cookieKey] },
      pkce: { required: () => true },
      scopes: ['openid', 'email', 'profile', 'offline_access', 'full', 'oneroster'],
      claims: {
        // ClassLink's identity fields come with plain `openid`: they are what ties a login to a roster row.
        openid: ['sub', 'SourcedId', 'TenantId', 'LoginId', 'Role'],
        email: ['email', 'email_verified'],
        profile: ['name', 'given_name', 'family_name'],
      },
      // Put granted claims in the ID token too, as ClassLink does, not only behind userinfo.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false }, userinfo: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      interactions: { url: (_ctx: OidcContext, interaction: { uid: string }) => `${OIDC_PREFIX}/interaction/${interaction.uid}` },
      // First-party sandbox: consent is implied, so the flow is login → code with no consent page.
      loadExistingGrant: async (ctx: OidcContext) => {
        const clientId = ctx.oidc.client!.clientId;
        const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId });
        grant.addOIDCScope('openid email profile offline_access');
        await grant.save();
        return grant;
      },
      findAccount: async (_ctx: OidcContext, sub: string) => {
        const user = tenant.generator.get('users', sub);
        if (!user) return undefined;
        return { accountId: sub, claims: async () => classLinkClaims(user, tenant.generator.tenantId) };
      },
      renderError: async (ctx: OidcContext, out: unknown) => {
        ctx.type = 'html';
        ctx.body = `<!doctype html><html><body><h1>Sign-in error</h1><pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre></body></html>`;
      },
      ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 3600, Session: 86400, Grant: 86400, RefreshToken: 86400 },
    };
    this.provider = new Provider(`${baseUrl}${OIDC_PREFIX}`, configuration) as OidcProvider;
  }

  private required(reply: FastifyReply): OidcProvider | undefined {
    if (!this.provider) void reply.code(503).send({ error: 'oidc_not_ready', message: 'the OIDC provider starts once the sandbox listens' });
    return this.provider;
  }

  register(app: FastifyInstance): void {
    // The provider reads its own request bodies: in its own context Fastify must not consume them.
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      const forward = async (req: FastifyRequest, reply: FastifyReply) => {
        const provider = this.required(reply);
        if (!provider) return reply;
        reply.hijack();
        const raw = req.raw as IncomingMessage & { originalUrl?: string };
        // Mounted under /oidc: the provider sees paths relative to the mount and finds the
        // mount point from originalUrl when building its own URLs.
        raw.originalUrl = raw.url;
        raw.url = raw.url!.slice(OIDC_PREFIX.length) || '/';
        provider.callback()(raw, reply.raw);
      };
      scope.all(OIDC_PREFIX, forward);
      scope.all(`${OIDC_PREFIX}/*`, forward);
    });

    app.get(`${OIDC_PREFIX}/interaction/:uid`, async (req, reply) => {
      const provider = this.required(reply);
      if (!provider) return reply;
      const details = await provider.interactionDetails(req.raw, reply.raw);
      if (details.prompt.name === 'login') {
        return reply.type('text/html').send(loginPage(details.uid, String(details.params.client_id), this.tenant.generator.districtName));
      }
      // Any other prompt (consent): grant what was asked and carry on.
      const grantId = await this.grantAll(provider, details);
      const to = await provider.interactionResult(req.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return reply.redirect(to, 303);
    });

    app.post(`${OIDC_PREFIX}/interaction/:uid/login`, async (req, reply) => {
      const provider = this.required(reply);
      if (!provider) return reply;
      const details = await provider.interactionDetails(req.raw, reply.raw);
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      const login = body.login ?? body.email ?? '';
      const user = findUserByLogin(this.tenant, login);
      let error: string | undefined;
      if (body.password !== DEV_PASSWORD) error = 'Wrong password (the sandbox password is "sandbox").';
      else if (!user) error = `No account with email or username "${login}".`;
      else if (user.status !== 'active' || user.enabledUser !== 'true') error = 'This account is disabled.';
      if (error || !user) {
        return reply.code(401).type('text/html').send(loginPage(details.uid, String(details.params.client_id), this.tenant.generator.districtName, error, login));
      }
      const to = await provider.interactionResult(req.raw, reply.raw, { login: { accountId: user.sourcedId } }, { mergeWithLastSubmission: false });
      return reply.redirect(to, 303);
    });

    // ClassLink's user-info API, answered from the provider's access tokens.
    app.get('/v2/my/info', async (req, reply) => {
      const provider = this.required(reply);
      if (!provider) return reply;
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const accessToken = token ? await provider.AccessToken.find(token) : undefined;
      const user = accessToken?.accountId ? this.tenant.generator.get('users', accessToken.accountId) : undefined;
      if (!accessToken || !user) return reply.code(401).send({ error: 'invalid_token', message: 'send a valid access token from the sandbox OIDC provider' });
      const g = this.tenant.generator;
      return {
        UserId: Number(user.sourcedId.replace(/^usr-/, '')),
        TenantId: g.tenantId,
        SourcedId: user.sourcedId,
        LoginId: user.username,
        Email: user.email,
        FirstName: user.givenName,
        LastName: user.familyName,
        DisplayName: `${user.givenName} ${user.familyName}`,
        Role: CLASSLINK_ROLE[user.role],
        Tenant: g.districtName,
      };
    });
  }

  private async grantAll(provider: OidcProvider, details: InteractionDetails): Promise<string> {
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    return grant.save();
  }
}
