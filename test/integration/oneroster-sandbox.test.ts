// The OneRoster client against the sandbox ClassLink tenant over real HTTP: every auth scheme,
// a full read that must equal the generator's records, and every fault the tenant can inject met
// with the right behaviour (retried to success, or a clear error naming collection and offset).
// Sleeps are recorded, not slept: Retry-After values are asserted, and the suite stays fast.
import { createOneRosterClient } from '../../oneroster/client.js';
import { deltaFilter } from '../../oneroster/delta.js';
import { OneRosterError } from '../../oneroster/errors.js';
import { parseRecord } from '../../oneroster/records.js';
import { COLLECTIONS, type Collection, type OneRosterAuth, type OneRosterClientOptions, type Page } from '../../oneroster/types.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ size: 'xs', seed: 7, port: 0 });
});

afterAll(async () => {
  await sandbox?.close();
});

afterEach(() => {
  sandbox.clearFaults();
});

const auths = (): Record<string, OneRosterAuth> => ({
  oauth2: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl },
  'oauth1 HMAC-SHA256': { kind: 'oauth1', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
  'oauth1 HMAC-SHA1': { kind: 'oauth1', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, signatureMethod: 'HMAC-SHA1' },
});

function connect(extra: Partial<OneRosterClientOptions> & { onSleep?: (ms: number) => void } = {}) {
  const delays: number[] = [];
  const { onSleep, ...rest } = extra;
  const client = createOneRosterClient({
    baseUrl: sandbox.onerosterBaseUrl,
    districtId: 'sandbox-7',
    auth: auths().oauth2,
    pageSize: 50,
    timeoutMs: 5_000,
    maxAttempts: 4,
    sleep: async (ms) => {
      delays.push(ms);
      onSleep?.(ms);
    },
    ...rest,
  });
  return { client, delays };
}

async function readAll(gen: AsyncGenerator<Page>): Promise<{ pages: Page[]; records: Record<string, unknown>[] }> {
  const pages: Page[] = [];
  for await (const p of gen) pages.push(p);
  return { pages, records: pages.flatMap((p) => p.records) };
}

async function failure(p: Promise<unknown>): Promise<OneRosterError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OneRosterError);
    return err as OneRosterError;
  }
  throw new Error('expected a failure');
}

/** The generator's records, as JSON would carry them. */
const expected = (c: Collection) => JSON.parse(JSON.stringify([...sandbox.generator.records(c)]));

describe('auth schemes', () => {
  test.each(['oauth2', 'oauth1 HMAC-SHA256', 'oauth1 HMAC-SHA1'])('%s: testConnection counts every collection', async (name) => {
    const { client } = connect({ auth: auths()[name] });
    const result = await client.testConnection();
    expect(result.auth).toEqual({ ok: true });
    expect(result.ok).toBe(true);
    expect(result.collections).toEqual(COLLECTIONS.map((collection) => ({ collection, ok: true, count: sandbox.generator.count(collection) })));
  });

  test.each(['oauth2', 'oauth1 HMAC-SHA256'])('%s with a wrong secret: auth error naming the district, secret not shown', async (name) => {
    const auth = { ...auths()[name], clientSecret: 'wrong-secret-value' } as OneRosterAuth;
    const { client, delays } = connect({ auth });
    const err = await failure(client.getPage('orgs', { offset: 0 }));
    expect(err).toMatchObject({ code: 'auth', status: 401, retryable: false });
    expect(err.message).toContain('sandbox-7');
    expect(err.message).not.toContain('wrong-secret-value');
    expect(delays).toEqual([]);
    const check = await client.testConnection();
    expect(check.ok).toBe(false);
    expect(check.auth.ok).toBe(false);
  });

  test('a filter with quotes and > is signed and read the same way by the server (OAuth 1.0a)', async () => {
    const { client } = connect({ auth: auths()['oauth1 HMAC-SHA256'] });
    const { records } = await readAll(client.pages('users', { filter: "status='tobedeleted'" }));
    const want = expected('users').filter((u: { status: string }) => u.status === 'tobedeleted');
    expect(records).toEqual(want);
  });
});

