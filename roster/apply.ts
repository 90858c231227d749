// Staging → live in one transaction: readers never see half a sync. Only rows whose content hash
// changed are written, so an unchanged night writes nothing; deletions are soft (deleted_at).
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { emptyCounts, LIVE_TABLE, type EntityCounts } from './entities.js';

export interface ApplyOptions {
  runId: string;
  districtId: string;
  /** A full feed: live records absent from it are soft-deleted. A delta feed deletes only tobedeleted ones. */
  fullFeed: boolean;
}

async function applyCollection(trx: Transaction<Database>, collection: Collection, o: ApplyOptions): Promise<EntityCounts> {
  const table = sql.table(LIVE_TABLE[collection]);
  const upserted = await sql<{ inserted: number; updated: number; deleted: number }>`
    with src as (
      select distinct on (s.sourced_id) s.sourced_id, s.data, md5(s.data::text) as h, s.data->>'status' as status,
             try_timestamptz(s.data->>'dateLastModified') as dlm
      from staging_records s
      where s.run_id = ${o.runId} and s.entity = ${collection} and s.quarantine_rule is null
      order by s.sourced_id, s.page_offset desc, s.ordinal desc
    ), up as (
      insert into ${table} as t (district_id, sourced_id, status, date_last_modified, data, content_hash, deleted_at)
      select ${o.districtId}, sourced_id, status, dlm, data, h, case when status = 'tobedeleted' then now() end from src
      on conflict (district_id, sourced_id) do update
        set status = excluded.status, date_last_modified = excluded.date_last_modified, data = excluded.data,
            content_hash = excluded.content_hash, last_seen_at = now(),
            deleted_at = case when excluded.status = 'tobedeleted' then coalesce(t.deleted_at, now()) else null end
        where t.content_hash is distinct from excluded.content_hash
      returning (xmax = 0) as inserted, t.deleted_at is not null as deleted
    )
    select count(*) filter (where inserted and not deleted)::int as inserted,
           count(*) filter (where not inserted and not deleted)::int as updated,
           count(*) filter (where deleted)::int as deleted
    from up`.execute(trx);
  const counts = emptyCounts();
  const row = upserted.rows[0];
  counts.inserted = row?.inserted ?? 0;
  counts.updated = row?.updated ?? 0;
  counts.deleted = row?.deleted ?? 0;
  if (o.fullFeed) {
    const missing = await sql<{ n: number }>`
      with gone as (
        update ${table} t set deleted_at = now()
        where t.district_id = ${o.districtId} and t.deleted_at is null
          and not exists (select 1 from staging_records s where s.run_id = ${o.runId} and s.entity = ${collection} and s.sourced_id = t.sourced_id)
        returning 1
      ) select count(*)::int as n from gone`.execute(trx);
    counts.deleted += missing.rows[0]?.n ?? 0;
  }
  const staged = await sql<{ fetched: number; quarantined: number }>`
    select count(*)::int as fetched, count(*) filter (where quarantine_rule is not null)::int as quarantined
    from staging_records where run_id = ${o.runId} and entity = ${collection}`.execute(trx);
  counts.fetched = staged.rows[0]?.fetched ?? 0;
  counts.quarantined = staged.rows[0]?.quarantined ?? 0;
  counts.unchanged = Math.max(0, counts.fetched - counts.quarantined - counts.inserted - counts.updated - counts.deleted);
  return counts;
}

export async function applyStaging(trx: Transaction<Database>, o: ApplyOptions): Promise<Record<Collection, EntityCounts>> {
  const out = {} as Record<Collection, EntityCounts>;
  for (const c of COLLECTIONS) out[c] = await applyCollection(trx, c, o);
  return out;
}
