// Staging → live in one transaction: readers never see half a sync. Only rows whose content hash
// or deletion state changed are written, so an unchanged night writes nothing; deletions are soft
// (deleted_at), and a record that comes back is revived. The counts come from the plan computed in
// the same transaction, and the rows actually written must match it.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { emptyCounts, LIVE_TABLE, type EntityCounts } from './entities.js';
import { planCollection, type EntityPlan } from './plan.js';

export interface ApplyOptions {
  runId: string;
  districtId: string;
  /** A full feed: live records absent from it are soft-deleted. A delta feed deletes only tobedeleted ones. */
  fullFeed: boolean;
  /**
   * The plan validation computed (PlanKinds per collection): apply writes what it says, checked row
   * for row. Nothing else can write the district's live rows in between (one active run per
   * district, held ones included), so it need not be computed again. Absent: computed here.
   */
  planned?: Partial<Record<Collection, EntityPlan['kinds']>>;
}

export class ApplyMismatchError extends Error {
  override name = 'ApplyMismatchError';
}

async function applyCollection(trx: Transaction<Database>, collection: Collection, o: ApplyOptions): Promise<EntityCounts> {
  const kinds = o.planned?.[collection];
  const plan: EntityPlan = kinds ? { kinds, samples: {}, liveActive: 0 } : await planCollection(trx, collection, o);
  const table = sql.table(LIVE_TABLE[collection]);
  const written = allNew(plan.kinds) ? await insertAllNew(trx, collection, o) : await upsertChanged(trx, collection, o);
  let missing = 0;
  // A full feed soft-deletes live records it no longer holds. When validation's plan found none (a
  // first load, most nights), the anti-join of every live row against staging is skipped: nothing
  // else writes the district's live rows between plan and apply (see ApplyOptions.planned).
  if (o.fullFeed && !(kinds && kinds.missing === 0)) {
    const gone = await sql<{ n: number }>`
      with gone as (
        update ${table} t set deleted_at = now()
        where t.district_id = ${o.districtId} and t.deleted_at is null
          and not exists (select 1 from staging_records s where s.run_id = ${o.runId} and s.entity = ${collection} and s.sourced_id = t.sourced_id and s.skip_reason is null)
        returning 1
      ) select count(*)::int as n from gone`.execute(trx);
    missing = gone.rows[0]?.n ?? 0;
  }
  const k = plan.kinds;
  const expectedUpserts = k.insert + k.arrivesDeleted + k.update + k.revive + k.remove + k.updateDeleted;
  if (written !== expectedUpserts || missing !== k.missing) {
    throw new ApplyMismatchError(
      `apply of ${collection} wrote ${written} rows and removed ${missing} missing ones where the plan said ${expectedUpserts} and ${k.missing}: nothing was committed; report this bug`,
    );
  }
  return countsFromPlan(plan, await stagedTotals(trx, o.runId, collection));
}

/** The live tables' columns apply writes, in the order applicableRows selects them. */
const LIVE_COLUMNS = sql.raw('district_id, sourced_id, status, date_last_modified, data, content_hash, deleted_at');

/** The staged rows apply writes, as live rows (LIVE_COLUMNS), their columns derived from their JSON. */
function applicableRows(collection: Collection, o: ApplyOptions) {
  return sql`
    select ${o.districtId}::text as district_id, s.sourced_id, s.data->>'status' as status,
           case when pg_input_is_valid(s.data->>'dateLastModified', 'timestamptz') then (s.data->>'dateLastModified')::timestamptz end as date_last_modified,
           s.data, coalesce(s.content_hash, md5(s.data::text)) as content_hash,
           case when s.data->>'status' = 'tobedeleted' then now() end as deleted_at
    from staging_records s
    where s.run_id = ${o.runId} and s.entity = ${collection} and s.quarantine_rule is null and s.skip_reason is null`;
}

/** The plan found no live row for any applicable record: a district's first load, most often. */
function allNew(k: EntityPlan['kinds']): boolean {
  return k.update + k.revive + k.remove + k.updateDeleted + k.unchanged === 0;
}

