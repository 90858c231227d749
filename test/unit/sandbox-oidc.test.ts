// The sandbox's OIDC provider, driven with plain HTTP and a hand-rolled cookie jar (what a browser
// does), from the authorization request to the code exchange, the ID token and /v2/my/info.
import { createHash, randomBytes } from 'node:crypto';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import type { UserRecord } from '../../sandbox/types.js';

const REDIRECT = 'http://127.0.0.1:9/sso/d1/callback';
const CLIENT = { client_id: 'gradient-d1', client_secret: 'rp-secret', redirect_uris: [REDIRECT] };

let sandbox: RunningSandbox;
let discovery: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ size: 'xs', seed: 9, port: 0, oidcClients: [CLIENT] });
  discovery = (await (await fetch(`${sandbox.oidcIssuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
});
afterAll(() => sandbox.close());

/** Just enough of a browser: cookies honour their Path, as a real one would. */
class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, sandbox.url);
    const headers = new Headers(init.headers);
    const send = [...this.cookies].filter(([, c]) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
    if (send.length) headers.set('cookie', send.map(([k, c]) => `${k}=${c.value}`).join('; '));
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((x) => x.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (n: string) => attrs.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
      const expires = attr('expires');
      if (!value || (expires && Date.parse(expires) < Date.now())) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attr('path') ?? '/' });
    }
    return res;
  }

  /** Follows redirects on the sandbox until one leaves it (the relying party's callback). */
  async follow(res: Response): Promise<Response | URL> {
    while (res.status >= 300 && res.status < 400) {
      const to = new URL(res.headers.get('location')!, sandbox.url);
      if (to.origin !== sandbox.url) return to;
      res = await this.go(to.href);
    }
    return res;
  }
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string>): string {
  const url = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({ client_id: CLIENT.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email profile', ...params })) {
    url.searchParams.set(k, v);
  }
  return url.href;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

function aTeacher(): UserRecord {
  return [...sandbox.generator.records('users')].find((u) => u.role === 'teacher' && u.status === 'active')!;
}

test('discovery advertises the mounted issuer, code flow and S256', () => {
  expect(discovery.issuer).toBe(`${sandbox.url}/oidc`);
  expect(discovery.authorization_endpoint.startsWith(`${sandbox.url}/oidc/`)).toBe(true);
  expect(discovery.token_endpoint.startsWith(`${sandbox.url}/oidc/`)).toBe(true);
  expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
});

test('login by email with the dev password, code exchange with PKCE, ClassLink-like claims and /v2/my/info', async () => {
  const user = aTeacher();
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');

  const start = await browser.go(authorizeUrl({ state, nonce, code_challenge: challenge, code_challenge_method: 'S256' }));
  expect(start.status).toBe(303);
  const loginPage = await browser.follow(start);
  expect(loginPage).toBeInstanceOf(Response);
  const html = await (loginPage as Response).text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1];

  const wrong = await browser.go(action, form({ login: user.email, password: 'guess' }));
  expect(wrong.status).toBe(401);
  expect(await wrong.text()).toMatch(/Wrong password/);
  const unknown = await browser.go(action, form({ login: 'nobody123@example.org', password: 'sandbox' }));
  expect(unknown.status).toBe(401);

  const ok = await browser.go(action, form({ login: user.email.toUpperCase(), password: 'sandbox' }));
  expect(ok.status).toBe(303);
  const callback = await browser.follow(ok);
  expect(callback).toBeInstanceOf(URL);
  const cb = callback as URL;
  expect(`${cb.origin}${cb.pathname}`).toBe(REDIRECT);
  expect(cb.searchParams.get('state')).toBe(state);
  const code = cb.searchParams.get('code')!;
  expect(code).toBeTruthy();

  const tokenRes = await fetch(discovery.token_endpoint, form({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret,
  }));
  expect(tokenRes.status).toBe(200);
  const tokens = (await tokenRes.json()) as { access_token: string; id_token: string; token_type: string };
  expect(tokens.token_type).toBe('Bearer');
  const claims = jwtPayload(tokens.id_token);
  expect(claims).toMatchObject({
    iss: sandbox.oidcIssuer, aud: CLIENT.client_id, nonce,
    sub: user.sourcedId, SourcedId: user.sourcedId, TenantId: 'sandbox-tenant-9', LoginId: user.username, Role: 'Teacher',
    email: user.email, given_name: user.givenName, family_name: user.familyName,
  });

  const info = await fetch(sandbox.userInfoUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(info.status).toBe(200);
  expect(await info.json()).toMatchObject({
    TenantId: 'sandbox-tenant-9', SourcedId: user.sourcedId, LoginId: user.username, Email: user.email,
    FirstName: user.givenName, LastName: user.familyName, Role: 'Teacher', UserId: Number(user.sourcedId.slice(4)),
  });
  const userinfo = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(((await userinfo.json()) as { sub: string }).sub).toBe(user.sourcedId);

  // The code is single use, and the verifier must match.
  const replay = await fetch(discovery.token_endpoint, form({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret,
  }));
  expect(replay.status).toBe(400);
});

test('a wrong code_verifier is refused at the token endpoint', async () => {
  const browser = new Browser();
  const { challenge } = pkce();
  const loginPage = (await browser.follow(await browser.go(authorizeUrl({ state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' })))) as Response;
  const action = /action="([^"]+)"/.exec(await loginPage.text())![1];
  const cb = (await browser.follow(await browser.go(action, form({ login: aTeacher().username, password: 'sandbox' })))) as URL;
  const res = await fetch(discovery.token_endpoint, form({
    grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: pkce().verifier,
    client_id: CLIENT.client_id, client_secret: CLIENT.client_secret,
  }));
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
});

test('PKCE is required', async () => {
  const browser = new Browser();
  const res = await browser.go(authorizeUrl({ state: 'abc', nonce: 'n' }));
  const to = new URL(res.headers.get('location')!, sandbox.url);
  expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
  expect(to.searchParams.get('error')).toBe('invalid_request');
  expect(to.searchParams.get('error_description')).toMatch(/PKCE/);
});

test('/v2/my/info refuses a missing or unknown token', async () => {
  expect((await fetch(sandbox.userInfoUrl)).status).toBe(401);
  expect((await fetch(sandbox.userInfoUrl, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
});
