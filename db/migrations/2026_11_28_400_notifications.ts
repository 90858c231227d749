// Notifications: leaders' opt-in to a daily sync summary, and a record of what was sent so a
// retried activity never emails twice. Migrations take Kysely<any> and never import app code.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_subscriptions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('district_id', 'text', (c) => c.notNull().references('districts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('daily_summary')`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('notification_subscriptions_unique', ['district_id', 'kind', 'email'])
    .execute();

  await db.schema
    .createTable('notifications_sent')
    // e.g. run-notice:<runId>:<recipient> or daily-summary:<districtId>:<date>:<recipient>
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('district_id', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notifications_sent').ifExists().execute();
  await db.schema.dropTable('notification_subscriptions').ifExists().execute();
}
