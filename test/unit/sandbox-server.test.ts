// Real HTTP on port 0 rather than app.inject(): light-my-request's CommonJS require of the ESM-only
// `cookie` package fails under jest's vm-modules.
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import type { SandboxTenant } from '../../sandbox/tenant.js';

const BASE = '/ims/oneroster/v1p1';
let sandbox: RunningSandbox;
let tenant: SandboxTenant;
let token: string;

interface Res {
  statusCode: number;
  headers: Record<string, string>;
  json(): any;  
}

/** A tiny inject()-like helper over fetch. */
const app = {
  async inject(opts: { method: string; url: string; headers?: Record<string, string>; payload?: unknown }): Promise<Res> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (typeof opts.payload === 'string') body = opts.payload;
    else if (opts.payload !== undefined) {
      body = JSON.stringify(opts.payload);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(sandbox.url + opts.url, { method: opts.method, headers, body });
    const text = await res.text();
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), json: () => JSON.parse(text) };
  },
};

beforeAll(async () => {
  sandbox = await startSandbox({ size: 'xs', seed: 2, schoolYear: 2026, port: 0 });
  tenant = sandbox.tenant;
  const res = await app.inject({
    method: 'POST', url: '/oauth/token',
    headers: { authorization: `Basic ${Buffer.from('sandbox-client:sandbox-secret').toString('base64')}` },
    payload: { grant_type: 'client_credentials' },
  });
  expect(res.statusCode).toBe(200);
  token = res.json().access_token;
});
afterAll(() => sandbox.close());

const get = (url: string, auth = `Bearer ${token}`) => app.inject({ method: 'GET', url, headers: auth ? { authorization: auth } : {} });

describe('sandbox OAuth 2 token endpoint', () => {
  test('client credentials in the form body also work', async () => {
    const res = await app.inject({
      method: 'POST', url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&client_id=sandbox-client&client_secret=sandbox-secret',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });

  test('a wrong secret or missing credentials are refused', async () => {
    const wrong = await app.inject({
      method: 'POST', url: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from('sandbox-client:nope').toString('base64')}` },
      payload: { grant_type: 'client_credentials' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toBe('invalid_client');
    const none = await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials' } });
    expect(none.statusCode).toBe(401);
  });

  test('grant types other than client_credentials are refused', async () => {
    const res = await app.inject({
      method: 'POST', url: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from('sandbox-client:sandbox-secret').toString('base64')}` },
      payload: { grant_type: 'password' },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('sandbox OneRoster routes', () => {
  test('missing or invalid auth gets 401 JSON', async () => {
    for (const auth of ['', 'Bearer not-a-token', 'Basic c2FuZGJveC1jbGllbnQ6c2FuZGJveC1zZWNyZXQ=']) {
      const res = await get(`${BASE}/users`, auth);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/json/);
      expect(res.json().imsx_codeMajor).toBe('failure');
    }
  });

  test('limit/offset pages cover the collection exactly, with X-Total-Count', async () => {
    const seen: string[] = [];
    let total = -1;
    for (let offset = 0; ; offset += 37) {
      const res = await get(`${BASE}/users?limit=37&offset=${offset}`);
      expect(res.statusCode).toBe(200);
      total = Number(res.headers['x-total-count']);
      const page = res.json().users as { sourcedId: string }[];
      seen.push(...page.map((u) => u.sourcedId));
      if (page.length < 37) break;
    }
    expect(total).toBe(tenant.generator.count('users'));
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  test('large pages are gzipped when the client accepts it, plain otherwise', async () => {
    const url = `${sandbox.onerosterBaseUrl}/users?limit=200`;
    const zipped = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(((await zipped.json()) as { users: unknown[] }).users).toHaveLength(200); // fetch inflates it
    const plain = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(((await plain.json()) as { users: unknown[] }).users).toHaveLength(200);
  });

  test('default limit is 100 and limit is capped at 10000', async () => {
    const res = await get(`${BASE}/enrollments`);
    expect(res.json().enrollments).toHaveLength(100);
    const big = await get(`${BASE}/enrollments?limit=50000`);
    expect(big.json().enrollments).toHaveLength(Math.min(10_000, tenant.generator.count('enrollments')));
    expect((await get(`${BASE}/enrollments?limit=abc`)).statusCode).toBe(400);
  });

  test("filter dateLastModified>'…' AND status='active' returns exactly the matching records", async () => {
    const all = [...tenant.generator.records('users')];
    const times = all.map((u) => u.dateLastModified).sort();
    const cutoff = times[Math.floor(times.length / 2)].replace(/\.\d+Z$/, 'Z'); // no millis, as clients send it
    const expected = all.filter((u) => Date.parse(u.dateLastModified) > Date.parse(cutoff) && u.status === 'active').map((u) => u.sourcedId);
    const filter = encodeURIComponent(`dateLastModified>'${cutoff}' AND status='active'`);
    const res = await get(`${BASE}/users?limit=10000&filter=${filter}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().users.map((u: { sourcedId: string }) => u.sourcedId)).toEqual(expected);
    expect(Number(res.headers['x-total-count'])).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(all.length);
  });

  test('a malformed filter is a 400, not an empty page', async () => {
    const res = await get(`${BASE}/users?filter=${encodeURIComponent('dateLastModified>2020')}`);
    expect(res.statusCode).toBe(400);
  });

  test('sort orders a collection and paging stays consistent', async () => {
    const res = await get(`${BASE}/users?sort=familyName&orderBy=desc&limit=10000`);
    const names = res.json().users.map((u: { familyName: string }) => u.familyName) as string[];
    expect(names).toEqual([...names].sort().reverse());
    const second = await get(`${BASE}/users?sort=familyName&orderBy=desc&limit=5&offset=5`);
    expect(second.json().users.map((u: { familyName: string }) => u.familyName)).toEqual(names.slice(5, 10));
  });

  test('views serve the right subset under the collection key', async () => {
    const schools = (await get(`${BASE}/schools`)).json().orgs as { type: string }[];
    expect(schools.length).toBe(2);
    expect(schools.every((o) => o.type === 'school')).toBe(true);
    const terms = (await get(`${BASE}/terms`)).json().academicSessions as { type: string }[];
    expect(terms.map((t) => t.type)).toEqual(['semester', 'semester']);
    const teachers = await get(`${BASE}/teachers?limit=1000`);
    expect(teachers.json().users.every((u: { role: string }) => u.role === 'teacher')).toBe(true);
    expect(Number(teachers.headers['x-total-count'])).toBe(14);
    const students = await get(`${BASE}/students?limit=1000`);
    expect(Number(students.headers['x-total-count'])).toBe(200);
  });

  test('single records by sourcedId, 404 otherwise', async () => {
    const first = tenant.generator.slice('users', 0, 1)[0];
    const res = await get(`${BASE}/users/${first.sourcedId}`);
    expect(res.json()).toEqual({ user: first });
    expect((await get(`${BASE}/users/usr-does-not-exist`)).statusCode).toBe(404);
    expect((await get(`${BASE}/students/${first.sourcedId}`)).statusCode).toBe(404); // usr-0 is staff
  });
});