/**
 * Every applicable record is new, so each is inserted without looking for its live row: a plain
 * insert skips the per-row conflict probe and confirmation an upsert pays (a first load's 360,000
 * enrollments: 2.9 s against 3.8–4.3 s, `npx tsx bench/apply-indexes.ts --size l --rounds 2`).
 * Nothing else writes the district's live rows between plan and apply (see ApplyOptions.planned);
 * should a row exist all the same, the insert fails and nothing is committed.
 */
async function insertAllNew(trx: Transaction<Database>, collection: Collection, o: ApplyOptions): Promise<number> {
  const table = sql.table(LIVE_TABLE[collection]);
  try {
    const r = await sql`insert into ${table} (${LIVE_COLUMNS}) select ${LIVE_COLUMNS} from (${applicableRows(collection, o)}) src`.execute(trx);
    return Number(r.numAffectedRows ?? 0);
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new ApplyMismatchError(`apply of ${collection} met a row already there (a live row the plan said was absent, or a sourcedId staged twice): nothing was committed; report this bug`);
    }
    throw err;
  }
}

/** Writes the applicable records whose live row is absent or differs; unchanged rows are not touched. */
async function upsertChanged(trx: Transaction<Database>, collection: Collection, o: ApplyOptions): Promise<number> {
  const table = sql.table(LIVE_TABLE[collection]);
  const upserted = await sql<{ n: number }>`
    with src as (${applicableRows(collection, o)}), todo as (
      -- Unchanged rows are filtered out before the upsert: not even a row lock touches them.
      select src.* from src left join ${table} l on l.district_id = ${o.districtId} and l.sourced_id = src.sourced_id
      where l.sourced_id is null or l.content_hash <> src.content_hash or (l.deleted_at is not null) <> (src.status = 'tobedeleted')
    ), up as (
      insert into ${table} as t (${LIVE_COLUMNS})
      select ${LIVE_COLUMNS} from todo
      on conflict (district_id, sourced_id) do update
        set status = excluded.status, date_last_modified = excluded.date_last_modified, data = excluded.data,
            content_hash = excluded.content_hash, last_seen_at = now(),
            deleted_at = case when excluded.status = 'tobedeleted' then coalesce(t.deleted_at, now()) else null end
        where t.content_hash <> excluded.content_hash
           or (t.deleted_at is not null) <> (excluded.status = 'tobedeleted')
      returning 1
    ) select count(*)::int as n from up`.execute(trx);
  return upserted.rows[0]?.n ?? 0;
}

async function stagedTotals(trx: Transaction<Database>, runId: string, collection: Collection) {
  const r = await sql<{ fetched: number; quarantined: number; skipped: number }>`
    select count(*)::int as fetched,
           count(*) filter (where quarantine_rule is not null)::int as quarantined,
           count(*) filter (where skip_reason is not null)::int as skipped
    from staging_records where run_id = ${runId} and entity = ${collection}`.execute(trx);
  return r.rows[0] ?? { fetched: 0, quarantined: 0, skipped: 0 };
}

export function countsFromPlan(plan: EntityPlan, staged: { fetched: number; quarantined: number; skipped: number }): EntityCounts {
  const k = plan.kinds;
  return {
    ...emptyCounts(),
    fetched: staged.fetched,
    inserted: k.insert,
    updated: k.update + k.revive + k.updateDeleted,
    unchanged: k.unchanged,
    deleted: k.remove + k.missing + k.arrivesDeleted,
    quarantined: staged.quarantined,
    skipped: staged.skipped,
    revived: k.revive,
  };
}

export async function applyStaging(trx: Transaction<Database>, o: ApplyOptions): Promise<Record<Collection, EntityCounts>> {
  // Records staged by id only (roster/unchanged.ts) are absent from staging_records: a full apply
  // would take them for missing and remove them. Validation copies them in first, or never applies.
  const elided = await trx.selectFrom('staging_unchanged').select('page_offset').where('run_id', '=', o.runId).limit(1).executeTakeFirst();
  if (elided) throw new ApplyMismatchError(`run ${o.runId} still has records staged by id only: nothing was committed; report this bug`);
  const out = {} as Record<Collection, EntityCounts>;
  for (const c of COLLECTIONS) out[c] = await applyCollection(trx, c, o);
  return out;
}
