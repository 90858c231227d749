// ClassLink SSO end to end over real HTTP: the API on a real port, the sandbox's OIDC provider,
// a cookie jar that behaves like a browser. Roles from the roster, refusals with a reason,
// the other-tenant case, state/replay tampering, and sessions that follow the roster.
import { sql } from 'kysely';
import { createGenerator, type SandboxGenerator } from '../../sandbox/generator.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import type { UserRecord } from '../../sandbox/types.js';
import { todayIn } from '../../roster/terms.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { Browser, insertDistrict, loadRoster, startApi, SUPPORT_TOKEN, walkSso, type RunningApi } from './sso-support.js';

let database: TestDatabase;
let sandbox: RunningSandbox;
let api: RunningApi;
let otherTenant: SandboxGenerator;

const CLIENT_ID = 'gradient-rp';
const CLIENT_SECRET = 'rp-secret-123';

beforeAll(async () => {
  const port = await freePort();
  database = await createTestDatabase();
  const redirect = (d: string) => `http://127.0.0.1:${port}/sso/${d}/callback`;
  sandbox = await startSandbox({ size: 'xs', seed: 1, oidcClients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirect('d1'), redirect('d2')] }] });
  api = await startApi(database.db, port);
  // d1 is this tenant. d2 is another district on the same ClassLink issuer (as real ClassLink is
  // one issuer for all tenants) whose roster reuses the same sourcedIds (usr-N).
  await insertDistrict(database.db, api.secrets, { id: 'd1', name: 'District One', sso: { issuer: sandbox.oidcIssuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tenantId: sandbox.generator.tenantId } });
  otherTenant = createGenerator({ seed: 2, size: 'xs' });
  await insertDistrict(database.db, api.secrets, { id: 'd2', name: 'District Two', sso: { issuer: sandbox.oidcIssuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tenantId: otherTenant.tenantId } });
  await loadRoster(database.db, 'd1', sandbox.generator);
  await loadRoster(database.db, 'd2', otherTenant);
});

afterAll(async () => {
  await api?.close();
  await sandbox?.close();
  await database?.destroy();
});

const users = () => [...sandbox.generator.records('users')];
const active = (role: UserRecord['role']) => users().filter((u) => u.role === role && u.status === 'active' && u.enabledUser === 'true');
let picked = 0;
/** A different active user of a role for each test, so tests do not share state. */
function fresh(role: UserRecord['role']): UserRecord {
  const list = active(role);
  return list[picked++ % list.length]!;
}

/** What the roster says a person's in-progress classes are today, computed from the generator. */
function expectedClasses(g: SandboxGenerator, sourcedId: string): string[] {
  const today = todayIn('America/Chicago');
  const sessions = new Map([...g.records('academicSessions')].map((s) => [s.sourcedId, s]));
  const classes = new Map([...g.records('classes')].filter((c) => c.status === 'active').map((c) => [c.sourcedId, c]));
  const out = new Set<string>();
  for (const e of g.records('enrollments')) {
    if (e.status !== 'active' || e.user.sourcedId !== sourcedId) continue;
    const c = classes.get(e.class.sourcedId);
    if (c && c.terms.some((t) => sessions.get(t.sourcedId) && sessions.get(t.sourcedId)!.startDate <= today && today <= sessions.get(t.sourcedId)!.endDate)) out.add(c.sourcedId);
  }
  return [...out].sort();
}

