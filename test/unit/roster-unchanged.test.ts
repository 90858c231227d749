// Unchanged records of a full feed (roster/unchanged.ts), through the sync activities on a real
// Postgres without Temporal: an unchanged second run stages ids and hashes only, validates and
// writes nothing; a run in which something changed ends exactly as a run without the shortcut.
import { sql } from 'kysely';
import { createActivities } from '../../activities/index.js';
import { applyStaging } from '../../roster/apply.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { COLLECTIONS, type Collection, type OneRosterClient, type Page } from '../../oneroster/types.js';
import { createGenerator } from '../../sandbox/generator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ensureDistrict, type Tweak } from './roster-support.js';

let t: TestDatabase;
const gen = createGenerator({ seed: 3, size: 'xs', schoolYear: 2027 });
const PAGE = 400;
let tweak: Tweak | undefined;

/** A OneRoster client serving the generated district (through `tweak`), PAGE records a page. */
const client: OneRosterClient = {
  async getPage() {
    throw new Error('not used');
  },
  async *pages(collection: Collection, options?: { startOffset?: number }) {
    let records = [...gen.records(collection)] as unknown as Record<string, unknown>[];
    if (tweak) records = tweak(collection, records);
    for (let offset = options?.startOffset ?? 0; offset === 0 || offset < records.length; offset += PAGE) {
      yield { collection, offset, limit: PAGE, totalCount: records.length, records: records.slice(offset, offset + PAGE) } as Page;
    }
  },
  async testConnection() {
    throw new Error('not used');
  },
};

let acts: ReturnType<typeof createActivities>;
let now = new Date('2027-01-12T15:00:00Z');
let seq = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  acts = createActivities({ db: t.db, pool: t.pool, oneroster: () => client, clock: () => now });
  for (const d of ['with-shortcut', 'without-shortcut']) await ensureDistrict(t.db, d);
});

afterAll(async () => {
  await t?.destroy();
});

async function run(districtId: string, after?: { fetched?: (runId: string) => Promise<void> }) {
  const runId = `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  await acts.beginRun({ districtId, runId, kind: 'manual', dryRun: false, workflowId: `wf-${runId}`, temporalRunId: `r-${runId}` });
  await acts.fetchRoster({ districtId, runId });
  await after?.fetched?.(runId);
  const verdict = await acts.validateRun({ districtId, runId });
  expect(verdict.held).toBe(false);
  await acts.applyRun({ districtId, runId });
  const row = await t.db.selectFrom('sync_runs').select(['counts', 'summary']).where('id', '=', runId).executeTakeFirstOrThrow();
  await acts.finishRun({ districtId, runId });
  return { runId, counts: row.counts as Record<Collection, Record<string, number>>, summary: row.summary as Record<string, any> };
}

async function live(districtId: string) {
  const out: Record<string, string> = {};
  for (const c of COLLECTIONS) {
    const r = await sql<{ id: string; h: string; d: boolean; x: string }>`
      select sourced_id as id, content_hash as h, deleted_at is not null as d, ctid::text as x from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(t.db);
    for (const row of r.rows) out[`${c}/${row.id}`] = `${row.h}:${row.d ? 'deleted' : 'active'}:${row.x}`;
  }
  return out;
}

const withoutVersion = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.replace(/:[^:]*$/, '')]));

async function issues(runId: string) {
  const rows = await t.db.selectFrom('run_issues').select(['entity', 'sourced_id', 'rule', 'severity']).where('run_id', '=', runId).execute();
  return rows.map((r) => `${r.severity} ${r.rule} ${r.entity}/${r.sourced_id}`).sort();
}

