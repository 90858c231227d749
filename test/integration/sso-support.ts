// Shared by the sso-* tests: a browser-like cookie jar over real HTTP, the API on a real port,
// districts and live roster rows written straight from the sandbox generator (what a sync
// would apply), and the ClassLink sign-in walked like a person would.
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildApp } from '../../api/app.js';
import { loadConfig, type Config } from '../../config/index.js';
import type { Database } from '../../db/schema.js';
import { createSecretBox, type SecretBox } from '../../db/secrets.js';
import { COLLECTIONS } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import type { SandboxGenerator } from '../../sandbox/generator.js';

export const SUPPORT_TOKEN = 'test-support-token-0123456789';

export interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: string | null;
  maxAge: number | null;
}

/**
 * Just enough of a browser: cookies are per host (not per port, as in real browsers) and honour
 * their Path; redirects are followed by hand so a test can stop anywhere.
 */
export class Browser {
  cookies: StoredCookie[] = [];

  private sendable(url: URL): StoredCookie[] {
    return this.cookies.filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)));
  }

  cookie(name: string): StoredCookie | undefined {
    return this.cookies.find((c) => c.name === name);
  }

  async go(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const send = this.sendable(target);
    if (send.length) headers.set('cookie', send.map((c) => `${c.name}=${c.value}`).join('; '));
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((x) => x.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const attr = (n: string) => attrs.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
      const has = (n: string) => attrs.some((a) => a.toLowerCase() === n);
      const path = attr('path') ?? '/';
      const expires = attr('expires');
      const maxAge = attr('max-age');
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path && c.host === target.hostname));
      const gone = !value || (expires && Date.parse(expires) <= Date.now()) || maxAge === '0';
      if (!gone) {
        this.cookies.push({ name, value, host: target.hostname, path, httpOnly: has('httponly'), secure: has('secure'), sameSite: attr('samesite') ?? null, maxAge: maxAge ? Number(maxAge) : null });
      }
    }
    return res;
  }

  /** Follows redirects (a 303 turns into GET) until a page, or until `stop` says to hand the URL back. */
  async follow(res: Response, from: string | URL, stop?: (url: URL) => boolean): Promise<Response | URL> {
    let base = new URL(from);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 20) throw new Error('redirect loop');
      const to = new URL(res.headers.get('location')!, base);
      if (stop?.(to)) return to;
      res = await this.go(to);
      base = to;
    }
    return res;
  }

  async open(url: string | URL, stop?: (url: URL) => boolean): Promise<Response | URL> {
    return this.follow(await this.go(url), url, stop);
  }
}

export const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

export const isCallback = (url: URL) => url.pathname.endsWith('/callback');

/**
 * Walks a ClassLink sign-in: our login route → the provider's login form → sign in as `login` →
 * back to our callback. With `stopAtCallback` the callback URL is handed back unvisited.
 */
export async function walkSso(browser: Browser, apiUrl: string, districtId: string, login: string, opts: { stopAtCallback?: boolean } = {}): Promise<Response | URL> {
  const loginPage = await browser.open(`${apiUrl}/sso/${districtId}/login`);
  if (!(loginPage instanceof Response) || loginPage.status !== 200) throw new Error(`expected the provider's login form, got ${loginPage instanceof Response ? loginPage.status : loginPage.href}`);
  const htmlText = await loginPage.text();
  const action = /<form method="post" action="([^"]+)"/.exec(htmlText)?.[1];
  if (!action) throw new Error(`no login form on ${loginPage.url}`);
  const target = new URL(action, loginPage.url);
  const posted = await browser.go(target, form({ login, password: 'sandbox' }));
  if (posted.status !== 303) throw new Error(`the provider refused ${login}: ${posted.status} ${await posted.text()}`);
  return browser.follow(posted, target, opts.stopAtCallback ? isCallback : undefined);
}

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  config: Config;
  secrets: SecretBox;
  close(): Promise<void>;
}

/** The real app on a real port. Temporal is a lazy connection nobody reaches: these routes do not use it. */
export async function startApi(db: Kysely<Database>, port: number, env: Record<string, string> = {}): Promise<RunningApi> {
  const config = loadConfig({ NODE_ENV: 'test', SUPPORT_API_TOKEN: SUPPORT_TOKEN, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...env });
  const secrets = createSecretBox(config.secretsKey);
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = await buildApp({ db, temporal: new Client({ connection }), config, secrets });
  await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    secrets,
    async close() {
      await app.close();
      await connection.close().catch(() => undefined);
    },
  };
}

export async function insertDistrict(
  db: Kysely<Database>,
  secrets: SecretBox,
  d: { id: string; name: string; timezone?: string; sso?: { issuer: string; clientId: string; clientSecret: string; tenantId?: string | null } },
): Promise<void> {
  await db
    .insertInto('districts')
    .values({
      id: d.id,
      name: d.name,
      timezone: d.timezone ?? 'America/Chicago',
      oneroster_base_url: null,
      oneroster_auth_kind: null,
      oneroster_client_id: null,
      oneroster_secret_enc: null,
      oneroster_token_url: null,
      oneroster_signature_method: null,
      sso_issuer: d.sso?.issuer ?? null,
      sso_client_id: d.sso?.clientId ?? null,
      sso_secret_enc: d.sso ? secrets.seal(d.sso.clientSecret) : null,
      sso_tenant_id: d.sso?.tenantId ?? null,
      settings: '{}',
    })
    .execute();
}

/** The live tables as a successful sync of this generator would leave them. */
export async function loadRoster(db: Kysely<Database>, districtId: string, generator: SandboxGenerator): Promise<void> {
  for (const c of COLLECTIONS) {
    const rows = [...generator.records(c)].map((r) => {
      const data = JSON.stringify(r);
      return {
        district_id: districtId,
        sourced_id: r.sourcedId,
        status: r.status,
        date_last_modified: r.dateLastModified,
        data,
        content_hash: createHash('md5').update(data).digest('hex'),
        deleted_at: r.status === 'tobedeleted' ? new Date() : null,
      };
    });
    for (let i = 0; i < rows.length; i += 500) await db.insertInto(LIVE_TABLE[c]).values(rows.slice(i, i + 500)).execute();
  }
}

/** A session's CSRF token, as a page script would read it. */
export async function csrfOf(browser: Browser, apiUrl: string): Promise<string> {
  const res = await browser.go(`${apiUrl}/api/me`);
  if (res.status !== 200) throw new Error(`GET /api/me: ${res.status}`);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}
