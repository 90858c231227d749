// pages() and testConnection() over scripted servers: where paging stops, and every way a page can
// be wrong without an HTTP error.
import { createHash } from 'node:crypto';
import { createOneRosterClient } from '../../oneroster/client.js';
import { OneRosterError } from '../../oneroster/errors.js';
import type { KnownPage, OneRosterClientOptions, Page } from '../../oneroster/types.js';
import { fakeFetch, fakeUsers, pagedServer, recordingSleep, type FakeReply } from './oneroster-fake.js';

const BASE = 'https://district.example.com/ims/oneroster/v1p1';

function clientOn(fetch: typeof globalThis.fetch, extra: Partial<OneRosterClientOptions> = {}) {
  const { sleep, delays } = recordingSleep();
  const client = createOneRosterClient({
    baseUrl: BASE,
    districtId: 'district-7',
    auth: { kind: 'bearer', token: 't' },
    pageSize: 1000,
    fetch,
    sleep,
    random: () => 0,
    ...extra,
  });
  return { client, delays };
}

async function collect(gen: AsyncGenerator<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const p of gen) out.push(p);
  return out;
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

const offsets = (calls: { url: URL }[]) => calls.map((c) => Number(c.url.searchParams.get('offset')));

describe('pages() with X-Total-Count', () => {
  test('reads every record in order and stops at the count', async () => {
    const users = fakeUsers(2500);
    const server = pagedServer('users', users);
    const { client } = clientOn(server.fetch);
    const pages = await collect(client.pages('users'));
    expect(pages.map((p) => [p.offset, p.records.length, p.totalCount])).toEqual([
      [0, 1000, 2500],
      [1000, 1000, 2500],
      [2000, 500, 2500],
    ]);
    expect(pages.flatMap((p) => p.records)).toEqual(users);
    expect(offsets(server.calls)).toEqual([0, 1000, 2000]);
  });

  test('a last page exactly full costs one more request, which must be empty', async () => {
    const server = pagedServer('users', fakeUsers(2000));
    const { client } = clientOn(server.fetch);
    const pages = await collect(client.pages('users'));
    expect(pages).toHaveLength(2);
    expect(offsets(server.calls)).toEqual([0, 1000, 2000]);
  });

  test('resumes from startOffset and passes the filter on every page', async () => {
    const server = pagedServer('users', fakeUsers(2500));
    const { client } = clientOn(server.fetch);
    const pages = await collect(client.pages('users', { startOffset: 1000, filter: "status='active'" }));
    expect(pages.map((p) => p.offset)).toEqual([1000, 2000]);
    expect(server.calls.every((c) => c.url.searchParams.get('filter') === "status='active'")).toBe(true);
  });

  test('an empty collection yields one empty page carrying the count', async () => {
    const server = pagedServer('users', []);
    const { client } = clientOn(server.fetch);
    const pages = await collect(client.pages('users'));
    expect(pages).toEqual([{ collection: 'users', offset: 0, limit: 1000, totalCount: 0, records: [], texts: [] }]);
  });

  test('pages are fetched only as the consumer asks: one page in memory at a time', async () => {
    const server = pagedServer('users', fakeUsers(3500));
    const { client } = clientOn(server.fetch);
    const gen = client.pages('users');
    await gen.next();
    expect(server.calls).toHaveLength(1);
    await gen.next();
    expect(server.calls).toHaveLength(2);
    await gen.return(undefined);
    expect(server.calls).toHaveLength(2);
  });

  test('a short page before the end is retried, and a transient truncation recovers', async () => {
    const users = fakeUsers(2500);
    const server = pagedServer('users', users, {
      tamper: (page, i) => (i === 1 ? { json: { users: page.records.slice(0, 400) }, headers: page.headers } : undefined),
    });
    const { client, delays } = clientOn(server.fetch);
    const pages = await collect(client.pages('users'));
    expect(pages.flatMap((p) => p.records)).toEqual(users);
    expect(offsets(server.calls)).toEqual([0, 1000, 1000, 2000]);
    expect(delays).toEqual([250]);
  });

  test('a page that stays short fails naming collection and offset', async () => {
    const server = pagedServer('users', fakeUsers(2500), {
      tamper: (page) => (page.offset === 1000 ? { json: { users: page.records.slice(0, 400) }, headers: page.headers } : undefined),
    });
    const { client } = clientOn(server.fetch, { maxAttempts: 3 });
    const seen: number[] = [];
    const err = await failure(
      (async () => {
        for await (const p of client.pages('users')) seen.push(p.offset);
      })(),
    );
    expect(seen).toEqual([0]);
    expect(err).toMatchObject({ code: 'broken_response', retryable: true, collection: 'users', offset: 1000, attempts: 3 });
    expect(err.message).toContain('users at offset 1000');
    expect(err.message).toContain('400 of the 1000 records');
    expect(err.message).toContain('district-7');
  });

  test('a count that is too high (records run out early) fails instead of ending quietly', async () => {
    const server = pagedServer('users', fakeUsers(1500), {
      tamper: (page) => ({ json: { users: page.records }, headers: { 'x-total-count': '3000' } }),
    });
    const { client } = clientOn(server.fetch, { maxAttempts: 2 });
    const err = await failure(collect(client.pages('users')));
    expect(err).toMatchObject({ code: 'broken_response', offset: 1000 });
    expect(err.message).toContain('500 of the 1000 records that X-Total-Count 3000 promises');
  });

  test('a count that is too low is caught by the extra request instead of dropping records', async () => {
    const server = pagedServer('users', fakeUsers(2500), {
      tamper: (page) => ({ json: { users: page.records }, headers: { 'x-total-count': '1000' } }),
    });
    const { client } = clientOn(server.fetch, { maxAttempts: 2 });
    const err = await failure(collect(client.pages('users')));
    expect(err).toMatchObject({ code: 'broken_response', offset: 1000 });
    expect(err.message).toContain('the count header is wrong');
  });

  test('a server that ignores offset (same page again) is a repeated page, not an endless loop', async () => {
    const users = fakeUsers(1000);
    const { fetch, calls } = fakeFetch(() => ({ json: { users }, headers: { 'x-total-count': '5000' } }));
    const { client } = clientOn(fetch, { maxAttempts: 3 });
    const err = await failure(collect(client.pages('users')));
    expect(err).toMatchObject({ code: 'broken_response', collection: 'users', offset: 1000 });
    expect(err.message).toContain('repeats the page at offset 0');
    expect(calls).toHaveLength(4);
  });
});

