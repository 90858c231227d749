// Page memos (roster/page-memo.ts): what a page body, by its digest, held when it was last parsed:
// its records' ids and content hashes (each joined by line breaks), in order. A full run whose
// district's live roster is current recognises a page it has seen before by its digest alone: no
// parsing, no hashing of its records. A cache: unlogged (a crash loses only speed), pruned to the
// pages of the district's latest full fetch.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unlogged table if not exists page_memos (
    district_id text not null,
    entity text not null,
    digest text not null,
    -- One text each, not arrays: nothing to quote or escape per element on the way in.
    ids text not null,
    hashes text not null,
    records int not null,
    created_at timestamptz not null default now(),
    primary key (district_id, entity, digest)
  )`.execute(db);
  await sql`alter table page_memos alter column ids set statistics 0, alter column hashes set statistics 0`.execute(db);
  await sql`alter table staging_pages add column if not exists digest text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_pages drop column if exists digest`.execute(db);
  await sql`drop table if exists page_memos`.execute(db);
}
