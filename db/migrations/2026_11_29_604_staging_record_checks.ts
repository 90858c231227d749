// The record rules that need only the record itself are evaluated by the worker as it stages each
// page (roster/record-checks.ts): staging_records.faults holds the rules a record breaks with their
// messages (null: none), skip_reason is set at staging, and each page notes the rules it was
// checked against, so that validation refuses records checked under other rules (a worker upgraded
// mid-run) instead of trusting checks that were never made.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records add column if not exists faults jsonb`.execute(db);
  await sql`alter table staging_pages add column if not exists rules_version text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records drop column if exists faults`.execute(db);
  await sql`alter table staging_pages drop column if exists rules_version`.execute(db);
}
