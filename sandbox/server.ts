// The sandbox tenant as an HTTP server: OAuth 2 token endpoint, OneRoster 1.1 REST, admin
// controls. A test peer for dev/test/bench; production code never imports it.

import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { RequestAuthenticator, clientCredentials } from './auth.js';
import { registerGzip } from './compression.js';
import { registerAdminRoutes } from './admin-routes.js';
import { ONEROSTER_PREFIX, registerOneRosterRoutes } from './oneroster-routes.js';
import { SandboxTenant } from './tenant.js';
import { OIDC_PREFIX, SandboxOidc, type OidcClientConfig } from './oidc.js';
import type { Faults } from './faults.js';
import type { SandboxGenerator, Size } from './generator.js';

export interface SandboxOptions {
  size?: Size;
  seed?: number;
  schoolYear?: number;
  /** 0 = a random free port. */
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** Fastify logging (off by default: tests stay quiet). */
  logger?: boolean;
  /** Relying parties of the OIDC provider. Default: DEFAULT_OIDC_CLIENT. */
  oidcClients?: OidcClientConfig[];
  /** For buildSandboxApp only: the URL the app will be reached at, so the OIDC issuer is known. */
  publicUrl?: string;
}

export const DEFAULT_OIDC_CLIENT: OidcClientConfig = {
  client_id: 'sandbox-sso',
  client_secret: 'sandbox-sso-secret',
  redirect_uris: ['http://localhost:3000/sso/dev/callback', 'http://127.0.0.1:3000/sso/dev/callback'],
};

export const DEFAULT_CLIENT_ID = 'sandbox-client';
export const DEFAULT_CLIENT_SECRET = 'sandbox-secret';

export interface SandboxApp {
  app: FastifyInstance;
  tenant: SandboxTenant;
  auth: RequestAuthenticator;
  oidc: SandboxOidc;
}

/** The app without listening (for app.inject()). */
export async function buildSandboxApp(options: SandboxOptions = {}): Promise<SandboxApp> {
  const tenant = new SandboxTenant({
    size: options.size ?? 'xs',
    seed: options.seed ?? 1,
    schoolYear: options.schoolYear,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: options.clientSecret ?? DEFAULT_CLIENT_SECRET,
  });
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024 });
  await app.register(formbody);
  const auth = new RequestAuthenticator(tenant);

  app.post('/oauth/token', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const creds = clientCredentials(req);
    // revokeAuthAfterRequests deliberately leaves this endpoint alone (tokens are issued, then refused
    // on use), so a client sees the 401 on the page it reached; authFailure refuses here too.
    if (tenant.faults.authFailure || !creds || !auth.checkClient(creds)) {
      return reply.code(401).header('www-authenticate', 'Basic realm="oauth"').send({ error: 'invalid_client', error_description: 'client authentication failed' });
    }
    if (body.grant_type !== 'client_credentials') {
      return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' });
    }
    return reply.header('cache-control', 'no-store').send(auth.tokens.issue());
  });

  registerGzip(app, ONEROSTER_PREFIX);
  registerOneRosterRoutes(app, tenant, auth);
  registerAdminRoutes(app, tenant);
  const oidc = new SandboxOidc(tenant, options.oidcClients ?? [DEFAULT_OIDC_CLIENT]);
  oidc.register(app);
  if (options.publicUrl) oidc.attach(options.publicUrl.replace(/\/$/, ''));
  app.get('/health', async () => ({ ok: true }));
  return { app, tenant, auth, oidc };
}

export interface RunningSandbox {
  url: string;
  /** url + '/ims/oneroster/v1p1' */
  onerosterBaseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** url + '/oidc'; discovery at oidcIssuer + '/.well-known/openid-configuration'. */
  oidcIssuer: string;
  oidcClients: OidcClientConfig[];
  /** ClassLink-like user-info API (url + '/v2/my/info'). */
  userInfoUrl: string;
  /** The generator serving right now (changes with advanceNight/rollover). */
  readonly generator: SandboxGenerator;
  tenant: SandboxTenant;
  setFaults(faults: Faults): void;
  clearFaults(): void;
  advanceNight(): SandboxGenerator;
  rollover(): SandboxGenerator;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const { app, tenant, oidc } = await buildSandboxApp({ ...options, publicUrl: undefined });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('sandbox did not bind a TCP port');
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  oidc.attach(url);
  return {
    url,
    onerosterBaseUrl: `${url}${ONEROSTER_PREFIX}`,
    tokenUrl: `${url}/oauth/token`,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    oidcIssuer: `${url}${OIDC_PREFIX}`,
    oidcClients: options.oidcClients ?? [DEFAULT_OIDC_CLIENT],
    userInfoUrl: `${url}/v2/my/info`,
    get generator() {
      return tenant.generator;
    },
    tenant,
    setFaults: (faults) => tenant.setFaults(faults),
    clearFaults: () => tenant.clearFaults(),
    advanceNight: () => tenant.advanceNight(),
    rollover: () => tenant.rollover(),
    close: () => app.close(),
  };
}
