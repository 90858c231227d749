// The fetch loop's pipeline (roster/fetch.ts), on a real Postgres with the COPY writer: the next page
// is prepared while the one before it is written, but pages commit strictly in order (the bookmark is
// the last committed page), a failed write fails the fetch with nothing written after it, and a fetch
// that fails never returns while a write is still in flight.
import { fetchIntoStaging } from '../../roster/fetch.js';
import { bookmark, copyWriter, type StagingWriter } from '../../roster/staging.js';
import type { Collection, OneRosterClient, Page } from '../../oneroster/types.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ensureDistrict, newRun } from './roster-support.js';

let t: TestDatabase;
const PAGE = 3;
const COURSES = 11;

beforeAll(async () => {
  t = await createTestDatabase();
});

/** A run of its own district (one active run per district). */
let districts = 0;
async function run(): Promise<string> {
  const district = `pipeline-${(districts += 1)}`;
  await ensureDistrict(t.db, district);
  return newRun(t.db, district);
}

afterAll(async () => {
  await t?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serves COURSES courses PAGE a page (every other collection empty); throws when asked for `failAt`. */
function client(events: string[], failAt?: number): OneRosterClient {
  return {
    async getPage() {
      throw new Error('not used');
    },
    async *pages(collection: Collection, options?: { startOffset?: number }) {
      const n = collection === 'courses' ? COURSES : 0;
      for (let offset = options?.startOffset ?? 0; offset === 0 || offset < n; offset += PAGE) {
        if (collection === 'courses') events.push(`fetch ${offset}`);
        if (offset === failAt) throw new Error(`GET courses at offset ${offset} failed`);
        const records = Array.from({ length: Math.max(0, Math.min(PAGE, n - offset)) }, (_, i) => ({ sourcedId: `c-${offset + i}`, title: `Course ${offset + i}`, status: 'active' }));
        yield { collection, offset, limit: PAGE, totalCount: n, records } as Page;
      }
    },
    async testConnection() {
      throw new Error('not used');
    },
  };
}

/** The COPY writer, telling what it does to courses pages; the write of page `slowAt` takes 40 ms, that of `failAt` fails. */
function tracingWriter(events: string[], opts: { slowAt?: number; failAt?: number } = {}): StagingWriter {
  const real = copyWriter(t.pool);
  return {
    ...real,
    async preparePage(runId, page, live, memo) {
      if (page.collection === 'courses') events.push(`prepare ${page.offset}`);
      return real.preparePage(runId, page, live, memo);
    },
    async writePrepared(prepared) {
      const courses = prepared.page.collection === 'courses';
      const at = prepared.page.offset;
      if (courses) events.push(`write ${at} start`);
      if (courses && at === opts.slowAt) await sleep(40);
      if (courses && at === opts.failAt) {
        await sleep(20);
        events.push(`write ${at} failed`);
        throw new Error(`the write of page ${at} failed`);
      }
      await real.writePrepared(prepared);
      if (courses) events.push(`write ${at} end`);
    },
    async writePage(runId, page, live, memo) {
      await this.writePrepared(await this.preparePage(runId, page, live, memo));
    },
  };
}

async function stagedCourses(runId: string): Promise<string[]> {
  const rows = await t.db.selectFrom('staging_records').select('sourced_id').where('run_id', '=', runId).where('entity', '=', 'courses').orderBy('page_offset').orderBy('ordinal').execute();
  return rows.map((r) => r.sourced_id!);
}

test('the next page is prepared while the one before it is written; writes start only after the one before has committed', async () => {
  const runId = await run();
  const events: string[] = [];
  await fetchIntoStaging({ db: t.db, client: client(events), writer: tracingWriter(events, { slowAt: 0 }), runId });
  // Page 3 is prepared while page 0's (slow) write is still going on...
  expect(events.indexOf('prepare 3')).toBeLessThan(events.indexOf('write 0 end'));
  // ...but every write starts after the previous one ended, in page order.
  const writes = events.filter((e) => e.startsWith('write'));
  expect(writes).toEqual(['write 0 start', 'write 0 end', 'write 3 start', 'write 3 end', 'write 6 start', 'write 6 end', 'write 9 start', 'write 9 end']);
  expect(await stagedCourses(runId)).toEqual(Array.from({ length: COURSES }, (_, i) => `c-${i}`));
  expect(await bookmark(t.db, runId, 'courses')).toEqual({ complete: true, nextOffset: COURSES, pagesDone: 4, recordsDone: COURSES });
});

test('a failed write fails the fetch; no later page is written, and a retried fetch resumes at the failed page', async () => {
  const runId = await run();
  const events: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    await expect(fetchIntoStaging({ db: t.db, client: client(events), writer: tracingWriter(events, { failAt: 3 }), runId })).rejects.toThrow('the write of page 3 failed');
    await sleep(50);
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  // Page 6 may have been prepared meanwhile, but it was never written.
  expect(events.filter((e) => e.startsWith('write'))).toEqual(['write 0 start', 'write 0 end', 'write 3 start', 'write 3 failed']);
  expect(await stagedCourses(runId)).toEqual(['c-0', 'c-1', 'c-2']);
  expect(await bookmark(t.db, runId, 'courses')).toMatchObject({ complete: false, nextOffset: 3 });

  const retry = await fetchIntoStaging({ db: t.db, client: client([]), writer: copyWriter(t.pool), runId });
  expect(retry.resumedFrom).toEqual({ collection: 'courses', offset: 3 });
  expect(await stagedCourses(runId)).toEqual(Array.from({ length: COURSES }, (_, i) => `c-${i}`));
});

test('a fetch whose next page fails returns only once the write in flight has ended', async () => {
  const runId = await run();
  const events: string[] = [];
  const fetching = fetchIntoStaging({ db: t.db, client: client(events, 6), writer: tracingWriter(events, { slowAt: 3 }), runId }).catch((err: Error) => {
    events.push(`fetch failed: ${err.message}`);
  });
  await fetching;
  const failed = events.indexOf('fetch failed: GET courses at offset 6 failed');
  expect(failed).toBeGreaterThan(-1);
  // The page-6 GET failed while page 3 was still being written (slowly): the failure waited for it.
  expect(events.indexOf('fetch 6')).toBeLessThan(events.indexOf('write 3 end'));
  expect(events.indexOf('write 3 end')).toBeLessThan(failed);
  expect(await stagedCourses(runId)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
});