describe('pages() without X-Total-Count', () => {
  test('stops at the first short page', async () => {
    const server = pagedServer('users', fakeUsers(2300), { countHeader: false });
    const { client } = clientOn(server.fetch);
    const pages = await collect(client.pages('users'));
    expect(pages.map((p) => [p.offset, p.records.length, p.totalCount])).toEqual([
      [0, 1000, null],
      [1000, 1000, null],
      [2000, 300, null],
    ]);
    expect(offsets(server.calls)).toEqual([0, 1000, 2000]);
  });

  test('an exact multiple ends with one empty request, which is not yielded', async () => {
    const server = pagedServer('users', fakeUsers(2000), { countHeader: false });
    const { client } = clientOn(server.fetch);
    const pages = await collect(client.pages('users'));
    expect(pages.map((p) => p.records.length)).toEqual([1000, 1000]);
    expect(offsets(server.calls)).toEqual([0, 1000, 2000]);
  });

  test('a repeated page is detected too', async () => {
    const users = fakeUsers(1000);
    const { fetch } = fakeFetch(() => ({ json: { users } }));
    const { client } = clientOn(fetch, { maxAttempts: 2 });
    const err = await failure(collect(client.pages('users')));
    expect(err.code).toBe('broken_response');
    expect(err.message).toContain('repeats');
  });

  test('a broken page mid-way is an error, never the end of the collection', async () => {
    const server = pagedServer('users', fakeUsers(2500), {
      countHeader: false,
      tamper: (page) => (page.offset === 1000 ? { json: { data: [] } } : undefined),
    });
    const { client } = clientOn(server.fetch, { maxAttempts: 2 });
    const err = await failure(collect(client.pages('users')));
    expect(err).toMatchObject({ code: 'broken_response', offset: 1000 });
  });
});

