// Every route × every kind of caller × (own district, other district): allowed or denied, checked
// cell by cell on the whole system (real Temporal, Postgres, sandbox). The expectations below are
// the product rules written independently of api/authz.ts; a route with no row here must be
// support-only (deny by default), so a new route cannot slip through unnoticed.
import { createSupportAccount } from '../../api/accounts.js';
import { createSession, type SessionSubject } from '../../api/session.js';
import { createGenerator } from '../../sandbox/generator.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { recordFigures } from '../reliability/support/figures.js';
import { loadRoster } from './sso-support.js';

type Caller = 'support' | 'supportToken' | 'leader' | 'leaderOfOther' | 'teacher' | 'student' | 'signedOut';
const CALLERS: Caller[] = ['support', 'supportToken', 'leader', 'leaderOfOther', 'teacher', 'student', 'signedOut'];

const everyone = new Set<Caller>(CALLERS);
const signedIn = new Set<Caller>(CALLERS.filter((c) => c !== 'signedOut'));
const supportOnly = new Set<Caller>(['support', 'supportToken']);
/** Support, and a leader of the district in the URL. */
const districtLeader = new Set<Caller>(['support', 'supportToken', 'leader']);

/** The rules, route by route (what DESIGN §1 and issue 6 ask for). */
const EXPECTED: Record<string, Set<Caller>> = {
  'GET /health': everyone,
  'GET /ready': everyone,
  'GET /sso/:districtId/login': everyone,
  'GET /sso/:districtId/callback': everyone,
  'GET /support/login': everyone,
  'POST /support/login': everyone,
  'GET /sign-in': everyone,
  'POST /logout': everyone,
  'GET /me': signedIn,
  'GET /api/me': signedIn,
  'GET /api/districts': supportOnly,
  'POST /api/districts': supportOnly,
  'GET /api/districts/:id': districtLeader,
  'POST /api/districts/:id/academic-year': districtLeader,
  'POST /api/districts/:id/review': supportOnly,
  'POST /api/districts/:id/approve': supportOnly,
  'POST /api/districts/:id/request-changes': supportOnly,
  'POST /api/districts/:id/pause': supportOnly,
  'POST /api/districts/:id/resume': supportOnly,
  'POST /api/districts/:id/sync-now': supportOnly,
  'GET /api/districts/:id/runs': supportOnly,
  'GET /api/districts/:id/runs/:runId': supportOnly,
  'GET /api/districts/:id/sso': supportOnly,
  'PUT /api/districts/:id/sso': supportOnly,
  'GET /api/districts/:id/leaders': districtLeader,
  'PUT /api/districts/:id/leaders/:sourcedId': supportOnly,
  'DELETE /api/districts/:id/leaders/:sourcedId': supportOnly,
  'GET /api/districts/:id/terms': districtLeader,
  'GET /api/districts/:id/search': districtLeader,
  'GET /api/districts/:id/schedules/staff/:sourcedId': districtLeader,
  'GET /api/districts/:id/schedules/students/:sourcedId': districtLeader,
  'GET /api/districts/:id/schedules/classes/:sourcedId': districtLeader,
  'GET /api/districts/:id/invites': districtLeader,
  'POST /api/districts/:id/invites': districtLeader,
  // Admin pages (issue 7): the console is support's (deny by default); Admin Mode is the district's leaders'.
  'GET /api/districts/:id/staff': districtLeader,
  'GET /api/districts/:id/school-year': districtLeader,
  'GET /admin': new Set<Caller>(['support', 'supportToken', 'leader', 'leaderOfOther']),
  'GET /admin/districts/:id/year': districtLeader,
  'POST /admin/districts/:id/year': districtLeader,
  'GET /admin/districts/:id/terms': districtLeader,
  'GET /admin/districts/:id/spot-checks': districtLeader,
  'GET /admin/districts/:id/spot-checks/:kind/:sourcedId': districtLeader,
  'GET /admin/districts/:id/invites': districtLeader,
  'POST /admin/districts/:id/invites': districtLeader,
  'GET /requirements': everyone,
  'GET /assets/:name': everyone,
  'GET /api/districts/:id/notifications': districtLeader,
  'PUT /api/districts/:id/notifications/daily-summary': districtLeader,
};

let sys: TestSystem;
const subjects = {} as Record<Exclude<Caller, 'supportToken' | 'signedOut'>, SessionSubject>;
let teacherId = '';

beforeAll(async () => {
  sys = await startTestSystem();
  const sso = { issuer: sys.sandbox.oidcIssuer, clientId: 'sandbox-sso', clientSecret: 'sandbox-sso-secret' };
  for (const [id, name] of [['own', 'Own ISD'], ['other', 'Other ISD']]) {
    const res = await sys.api('POST', '/api/districts', { id, name, sso });
    expect(res.status).toBe(201);
  }
  const other = createGenerator({ seed: 2, size: 'xs' });
  await loadRoster(sys.database.db, 'own', sys.sandbox.generator);
  await loadRoster(sys.database.db, 'other', other);
  const pick = (g: typeof other, role: string) => [...g.records('users')].find((u) => u.role === role && u.status === 'active' && u.enabledUser === 'true')!.sourcedId;
  const ownAdmin = pick(sys.sandbox.generator, 'administrator');
  const otherAdmin = pick(other, 'administrator');
  await sys.database.db.insertInto('district_leaders').values([
    { district_id: 'own', user_sourced_id: ownAdmin, title: 'system_admin', assigned_by: 'test' },
    { district_id: 'other', user_sourced_id: otherAdmin, title: 'roster_lead', assigned_by: 'test' },
  ]).execute();
  teacherId = pick(sys.sandbox.generator, 'teacher');
  const account = await createSupportAccount(sys.database.db, 'matrix@gradient.example', 'a long enough password');
  subjects.support = { kind: 'support', supportAccountId: account.id };
  subjects.leader = { kind: 'district_user', districtId: 'own', sourcedId: ownAdmin };
  subjects.leaderOfOther = { kind: 'district_user', districtId: 'other', sourcedId: otherAdmin };
  subjects.teacher = { kind: 'district_user', districtId: 'own', sourcedId: teacherId };
  subjects.student = { kind: 'district_user', districtId: 'own', sourcedId: pick(sys.sandbox.generator, 'student') };
});

