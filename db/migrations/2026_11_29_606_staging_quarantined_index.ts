// Validation's reset (a retry starts over) clears the quarantine marks of a run, and cascades ask
// whether anything of a collection is quarantined: without an index both read every staged record of
// the run (0.2 s each at size l), though most nights quarantine nothing. A partial index holds only
// the quarantined records, so clean records cost it nothing.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists staging_records_quarantined on staging_records (run_id, entity) where quarantine_rule is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists staging_records_quarantined`.execute(db);
}