describe('testConnection()', () => {
  const countFor: Record<string, number> = { orgs: 3, academicSessions: 9, courses: 40, classes: 120, users: 900, enrollments: 5000 };

  function tenant(override: (collection: string) => FakeReply | undefined = () => undefined) {
    return fakeFetch((req) => {
      const collection = req.url.pathname.split('/').pop()!;
      return (
        override(collection) ?? { json: { [collection]: [{ sourcedId: `${collection}-1` }] }, headers: { 'x-total-count': String(countFor[collection]) } }
      );
    });
  }

  test('one page of limit 1 per collection; counts from X-Total-Count', async () => {
    const { fetch, calls } = tenant();
    const { client } = clientOn(fetch);
    const result = await client.testConnection();
    expect(result.ok).toBe(true);
    expect(result.auth).toEqual({ ok: true });
    expect(result.collections).toEqual(Object.entries(countFor).map(([collection, count]) => ({ collection, ok: true, count })));
    expect(calls.map((c) => c.url.searchParams.get('limit'))).toEqual(['1', '1', '1', '1', '1', '1']);
  });

  test('a collection failure is reported for that collection with the exact error', async () => {
    const { fetch } = tenant((c) => (c === 'enrollments' ? { status: 403 } : undefined));
    const { client } = clientOn(fetch);
    const result = await client.testConnection();
    expect(result.ok).toBe(false);
    expect(result.auth.ok).toBe(true);
    const enrollments = result.collections.find((c) => c.collection === 'enrollments')!;
    expect(enrollments.ok).toBe(false);
    expect(enrollments.error).toMatch(/^ClassLink refused access to enrollments at offset 0 for district district-7 \(403\)/);
    expect(result.collections.filter((c) => c.ok)).toHaveLength(5);
  });

  test('rejected OAuth 1.0a credentials: auth fails, every collection says why, one request made', async () => {
    const { fetch, calls } = tenant(() => ({ status: 401 }));
    const { client } = clientOn(fetch, { auth: { kind: 'oauth1', clientId: 'k', clientSecret: 'secret-xyz' } });
    const result = await client.testConnection();
    expect(result.ok).toBe(false);
    expect(result.auth.ok).toBe(false);
    expect(result.auth.error).toContain('district-7');
    expect(result.collections.every((c) => !c.ok && c.error?.includes('(401)'))).toBe(true);
    expect(calls).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain('secret-xyz');
  });

  test('OAuth 2: a refused token fails auth before any data request', async () => {
    const { fetch, calls } = fakeFetch((req) =>
      req.url.pathname === '/oauth/token' ? { status: 401, json: { error: 'invalid_client' } } : { json: {} },
    );
    const { client } = clientOn(fetch, { auth: { kind: 'oauth2', clientId: 'c', clientSecret: 'secret-xyz' } });
    const result = await client.testConnection();
    expect(result.auth.ok).toBe(false);
    expect(result.auth.error).toContain('invalid_client');
    expect(calls).toHaveLength(1);
    expect(result.collections).toHaveLength(6);
    expect(JSON.stringify(result)).not.toContain('secret-xyz');
  });

  test('never throws, even when nothing answers', async () => {
    const { fetch } = fakeFetch(() => 'network-error');
    const { client } = clientOn(fetch, { maxAttempts: 1 });
    const result = await client.testConnection();
    expect(result.ok).toBe(false);
    expect(result.auth.ok).toBe(false);
    expect(result.auth.error).toContain('ECONNREFUSED');
    expect(result.collections.every((c) => !c.ok && c.error?.includes('ECONNREFUSED'))).toBe(true);
  });
});

describe('recognisingPages()', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  test('asks with the digest of the exact body bytes, parses only the bodies it does not know, pages on what it knew', async () => {
    const bodies = [JSON.stringify({ users: [{ sourcedId: 'a' }, { sourcedId: 'b' }] }), 'not JSON at all, never parsed', JSON.stringify({ users: [{ sourcedId: 'e' }] })];
    const { fetch, calls } = fakeFetch((_req, i) => ({ text: bodies[i]!, headers: { 'x-total-count': '5' } }));
    const { client } = clientOn(fetch, { pageSize: 2 });
    const asked: string[] = [];
    const pages: (Page | KnownPage)[] = [];
    const recognise = async (_c: string, digest: string) => {
      asked.push(digest);
      return digest === sha256(bodies[1]!) ? { recordCount: 2, firstId: 'c', lastId: 'd' } : null;
    };
    for await (const p of client.recognisingPages!('users', { recognise })) pages.push(p);
    expect(asked).toEqual(bodies.map(sha256));
    expect(offsets(calls)).toEqual([0, 2, 4]);
    expect(pages[0]).toMatchObject({ offset: 0, records: [{ sourcedId: 'a' }, { sourcedId: 'b' }], digest: sha256(bodies[0]!) });
    expect(pages[1]).toMatchObject({ offset: 2, totalCount: 5, digest: sha256(bodies[1]!), known: { recordCount: 2 } });
    expect('records' in pages[1]!).toBe(false);
    // Parsed after all, the unparseable body fails as it would have.
    expect(() => (pages[1] as KnownPage).parse()).toThrow(OneRosterError);
    expect(pages[2]).toMatchObject({ offset: 4, records: [{ sourcedId: 'e' }] });
  });

  test('a known page is held to the count header like a parsed one', async () => {
    const { fetch } = fakeFetch(() => ({ json: { users: [{ sourcedId: 'a' }] }, headers: { 'x-total-count': '10' } }));
    const { client } = clientOn(fetch, { pageSize: 5, maxAttempts: 2 });
    const err = await failure(
      (async () => {
        for await (const _ of client.recognisingPages!('users', { recognise: async () => ({ recordCount: 3, firstId: 'a', lastId: 'c' }) })) void _;
      })(),
    );
    expect(err.message).toContain('holds 3 of the 5 records');
  });
});
