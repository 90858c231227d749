// staging_records.refs: the ids a record's single references point at (an enrollment's class, user
// and school, ...), extracted by the worker as it stages the page (roster/record-checks.ts,
// stagedRefs). Validation's scan reads them instead of taking every record's JSON apart. Pages
// staged before this column are refused by validation (their checks version differs).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records add column if not exists refs text[]`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records drop column if exists refs`.execute(db);
}