async function me(browser: Browser) {
  const res = await browser.go(`${api.url}/api/me`);
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function signIn(browser: Browser, district: string, login: string) {
  const callback = (await walkSso(browser, api.url, district, login, { stopAtCallback: true })) as URL;
  expect(callback).toBeInstanceOf(URL);
  return { callback, res: await browser.go(callback) };
}

test('a teacher signs in with ClassLink: PKCE S256 + state + nonce, a Lax httpOnly session, /me with their current-term classes', async () => {
  const teacher = fresh('teacher');
  const browser = new Browser();
  const start = await browser.go(`${api.url}/sso/d1/login`);
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.href.startsWith(`${sandbox.oidcIssuer}/`)).toBe(true);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(authorize.searchParams.get('state')?.length).toBeGreaterThanOrEqual(20);
  expect(authorize.searchParams.get('nonce')?.length).toBeGreaterThanOrEqual(20);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${api.url}/sso/d1/callback`);
  expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID);
  const flow = browser.cookie('cls_sso')!;
  expect(flow).toMatchObject({ path: '/sso/d1', httpOnly: true, sameSite: 'Lax' });
  // Nothing secret travels in the cookie: the verifier stays on the server.
  expect(decodeURIComponent(flow.value)).not.toContain(authorize.searchParams.get('state')!);

  const { res } = await signIn(browser, 'd1', teacher.email);
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe('/me');
  const session = browser.cookie('cls_session')!;
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
  expect(session.maxAge).toBe(12 * 3600);
  expect(browser.cookie('cls_sso')).toBeUndefined();

  const page = await browser.go(`${api.url}/me`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(`${teacher.givenName} ${teacher.familyName}`.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`));

  const { status, json } = await me(browser);
  expect(status).toBe(200);
  expect(json).toMatchObject({ role: 'teacher', districtId: 'd1', sourcedId: teacher.sourcedId, rosterRole: 'teacher', email: teacher.email, via: 'session', home: '/me' });
  expect(json.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  const classes = (json.schedule.classes as { sourcedId: string; teachers: { sourcedId: string }[]; role: string }[]).map((c) => c.sourcedId).sort();
  expect(classes).toEqual(expectedClasses(sandbox.generator, teacher.sourcedId));
  expect(classes.length).toBeGreaterThan(0);
  for (const c of json.schedule.classes) {
    expect(c.role).toBe('teacher');
    expect(c.teachers.map((t: { sourcedId: string }) => t.sourcedId)).toContain(teacher.sourcedId);
  }
});

test('a student lands on /me as a student; by username too', async () => {
  const student = fresh('student');
  const browser = new Browser();
  const { res } = await signIn(browser, 'd1', student.username);
  expect(res.headers.get('location')).toBe('/me');
  const { json } = await me(browser);
  expect(json).toMatchObject({ role: 'student', sourcedId: student.sourcedId, districtId: 'd1' });
  expect(json.schedule.classes.map((c: { sourcedId: string }) => c.sourcedId).sort()).toEqual(expectedClasses(sandbox.generator, student.sourcedId));
});