describe('a full read of an xs tenant', () => {
  test.each(['oauth2', 'oauth1 HMAC-SHA256'])('%s: every collection equals the generator, record for record', async (name) => {
    const { client } = connect({ auth: auths()[name] });
    for (const collection of COLLECTIONS) {
      const { pages, records } = await readAll(client.pages(collection));
      expect(records).toEqual(expected(collection));
      expect(pages.every((p) => p.totalCount === records.length)).toBe(true);
      expect(pages.length).toBe(Math.max(1, Math.ceil(records.length / 50)));
    }
  });

  test("the sandbox's honest records all pass parseRecord (two independent readings of OneRoster 1.1 agree)", async () => {
    const { client } = connect();
    for (const collection of COLLECTIONS) {
      for await (const page of client.pages(collection)) {
        const bad = page.records.map((r) => parseRecord(collection, r)).filter((r) => !r.ok);
        expect(bad).toEqual([]);
      }
    }
  });

  test('resuming from an offset reads the rest', async () => {
    const { client } = connect();
    const { records } = await readAll(client.pages('users', { startOffset: 100 }));
    expect(records).toEqual(expected('users').slice(100));
  });

  test("a delta after one night returns tonight's changes only", async () => {
    const { client } = connect();
    const before = new Date();
    // The night is stamped with the wall clock: make sure it lands strictly after `before`.
    await new Promise((r) => setTimeout(r, 5));
    sandbox.advanceNight();
    const { records } = await readAll(client.pages('users', { filter: deltaFilter(before, 0) }));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => String(r.dateLastModified) > before.toISOString())).toBe(true);
    const changedTonight = expected('users').filter((u: { dateLastModified: string }) => u.dateLastModified > before.toISOString());
    expect(records).toEqual(changedTonight);
  });
});

