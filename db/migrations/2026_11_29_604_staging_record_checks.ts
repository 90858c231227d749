// The record rules that need only the record itself are evaluated by the worker as it stages each
// page (roster/record-checks.ts): staging_records.faults holds the rules a record breaks with their
// messages (null: none), skip_reason is set at staging, and each page notes the rules it was
// checked against, so that validation refuses records checked under other rules (a worker upgraded
// mid-run) instead of trusting checks that were never made.
//
// staging_unchanged becomes one row per page (the page's ids by position, null where the record was
// staged in full) instead of one per record: an unchanged night of a size-l district COPYed 426,000
// rows into it, 2.4 s of Postgres per run. Its rows are dropped: a run staged before this migration
// has pages without rules_version, which validation refuses.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records add column if not exists faults jsonb`.execute(db);
  await sql`alter table staging_pages add column if not exists rules_version text`.execute(db);
  await sql`drop table if exists staging_unchanged`.execute(db);
  await sql`create unlogged table staging_unchanged (
    run_id text not null,
    entity text not null,
    page_offset integer not null,
    -- the page's sourcedIds by position (ordinal + 1); null where the record is in staging_records
    ids text[] not null,
    -- how many ids are not null
    records integer not null,
    primary key (run_id, entity, page_offset)
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records drop column if exists faults`.execute(db);
  await sql`alter table staging_pages drop column if exists rules_version`.execute(db);
  await sql`drop table if exists staging_unchanged`.execute(db);
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
