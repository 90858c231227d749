// Workflow-side helpers for notifications (bundled with the workflows: deterministic, no I/O).
// The sync pipeline calls notifyRunOutcome when a run ends held or failed; dailySummary is the
// workflow a Temporal Schedule starts once a day (`npm run ops -- schedule-daily-summary`).
import { log, proxyActivities } from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notify.js';

const notify = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '1 minute',
  // SMTP outages pass; a notice that cannot be sent after this is logged, never fails the sync.
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumAttempts: 6 },
});

const summaries = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '30 seconds', maximumAttempts: 5 },
});

/** Emails support about a held or failed run (no-op for other statuses). Never throws. */
export async function notifyRunOutcome(input: { districtId: string; runId: string; status: string }): Promise<void> {
  if (input.status !== 'held' && input.status !== 'failed') return;
  try {
    await notify.notifyRunOutcome({ districtId: input.districtId, runId: input.runId });
  } catch (err) {
    log.warn('could not email support about a run', { districtId: input.districtId, runId: input.runId, error: String(err) });
  }
}

/** Started by a Temporal Schedule: the leaders' daily summaries for the day before. */
export async function dailySummary(input: { day?: string } = {}): Promise<{ sent: number }> {
  return summaries.sendDailySummaries(input);
}