test('an administrator is a leader only once support marks them; leaders land on /admin', async () => {
  const [admin] = active('administrator');
  const before = new Browser();
  await signIn(before, 'd1', admin!.email);
  expect((await me(before)).json).toMatchObject({ role: 'teacher', rosterRole: 'administrator', leaderTitle: null });

  const assign = await fetch(`${api.url}/api/districts/d1/leaders/${admin!.sourcedId}`, {
    method: 'PUT', headers: { authorization: `Bearer ${SUPPORT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'roster_lead' }),
  });
  expect(assign.status).toBe(200);
  // The role applies to the session already open, without signing in again.
  expect((await me(before)).json).toMatchObject({ role: 'leader', leaderTitle: 'roster_lead', home: '/admin' });

  const browser = new Browser();
  const { res } = await signIn(browser, 'd1', admin!.email);
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe('/admin');

  // A teacher cannot be made a leader.
  const teacherAssign = await fetch(`${api.url}/api/districts/d1/leaders/${fresh('teacher').sourcedId}`, {
    method: 'PUT', headers: { authorization: `Bearer ${SUPPORT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'system_admin' }),
  });
  expect(teacherAssign.status).toBe(409);
  expect(((await teacherAssign.json()) as { message: string }).message).toMatch(/only administrators/);

  // Withdrawn: the open session is a plain staff member again at its next request.
  const remove = await fetch(`${api.url}/api/districts/d1/leaders/${admin!.sourcedId}`, { method: 'DELETE', headers: { authorization: `Bearer ${SUPPORT_TOKEN}` } });
  expect(remove.status).toBe(200);
  expect((await me(browser)).json).toMatchObject({ role: 'teacher', leaderTitle: null });
  await fetch(`${api.url}/api/districts/d1/leaders/${admin!.sourcedId}`, {
    method: 'PUT', headers: { authorization: `Bearer ${SUPPORT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'system_admin' }),
  });
});

async function refused(district: string, login: string) {
  const browser = new Browser();
  const { res } = await signIn(browser, district, login);
  return { res, code: res.headers.get('x-sso-refusal'), text: await res.text(), browser };
}

test('guardians, deactivated and unrostered accounts are refused with a page that says why and whom to ask', async () => {
  const guardian = users().find((u) => u.role === 'guardian' && u.status === 'active' && u.enabledUser === 'true')!;
  const g = await refused('d1', guardian.email);
  expect(g.res.status).toBe(403);
  expect(g.code).toBe('not_allowed_role');
  expect(g.text).toMatch(/parents and guardians/);
  expect(g.browser.cookie('cls_session')).toBeUndefined();

  const gone = fresh('teacher');
  await database.db.updateTable('users').set({ status: 'tobedeleted', deleted_at: new Date() }).where('district_id', '=', 'd1').where('sourced_id', '=', gone.sourcedId).execute();
  const d = await refused('d1', gone.email);
  expect(d.res.status).toBe(403);
  expect(d.code).toBe('deactivated');
  expect(d.text).toMatch(/deactivated/);
  // Whom to ask: the district's leaders, by name (an administrator was made System Admin above).
  const leader = await database.db.selectFrom('district_leaders').select('user_sourced_id').where('district_id', '=', 'd1').executeTakeFirst();
  expect(leader).toBeDefined();
  expect(d.text).toContain(sandbox.generator.get('users', leader!.user_sourced_id)!.familyName.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`));

  const stranger = fresh('teacher');
  await database.db.deleteFrom('users').where('district_id', '=', 'd1').where('sourced_id', '=', stranger.sourcedId).execute();
  const u = await refused('d1', stranger.email);
  expect(u.res.status).toBe(403);
  expect(u.code).toBe('unknown_user');
  expect(u.text).toMatch(/not in the roster/);
  expect(await database.db.selectFrom('sessions').select('id_hash').where('user_sourced_id', 'in', [guardian.sourcedId, gone.sourcedId, stranger.sourcedId]).execute()).toEqual([]);
});

test('when the roster knows the person under another sourcedId, the email matches them', async () => {
  const teacher = fresh('teacher');
  await database.db.updateTable('users').set({ sourced_id: `local-${teacher.sourcedId}` }).where('district_id', '=', 'd1').where('sourced_id', '=', teacher.sourcedId).execute();
  const browser = new Browser();
  await signIn(browser, 'd1', teacher.email);
  expect((await me(browser)).json).toMatchObject({ role: 'teacher', sourcedId: `local-${teacher.sourcedId}` });
});

test('a user of another tenant is refused even when the other district’s roster has the same sourcedId', async () => {
  const teacher = active('teacher').find((t) => otherTenant.get('users', t.sourcedId)?.status === 'active')!;
  expect(otherTenant.get('users', teacher.sourcedId)).toBeDefined();
  const r = await refused('d2', teacher.email);
  expect(r.res.status).toBe(403);
  expect(r.code).toBe('wrong_tenant');
  expect(r.text).toMatch(/another district/);
  expect(r.browser.cookie('cls_session')).toBeUndefined();
});

test('wrong state, missing state, another browser, and a replayed callback are refused', async () => {
  const teacher = fresh('teacher');

  const a = new Browser();
  const cbA = (await walkSso(a, api.url, 'd1', teacher.email, { stopAtCallback: true })) as URL;
  const wrong = new URL(cbA);
  wrong.searchParams.set('state', 'x'.repeat(43));
  const r1 = await a.go(wrong);
  expect(r1.status).toBe(400);
  expect(r1.headers.get('x-sso-refusal')).toBe('state_mismatch');
  // The sign-in in flight is spent: even the genuine callback is refused now.
  const r1b = await a.go(cbA);
  expect(r1b.headers.get('x-sso-refusal')).toBe('no_sign_in_in_progress');
  expect(a.cookie('cls_session')).toBeUndefined();

  const b = new Browser();
  const cbB = (await walkSso(b, api.url, 'd1', teacher.email, { stopAtCallback: true })) as URL;
  const missing = new URL(cbB);
  missing.searchParams.delete('state');
  const r2 = await b.go(missing);
  expect(r2.status).toBe(400);
  expect(r2.headers.get('x-sso-refusal')).toBe('missing_state');

  // Someone else's browser (no flow cookie) holding a valid callback URL gets nothing.
  const c = new Browser();
  const cbC = (await walkSso(c, api.url, 'd1', teacher.email, { stopAtCallback: true })) as URL;
  const thief = new Browser();
  const r3 = await thief.go(cbC);
  expect(r3.status).toBe(400);
  expect(r3.headers.get('x-sso-refusal')).toBe('no_sign_in_in_progress');
  expect(thief.cookie('cls_session')).toBeUndefined();

  // Replay: the same callback twice.
  const d = new Browser();
  const cbD = (await walkSso(d, api.url, 'd1', teacher.email, { stopAtCallback: true })) as URL;
  expect((await d.go(cbD)).status).toBe(302);
  const sessionsBefore = await database.db.selectFrom('sessions').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const again = await d.go(cbD);
  expect(again.status).toBe(400);
  expect(again.headers.get('x-sso-refusal')).toBe('no_sign_in_in_progress');

  // Replay of the code inside a fresh sign-in (new state, new verifier): ClassLink refuses the used code.
  const restart = await d.go(`${api.url}/sso/d1/login`);
  const newState = new URL(restart.headers.get('location')!).searchParams.get('state')!;
  const replay = new URL(cbD);
  replay.searchParams.set('state', newState);
  const r4 = await d.go(replay);
  expect(r4.status).toBe(400);
  expect(r4.headers.get('x-sso-refusal')).toBe('token_invalid_grant');
  const sessionsAfter = await database.db.selectFrom('sessions').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  expect(sessionsAfter.n).toBe(sessionsBefore.n);
});

test('a signed-in session follows the roster: deactivation, expiry and a forged cookie all end it', async () => {
  const teacher = fresh('teacher');
  const browser = new Browser();
  await signIn(browser, 'd1', teacher.email);
  expect((await me(browser)).status).toBe(200);

  // A forged signature is not a session.
  const forged = new Browser();
  forged.cookies = browser.cookies.map((c) => (c.name === 'cls_session' ? { ...c, value: `${c.value.split('.')[0]}.AAAA` } : c));
  expect((await me(forged)).status).toBe(401);

  await database.db.updateTable('users').set({ status: 'tobedeleted', deleted_at: new Date() }).where('district_id', '=', 'd1').where('sourced_id', '=', teacher.sourcedId).execute();
  const after = await browser.go(`${api.url}/api/me`);
  expect(after.status).toBe(401);
  expect(browser.cookie('cls_session')).toBeUndefined();

  const other = fresh('student');
  const b2 = new Browser();
  await signIn(b2, 'd1', other.email);
  await database.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('user_sourced_id', '=', other.sourcedId).execute();
  expect((await me(b2)).status).toBe(401);
});

test('a district without SSO, or an unknown one, says so', async () => {
  await insertDistrict(database.db, api.secrets, { id: 'no-sso', name: 'Rostering only' });
  for (const id of ['no-sso', 'nowhere']) {
    const res = await fetch(`${api.url}/sso/${id}/login`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-sso-refusal')).toBe('sso_not_configured');
    expect(await res.text()).toMatch(/no ClassLink sign-in/);
  }
});
