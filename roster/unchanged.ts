// Unchanged records of a full feed. A full run of a district whose live roster is current checks,
// page by page as it fetches, each record's content hash against its active live row; identical
// records are staged in staging_unchanged (their ids, one row per page) instead of staging_records (full JSON).
// Validation then either finds that nothing changed (no record to validate, none to apply, none
// missing: the run is done once warnings and guards are re-read from the live roster), or copies the
// unchanged records' data from the live tables into staging_records and validates the whole feed as
// a run without this shortcut would.
import { sql, type Kysely } from 'kysely';
import type { Database, SyncRun } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { emptyCounts, LIVE_TABLE, perCollection, zeroPerCollection, type EntityCounts } from './entities.js';
import { PLAN_KINDS, type EntityPlan, type Plan } from './plan.js';
import { RULES_VERSION } from './rules.js';
import { skippedCounts } from './staging.js';
import { stagedRefsSql } from './validate.js';

type ByCollection = Record<Collection, number>;

/** The run that applied the district's live roster as it stands: its rules, and the warnings it found on which day. */
async function lastAppliedRun(db: Kysely<Database>, districtId: string) {
  return db
    .selectFrom('sync_runs')
    .select([
      'id',
      sql<string | null>`summary->>'rulesVersion'`.as('rules'),
      sql<Record<string, number> | null>`summary->'warnings'`.as('warnings'),
      sql<string | null>`summary->>'today'`.as('today'),
    ])
    .where('district_id', '=', districtId)
    .where('dry_run', '=', false)
    .where('status', '=', 'succeeded')
    .where(sql<boolean>`(summary->>'applied')::boolean is true`)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Whether this run may stage unchanged records apart, and why (kept in the run's summary). */
export async function unchangedShortcut(db: Kysely<Database>, run: Pick<SyncRun, 'district_id' | 'mode' | 'dry_run'>): Promise<{ use: boolean; why: string }> {
  if (run.dry_run) return { use: false, why: 'a review shows the whole feed' };
  if (run.mode !== 'full') return { use: false, why: 'a delta feed holds only changed records already' };
  const last = await lastAppliedRun(db, run.district_id);
  if (!last) return { use: false, why: 'no applied run yet' };
  if (last.rules !== RULES_VERSION) return { use: false, why: `the record rules changed since run ${last.id}: every record is validated again` };
  return { use: true, why: `records identical to the live roster (applied by run ${last.id}) are staged by id and hash` };
}

/**
 * Content hashes of the live rows among `ids` that an identical record leaves as they are: active
 * rows, and rows ClassLink itself marked tobedeleted (deleted here already). A row deleted because
 * it went missing is left out: the same record coming back revives it.
 */
export async function liveHashes(db: Kysely<Database>, districtId: string, collection: Collection, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom(LIVE_TABLE[collection])
    .select(['sourced_id', 'content_hash'])
    .where('district_id', '=', districtId)
    .where('sourced_id', '=', sql<string>`any(${sql.val([...ids])}::text[])`)
    .where((eb) => eb.or([eb.and([eb('deleted_at', 'is', null), eb('status', '<>', 'tobedeleted')]), eb.and([eb('deleted_at', 'is not', null), eb('status', '=', 'tobedeleted')])]))
    .execute();
  return new Map(rows.map((r) => [r.sourced_id, r.content_hash]));
}

export async function unchangedCounts(db: Kysely<Database>, runId: string): Promise<ByCollection> {
  const rows = await db
    .selectFrom('staging_unchanged')
    .select(['entity', (eb) => eb.fn.sum<number>('records').as('n')])
    .where('run_id', '=', runId)
    .groupBy('entity')
    .execute();
  return perCollection(rows);
}

/**
 * Nothing changed: every staged record of the run is unchanged or skipped (skip_reason is set as pages are staged),
 * no id is staged twice, and every active live record is in the feed. Returns the active live
 * records per collection then (they all stay), else null.
 */
export async function nothingChanged(db: Kysely<Database>, runId: string, districtId: string, unchanged: ByCollection): Promise<ByCollection | null> {
  const applicable = await sql<{ n: number }>`
    select count(*)::int as n from staging_records where run_id = ${runId} and skip_reason is null`.execute(db);
  if ((applicable.rows[0]?.n ?? 0) > 0) return null;
  const liveActive = zeroPerCollection();
  for (const c of COLLECTIONS) {
    const r = await sql<{ active: number; missing: number; ids: number }>`
      with u as materialized (${unchangedIdsOf(runId, c)})
      select (select count(*)::int from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId} and deleted_at is null) as active,
             (select count(*)::int from ${sql.table(LIVE_TABLE[c])} l where l.district_id = ${districtId} and l.deleted_at is null
                and not exists (select 1 from u where u.sourced_id = l.sourced_id)) as missing,
             (select count(distinct sourced_id)::int from u) as ids`.execute(db);
    const { active = 0, missing = 0, ids = 0 } = r.rows[0] ?? {};
    if (ids !== unchanged[c] || missing > 0) return null;
    liveActive[c] = active;
  }
  return liveActive;
}

export class UnchangedCopyError extends Error {
  override name = 'UnchangedCopyError';
}

/**
 * Something changed: the unchanged records join the others in staging_records with their live data
 * (copied inside Postgres, nothing re-sent), so validation, plan and apply see the whole feed.
 */
export async function stageUnchangedFully(db: Kysely<Database>, runId: string, districtId: string): Promise<number> {
  let copied = 0;
  for (const c of COLLECTIONS) {
    const r = await sql<{ n: number }>`
      with moved as (
        insert into staging_records (run_id, entity, page_offset, ordinal, sourced_id, data, content_hash, refs)
        select ${runId}, ${c}, u.page_offset, u.ordinal, u.sourced_id, l.data, l.content_hash, ${sql.raw(stagedRefsSql(c, 'l.data'))}
        from (${unchangedIdsOf(runId, c)}) u
        join ${sql.table(LIVE_TABLE[c])} l on l.district_id = ${districtId} and l.sourced_id = u.sourced_id
        returning 1
      ) select count(*)::int as n from moved`.execute(db);
    copied += r.rows[0]?.n ?? 0;
  }
  const expected = Object.values(await unchangedCounts(db, runId)).reduce((a, b) => a + Number(b), 0);
  await db.deleteFrom('staging_unchanged').where('run_id', '=', runId).execute();
  if (expected !== copied) {
    // Only this run writes the district's live rows, so they cannot have vanished since the fetch.
    throw new UnchangedCopyError(`run ${runId}: ${expected} unchanged records but ${copied} live rows to copy them from; nothing was applied; report this bug`);
  }
  return copied;
}

/** The unchanged records of a collection staged by a run: (page_offset, ordinal, sourced_id). */
function unchangedIdsOf(runId: string, collection: Collection) {
  return sql`
    select s.page_offset, (x.position - 1)::int as ordinal, x.sourced_id
    from staging_unchanged s cross join lateral unnest(s.ids) with ordinality as x(sourced_id, position)
    where s.run_id = ${runId} and s.entity = ${collection} and x.sourced_id is not null`;
}

/** The plan of a run in which nothing changed: every active live record stays as it is. */
export function unchangedPlan(unchanged: ByCollection, liveActive: ByCollection): Plan {
  const plan = {} as Plan;
  for (const c of COLLECTIONS) {
    const kinds = Object.fromEntries(PLAN_KINDS.map((k) => [k, 0])) as EntityPlan['kinds'];
    kinds.unchanged = unchanged[c];
    plan[c] = { kinds, samples: {}, liveActive: liveActive[c] };
  }
  return plan;
}

/** The counts an apply of such a run records (it writes nothing). */
export async function unchangedRunCounts(db: Kysely<Database>, runId: string): Promise<Record<Collection, EntityCounts>> {
  const [unchanged, skipped] = await Promise.all([unchangedCounts(db, runId), skippedCounts(db, runId)]);
  return Object.fromEntries(
    COLLECTIONS.map((c) => [c, { ...emptyCounts(), fetched: unchanged[c] + skipped[c], unchanged: unchanged[c], skipped: skipped[c] }]),
  ) as Record<Collection, EntityCounts>;
}

/**
 * The warnings of a run in which nothing changed, when the run that applied today's live roster
 * found them on the same day with the same rules: the same roster on the same date has the same
 * warnings, so they are copied instead of searched for again over the whole roster. Null otherwise.
 */
export async function reuseWarnings(db: Kysely<Database>, runId: string, districtId: string, today: string): Promise<{ from: string; counts: Record<string, number> } | null> {
  const last = await lastAppliedRun(db, districtId);
  if (!last?.warnings || last.today !== today || last.rules !== RULES_VERSION) return null;
  await sql`
    insert into run_issues (run_id, district_id, entity, sourced_id, rule, severity, message)
    select ${runId}, district_id, entity, sourced_id, rule, severity, message from run_issues
    where run_id = ${last.id} and severity = 'warning'`.execute(db);
  return { from: last.id, counts: last.warnings };
}
