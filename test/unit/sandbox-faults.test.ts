// Fault injection and admin controls of the sandbox, over real HTTP (port 0).
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { MALFORMED_EVERY, MALFORMED_OFFSET } from '../../sandbox/faults.js';

let sandbox: RunningSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startSandbox({ size: 'xs', seed: 4, schoolYear: 2026, port: 0 });
  token = await newToken();
});
afterEach(() => sandbox.clearFaults());
afterAll(() => sandbox.close());

async function newToken(): Promise<string> {
  const res = await fetch(sandbox.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${sandbox.clientId}&client_secret=${sandbox.clientSecret}`,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

type Body = Record<string, Record<string, unknown>[]>;
async function get(path: string): Promise<{ status: number; headers: Headers; body: Body; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${sandbox.onerosterBaseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Body;
  return { status: res.status, headers: res.headers, body, ms: performance.now() - started };
}
const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/admin/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('admin endpoints', () => {
  test('faults are set, shown in state and cleared over HTTP; invalid ones are a 400', async () => {
    expect((await admin('POST', 'faults', { burst: { status: 503, count: 1 } })).status).toBe(200);
    const state = (await (await admin('GET', 'state')).json()) as { faults: unknown; tenantId: string };
    expect(state.faults).toEqual({ burst: { status: 503, count: 1 } });
    expect(state.tenantId).toBe('sandbox-tenant-4');
    expect((await get('/orgs')).status).toBe(503);
    expect((await get('/orgs')).status).toBe(200);

    expect((await admin('POST', 'faults', { rateLimit: { count: 5, retryAfterSeconds: 1 } })).status).toBe(200);
    expect((await admin('DELETE', 'faults')).status).toBe(200);
    expect((await get('/orgs')).status).toBe(200);

    for (const bad of [{ errorRate: { 404: 0.5 } }, { burst: { status: 418, count: 1 } }, { bogus: true }, { malformed: { collection: 'users', kinds: ['nope'] } }]) {
      const res = await admin('POST', 'faults', bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_faults');
    }
  });

  test("advance-night: a delta filter from the client's last run sees exactly tonight's changes", async () => {
    const lastRun = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const state = (await (await admin('POST', 'advance-night')).json()) as { night: number; nightTime: string };
    expect(state.night).toBe(1);
    expect(state.nightTime > lastRun).toBe(true);
    const delta = await get(`/users?limit=10000&filter=${encodeURIComponent(`dateLastModified>'${lastRun}'`)}`);
    const all = [...sandbox.generator.records('users')];
    const tonight = all.filter((u) => u.dateLastModified === state.nightTime).map((u) => u.sourcedId);
    expect(tonight.length).toBeGreaterThan(0);
    expect(delta.body.users.map((u) => u.sourcedId)).toEqual(tonight);
  });

  test('rollover serves the next school year', async () => {
    const before = sandbox.generator.schoolYear;
    const state = (await (await admin('POST', 'rollover')).json()) as { schoolYear: number; night: number };
    expect(state).toMatchObject({ schoolYear: before + 1, night: 0 });
    const years = (await get('/academicSessions')).body.academicSessions.filter((s) => s.type === 'schoolYear');
    expect(years.map((s) => s.schoolYear)).toEqual([String(before + 1)]);
  });
});

describe('injected failures', () => {
  test('burst: the next N requests fail with that status (and Retry-After when asked), then recover', async () => {
    sandbox.setFaults({ burst: { status: 502, count: 2, retryAfterSeconds: 7 } });
    const a = await get('/users');
    expect([a.status, a.headers.get('retry-after')]).toEqual([502, '7']);
    expect((await get('/users')).status).toBe(502);
    expect((await get('/users')).status).toBe(200);
  });

  test('rateLimit: 429 with Retry-After', async () => {
    sandbox.setFaults({ rateLimit: { count: 1, retryAfterSeconds: 3 } });
    const limited = await get('/classes');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await get('/classes')).status).toBe(200);
  });

  test('errorRate: roughly the asked share, identical sequence for the same seed', async () => {
    const run = async () => {
      sandbox.setFaults({ errorRate: { 500: 0.1, 503: 0.2 }, seed: 42 });
      const statuses: number[] = [];
      for (let k = 0; k < 200; k++) statuses.push((await get('/orgs')).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    const share = (s: number) => first.filter((x) => x === s).length / first.length;
    expect(share(500)).toBeGreaterThan(0.04);
    expect(share(500)).toBeLessThan(0.18);
    expect(share(503)).toBeGreaterThan(0.12);
    expect(share(503)).toBeLessThan(0.3);
    expect(share(502)).toBe(0);
  });

  test('slowMs delays responses', async () => {
    sandbox.setFaults({ slowMs: 250 });
    expect((await get('/orgs')).ms).toBeGreaterThanOrEqual(240);
  });

  test('authFailure refuses the token endpoint and every OneRoster request', async () => {
    sandbox.setFaults({ authFailure: true });
    const res = await fetch(sandbox.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${sandbox.clientId}:${sandbox.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(401);
    expect((await get('/orgs')).status).toBe(401);
  });

  test('revokeAuthAfterRequests: N more requests succeed, then every credential is refused', async () => {
    sandbox.setFaults({ revokeAuthAfterRequests: 2 });
    expect((await get('/orgs')).status).toBe(200);
    expect((await get('/orgs')).status).toBe(200);
    expect((await get('/orgs')).status).toBe(401);
    token = await newToken(); // a fresh token does not help
    expect((await get('/orgs')).status).toBe(401);
    sandbox.clearFaults();
    token = await newToken();
    expect((await get('/orgs')).status).toBe(200);
  });
});

describe('broken but 200 responses', () => {
  test('truncatePage: that page is short while X-Total-Count promises more', async () => {
    sandbox.setFaults({ truncatePage: { collection: 'users', offset: 50 } });
    const short = await get('/users?limit=50&offset=50');
    expect(short.body.users.length).toBeLessThan(50);
    expect(Number(short.headers.get('x-total-count'))).toBeGreaterThan(100);
    expect((await get('/users?limit=50&offset=0')).body.users).toHaveLength(50);
  });

  test('wrongTotalCount shifts X-Total-Count only for that collection', async () => {
    const truth = sandbox.generator.count('users');
    sandbox.setFaults({ wrongTotalCount: { collection: 'users', delta: 25 } });
    expect(Number((await get('/users')).headers.get('x-total-count'))).toBe(truth + 25);
    expect(Number((await get('/classes')).headers.get('x-total-count'))).toBe(sandbox.generator.count('classes'));
  });

  test('missingCollectionKey: 200 with {}', async () => {
    sandbox.setFaults({ missingCollectionKey: { collection: 'classes' } });
    const res = await get('/classes');
    expect([res.status, res.body]).toEqual([200, {}]);
  });

  test('emptyUsers: users and the people views are empty', async () => {
    sandbox.setFaults({ emptyUsers: true });
    for (const path of ['/users', '/students', '/teachers']) {
      const res = await get(path);
      expect(res.body.users).toEqual([]);
      expect(res.headers.get('x-total-count')).toBe('0');
    }
    expect((await get('/classes')).body.classes.length).toBeGreaterThan(0);
  });

  test('massDropStudentsPercent: that share of students and their enrollments vanish, staff stay', async () => {
    const students = Number((await get('/students')).headers.get('x-total-count'));
    const teachers = Number((await get('/teachers')).headers.get('x-total-count'));
    sandbox.setFaults({ massDropStudentsPercent: 30 });
    const after = Number((await get('/students')).headers.get('x-total-count'));
    expect(after / students).toBeGreaterThan(0.55);
    expect(after / students).toBeLessThan(0.85);
    expect(Number((await get('/teachers')).headers.get('x-total-count'))).toBe(teachers);
    const served = new Set((await get('/users?limit=10000')).body.users.map((u) => u.sourcedId));
    const enrollments = (await get('/enrollments?limit=10000')).body.enrollments;
    expect(enrollments.every((e) => served.has((e.user as { sourcedId: string }).sourcedId))).toBe(true);
  });

  test('malformed: every kind breaks the records at its positions and nothing else', async () => {
    const honest = (await get('/enrollments?limit=200')).body.enrollments;
    const kinds = ['missingField', 'badEnum', 'badDate', 'duplicateId', 'danglingRef', 'wrongType'] as const;
    sandbox.setFaults({ malformed: { collection: 'enrollments', kinds: [...kinds] } });
    const broken = (await get('/enrollments?limit=200')).body.enrollments;
    expect(broken).toHaveLength(honest.length);
    const changed = broken.map((r, k) => (JSON.stringify(r) === JSON.stringify(honest[k]) ? -1 : k)).filter((k) => k >= 0);
    expect(changed).toEqual(Array.from({ length: 10 }, (_, n) => MALFORMED_OFFSET + n * MALFORMED_EVERY));
    const at = (n: number) => broken[MALFORMED_OFFSET + n * MALFORMED_EVERY];
    expect(at(0)).not.toHaveProperty('role');
    expect(at(1).role).toBe('overlord');
    expect(Number.isNaN(Date.parse(at(2).dateLastModified as string))).toBe(true);
    expect(at(3).sourcedId).toBe(honest[MALFORMED_OFFSET + 3 * MALFORMED_EVERY - 1].sourcedId);
    expect((at(4).user as { sourcedId: string }).sourcedId).toMatch(/^missing-/);
    expect(typeof at(5).user).toBe('string');
    // the same record comes back broken the same way on a differently aligned page
    const single = (await get(`/enrollments?limit=1&offset=${MALFORMED_OFFSET + 3 * MALFORMED_EVERY}`)).body.enrollments[0];
    expect(single.sourcedId).toBe(at(3).sourcedId);
  });
});
