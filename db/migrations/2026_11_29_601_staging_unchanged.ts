// A full run of a district whose live roster is current stages, for a record identical to its live
// row (same content hash, active), only where it sits in the feed: its id and hash. An unchanged
// night then costs little more than downloading the feed. If anything did change, the run copies
// those rows' data from the live tables into staging_records (inside Postgres) and validates the
// whole feed as before; if nothing changed, there is nothing to validate or apply.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unlogged table staging_unchanged (
    run_id text not null,
    entity text not null,
    page_offset integer not null,
    ordinal integer not null,
    sourced_id text not null,
    content_hash text not null,
    primary key (run_id, entity, page_offset, ordinal)
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists staging_unchanged`.execute(db);
}