afterAll(async () => {
  await sys?.stop();
});

/** Headers for one request as this caller; each session is fresh, so a logout cell spends only its own. */
async function as(caller: Caller): Promise<Record<string, string>> {
  if (caller === 'signedOut') return {};
  if (caller === 'supportToken') return { authorization: `Bearer ${sys.token}` };
  const { id, record } = await createSession(sys.database.db, subjects[caller]);
  return { cookie: `cls_session=${encodeURIComponent(sys.app.signCookie(id))}`, 'x-csrf-token': record.csrfToken };
}

const fill = (url: string) =>
  url.replace(':districtId', 'own').replace(':id', 'own').replace(':runId', 'no-such-run').replace(':sourcedId', teacherId) + (url.endsWith('/search') ? '?q=zz' : '');

test('every route × caller is allowed or denied exactly as the rules say', async () => {
  const routes = sys.app.routeAccess();
  expect(routes.length).toBeGreaterThan(30);
  const seen = new Set(routes.map((r) => `${r.method} ${r.url}`));
  // The rules name no route that does not exist (a renamed route must be renamed here too).
  expect(Object.keys(EXPECTED).filter((k) => !seen.has(k))).toEqual([]);

  const wrong: string[] = [];
  let cells = 0;
  let denials = 0;
  for (const { method, url } of routes) {
    const allowed = EXPECTED[`${method} ${url}`] ?? supportOnly;
    for (const caller of CALLERS) {
      const res = await sys.app.inject({
        method: method as 'GET',
        url: fill(url),
        headers: { ...(await as(caller)), 'content-type': 'application/json' },
        // A JSON string where every route wants an object: an allowed call stops at validation (400) and changes nothing.
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '"matrix"' }),
      });
      cells++;
      const denied = res.statusCode === 401 || res.statusCode === 403;
      const expectDenied = !allowed.has(caller);
      const expectedStatus = caller === 'signedOut' ? 401 : 403;
      if (expectDenied && res.statusCode === expectedStatus) denials++;
      if (expectDenied && res.statusCode !== expectedStatus) wrong.push(`${method} ${url} as ${caller}: expected ${expectedStatus}, got ${res.statusCode}`);
      if (!expectDenied && (denied || res.statusCode >= 500)) wrong.push(`${method} ${url} as ${caller}: expected allowed, got ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
  }
  expect(wrong).toEqual([]);
  expect(cells).toBe(routes.length * CALLERS.length);
  recordFigures('sso-matrix', { forbiddenDenied: denials }, [`authorization matrix: ${routes.length} routes × ${CALLERS.length} callers = ${cells} cells, ${denials} denied as the rules say`]);
});

test('a leader reaches their own district only: every district route, the other district', async () => {
  const routes = sys.app.routeAccess().filter((r) => r.url.startsWith('/api/districts/:id'));
  const wrong: string[] = [];
  let crossDistrict = 0;
  for (const { method, url } of routes) {
    for (const caller of ['leader', 'teacher', 'student'] as const) {
      const res = await sys.app.inject({
        method: method as 'GET',
        url: fill(url).replace('/api/districts/own', '/api/districts/other'),
        headers: { ...(await as(caller)), 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '"matrix"' }),
      });
      if (res.statusCode !== 403) wrong.push(`${method} ${url} on the other district as ${caller}: expected 403, got ${res.statusCode}`);
      else crossDistrict++;
    }
    // Support reaches the other district as well.
    const support = await sys.app.inject({ method: method as 'GET', url: fill(url).replace('/api/districts/own', '/api/districts/other'), headers: { ...(await as('support')), 'content-type': 'application/json' }, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '"matrix"' }) });
    if (support.statusCode === 401 || support.statusCode === 403 || support.statusCode >= 500) wrong.push(`${method} ${url} on the other district as support: got ${support.statusCode}`);
  }
  expect(wrong).toEqual([]);
  recordFigures('sso-matrix', { forbiddenDenied: crossDistrict }, [`cross-district: ${crossDistrict} requests by leaders, teachers and students to another district, all 403`]);
});

test('allowed cells do real work: a leader reads their district and starts their academic year', async () => {
  const h = { ...(await as('leader')), 'content-type': 'application/json' };
  const state = await sys.app.inject({ method: 'GET', url: '/api/districts/own', headers: h });
  expect(state.statusCode).toBe(200);
  expect(state.json()).toMatchObject({ id: 'own', phase: 'registered' });
  // The workflow refuses a year before approval: the leader got through authorization to the rule.
  const year = await sys.app.inject({ method: 'POST', url: '/api/districts/own/academic-year', headers: h, payload: { schoolYear: '2027', startDate: '2026-08-15', endDate: '2027-06-05' } });
  expect(year.statusCode).toBe(409);
  const audit = await sys.database.db.selectFrom('audit_events').select(['actor', 'action']).where('district_id', '=', 'own').execute();
  expect(audit.map((a) => a.actor)).toContain('support-token');
});
