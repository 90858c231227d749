// dropFinishedStaging (roster/staging.ts) on a real Postgres: the staging tables are truncated only
// when no other run has staging and nobody is using them; otherwise only the run's rows go.
import { sql } from 'kysely';
import { COLLECTIONS } from '../../oneroster/types.js';
import { copyWriter, dropFinishedStaging, stagedCounts } from '../../roster/staging.js';
import { createGenerator } from '../../sandbox/generator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ensureDistrict, finishRun, newRun, stage } from './roster-support.js';

let t: TestDatabase;
const gen = createGenerator({ seed: 1, size: 'xs', schoolYear: 2027 });
const total = COLLECTIONS.reduce((n, c) => n + gen.count(c), 0);

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDistrict(t.db, 'a');
  await ensureDistrict(t.db, 'b');
});

afterAll(async () => {
  await t?.destroy();
});

async function stagedRun(districtId: string): Promise<string> {
  const runId = await newRun(t.db, districtId);
  await stage(t.db, copyWriter(t.pool), runId, gen);
  return runId;
}

const rows = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)).rows[0]!.n);

test('the only run with staging: the tables are truncated', async () => {
  const runId = await stagedRun('a');
  expect(await rows('staging_records')).toBe(total);
  expect(await dropFinishedStaging(t.db, runId)).toBe('truncated');
  for (const table of ['staging_records', 'staging_unchanged', 'staging_pages']) expect(await rows(table)).toBe(0);
  await finishRun(t.db, runId);
});

test("another run's staging stays: only the finished run's rows are deleted", async () => {
  const other = await stagedRun('b');
  const runId = await stagedRun('a');
  expect(await dropFinishedStaging(t.db, runId)).toBe('deleted');
  expect(await stagedCounts(t.db, runId)).toEqual({});
  expect(Object.values(await stagedCounts(t.db, other)).reduce((a, b) => a + b, 0)).toBe(total);
  expect(await rows('staging_records')).toBe(total);
  await finishRun(t.db, runId);
  expect(await dropFinishedStaging(t.db, other)).toBe('truncated');
  await finishRun(t.db, other);
});

test('while another session reads staging the rows are deleted at once, without waiting for it', async () => {
  const runId = await stagedRun('a');
  const reader = await t.pool.connect();
  try {
    await reader.query('begin');
    await reader.query('select count(*) from staging_pages');
    const started = Date.now();
    expect(await dropFinishedStaging(t.db, runId)).toBe('deleted');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await stagedCounts(t.db, runId)).toEqual({});
  } finally {
    await reader.query('rollback');
    reader.release();
  }
  await finishRun(t.db, runId);
});
