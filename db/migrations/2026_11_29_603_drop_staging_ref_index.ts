// staging_records_ref (run_id, entity, sourced_id) served reference lookups probed record by
// record; validation now hashes each collection's ids once per statement (roster/validate.ts), plan
// and apply anti-join with hashes, and no query needs the index any more (bench/explain-validation.ts).
// Every staged record still paid for it: one more btree insert per row of every COPY.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists staging_records_ref`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists staging_records_ref on staging_records (run_id, entity, sourced_id)`.execute(db);
}
