// getPage over a scripted fetch: URLs, auth headers, retries and their delays, and the errors
// people will read.
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { createOneRosterClient } from '../../oneroster/client.js';
import { OneRosterError } from '../../oneroster/errors.js';
import { parseRetryAfter, backoffDelayMs } from '../../oneroster/http.js';
import type { OneRosterClientOptions } from '../../oneroster/types.js';
import { fakeFetch, recordingSleep, type FakeReply, type FakeRequest } from './oneroster-fake.js';

const BASE = 'https://district.example.com/ims/oneroster/v1p1';
const SECRET = 'very-secret-value-123';
const T0 = Date.parse('2026-01-01T00:00:00Z');

function client(handler: (req: FakeRequest, i: number) => FakeReply | Promise<FakeReply>, extra: Partial<OneRosterClientOptions> = {}) {
  const { fetch, calls } = fakeFetch(handler);
  const { sleep, delays } = recordingSleep();
  const c = createOneRosterClient({
    baseUrl: BASE,
    districtId: 'district-42',
    auth: { kind: 'bearer', token: 'static-token-abc' },
    fetch,
    sleep,
    now: () => T0,
    random: () => 0,
    ...extra,
  });
  return { client: c, calls, delays };
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

const ok = (records: unknown[], headers: Record<string, string> = {}): FakeReply => ({ json: { users: records }, headers });

describe('getPage', () => {
  test('asks for limit, offset and the filter, RFC 3986-encoded, with JSON, gzip and the bearer token', async () => {
    const { client: c, calls } = client(() => ok([{ sourcedId: 'a' }], { 'x-total-count': '1234' }));
    const page = await c.getPage('users', { offset: 200, limit: 100, filter: "dateLastModified>'2026-01-02T03:04:05.000Z'" });
    expect(calls).toHaveLength(1);
    expect(calls[0].url.toString()).toBe(
      `${BASE}/users?limit=100&offset=200&filter=dateLastModified%3E%272026-01-02T03%3A04%3A05.000Z%27`,
    );
    expect(calls[0].headers.get('authorization')).toBe('Bearer static-token-abc');
    expect(calls[0].headers.get('accept')).toBe('application/json');
    expect(calls[0].headers.get('accept-encoding')).toContain('gzip');
    expect(page).toEqual({ collection: 'users', offset: 200, limit: 100, totalCount: 1234, records: [{ sourcedId: 'a' }], texts: ['{"sourcedId":"a"}'] });
  });

  test('default limit is the page size; a trailing slash on the base URL is harmless; no count header gives null', async () => {
    const { client: c, calls } = client(() => ok([]), { baseUrl: `${BASE}/`, pageSize: 250 });
    const page = await c.getPage('users', { offset: 0 });
    expect(calls[0].url.toString()).toBe(`${BASE}/users?limit=250&offset=0`);
    expect(page.totalCount).toBeNull();
  });

  test('a gzip-compressed answer from a real HTTP server is read, each record with its text as received', async () => {
    // Over a megabyte once decompressed: more than one output chunk.
    const orgs = Array.from({ length: 5000 }, (_, i) => ({ sourcedId: `o${i}`, name: `Org ${i} ${'x'.repeat(200)}`, type: 'school' }));
    const text = JSON.stringify({ orgs });
    expect(text.length).toBeGreaterThan(1 << 20);
    const body = gzipSync(text);
    let acceptEncoding: string | undefined;
    const server: Server = createServer((req, res) => {
      acceptEncoding = req.headers['accept-encoding'];
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-total-count': '5000' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const c = createOneRosterClient({
        baseUrl: `http://127.0.0.1:${port}/ims/oneroster/v1p1`,
        districtId: 'd',
        auth: { kind: 'bearer', token: 't' },
      });
      const page = await c.getPage('orgs', { offset: 0, limit: 5000 });
      expect(acceptEncoding).toContain('gzip');
      expect(page.records).toEqual(orgs);
      expect(page.texts).toEqual(orgs.map((o) => JSON.stringify(o)));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('retries', () => {
  test('backoff doubles per attempt with equal jitter, capped', () => {
    const p = { baseDelayMs: 500, maxDelayMs: 30_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, { ...p, random: () => 0 }))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 3].map((n) => backoffDelayMs(n, { ...p, random: () => 0.5 }))).toEqual([375, 750, 1500]);
    expect(backoffDelayMs(20, { ...p, random: () => 0 })).toBe(15_000);
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7', T0)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', T0)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', T0)).toBe(0);
    expect(parseRetryAfter('soon', T0)).toBeNull();
    expect(parseRetryAfter(null, T0)).toBeNull();
  });

  test.each([500, 502, 503, 504])('%i is retried with backoff until it succeeds', async (status) => {
    const { client: c, calls, delays } = client((_, i) => (i < 2 ? { status } : ok([{ sourcedId: 'a' }])));
    const page = await c.getPage('users', { offset: 0 });
    expect(page.records).toHaveLength(1);
    expect(calls).toHaveLength(3);
    expect(delays).toEqual([250, 500]);
  });

  test('429 waits what Retry-After says (seconds)', async () => {
    const { client: c, delays } = client((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '7' } } : ok([])));
    await c.getPage('users', { offset: 0 });
    expect(delays).toEqual([7000]);
  });

  test('503 waits what Retry-After says (HTTP date)', async () => {
    const { client: c, delays } = client((_, i) =>
      i === 0 ? { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' } } : ok([]),
    );
    await c.getPage('users', { offset: 0 });
    expect(delays).toEqual([30_000]);
  });

  test('a Retry-After longer than the cap is not slept in-process: retryable rate_limited at once', async () => {
    const { client: c, calls, delays } = client(() => ({ status: 429, headers: { 'retry-after': '3600' } }), { maxRetryAfterMs: 60_000 });
    const err = await failure(c.getPage('users', { offset: 0 }));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 3_600_000 });
    expect(err.message).toContain('asked to wait 3600 s');
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('gives up after maxAttempts with a retryable error that says how often it tried', async () => {
    const { client: c, calls, delays } = client(() => ({ status: 502 }), { maxAttempts: 4 });
    const err = await failure(c.getPage('users', { offset: 3000 }));
    expect(calls).toHaveLength(4);
    expect(delays).toEqual([250, 500, 1000]);
    expect(err).toMatchObject({ code: 'server', status: 502, retryable: true, collection: 'users', offset: 3000, attempts: 4 });
    expect(err.message).toContain('users at offset 3000');
    expect(err.message).toContain('district-42');
    expect(err.message).toContain('gave up after 4 attempts');
  });

  test('a hanging server times out per request and is retried', async () => {
    const { client: c, calls } = client((_, i) => (i === 0 ? 'hang' : ok([{ sourcedId: 'x' }])), { timeoutMs: 30 });
    const page = await c.getPage('users', { offset: 0 });
    expect(page.records).toHaveLength(1);
    expect(calls).toHaveLength(2);
  });

  test('timeouts that never end become a timeout error', async () => {
    const { client: c } = client(() => 'hang', { timeoutMs: 20, maxAttempts: 2 });
    const err = await failure(c.getPage('classes', { offset: 0 }));
    expect(err).toMatchObject({ code: 'timeout', retryable: true, collection: 'classes', attempts: 2 });
    expect(err.message).toContain('within 20 ms: retry later');
  });

  test('network errors are retried, then reported with the system error code and host', async () => {
    const { client: c, calls } = client(() => 'network-error', { maxAttempts: 3 });
    const err = await failure(c.getPage('orgs', { offset: 0 }));
    expect(calls).toHaveLength(3);
    expect(err.code).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('district.example.com');
  });
});

