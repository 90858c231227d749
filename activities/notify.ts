// Notification activities: a held or failed run emails support with the reason and a link to the
// run; leaders who opted in get a daily summary. Each mail is recorded in notifications_sent
// before the activity returns, so a retried activity does not send it twice.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../lib/log.js';
import type { Mailer } from '../mail/mailer.js';
import { dailySummary, runNotice, type Links } from '../notify/messages.js';
import { alreadySent, dailySummarySubscribers, recordSent } from '../notify/subscriptions.js';
import { issueCounts, requireRun } from '../roster/runs.js';
import { requireDistrict } from '../roster/districts.js';

export interface NotifySettings extends Links {
  /** Where held/failed notices go (config SUPPORT_EMAIL); null = log instead of sending. */
  supportEmail: string | null;
}

export interface NotifyDeps {
  db: Kysely<Database>;
  mailer: Mailer | null;
  settings: NotifySettings;
  log?: Logger;
  clock?: () => Date;
}

export type NoticeResult = { sent: true; to: string; messageId: string } | { sent: false; reason: string };

/** Yesterday's date (YYYY-MM-DD) in a time zone. */
export function yesterdayIn(timeZone: string, now: Date): string {
  const d = new Date(now.getTime() - 24 * 3600 * 1000);
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export function createNotifyActivities(deps: NotifyDeps) {
  const { db, mailer, settings } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function sendOnce(key: string, districtId: string, to: string, mail: { subject: string; text: string }): Promise<NoticeResult> {
    if (await alreadySent(db, key)) return { sent: false, reason: 'already sent' };
    if (!mailer) {
      deps.log?.warn({ districtId, subject: mail.subject }, 'notification not sent: SMTP_URL is not set');
      return { sent: false, reason: 'SMTP_URL is not set' };
    }
    const { messageId } = await mailer.send({ to, subject: mail.subject, text: mail.text });
    await recordSent(db, { key, districtId, recipient: to, subject: mail.subject, messageId });
    return { sent: true, to, messageId };
  }

  return {
    async notifyRunOutcome({ districtId, runId }: { districtId: string; runId: string }): Promise<NoticeResult> {
      const run = await requireRun(db, runId);
      if (run.status !== 'held' && run.status !== 'failed') return { sent: false, reason: `run is ${run.status}: only held and failed runs are notified` };
      if (!settings.supportEmail) {
        deps.log?.warn({ districtId, runId, status: run.status, reason: run.reason }, 'run needs support but SUPPORT_EMAIL is not set');
        return { sent: false, reason: 'SUPPORT_EMAIL is not set' };
      }
      const district = await requireDistrict(db, districtId);
      const mail = runNotice(run, district, settings, await issueCounts(db, runId));
      return sendOnce(`run-notice:${runId}:${run.status}:${settings.supportEmail}`, districtId, settings.supportEmail, mail);
    },

    async sendDailySummaries(input: { day?: string } = {}): Promise<{ sent: number }> {
      let sent = 0;
      const subscribers = await dailySummarySubscribers(db);
      const byDistrict = new Map<string, string[]>();
      for (const s of subscribers) byDistrict.set(s.district_id, [...(byDistrict.get(s.district_id) ?? []), s.email]);
      for (const [districtId, emails] of byDistrict) {
        const district = await requireDistrict(db, districtId);
        const day = input.day ?? yesterdayIn(district.timezone, clock());
        // The district's own calendar day, whatever the server's time zone.
        const runs = await db
          .selectFrom('sync_runs')
          .selectAll()
          .where('district_id', '=', districtId)
          .where(sql<boolean>`(started_at at time zone ${district.timezone})::date = ${day}::date`)
          .orderBy('started_at')
          .execute();
        const mail = dailySummary(district, runs, day, settings);
        for (const email of emails) {
          const result = await sendOnce(`daily-summary:${districtId}:${day}:${email}`, districtId, email, mail);
          if (result.sent) sent += 1;
        }
      }
      return { sent };
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