describe('faults', () => {
  test('a 5xx burst (with Retry-After) is retried to success', async () => {
    sandbox.setFaults({ burst: { status: 503, count: 2, retryAfterSeconds: 3 } });
    const { client, delays } = connect();
    const { records } = await readAll(client.pages('orgs'));
    expect(records).toEqual(expected('orgs'));
    expect(delays).toEqual([3000, 3000]);
  });

  test('a 502 burst without Retry-After backs off exponentially', async () => {
    sandbox.setFaults({ burst: { status: 502, count: 3 } });
    const { client, delays } = connect({ random: () => 0 });
    await client.getPage('courses', { offset: 0 });
    expect(delays).toEqual([250, 500, 1000]);
  });

  test('random 500/502/503 across a whole read still yields exactly the tenant', async () => {
    sandbox.setFaults({ errorRate: { 500: 0.1, 502: 0.1, 503: 0.1 }, seed: 3 });
    const { client, delays } = connect({ maxAttempts: 8 });
    const { records } = await readAll(client.pages('enrollments'));
    expect(records).toEqual(expected('enrollments'));
    expect(delays.length).toBeGreaterThan(0);
  });

  test('a burst longer than maxAttempts is a retryable server error naming the page', async () => {
    sandbox.setFaults({ burst: { status: 500, count: 10 } });
    const { client } = connect({ maxAttempts: 3 });
    const err = await failure(client.getPage('classes', { offset: 50 }));
    expect(err).toMatchObject({ code: 'server', status: 500, retryable: true, collection: 'classes', offset: 50, attempts: 3 });
    expect(err.message).toContain('injected 500');
  });

  test('429 with Retry-After waits what the server asked, then succeeds', async () => {
    sandbox.setFaults({ rateLimit: { count: 2, retryAfterSeconds: 2 } });
    const { client, delays } = connect();
    const { records } = await readAll(client.pages('academicSessions'));
    expect(records).toEqual(expected('academicSessions'));
    expect(delays).toEqual([2000, 2000]);
  });

  test('slow answers beyond the timeout fail as timeout; within it they succeed', async () => {
    sandbox.setFaults({ slowMs: 400 });
    const slow = connect({ timeoutMs: 100, maxAttempts: 2 });
    const err = await failure(slow.client.getPage('orgs', { offset: 0 }));
    expect(err).toMatchObject({ code: 'timeout', retryable: true, collection: 'orgs', attempts: 2 });
    const patient = connect({ timeoutMs: 2_000 });
    expect((await patient.client.getPage('orgs', { offset: 0 })).records).toEqual(expected('orgs').slice(0, 50));
  });

  test('a timeout that clears is retried to success', async () => {
    sandbox.setFaults({ slowMs: 400 });
    const { client, delays } = connect({ timeoutMs: 100, onSleep: () => sandbox.clearFaults() });
    const page = await client.getPage('orgs', { offset: 0 });
    expect(page.records).toEqual(expected('orgs').slice(0, 50));
    expect(delays).toHaveLength(1);
  });

  test('a truncated page is retried and, while it stays truncated, fails naming collection and offset', async () => {
    sandbox.setFaults({ truncatePage: { collection: 'users', offset: 100 } });
    const { client } = connect({ maxAttempts: 3 });
    const seen: number[] = [];
    const err = await failure(
      (async () => {
        for await (const p of client.pages('users')) seen.push(p.offset);
      })(),
    );
    expect(seen).toEqual([0, 50]);
    expect(err).toMatchObject({ code: 'broken_response', collection: 'users', offset: 100, attempts: 3 });
    expect(err.message).toContain('users at offset 100');
    expect(err.message).toContain('25 of the 50 records');
  });

  test('a truncated page that recovers on retry gives the whole collection', async () => {
    sandbox.setFaults({ truncatePage: { collection: 'users', offset: 100 } });
    const { client } = connect({ onSleep: () => sandbox.clearFaults() });
    const { records } = await readAll(client.pages('users'));
    expect(records).toEqual(expected('users'));
  });

  test.each([
    [+30, /records that X-Total-Count \d+ promises/],
    [-30, /the count header is wrong/],
  ])('a wrong X-Total-Count (%i) fails loudly instead of dropping or inventing records', async (delta, why) => {
    sandbox.setFaults({ wrongTotalCount: { collection: 'users', delta } });
    const { client } = connect({ maxAttempts: 2 });
    const err = await failure(readAll(client.pages('users')));
    expect(err.code).toBe('broken_response');
    expect(err.collection).toBe('users');
    expect(err.message).toMatch(why);
  });

  test('a 200 without the collection key is a broken response, never "no records"', async () => {
    sandbox.setFaults({ missingCollectionKey: { collection: 'classes' } });
    const { client } = connect({ maxAttempts: 3 });
    const err = await failure(readAll(client.pages('classes')));
    expect(err).toMatchObject({ code: 'broken_response', collection: 'classes', offset: 0, attempts: 3 });
    expect(err.message).toContain('no "classes" key');
  });

  test('auth failure (token endpoint included) is a non-retryable auth error', async () => {
    sandbox.setFaults({ authFailure: true });
    const { client, delays } = connect();
    const err = await failure(client.getPage('users', { offset: 0 }));
    expect(err).toMatchObject({ code: 'auth', retryable: false });
    expect(err.message).toContain(sandbox.tokenUrl);
    expect(delays).toEqual([]);
  });

  test.each(['oauth2', 'oauth1 HMAC-SHA256'])('%s: credentials revoked mid-run stop the read with an auth error at the page it reached', async (name) => {
    sandbox.setFaults({ revokeAuthAfterRequests: 3 });
    const { client } = connect({ auth: auths()[name] });
    const seen: number[] = [];
    const err = await failure(
      (async () => {
        for await (const p of client.pages('users')) seen.push(p.offset);
      })(),
    );
    expect(seen).toEqual([0, 50, 100]);
    expect(err).toMatchObject({ code: 'auth', status: 401, retryable: false, collection: 'users', offset: 150 });
    expect(err.message).toContain('sandbox-7');
  });

  test('an empty users feed is served as an honest empty collection (the sync guard, not the client, holds it)', async () => {
    sandbox.setFaults({ emptyUsers: true });
    const { client } = connect();
    const { pages } = await readAll(client.pages('users'));
    expect(pages).toEqual([{ collection: 'users', offset: 0, limit: 50, totalCount: 0, records: [], texts: [] }]);
  });

  test('malformed records arrive as data and become per-record problems, never a crash of the page', async () => {
    sandbox.setFaults({ malformed: { collection: 'users', kinds: ['missingField', 'badEnum', 'badDate', 'wrongType'] } });
    const { client } = connect();
    const { records } = await readAll(client.pages('users'));
    expect(records).toHaveLength(sandbox.generator.count('users'));
    const results = records.map((r) => parseRecord('users', r));
    const bad = results.filter((r) => !r.ok);
    // Positions 3, 23, 43, … are broken (sandbox MALFORMED_OFFSET/EVERY), one rule each.
    expect(bad.length).toBe(Math.ceil((records.length - 3) / 20));
    const rules = new Set(bad.flatMap((r) => (r.ok ? [] : r.problems.map((p) => `${p.field}:${p.rule}`))));
    expect(rules).toEqual(new Set(['role:required', 'role:enum', 'dateLastModified:format', 'orgs:type']));
    expect(bad.every((r) => !r.ok && r.sourcedId !== null)).toBe(true);
  });
});

describe('a full read of an m tenant', () => {
  let m: RunningSandbox;
  beforeAll(async () => {
    m = await startSandbox({ size: 'm', seed: 11, port: 0 });
  });
  afterAll(async () => {
    await m?.close();
  });

  test('OAuth 2, pages of 1000: every collection equals the generator, compared page by page', async () => {
    const client = createOneRosterClient({
      baseUrl: m.onerosterBaseUrl,
      districtId: 'sandbox-m',
      auth: { kind: 'oauth2', clientId: m.clientId, clientSecret: m.clientSecret, tokenUrl: m.tokenUrl },
      pageSize: 1000,
    });
    for (const collection of COLLECTIONS) {
      // Lockstep with the generator so neither side is held whole in memory.
      const want = m.generator.records(collection);
      let n = 0;
      for await (const page of client.pages(collection)) {
        for (const record of page.records) {
          const next = want.next();
          expect(next.done).toBe(false);
          if (JSON.stringify(record) !== JSON.stringify(next.value)) expect(record).toEqual(JSON.parse(JSON.stringify(next.value)));
          n++;
        }
      }
      expect(want.next().done).toBe(true);
      expect(n).toBe(m.generator.count(collection));
    }
  });
});
