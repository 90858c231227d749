// Approving a district's data applies it at once in an 'initial' run (so its leaders exist to sign
// in before the first nightly sync); sync_runs.kind must allow it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table sync_runs drop constraint if exists sync_runs_kind_check`.execute(db);
  await sql`alter table sync_runs add constraint sync_runs_kind_check check (kind in ('review', 'nightly', 'manual', 'initial'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Initial runs become manual ones: both are full, applying one-off runs.
  await sql`update sync_runs set kind = 'manual' where kind = 'initial'`.execute(db);
  await sql`alter table sync_runs drop constraint if exists sync_runs_kind_check`.execute(db);
  await sql`alter table sync_runs add constraint sync_runs_kind_check check (kind in ('review', 'nightly', 'manual'))`.execute(db);
}
