// Planner statistics after an apply: a live table a run rewrote in large part (a first sync) is
// analyzed at once, a nightly delta's percent of changes is left to autovacuum.
import { sql } from 'kysely';
import { analyzeRewrittenTables } from '../../roster/batch.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ensureDistrict, newRun } from './roster-support.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDistrict(t.db, 'd');
});

afterAll(async () => {
  await t?.destroy();
});

const reltuples = async () => Number((await sql<{ n: number }>`select reltuples::float8 as n from pg_class where oid = 'courses'::regclass`.execute(t.db)).rows[0]!.n);

async function runWith(counts: object): Promise<string> {
  const runId = await newRun(t.db, 'd');
  // Finished at once: only one run of a district may be running.
  await t.db.updateTable('sync_runs').set({ counts: JSON.stringify(counts), status: 'succeeded' }).where('id', '=', runId).execute();
  return runId;
}

test('a first load is analyzed at once; a small change is not', async () => {
  await sql`insert into courses (district_id, sourced_id, status, data, content_hash)
            select 'd', 'c-' || i, 'active', '{}'::jsonb, 'h' from generate_series(1, 500) i`.execute(t.db);
  expect(await reltuples()).toBeLessThan(1);
  expect(await analyzeRewrittenTables(t.db, await runWith({ courses: { fetched: 500, inserted: 500 } }))).toEqual(['courses']);
  expect(await reltuples()).toBe(500);

  await sql`update courses set content_hash = 'h2' where sourced_id in ('c-1', 'c-2')`.execute(t.db);
  expect(await analyzeRewrittenTables(t.db, await runWith({ courses: { fetched: 2, updated: 2 } }))).toEqual([]);
  expect(await analyzeRewrittenTables(t.db, await runWith({ courses: { fetched: 500, unchanged: 500 } }))).toEqual([]);
});
