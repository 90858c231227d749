// The worker hashes each record's JSON once as it stages it; plan and apply compare that hash with
// the live row's instead of computing md5(data::text) over every staged record two or three times
// per run (the costliest expressions of a size-l sync after the staging writes themselves).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Nullable: rows staged before this migration (a held run across an upgrade) fall back to md5(data::text).
  await sql`alter table staging_records add column content_hash text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staging_records drop column if exists content_hash`.execute(db);
}
