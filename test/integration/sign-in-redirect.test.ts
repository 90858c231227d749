// Signed out: a browser asking for a page is sent to the right sign-in with `next` and brought
// back after signing in; scripts keep their JSON 401; `next` never leads off the site.
import { createSupportAccount } from '../../api/accounts.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import type { UserRecord } from '../../sandbox/types.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { Browser, form, insertDistrict, loadRoster, startApi, SUPPORT_TOKEN, type RunningApi } from './sso-support.js';

let database: TestDatabase;
let sandbox: RunningSandbox;
let api: RunningApi;

const CLIENT_ID = 'gradient-rp';
const CLIENT_SECRET = 'rp-secret-456';
const EMAIL = 'ada@gradient.example';
const PASSWORD = 'correct horse battery staple';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

beforeAll(async () => {
  const port = await freePort();
  database = await createTestDatabase();
  sandbox = await startSandbox({ size: 'xs', seed: 1, oidcClients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`http://127.0.0.1:${port}/sso/d1/callback`] }] });
  api = await startApi(database.db, port);
  await insertDistrict(database.db, api.secrets, { id: 'd1', name: 'District One', sso: { issuer: sandbox.oidcIssuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tenantId: sandbox.generator.tenantId } });
  await insertDistrict(database.db, api.secrets, { id: 'nosso', name: 'No SSO ISD' });
  await loadRoster(database.db, 'd1', sandbox.generator);
  await createSupportAccount(database.db, EMAIL, PASSWORD);
});

afterAll(async () => {
  await api?.close();
  await sandbox?.close();
  await database?.destroy();
});

const get = (url: string, headers: Record<string, string> = HTML) => api.app.inject({ method: 'GET', url, headers });
const active = (role: UserRecord['role']) => [...sandbox.generator.records('users')].filter((u) => u.role === role && u.status === 'active' && u.enabledUser === 'true');

test('a browser asking for a support console page is sent to the support sign-in with next', async () => {
  for (const [url, next] of [
    ['/admin', '/admin'],
    ['/admin?q=one&phase=syncing', '/admin?q=one&phase=syncing'],
    ['/admin/districts/d1', '/admin/districts/d1'],
    ['/admin/districts/d1/runs/abc?severity=error', '/admin/districts/d1/runs/abc?severity=error'],
  ]) {
    const res = await get(url!);
    expect({ url, status: res.statusCode }).toEqual({ url, status: 303 });
    const to = new URL(res.headers.location as string, 'http://x');
    expect({ url, path: to.pathname, next: to.searchParams.get('next') }).toEqual({ url, path: '/support/login', next });
  }
  expect((await api.app.inject({ method: 'HEAD', url: '/admin', headers: HTML })).statusCode).toBe(303);
});

test('Admin Mode goes to the district’s ClassLink sign-in; where the district cannot sign in, to the page that explains', async () => {
  const year = await get('/admin/districts/d1/year');
  expect(year.statusCode).toBe(303);
  expect(year.headers.location).toBe(`/sso/d1/login?next=${encodeURIComponent('/admin/districts/d1/year')}`);
  expect((await get('/admin/districts/d1/spot-checks/students/usr-1')).headers.location).toBe(`/sso/d1/login?next=${encodeURIComponent('/admin/districts/d1/spot-checks/students/usr-1')}`);

  // No ClassLink sign-in set up: the help page names the district and says what to do.
  const noSso = await get('/admin/districts/nosso/terms');
  expect(noSso.headers.location).toBe(`/sign-in?district=nosso&next=${encodeURIComponent('/admin/districts/nosso/terms')}`);
  const help = await get(noSso.headers.location as string);
  expect(help.statusCode).toBe(200);
  expect(help.body).toContain('No SSO ISD has no ClassLink sign-in set up');
  expect(help.body).toContain(`href="/support/login?next=${encodeURIComponent('/admin/districts/nosso/terms')}"`);

  // A district that does not exist is not named back; a teacher's /me has no district to go by.
  expect((await get('/admin/districts/nowhere/year')).headers.location).toBe(`/sign-in?next=${encodeURIComponent('/admin/districts/nowhere/year')}`);
  expect((await get('/me')).headers.location).toBe('/sign-in?next=%2Fme');

  // Naming a district on the help page continues to its ClassLink sign-in, with next.
  const named = await get(`/sign-in?district=D1&next=${encodeURIComponent('/admin/districts/d1/invites')}`);
  expect(named.statusCode).toBe(303);
  expect(named.headers.location).toBe(`/sso/d1/login?next=${encodeURIComponent('/admin/districts/d1/invites')}`);
  const unknown = await get('/sign-in?district=<script>');
  expect(unknown.statusCode).toBe(200);
  expect(unknown.body).toContain('There is no district “&#60;script&#62;”');
  expect(unknown.body).not.toContain('<script>');
});

