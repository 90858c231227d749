// ANALYZE samples 30,000 rows of a table and builds statistics for every column, the whole-record
// jsonb `data` included: comparing and sorting sampled jsonb values made the analyze of users and
// enrollments after a size-l first load (roster/batch.ts analyzeRewrittenTables) and of staging take
// about 0.4 s each. No query filters or joins on `data` itself (expressions over it have default
// selectivity, and the lookup indexes keep statistics of their own), so those statistics are unused.
import { sql, type Kysely } from 'kysely';

const TABLES = ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments', 'staging_records'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) await sql`alter table ${sql.table(t)} alter column data set statistics 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) await sql`alter table ${sql.table(t)} alter column data set statistics -1`.execute(db);
}