describe('non-retryable answers', () => {
  test('401 is not retried and the message names the district and what to check', async () => {
    const { client: c, calls, delays } = client(() => ({ status: 401 }));
    const err = await failure(c.getPage('users', { offset: 0 }));
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(err).toMatchObject({ code: 'auth', status: 401, retryable: false });
    expect(err.message).toMatch(/^ClassLink rejected the OneRoster key\/secret for district district-42 .*\(401\): /);
    expect(err.message).not.toContain('static-token-abc');
  });

  test('OAuth 1.0a 401: message points at key, secret, signature method and clock, and carries the server reason redacted', async () => {
    const { client: c } = client(
      () => ({ status: 401, json: { imsx_codeMajor: 'failure', imsx_description: `Invalid signature for secret ${SECRET}` } }),
      { auth: { kind: 'oauth1', clientId: 'key', clientSecret: SECRET } },
    );
    const err = await failure(c.getPage('users', { offset: 0 }));
    expect(err.message).toContain('district-42');
    expect(err.message).toContain('Invalid signature for secret [redacted]');
    expect(err.message).toContain('clock');
    expect(err.message).not.toContain(SECRET);
  });

  test.each([
    [403, 'forbidden', /grant/],
    [404, 'not_found', /base URL/],
    [400, 'bad_request', /filter/],
  ])('%i → %s, not retried', async (status, code, hint) => {
    const { client: c, calls } = client(() => ({ status }));
    const err = await failure(c.getPage('enrollments', { offset: 10 }));
    expect(calls).toHaveLength(1);
    expect(err).toMatchObject({ code, status, retryable: false, collection: 'enrollments', offset: 10 });
    expect(err.message).toMatch(hint);
  });
});