test('scripts keep their JSON 401, and forms posted without a session get the sign-in page (no redirect of a POST)', async () => {
  for (const [url, headers] of [
    ['/api/districts', {}],
    ['/api/districts', { accept: 'application/json' }],
    ['/api/districts', HTML], // /api/ is JSON whatever the Accept header says
    ['/admin', {}],
    ['/admin/districts/d1/year', { accept: 'application/json' }],
  ] as const) {
    const res = await get(url, headers);
    expect({ url, headers, status: res.statusCode }).toEqual({ url, headers, status: 401 });
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
  }
  const post = await api.app.inject({ method: 'POST', url: '/admin/districts/d1/do/pause', headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'note=x' });
  expect(post.statusCode).toBe(401);
  expect(post.headers['content-type']).toMatch(/text\/html/);
  expect(post.body).toContain('href="/support/login"');
});

test('next never leads off the site: not from the sign-in pages, not through ClassLink', async () => {
  const offSite = ['//evil.example/admin', 'https://evil.example', '/\\evil.example', '/\t/evil.example', '/admin/..//evil.example', '/%2e%2e//evil.example'];
  for (const next of offSite) {
    const q = `next=${encodeURIComponent(next)}`;
    const login = await get(`/support/login?${q}`);
    expect(login.statusCode).toBe(200);
    expect(/name="next" value="([^"]*)"/.exec(login.body)![1]).toBe('/admin');
    expect(login.body).not.toContain('evil.example');
    expect((await get(`/sign-in?${q}`)).body).not.toContain('evil.example');
    expect((await get(`/sign-in?district=d1&${q}`)).headers.location).toBe('/sso/d1/login');
    const sso = await get(`/sso/d1/login?${q}`);
    expect(sso.statusCode).toBe(302);
    expect(String(sso.headers['set-cookie'])).not.toMatch(/cls_sso_next=[^;]/);

    // Posted straight to the login form: signed in, but taken home.
    const browser = new Browser();
    const page = await (await browser.go(`${api.url}/support/login`)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await browser.go(`${api.url}/support/login`, form({ email: EMAIL, password: PASSWORD, _csrf: csrf, next }));
    expect({ next, status: res.status, location: res.headers.get('location') }).toEqual({ next, status: 303, location: '/admin' });
  }
});

test('support signs in from the redirect and comes back to the page asked for', async () => {
  const browser = new Browser();
  const asked = `${api.url}/admin/districts/d1?severity=error`;
  const first = await browser.go(asked, { headers: HTML });
  expect(first.status).toBe(303);
  const loginUrl = new URL(first.headers.get('location')!, asked);
  const page = await (await browser.go(loginUrl)).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const next = /name="next" value="([^"]+)"/.exec(page)![1]!.replace(/&#38;/g, '&');
  const res = await browser.go(loginUrl, form({ email: EMAIL, password: PASSWORD, _csrf: csrf, next }));
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin/districts/d1?severity=error');
});

test('a leader signs in through ClassLink from the redirect and comes back; a teacher goes home; a forged next cookie is ignored', async () => {
  const [admin] = active('administrator');
  const assign = await api.app.inject({ method: 'PUT', url: `/api/districts/d1/leaders/${admin!.sourcedId}`, headers: { authorization: `Bearer ${SUPPORT_TOKEN}` }, payload: { title: 'system_admin' } });
  expect(assign.statusCode).toBe(200);

  /** Opens a page signed out, walks the ClassLink sign-in it is sent to, and returns where the callback lands. */
  async function signInFrom(browser: Browser, path: string, login: string, tamper?: () => void): Promise<string> {
    // The first hop needs a browser's Accept header (Browser.open sends none).
    const start = await browser.go(`${api.url}${path}`, { headers: HTML });
    expect(start.status).toBe(303);
    const loginForm = await browser.follow(start, `${api.url}${path}`);
    if (!(loginForm instanceof Response) || loginForm.status !== 200) throw new Error('expected the provider’s login form');
    const action = /<form method="post" action="([^"]+)"/.exec(await loginForm.text())![1]!;
    const target = new URL(action, loginForm.url);
    const posted = await browser.go(target, form({ login, password: 'sandbox' }));
    const callback = await browser.follow(posted, target, (u) => u.pathname.endsWith('/callback'));
    if (!(callback instanceof URL)) throw new Error('expected to reach the callback');
    tamper?.();
    const landed = await browser.go(callback);
    expect(landed.status).toBe(302);
    return landed.headers.get('location')!;
  }

  expect(await signInFrom(new Browser(), '/admin/districts/d1/terms', admin!.email)).toBe('/admin/districts/d1/terms');
  // A teacher sent from Admin Mode goes to their own page, not to one they may not see.
  expect(await signInFrom(new Browser(), '/admin/districts/d1/terms', active('teacher')[0]!.email)).toBe('/me');

  const forged = new Browser();
  const landed = await signInFrom(forged, '/admin/districts/d1/terms', admin!.email, () => {
    const c = forged.cookie('cls_sso_next')!;
    expect(c).toBeDefined();
    // A path on this site, but not signed by us: the cookie is ignored, not just the path checked.
    c.value = encodeURIComponent('/admin/districts/nosso');
  });
  expect(landed).toBe('/admin');
});
