// Sync engine at district scale: staging lookups by sourcedId, skipped (not synced) records,
// completed-collection markers for resumable fetches, and held runs counting as "a sync in progress".
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Validation resolves references by (run, collection, sourcedId); without this every lookup scans.
  await sql`create index staging_records_ref on staging_records (run_id, entity, sourced_id)`.execute(db);
  // Records that are fetched but deliberately not synced (guardians, parents): counted, never applied.
  await sql`alter table staging_records add column skip_reason text`.execute(db);
  // The last page of a collection is marked, so a resumed fetch skips collections already complete.
  await sql`alter table staging_pages add column complete boolean not null default false`.execute(db);
  // A held run waits for support with its staging kept; nothing may apply around it, so it blocks
  // the district exactly like a running one.
  await sql`drop index if exists sync_runs_one_running`.execute(db);
  await sql`create unique index sync_runs_one_active on sync_runs (district_id) where status in ('running', 'held')`.execute(db);
  await sql`create index run_issues_run_severity on run_issues (run_id, severity, rule)`.execute(db);
  // The initial try_date lost its backslashes in a JS template (its pattern read ^d{4}-d{2}-d{2}$),
  // so it answered null for every real date; and both helpers caught exceptions, which costs a
  // subtransaction per call, for every record of every run. Postgres 16+ can test input without
  // throwing; older servers keep the exception-catching versions, with the right pattern.
  const version = await sql<{ v: number }>`select current_setting('server_version_num')::int as v`.execute(db);
  if ((version.rows[0]?.v ?? 0) >= 160000) {
    await sql.raw(String.raw`create or replace function try_date(t text) returns date language sql stable parallel safe as $$
      select case when t ~ '^\d{4}-\d{2}-\d{2}$' and pg_input_is_valid(t, 'date') then t::date end $$`).execute(db);
    await sql.raw(String.raw`create or replace function try_timestamptz(t text) returns timestamptz language sql stable parallel safe as $$
      select case when pg_input_is_valid(t, 'timestamptz') then t::timestamptz end $$`).execute(db);
  } else {
    await sql.raw(String.raw`create or replace function try_date(t text) returns date language plpgsql immutable as $$
      begin if t !~ '^\d{4}-\d{2}-\d{2}$' then return null; end if; return t::date; exception when others then return null; end $$`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists run_issues_run_severity`.execute(db);
  await sql`drop index if exists sync_runs_one_active`.execute(db);
  await sql`create unique index sync_runs_one_running on sync_runs (district_id) where status = 'running'`.execute(db);
  await sql`alter table staging_pages drop column if exists complete`.execute(db);
  await sql`alter table staging_records drop column if exists skip_reason`.execute(db);
  await sql`drop index if exists staging_records_ref`.execute(db);
}
