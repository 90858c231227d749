// try_date from the initial migration lost its backslashes inside the JS template literal
// ('^d{4}-d{2}-d{2}$'), so it returned null for every date. Same contract, regex without escapes.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create or replace function try_date(t text) returns date language plpgsql immutable as $$
    begin if t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then return null; end if; return t::date; exception when others then return null; end $$`.execute(db);
}

export async function down(): Promise<void> {
  // Restoring a function that answers null for every date helps nobody.
}
