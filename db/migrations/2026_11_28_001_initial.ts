// Initial schema. Migrations take Kysely<any> and never import app code.
import { sql, type Kysely } from 'kysely';

const LIVE_TABLES = ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments'];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('districts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('America/Chicago'))
    .addColumn('oneroster_base_url', 'text')
    .addColumn('oneroster_auth_kind', 'text')
    .addColumn('oneroster_client_id', 'text')
    .addColumn('oneroster_secret_enc', 'text')
    .addColumn('oneroster_token_url', 'text')
    .addColumn('oneroster_signature_method', 'text')
    .addColumn('sso_issuer', 'text')
    .addColumn('sso_client_id', 'text')
    .addColumn('sso_secret_enc', 'text')
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('district_id', 'text', (c) => c.notNull().references('districts.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('review', 'nightly', 'manual')`))
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('full'))
    .addColumn('dry_run', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'held', 'failed', 'discarded')`))
    .addColumn('workflow_id', 'text')
    .addColumn('temporal_run_id', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('counts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('timings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('progress', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('reason', 'text')
    .addColumn('summary', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('delta_since', 'timestamptz')
    .execute();
  // No two syncs of one district at once, whatever started them: the database says so.
  await sql`create unique index sync_runs_one_running on sync_runs (district_id) where status = 'running'`.execute(db);
  await db.schema.createIndex('sync_runs_district_started').on('sync_runs').columns(['district_id', 'started_at']).execute();

  await db.schema
    .createTable('run_issues')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
    .addColumn('district_id', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('sourced_id', 'text')
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('error', 'warning')`))
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('run_issues_run').on('run_issues').columns(['run_id', 'rule']).execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('district_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_events_district').on('audit_events').columns(['district_id', 'at']).execute();

  for (const table of LIVE_TABLES) {
    await db.schema
      .createTable(table)
      .addColumn('district_id', 'text', (c) => c.notNull())
      .addColumn('sourced_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('date_last_modified', 'timestamptz')
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('deleted_at', 'timestamptz')
      .addPrimaryKeyConstraint(`${table}_pk`, ['district_id', 'sourced_id'])
      .execute();
  }

  // Upstream dates are untrusted text; validation must be able to ask "is this a date?" without failing.
  await sql`create or replace function try_timestamptz(t text) returns timestamptz language plpgsql immutable as $$
    begin return t::timestamptz; exception when others then return null; end $$`.execute(db);
  await sql`create or replace function try_date(t text) returns date language plpgsql immutable as $$
    begin if t !~ '^\d{4}-\d{2}-\d{2}$' then return null; end if; return t::date; exception when others then return null; end $$`.execute(db);

  // Staging is scratch space keyed by run id: unlogged (no WAL), dropped per run when it finishes.
  await sql`create unlogged table staging_records (
    run_id text not null,
    entity text not null,
    page_offset integer not null,
    ordinal integer not null,
    sourced_id text,
    data jsonb not null,
    -- set by validation: the rule that quarantined this record (null = applies)
    quarantine_rule text,
    primary key (run_id, entity, page_offset, ordinal)
  )`.execute(db);
  await sql`create unlogged table staging_pages (
    run_id text not null,
    entity text not null,
    page_offset integer not null,
    record_count integer not null,
    total_count integer,
    primary key (run_id, entity, page_offset)
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists try_timestamptz(text)`.execute(db);
  await sql`drop function if exists try_date(text)`.execute(db);
  for (const t of ['staging_pages', 'staging_records', ...LIVE_TABLES, 'audit_events', 'run_issues', 'sync_runs', 'districts']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
