// Repository for notification opt-ins and the record of sent notifications.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function setDailySummary(db: Db, districtId: string, email: string, enabled: boolean, actor: string): Promise<void> {
  const normalised = email.trim().toLowerCase();
  if (enabled) {
    await db
      .insertInto('notification_subscriptions')
      .values({ district_id: districtId, email: normalised, kind: 'daily_summary', created_by: actor })
      .onConflict((oc) => oc.columns(['district_id', 'kind', 'email']).doNothing())
      .execute();
  } else {
    await db.deleteFrom('notification_subscriptions').where('district_id', '=', districtId).where('kind', '=', 'daily_summary').where('email', '=', normalised).execute();
  }
}

export async function dailySummarySubscribers(db: Db, districtId?: string): Promise<{ district_id: string; email: string }[]> {
  let q = db.selectFrom('notification_subscriptions').select(['district_id', 'email']).where('kind', '=', 'daily_summary');
  if (districtId) q = q.where('district_id', '=', districtId);
  return q.orderBy('district_id').orderBy('email').execute();
}

export async function alreadySent(db: Db, key: string): Promise<boolean> {
  return Boolean(await db.selectFrom('notifications_sent').select('key').where('key', '=', key).executeTakeFirst());
}

export async function recordSent(db: Db, row: { key: string; districtId: string; recipient: string; subject: string; messageId: string | null }): Promise<void> {
  await db
    .insertInto('notifications_sent')
    .values({ key: row.key, district_id: row.districtId, recipient: row.recipient, subject: row.subject, message_id: row.messageId })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}
