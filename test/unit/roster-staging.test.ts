// The staging writers and the fetch loop's page prefetch, on a real Postgres: a page written again
// (a retried attempt) replaces its records, each record carries the hash of its staged JSON, and the
// prefetch overlaps the next download with the current write without leaking a failure.
import { createHash } from 'node:crypto';
import { prefetching } from '../../roster/fetch.js';
import { copyWriter, insertWriter, type StagingWriter } from '../../roster/staging.js';
import type { KnownPage, Page } from '../../oneroster/types.js';
import { PAGE_MEMO_VERSION, recognisePage } from '../../roster/page-memo.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t?.destroy();
});

function page(offset: number, names: string[]): Page {
  return {
    collection: 'courses',
    offset,
    limit: 3,
    totalCount: null,
    records: names.map((n, i) => ({ sourcedId: `c-${offset + i}`, title: n, status: 'active' })),
  } as unknown as Page;
}

async function staged(runId: string) {
  return t.db.selectFrom('staging_records').select(['page_offset', 'ordinal', 'sourced_id', 'data', 'content_hash']).where('run_id', '=', runId).orderBy('page_offset').orderBy('ordinal').execute();
}

describe.each([
  ['copy', () => copyWriter(t.pool)],
  ['insert', () => insertWriter(t.db)],
] as Array<[string, () => StagingWriter]>)('%s writer', (name, make) => {
  test('a page written again replaces its records; other pages stay; hashes are md5 of the staged JSON', async () => {
    const runId = `run-${name}`;
    const w = make();
    await w.writePage(runId, page(0, ['Algebra', 'Biology', 'Chemistry']));
    await w.writePage(runId, page(3, ['Drama']));
    // A retried attempt re-fetches page 0, now shorter and different.
    const again = page(0, ['Art', 'Botany']);
    await w.writePage(runId, again);
    const rows = await staged(runId);
    expect(rows.map((r) => [r.page_offset, r.ordinal, r.sourced_id])).toEqual([
      [0, 0, 'c-0'],
      [0, 1, 'c-1'],
      [3, 0, 'c-3'],
    ]);
    expect((rows[1]!.data as { title: string }).title).toBe('Botany');
    // The hash is of the JSON as received (Postgres' jsonb reorders keys), so it is stable night to night.
    const md5 = (v: unknown) => createHash('md5').update(JSON.stringify(v)).digest('hex');
    expect(rows.slice(0, 2).map((r) => r.content_hash)).toEqual(again.records.map(md5));
    expect(rows[2]!.content_hash).toBe(md5(page(3, ['Drama']).records[0]));
    const pages = await t.db.selectFrom('staging_pages').select(['page_offset', 'record_count']).where('run_id', '=', runId).orderBy('page_offset').execute();
    expect(pages).toEqual([
      { page_offset: 0, record_count: 2 },
      { page_offset: 3, record_count: 1 },
    ]);
  });

  test('a page with a digest is remembered; its memo stages it by id only while every record equals its live row', async () => {
    // Quotes and backslashes in the run, the district and the digest: the page row is written with literals.
    const runId = `run-${name}-'memo\\`;
    const district = `memo-${name}-o'k\\`;
    const digest = `digest-'${name}\\`;
    const w = make();
    const ids = ['a"b', '{c,d}', 'e\\f', 'NULL', ' spaced '];
    const records = ids.map((sourcedId) => ({ sourcedId, title: 'T', status: 'active' }));
    const parsed = { collection: 'courses', offset: 0, limit: 10, totalCount: 5, records, digest } as unknown as Page;
    await w.writePage(runId, parsed, undefined, { districtId: district });
    // An id holding the separator cannot be remembered: that page is always parsed.
    await w.writePage(runId, { ...parsed, offset: 10, digest: `other-${name}`, records: [{ sourcedId: 'x\ny', status: 'active' }] } as unknown as Page, undefined, { districtId: district });
    expect(await t.db.selectFrom('page_memos').select(['digest', 'records']).where('district_id', '=', district).execute()).toEqual([{ digest: `v${PAGE_MEMO_VERSION}:${digest}`, records: 5 }]);
    const known = await recognisePage(t.db, district, 'courses', digest);
    expect(known).toEqual({ recordCount: 5, firstId: 'a"b', lastId: ' spaced ' });
    const knownPage: KnownPage = { collection: 'courses', offset: 0, limit: 10, totalCount: 5, digest, known: known!, parse: () => parsed };
    const md5 = (v: unknown) => createHash('md5').update(JSON.stringify(v)).digest('hex');
    const live = async (hashOfLast: string) => {
      await t.db.deleteFrom('courses').where('district_id', '=', district).execute();
      await t.db.insertInto('courses').values(records.map((r, i) => ({ district_id: district, sourced_id: r.sourcedId, status: 'active', data: JSON.stringify(r), content_hash: i === records.length - 1 ? hashOfLast : md5(r) }))).execute();
    };
    const next = `${runId}-2`;
    await live('something else');
    expect(await w.writeKnownPage(next, knownPage, { districtId: district })).toBe(false);
    expect(await t.db.selectFrom('staging_pages').select('page_offset').where('run_id', '=', next).execute()).toEqual([]);
    await live(md5(records[4]));
    // A record deleted here because it went missing comes back by being parsed and revived.
    await t.db.updateTable('courses').set({ deleted_at: new Date() }).where('district_id', '=', district).where('sourced_id', '=', ids[2]!).execute();
    expect(await w.writeKnownPage(next, knownPage, { districtId: district })).toBe(false);
    // One that ClassLink itself marked tobedeleted stays deleted: unchanged.
    await t.db.updateTable('courses').set({ status: 'tobedeleted' }).where('district_id', '=', district).where('sourced_id', '=', ids[2]!).execute();
    expect(await w.writeKnownPage(next, knownPage, { districtId: district })).toBe(true);
    await t.db.deleteFrom('staging_unchanged').where('run_id', '=', next).execute();
    await t.db.deleteFrom('staging_pages').where('run_id', '=', next).execute();
    await live(md5(records[4]));
    expect(await w.writeKnownPage(next, knownPage, { districtId: district })).toBe(true);
    expect(await t.db.selectFrom('staging_unchanged').select(['ids', 'records']).where('run_id', '=', next).execute()).toEqual([{ ids, records: 5 }]);
    expect(await t.db.selectFrom('staging_pages').select(['record_count', 'digest']).where('run_id', '=', next).execute()).toEqual([{ record_count: 5, digest }]);
    expect(await t.db.selectFrom('staging_records').select('sourced_id').where('run_id', '=', next).execute()).toEqual([]);
  });

  test('unchanged ids with quotes, braces, commas, backslashes and the word NULL are kept exactly', async () => {
    const runId = `run-${name}-odd-ids`;
    const ids = ['a"b', '{c,d}', 'e\\f', 'NULL', 'tab\tline\n', ' spaced '];
    const records = ids.map((sourcedId) => ({ sourcedId, title: 'T', status: 'active' }));
    const md5 = (v: unknown) => createHash('md5').update(JSON.stringify(v)).digest('hex');
    await make().writePage(runId, { collection: 'courses', offset: 0, limit: 10, totalCount: null, records } as unknown as Page, new Map(records.map((r) => [r.sourcedId, md5(r)])));
    const row = await t.db.selectFrom('staging_unchanged').select(['ids', 'records']).where('run_id', '=', runId).executeTakeFirstOrThrow();
    expect(row).toEqual({ ids, records: ids.length });
  });

  test('text with backslashes, tabs, line breaks and quotes is staged exactly, as are the verdicts of the record checks', async () => {
    const runId = `run-${name}-odd-text`;
    const odd = ['back\\slash \\N', 'tab\there', 'line\nbreak\r\n', '"quoted", \\.', '\\.'];
    const records = odd.map((title, i) => ({ sourcedId: `${title}-${i}`, title, status: 'active' }));
    await make().writePage(runId, { collection: 'courses', offset: 0, limit: 10, totalCount: null, records } as unknown as Page);
    const rows = await t.db.selectFrom('staging_records').select(['sourced_id', 'data', 'faults', 'skip_reason']).where('run_id', '=', runId).orderBy('ordinal').execute();
    expect(rows.map((r) => r.sourced_id)).toEqual(records.map((r) => r.sourcedId));
    expect(rows.map((r) => r.data)).toEqual(records);
    // No dateLastModified or org: the worker's verdict is stored with the record.
    expect(rows[0]!.faults!.map(([rule]) => rule)).toEqual(['courses.dateLastModified.required', 'courses.org.required']);
    expect(rows.every((r) => r.skip_reason === null)).toBe(true);
  });

  test('a record whose text came with the page is staged and hashed as received; one holding an unstorable escape is cleaned as before', async () => {
    const runId = `run-${name}-received`;
    const records = [
      { sourcedId: 'c-0', title: 'Caf\u00e9 \\ "A"', status: 'active' },
      { sourcedId: 'c-1', title: 'nul\u0000here', status: 'active' },
    ];
    // As a server might send them: pretty-printed, a non-ASCII letter escaped.
    const texts = ['{\n  "sourcedId": "c-0",\n\t"title": "Caf\\u00e9 \\\\ \\"A\\"", "status": "active"}', '{"sourcedId":"c-1","title":"nul\\u0000here","status":"active"}'];
    expect(texts.map((x) => JSON.parse(x))).toEqual(records);
    await make().writePage(runId, { collection: 'courses', offset: 0, limit: 10, totalCount: null, records, texts } as unknown as Page);
    const rows = await t.db.selectFrom('staging_records').select(['data', 'content_hash']).where('run_id', '=', runId).orderBy('ordinal').execute();
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    expect(rows[0]).toEqual({ data: records[0], content_hash: md5(texts[0]!) });
    // NUL cannot be stored: the record is serialised with it replaced, and says so.
    const cleaned = { ...records[1], title: 'nul\ufffdhere', _unstorable: ['title'] };
    expect(rows[1]).toEqual({ data: cleaned, content_hash: md5(JSON.stringify(cleaned)) });
  });

  test("the ids of a record's single references are staged beside it, odd ids exactly; skipped records and users have none", async () => {
    const runId = `run-${name}-refs`;
    const odd = ['a"b', '{c,d}', 'e\\f', 'NULL', 'tab\tline\n', ' spaced '];
    const records = [
      ...odd.map((id, i) => ({ sourcedId: `e-${i}`, status: 'active', class: { sourcedId: id }, user: { sourcedId: `u-${i}` } })),
      { sourcedId: 'e-blank', status: 'active', class: { sourcedId: '  ' }, user: 'u-1', school: { sourcedId: 7 } },
    ];
    await make().writePage(runId, { collection: 'enrollments', offset: 0, limit: 10, totalCount: null, records } as unknown as Page);
    await make().writePage(runId, { collection: 'users', offset: 0, limit: 10, totalCount: null, records: [{ sourcedId: 'u-0', role: 'teacher' }, { sourcedId: 'g-0', role: 'guardian' }] } as unknown as Page);
    const rows = await t.db.selectFrom('staging_records').select(['entity', 'sourced_id', 'refs']).where('run_id', '=', runId).orderBy('entity').orderBy('ordinal').execute();
    expect(rows).toEqual([
      ...odd.map((id, i) => ({ entity: 'enrollments', sourced_id: `e-${i}`, refs: [id, `u-${i}`, null] })),
      { entity: 'enrollments', sourced_id: 'e-blank', refs: [null, null, null] },
      { entity: 'users', sourced_id: 'u-0', refs: null },
      { entity: 'users', sourced_id: 'g-0', refs: null },
    ]);
  });

  test('records identical to their live row are staged by id and hash only, and a re-written page replaces those too', async () => {
    const runId = `run-${name}-unchanged`;
    const w = make();
    const first = page(0, ['Algebra', 'Biology', 'Chemistry']);
    const md5 = (v: unknown) => createHash('md5').update(JSON.stringify(v)).digest('hex');
    // c-0 is live with the same content, c-1 is live with other content, c-2 is new.
    await w.writePage(runId, first, new Map([['c-0', md5(first.records[0])], ['c-1', 'another hash']]));
    expect((await staged(runId)).map((r) => r.sourced_id)).toEqual(['c-1', 'c-2']);
    const unchanged = () => t.db.selectFrom('staging_unchanged').select(['page_offset', 'ids', 'records']).where('run_id', '=', runId).execute();
    // One row per page: the unchanged record's id at its position, null where the record is staged fully.
    expect(await unchanged()).toEqual([{ page_offset: 0, ids: ['c-0', null, null], records: 1 }]);
    // The retried attempt finds nothing live (e.g. no shortcut): every record staged fully, none left apart.
    await w.writePage(runId, first);
    expect((await staged(runId)).map((r) => r.sourced_id)).toEqual(['c-0', 'c-1', 'c-2']);
    expect(await unchanged()).toEqual([]);
  });
});

test('prefetching asks for the next page before the current one is consumed', async () => {
  const events: string[] = [];
  async function* source() {
    for (let i = 0; i < 3; i++) {
      events.push(`fetch ${i}`);
      await new Promise((r) => setTimeout(r, 5));
      yield i;
    }
  }
  for await (const p of prefetching(source())) {
    events.push(`write ${p} start`);
    await new Promise((r) => setTimeout(r, 20));
    events.push(`write ${p} end`);
  }
  // Page 1's fetch starts while page 0 is being written.
  expect(events.indexOf('fetch 1')).toBeLessThan(events.indexOf('write 0 end'));
  expect(events.filter((e) => e.startsWith('write') && e.endsWith('end'))).toEqual(['write 0 end', 'write 1 end', 'write 2 end']);
});

test('a failed write stops prefetching without an unhandled rejection from the page in flight', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    async function* source() {
      yield 0;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('the next page failed too');
    }
    await expect(
      (async () => {
        for await (const p of prefetching(source())) throw new Error(`write of page ${p} failed`);
      })(),
    ).rejects.toThrow('write of page 0 failed');
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
