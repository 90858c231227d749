// Schedule lookups (roster/schedules.ts) on a real Postgres: a person's classes and a class's members
// are found through the enrollment lookup indexes, and stay the district's own when another
// district holds the very same sourcedIds (the hash indexes hold the id alone).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { applyStaging } from '../../roster/apply.js';
import { classSummaries, personClasses } from '../../roster/schedules.js';
import { copyWriter } from '../../roster/staging.js';
import { resetValidation, validateStaging } from '../../roster/validate.js';
import { createGenerator } from '../../sandbox/generator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/system.js';
import { ensureDistrict, finishRun, newRun, stage } from './roster-support.js';

let t: TestDatabase;
const gen = createGenerator({ seed: 1, size: 'xs', schoolYear: 2027 });
const DATE = '2026-10-15';
const teacher = [...gen.records('users')].find((u) => u.role === 'teacher')!;

async function load(districtId: string) {
  await ensureDistrict(t.db, districtId);
  const runId = await newRun(t.db, districtId);
  await stage(t.db, copyWriter(t.pool), runId, gen);
  await resetValidation(t.db, runId);
  await validateStaging(t.db, { runId, districtId, delta: false });
  await t.db.transaction().execute((trx) => applyStaging(trx, { runId, districtId, fullFeed: true }));
  await finishRun(t.db, runId);
}

beforeAll(async () => {
  t = await createTestDatabase();
  await load('first');
});

afterAll(async () => {
  await t?.destroy();
});

async function indexScans(db: Kysely<Database>): Promise<Record<string, number>> {
  const r = await sql<{ name: string; n: string }>`
    select indexrelname as name, idx_scan::text as n from pg_stat_user_indexes where indexrelname in ('enrollments_by_user', 'enrollments_by_class')`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.name, Number(x.n)]));
}

test("another district with the same sourcedIds does not leak into a person's classes or a class's members", async () => {
  const before = await personClasses(t.db, 'first', teacher.sourcedId, DATE);
  expect(before.length).toBeGreaterThan(0);
  const members = await classSummaries(t.db, 'first', before.map((c) => c.sourcedId));
  await load('second');
  // The second district's copy of the teacher is renamed: a leak would show the new name.
  await sql`update users set data = jsonb_set(data, '{familyName}', '"Elsewhere"') where district_id = 'second' and sourced_id = ${teacher.sourcedId}`.execute(t.db);
  expect(await personClasses(t.db, 'first', teacher.sourcedId, DATE)).toEqual(before);
  expect(await classSummaries(t.db, 'first', before.map((c) => c.sourcedId))).toEqual(members);
  const seconds = await classSummaries(t.db, 'second', before.map((c) => c.sourcedId));
  expect(JSON.stringify(seconds)).toContain('Elsewhere');
  expect(JSON.stringify(members)).not.toContain('Elsewhere');
});

test('both lookups use their index', async () => {
  const before = await indexScans(t.db);
  await t.db.connection().execute(async (conn) => {
    // Without sequential scans on the table the planner must use an index matching each lookup's
    // expression; if none matches, the scans below stay on the primary key and the counts do not move.
    await sql`set enable_seqscan = off`.execute(conn);
    const classes = await personClasses(conn, 'first', teacher.sourcedId, DATE);
    await classSummaries(conn, 'first', classes.map((c) => c.sourcedId));
    await sql`reset enable_seqscan`.execute(conn);
    await sql`select pg_stat_force_next_flush()`.execute(conn);
    await sql`select 1`.execute(conn);
  });
  await waitFor(
    'index scans counted for both lookup indexes',
    async () => {
      await sql`select pg_stat_clear_snapshot()`.execute(t.db);
      const now = await indexScans(t.db);
      return now.enrollments_by_user! > before.enrollments_by_user! && now.enrollments_by_class! > before.enrollments_by_class!;
    },
    10_000,
  );
});