test('an unchanged full run stages ids and hashes only, and writes nothing', async () => {
  tweak = undefined;
  const first = await run('with-shortcut');
  expect(first.summary.unchangedShortcut).toEqual({ use: false, why: 'no applied run yet' });
  const before = await live('with-shortcut');
  const records = COLLECTIONS.reduce((n, c) => n + [...gen.records(c)].length, 0);

  let stagedById = 0;
  let stagedFully = 0;
  const second = await run('with-shortcut', {
    fetched: async (runId) => {
      stagedById = Number((await sql<{ n: string }>`select coalesce(sum(records), 0) as n from staging_unchanged where run_id = ${runId}`.execute(t.db)).rows[0]!.n);
      stagedFully = Number((await sql<{ n: string }>`select count(*) as n from staging_records where run_id = ${runId}`.execute(t.db)).rows[0]!.n);
      // A full apply now would take every record staged by id for missing: it refuses.
      await expect(t.db.transaction().execute((trx) => applyStaging(trx, { runId, districtId: 'with-shortcut', fullFeed: true }))).rejects.toThrow('staged by id only');
    },
  });
  expect(second.summary.unchangedShortcut.use).toBe(true);
  expect(second.summary.nothingChanged).toBe(true);
  // Only the records never applied (guardians, skipped) are staged with their JSON.
  const skipped = COLLECTIONS.reduce((n, c) => n + (first.counts[c]!.skipped ?? 0), 0);
  expect(skipped).toBeGreaterThan(0);
  expect(stagedFully).toBe(skipped);
  expect(stagedById + stagedFully).toBe(records);
  expect(await live('with-shortcut')).toEqual(before);
  for (const c of COLLECTIONS) {
    const f = first.counts[c]!;
    // Records ClassLink marks tobedeleted are unchanged too: still deleted, nothing to write.
    expect(second.counts[c]).toMatchObject({ fetched: f.fetched, unchanged: f.fetched! - f.skipped! - f.quarantined!, inserted: 0, updated: 0, deleted: 0, skipped: f.skipped });
  }
  // Same roster, same day: the first run's warnings, copied.
  const warnings = async (id: string) => (await issues(id)).filter((i) => i.startsWith('warning'));
  expect(second.summary.warningsCopiedFrom).toBe(first.runId);
  expect((await warnings(first.runId)).length).toBeGreaterThan(0);
  expect(await warnings(second.runId)).toEqual(await warnings(first.runId));
  // A day later they are searched for again over the live roster (some depend on the date).
  now = new Date('2027-01-13T15:00:00Z');
  const third = await run('with-shortcut');
  expect(third.summary.nothingChanged).toBe(true);
  expect(third.summary.warningsCopiedFrom).toBeUndefined();
  expect(await warnings(third.runId)).toEqual(await warnings(first.runId));
  expect(await t.db.selectFrom('staging_unchanged').select('run_id').execute()).toEqual([]);
});

test('a full run in which something changed ends exactly as one without the shortcut', async () => {
  tweak = undefined;
  await run('without-shortcut');
  // Any applied run with other record rules turns the shortcut off for the next run.
  await sql`update sync_runs set summary = summary || '{"rulesVersion": "older rules"}' where district_id = 'without-shortcut'`.execute(t.db);

  const classes = [...gen.records('classes')] as unknown as Array<{ sourcedId: string }>;
  const users = [...gen.records('users')] as unknown as Array<{ sourcedId: string; role: string }>;
  const renamed = classes[0]!.sourcedId;
  const dropped = users.find((u) => u.role === 'student')!.sourcedId;
  const broken = classes[1]!.sourcedId;
  tweak = (collection, records) => {
    if (collection === 'classes') return records.map((r) => (r.sourcedId === renamed ? { ...r, title: 'Renamed' } : r.sourcedId === broken ? { ...r, course: { sourcedId: 'no-such-course', type: 'course' } } : r));
    if (collection === 'users') return records.filter((r) => r.sourcedId !== dropped);
    return records;
  };
  const a = await run('with-shortcut');
  const b = await run('without-shortcut');
  expect(a.summary.unchangedShortcut.use).toBe(true);
  expect(a.summary.nothingChanged).toBeUndefined();
  expect(b.summary.unchangedShortcut.use).toBe(false);

  expect(withoutVersion(await live('with-shortcut'))).toEqual(withoutVersion(await live('without-shortcut')));
  expect(a.counts).toEqual(b.counts);
  expect(a.counts.classes).toMatchObject({ updated: 1, quarantined: expect.any(Number) });
  expect(a.counts.classes!.quarantined).toBeGreaterThanOrEqual(1);
  expect(a.counts.users).toMatchObject({ deleted: 1 });
  const strip = (xs: string[]) => xs;
  expect(strip(await issues(a.runId))).toEqual(strip(await issues(b.runId)));
  expect(await issues(a.runId)).toEqual(expect.arrayContaining([expect.stringContaining(`classes/${broken}`)]));
});
