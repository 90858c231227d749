// Validation asks "is this text a date / timestamp?" of every staged record with pg_input_is_valid
// (Postgres 16+): the plpgsql try_date/try_timestamptz catch the cast's error in a subtransaction
// per call, three times slower (bench/explain-validation.ts). Say so at migration time, not mid-sync.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ v: number; s: string }>`select current_setting('server_version_num')::int as v, current_setting('server_version') as s`.execute(db);
  if ((rows[0]?.v ?? 0) < 160000) throw new Error(`classlink-sync needs PostgreSQL 16 or newer; this server is ${rows[0]?.s ?? 'unknown'}`);
}

export async function down(): Promise<void> {}
