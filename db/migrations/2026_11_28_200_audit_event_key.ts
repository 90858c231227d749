// audit_events rows written by the onboarding workflow carry a key (workflow chain + sequence
// number), so an activity retried after a lost reply does not record the same event twice.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('event_key', 'text').execute();
  await db.schema.createIndex('audit_events_event_key').on('audit_events').column('event_key').unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_event_key').execute();
  await db.schema.alterTable('audit_events').dropColumn('event_key').execute();
}
