// Support sign-in, sessions, CSRF, logout, API tokens and login rate limiting, over real HTTP.
import { createSupportAccount, disableSupportAccount } from '../../api/accounts.js';
import { createApiToken, revokeApiToken } from '../../api/tokens.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { Browser, csrfOf, form, insertDistrict, startApi, SUPPORT_TOKEN, type RunningApi } from './sso-support.js';

let database: TestDatabase;
let api: RunningApi;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database.db, await freePort());
  await insertDistrict(database.db, api.secrets, { id: 'd1', name: 'District One' });
  await createSupportAccount(database.db, 'Ada@Gradient.example', PASSWORD);
  await createSupportAccount(database.db, 'gone@gradient.example', PASSWORD);
});

afterAll(async () => {
  await api?.close();
  await database?.destroy();
});

async function loginForm(browser: Browser) {
  const page = await browser.go(`${api.url}/support/login`);
  expect(page.status).toBe(200);
  const html = await page.text();
  return /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
}

async function supportSignIn(browser: Browser, email: string, password: string) {
  const csrf = await loginForm(browser);
  return browser.go(`${api.url}/support/login`, form({ email, password, _csrf: csrf }));
}

test('support signs in with email and password; the session is a support principal', async () => {
  const browser = new Browser();
  const res = await supportSignIn(browser, 'ada@gradient.example', PASSWORD);
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin');
  expect(browser.cookie('cls_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  const me = await browser.go(`${api.url}/api/me`);
  expect(await me.json()).toMatchObject({ role: 'support', email: 'ada@gradient.example', via: 'session', home: '/admin' });
  // Support reaches every district's data.
  expect((await browser.go(`${api.url}/api/districts/d1/terms`)).status).toBe(200);
  const row = await database.db.selectFrom('support_accounts').select('last_login_at').where('email', '=', 'ada@gradient.example').executeTakeFirstOrThrow();
  expect(row.last_login_at).not.toBeNull();
});

test('a wrong password, an unknown email, a disabled account and a missing form token are refused alike', async () => {
  const wrong = await supportSignIn(new Browser(), 'ada@gradient.example', 'not the password');
  expect(wrong.status).toBe(401);
  expect(await wrong.text()).toMatch(/Email or password is wrong/);
  const unknown = await supportSignIn(new Browser(), 'nobody@gradient.example', PASSWORD);
  expect(unknown.status).toBe(401);

  const b = new Browser();
  expect((await supportSignIn(b, 'gone@gradient.example', PASSWORD)).status).toBe(303);
  await disableSupportAccount(database.db, 'gone@gradient.example');
  // Disabling ends the open session too.
  expect((await b.go(`${api.url}/api/me`)).status).toBe(401);
  expect((await supportSignIn(new Browser(), 'gone@gradient.example', PASSWORD)).status).toBe(401);

  // Login CSRF: a form posted from elsewhere has no token matching this browser's cookie.
  const attacker = new Browser();
  const noToken = await attacker.go(`${api.url}/support/login`, form({ email: 'ada@gradient.example', password: PASSWORD }));
  expect(noToken.status).toBe(403);
  const otherBrowsersToken = await loginForm(new Browser());
  const foreign = await attacker.go(`${api.url}/support/login`, form({ email: 'ada@gradient.example', password: PASSWORD, _csrf: otherBrowsersToken }));
  expect(foreign.status).toBe(403);
  expect(attacker.cookie('cls_session')).toBeUndefined();
});

test('the post-login redirect stays on this site', async () => {
  for (const [next, expected] of [['/api/me', '/api/me'], ['//evil.example/x', '/admin'], ['https://evil.example', '/admin'], ['/\\evil.example', '/admin']] as const) {
    const browser = new Browser();
    const csrf = await loginForm(browser);
    const res = await browser.go(`${api.url}/support/login`, form({ email: 'ada@gradient.example', password: PASSWORD, _csrf: csrf, next }));
    expect({ next, location: res.headers.get('location') }).toEqual({ next, location: expected });
  }
});

test('state-changing requests with the session cookie need the CSRF token and our origin; bearer requests do not', async () => {
  const browser = new Browser();
  await supportSignIn(browser, 'ada@gradient.example', PASSWORD);
  const body = JSON.stringify({ title: 'system_admin' });
  const json = { 'content-type': 'application/json' };
  const url = `${api.url}/api/districts/d1/leaders/usr-0`;

  const missing = await browser.go(url, { method: 'PUT', headers: json, body });
  expect(missing.status).toBe(403);
  expect(((await missing.json()) as { error: string }).error).toBe('csrf');
  const bad = await browser.go(url, { method: 'PUT', headers: { ...json, 'x-csrf-token': 'guess' }, body });
  expect(bad.status).toBe(403);
  const token = await csrfOf(browser, api.url);
  const crossSite = await browser.go(url, { method: 'PUT', headers: { ...json, 'x-csrf-token': token, origin: 'https://evil.example' }, body });
  expect(crossSite.status).toBe(403);
  // With the token the request reaches the route (404: the district has no roster to find usr-0 in).
  const ok = await browser.go(url, { method: 'PUT', headers: { ...json, 'x-csrf-token': token, origin: api.url }, body });
  expect(ok.status).toBe(404);
  expect(((await ok.json()) as { message: string }).message).toMatch(/roster/);

  const bearer = await fetch(url, { method: 'PUT', headers: { ...json, authorization: `Bearer ${SUPPORT_TOKEN}` }, body });
  expect(bearer.status).toBe(404);
});

test('logout needs the CSRF token, ends the session server-side and clears the cookie', async () => {
  const browser = new Browser();
  await supportSignIn(browser, 'ada@gradient.example', PASSWORD);
  const stolen = browser.cookie('cls_session')!.value;
  expect((await browser.go(`${api.url}/logout`, { method: 'POST' })).status).toBe(403);
  const token = await csrfOf(browser, api.url);
  const out = await browser.go(`${api.url}/logout`, form({ _csrf: token }));
  expect(out.status).toBe(200);
  expect(await out.text()).toMatch(/signed out/);
  expect(browser.cookie('cls_session')).toBeUndefined();
  // The old cookie value is worthless now: the session is gone from the database.
  const replay = await fetch(`${api.url}/api/me`, { headers: { cookie: `cls_session=${stolen}` } });
  expect(replay.status).toBe(401);
});

test('API tokens: stored hashed, work as bearer tokens, stop when revoked; the config token keeps working', async () => {
  const { id, token } = await createApiToken(database.db, 'ci');
  const stored = await database.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  // The secret part may itself contain '_' (base64url), so cut at the known prefix.
  expect(JSON.stringify(stored)).not.toContain(token.slice(`clst_${id}_`.length));
  const call = (t: string) => fetch(`${api.url}/api/districts/d1/terms`, { headers: { authorization: `Bearer ${t}` } });
  expect((await call(token)).status).toBe(200);
  expect((await call(SUPPORT_TOKEN)).status).toBe(200);
  await revokeApiToken(database.db, id);
  const revoked = await call(token);
  expect(revoked.status).toBe(401);
  expect(((await revoked.json()) as { message: string }).message).toMatch(/not valid|revoked/);
  expect((await call(`${token.slice(0, -2)}xx`)).status).toBe(401);
  // A bad Authorization header is refused even next to a good session cookie.
  const browser = new Browser();
  await supportSignIn(browser, 'ada@gradient.example', PASSWORD);
  expect((await browser.go(`${api.url}/api/districts/d1/terms`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
});

test('signed out: JSON 401 for the API, the way to sign in for a browser', async () => {
  const api401 = await fetch(`${api.url}/api/me`);
  expect(api401.status).toBe(401);
  expect(await api401.json()).toMatchObject({ error: 'unauthorized' });
  const page = await fetch(`${api.url}/me`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe('/sign-in?next=%2Fme');
  const help = await fetch(new URL(page.headers.get('location')!, api.url));
  expect(await help.text()).toMatch(/support\/login\?next=%2Fme/);
});

test('support sign-in is rate limited per address and account with a clear 429', async () => {
  await createSupportAccount(database.db, 'bob@gradient.example', PASSWORD);
  const browser = new Browser();
  const attempt = async (email: string, password: string) => browser.go(`${api.url}/support/login`, form({ email, password, _csrf: await loginForm(browser) }));
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await attempt('bob@gradient.example', 'wrong password!')).status);
  expect(statuses).toEqual(Array(10).fill(401));
  const limited = await attempt('bob@gradient.example', 'wrong password!');
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await limited.json()).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/wait .* and try again/) });
  // The right password does not get through while limited...
  expect((await attempt('bob@gradient.example', PASSWORD)).status).toBe(429);
  // ...and another account from the same address is not locked out by it.
  await createSupportAccount(database.db, 'cy@gradient.example', PASSWORD);
  expect((await attempt('cy@gradient.example', PASSWORD)).status).toBe(303);
});
