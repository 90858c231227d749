// Set-based batch work over staging and live tables (validation, warnings, plan, apply) runs in a
// transaction tuned for it. Staging has no statistics on jsonb expressions, so the planner guesses
// a handful of rows and picks nested loops: an anti-join of 50,000 students against 400,000
// enrollments then takes hours instead of a second. Hash joins with enough memory are always sane here.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

export async function inBatch<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_nestloop = off`.execute(trx);
    await sql`set local work_mem = '64MB'`.execute(trx);
    return fn(trx);
  });
}

/** Fresh row counts for the planner once a run's pages are in (cheap: a sample, not a scan). */
export async function analyzeStaging(db: Kysely<Database>): Promise<void> {
  await sql`analyze staging_records`.execute(db);
}