describe('broken responses', () => {
  test.each([
    ['a 200 without the collection key', { json: { orgs: [] } }, /no "users" key/],
    ['a 200 that is not JSON', { text: '<html>gateway</html>' }, /not JSON/],
    ['a collection key that is not an array', { json: { users: { sourcedId: 'a' } } }, /object, not an array/],
    ['a null collection', { json: { users: null } }, /null, not an array/],
  ])('%s is retried, then thrown naming collection and offset, never "no records"', async (_, reply, why) => {
    const { client: c, calls } = client(() => reply as FakeReply, { maxAttempts: 3 });
    const err = await failure(c.getPage('users', { offset: 500 }));
    expect(calls).toHaveLength(3);
    expect(err).toMatchObject({ code: 'broken_response', retryable: true, collection: 'users', offset: 500 });
    expect(err.message).toMatch(why);
    expect(err.message).toContain('users at offset 500');
    expect(err.message).toContain('not "no records"');
  });

  test('a broken response that recovers on retry is fine', async () => {
    const { client: c } = client((_, i) => (i === 0 ? { json: {} } : ok([{ sourcedId: 'a' }])));
    expect((await c.getPage('users', { offset: 0 })).records).toHaveLength(1);
  });
});

describe('OAuth 2 client credentials', () => {
  const TOKEN_URL = 'https://district.example.com/oauth/token';

  function oauth2(pageReply: (req: FakeRequest, pageIndex: number) => FakeReply, tokenReply?: (n: number) => FakeReply) {
    let clock = T0;
    let tokens = 0;
    let pages = 0;
    const setup = client(
      (req) => {
        if (req.url.toString() === TOKEN_URL) {
          tokens++;
          return tokenReply?.(tokens) ?? { json: { access_token: `tok-${tokens}`, token_type: 'bearer', expires_in: 3600 } };
        }
        return pageReply(req, pages++);
      },
      { auth: { kind: 'oauth2', clientId: 'cid', clientSecret: SECRET }, now: () => clock },
    );
    return {
      ...setup,
      tokenCalls: () => setup.calls.filter((c) => c.url.toString() === TOKEN_URL),
      pageCalls: () => setup.calls.filter((c) => c.url.toString() !== TOKEN_URL),
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  test('the token request is client_credentials over HTTP Basic at <origin>/oauth/token', async () => {
    const s = oauth2(() => ok([]));
    await s.client.getPage('users', { offset: 0 });
    const [tokenCall] = s.tokenCalls();
    expect(tokenCall.method).toBe('POST');
    expect(tokenCall.headers.get('authorization')).toBe(`Basic ${Buffer.from(`cid:${SECRET}`).toString('base64')}`);
    expect(tokenCall.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(tokenCall.body).toBe('grant_type=client_credentials');
    expect(s.pageCalls()[0].headers.get('authorization')).toBe('Bearer tok-1');
  });

  test('the token is cached, and renewed 60 s before it expires', async () => {
    const s = oauth2(() => ok([]));
    await s.client.getPage('users', { offset: 0 });
    s.advance(3600_000 - 61_000);
    await s.client.getPage('users', { offset: 0 });
    expect(s.tokenCalls()).toHaveLength(1);
    s.advance(2_000); // now 59 s before expiry
    await s.client.getPage('users', { offset: 0 });
    expect(s.tokenCalls()).toHaveLength(2);
    expect(s.pageCalls().map((c) => c.headers.get('authorization'))).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  test('concurrent requests share one token request', async () => {
    const s = oauth2(() => ok([]));
    await Promise.all([0, 1, 2].map((o) => s.client.getPage('users', { offset: o })));
    expect(s.tokenCalls()).toHaveLength(1);
  });

  test('a 401 (token revoked early) fetches a new token once and retries', async () => {
    const s = oauth2((req) => (req.headers.get('authorization') === 'Bearer tok-1' ? { status: 401 } : ok([{ sourcedId: 'a' }])));
    const page = await s.client.getPage('users', { offset: 0 });
    expect(page.records).toHaveLength(1);
    expect(s.tokenCalls()).toHaveLength(2);
    expect(s.pageCalls()).toHaveLength(2);
  });

  test('a second 401 with a fresh token is an auth error, not retried further', async () => {
    const s = oauth2(() => ({ status: 401 }));
    const err = await failure(s.client.getPage('users', { offset: 0 }));
    expect(err).toMatchObject({ code: 'auth', retryable: false });
    expect(s.tokenCalls()).toHaveLength(2);
    expect(s.pageCalls()).toHaveLength(2);
    expect(s.delays).toEqual([]);
    expect(err.message).not.toMatch(/tok-\d/);
  });

  test.each([
    [401, { error: 'invalid_client' }],
    [400, { error: 'invalid_client', error_description: `bad secret ${SECRET}` }],
  ])('token endpoint %i: auth error naming the district and token URL, no secret', async (status, json) => {
    const s = oauth2(() => ok([]), () => ({ status, json }));
    const err = await failure(s.client.getPage('users', { offset: 0 }));
    expect(err).toMatchObject({ code: 'auth', retryable: false, status });
    expect(s.pageCalls()).toHaveLength(0);
    expect(s.tokenCalls()).toHaveLength(1);
    expect(err.message).toContain('district-42');
    expect(err.message).toContain(TOKEN_URL);
    expect(err.message).toContain('invalid_client');
    expect(err.message).not.toContain(SECRET);
  });

  test('a token endpoint 503 is retried like any other', async () => {
    const s = oauth2(() => ok([]), (n) => (n === 1 ? { status: 503 } : { json: { access_token: 'late', expires_in: 60 } }));
    await s.client.getPage('users', { offset: 0 });
    expect(s.pageCalls()[0].headers.get('authorization')).toBe('Bearer late');
    expect(s.delays).toEqual([250]);
  });

  test('a token response without access_token is broken, not an empty token', async () => {
    const s = oauth2(() => ok([]), () => ({ json: { token_type: 'bearer' } }));
    const err = await failure(s.client.getPage('users', { offset: 0 }));
    expect(err.code).toBe('broken_response');
    expect(s.pageCalls()).toHaveLength(0);
  });
});

describe('OAuth 1.0a through the client', () => {
  test('each attempt is signed afresh (new nonce), SHA-256 unless SHA-1 is chosen', async () => {
    for (const signatureMethod of [undefined, 'HMAC-SHA1'] as const) {
      const { client: c, calls } = client((_, i) => (i === 0 ? { status: 503 } : ok([])), {
        auth: { kind: 'oauth1', clientId: 'ck', clientSecret: SECRET, signatureMethod },
      });
      await c.getPage('users', { offset: 0 });
      const [a, b] = calls.map((r) => r.headers.get('authorization') ?? '');
      expect(a).toMatch(/^OAuth oauth_consumer_key="ck", oauth_nonce="[0-9a-f]{32}", /);
      expect(a).toContain(`oauth_signature_method="${signatureMethod ?? 'HMAC-SHA256'}"`);
      expect(a).toContain(`oauth_timestamp="${T0 / 1000}"`);
      expect(a).not.toContain(SECRET);
      expect(/oauth_nonce="(\w+)"/.exec(a)![1]).not.toBe(/oauth_nonce="(\w+)"/.exec(b)![1]);
    }
  });
});

describe('options', () => {
  test('nonsense configuration fails at construction, not at 2 a.m.', () => {
    const base = { districtId: 'd', auth: { kind: 'bearer', token: 't' } } as const;
    expect(() => createOneRosterClient({ ...base, baseUrl: 'not a url' })).toThrow(/not a URL/);
    expect(() => createOneRosterClient({ ...base, baseUrl: 'ftp://x/y' })).toThrow(/http/);
    expect(() => createOneRosterClient({ ...base, baseUrl: BASE, pageSize: 0 })).toThrow(/pageSize/);
  });
});
