// The sync pipeline: a handful of activities per run, never one per record. Roster data streams
// from OneRoster into Postgres staging inside the activities; only ids and counts pass through here.
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { onboardingWorkflowId, runFinishedSignal, type RunSummary, type SyncWorkflowInput } from './messages.js';

type Activities = ReturnType<typeof createActivities>;

const NON_RETRYABLE = ['OneRosterAuthError', 'ConfigurationError', 'DistrictNotFoundError'];

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

const fetching = proxyActivities<Activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const heavy = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

function failureReason(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

export async function runSyncPipeline(input: SyncWorkflowInput): Promise<RunSummary> {
  const info = workflowInfo();
  const runId = input.runId ?? uuid4();
  const { districtId, kind, dryRun } = input;
  await quick.beginRun({ districtId, runId, kind, dryRun, workflowId: info.workflowId, temporalRunId: info.runId });
  try {
    await fetching.fetchRoster({ districtId, runId });
    const verdict = await heavy.validateRun({ districtId, runId });
    if (!dryRun && !verdict.held) await heavy.applyRun({ districtId, runId });
    return await quick.finishRun({ districtId, runId });
  } catch (err) {
    const reason = failureReason(err);
    log.warn('sync run failed', { districtId, runId, reason });
    const summary = await quick.failRun({ districtId, runId, reason });
    await notifyParent(districtId, summary);
    throw ApplicationFailure.create({ type: 'SyncFailed', message: reason, nonRetryable: true, details: [summary] });
  }
}

async function notifyParent(districtId: string, summary: RunSummary): Promise<void> {
  try {
    await getExternalWorkflowHandle(onboardingWorkflowId(districtId)).signal(runFinishedSignal, summary);
  } catch (err) {
    // The parent may be mid continue-as-new or gone; sync_runs still records the run.
    log.warn('could not tell the onboarding workflow about a finished run', { districtId, error: String(err) });
  }
}

/** A one-off run (review or manual) started by DistrictOnboarding, which awaits its result. */
export async function syncRun(input: SyncWorkflowInput): Promise<RunSummary> {
  return runSyncPipeline(input);
}

/** The cron child: one run per firing; tells the parent how it went. */
export async function nightlySync(input: SyncWorkflowInput): Promise<RunSummary> {
  const summary = await runSyncPipeline({ ...input, kind: 'nightly', runId: undefined });
  await notifyParent(input.districtId, summary);
  return summary;
}
