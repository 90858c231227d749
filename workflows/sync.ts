// The sync pipeline: a handful of activities per run, never one per record. Roster data streams
// from OneRoster into Postgres staging inside the activities; only ids and counts pass through here.
//
// A run that trips a guard is held: this workflow waits durably for support's decision (approve or
// discard Updates). Because the cron child's current run is still open while it waits, Temporal
// starts no later nightly firing, and any other run of the district (manual, review) waits in
// beginRun until this one is decided: nothing piles up behind a held run or applies around it.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  approveHeldRunUpdate,
  discardHeldRunUpdate,
  onboardingWorkflowId,
  runFinishedSignal,
  syncRunStateQuery,
  type HeldRunDecision,
  type RunSummary,
  type SyncRunState,
  type SyncWorkflowInput,
} from './messages.js';
import { notifyRunOutcome } from '../notify/workflow.js';

type Activities = ReturnType<typeof createActivities>;

const NON_RETRYABLE = ['ConfigurationError', 'DistrictNotFoundError', 'ApplyMismatchError', 'RunStateError'];

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** beginRun fails with RunConflictError while another run of the district is running or held: keep waiting. */
const starting = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Heartbeats every few seconds: a killed worker is noticed in 30 s and the retry resumes after the last committed page. */
const fetching = proxyActivities<Activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const heavy = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

function failureReason(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function refuse(reason: string | null): void {
  if (reason) throw ApplicationFailure.create({ type: 'Refused', message: reason, nonRetryable: true });
}

export async function runSyncPipeline(input: SyncWorkflowInput): Promise<RunSummary> {
  const info = workflowInfo();
  const runId = input.runId ?? uuid4();
  const { districtId, kind, dryRun } = input;

  const state: SyncRunState = { runId, held: false, decision: null };
  const checkDecision = (d: HeldRunDecision): string | null => {
    if (d.runId !== runId) return `this workflow runs sync run ${runId}, not ${d.runId}`;
    if (state.decision) return `run ${runId} was already ${state.decision.action} by ${state.decision.actor}`;
    if (!state.held) return `run ${runId} is not held: only a held run can be approved or discarded`;
    return null;
  };
  const decide = (action: 'approved' | 'discarded') => (d: HeldRunDecision) => {
    state.decision = { action, actor: d.actor, ...(d.note ? { note: d.note } : {}) };
    return { runId, decision: action };
  };
  setHandler(approveHeldRunUpdate, decide('approved'), { validator: (d: HeldRunDecision) => refuse(checkDecision(d)) });
  setHandler(discardHeldRunUpdate, decide('discarded'), { validator: (d: HeldRunDecision) => refuse(checkDecision(d)) });
  setHandler(syncRunStateQuery, () => state);

  await starting.beginRun({ districtId, runId, kind, dryRun, workflowId: info.workflowId, temporalRunId: info.runId });
  try {
    const { fetched } = await fetching.fetchRoster({ districtId, runId });
    const verdict = await heavy.validateRun({ districtId, runId, ...(input.academicYear ? { academicYear: input.academicYear } : {}) });
    if (!dryRun && verdict.held) {
      state.held = true;
      // The parent awaits a one-off run's result, which a held run gives only once decided; the
      // nightly run and the initial load (which the onboarding state shows) report the hold now.
      if (kind === 'nightly' || kind === 'initial') {
        const recordsFetched = Object.values(fetched).reduce((a, b) => a + b, 0);
        await notifyParent(districtId, {
          runId, kind, status: 'held', blockingErrors: verdict.errors, warnings: verdict.warnings ?? 0, recordsFetched,
          ...(verdict.reason ? { reason: verdict.reason } : {}), finishedAt: new Date().toISOString(),
        });
      }
      await notifyRunOutcome({ districtId, runId, status: 'held' });
      await condition(() => state.decision !== null);
      const decision = state.decision!;
      state.held = false;
      const who = { actor: decision.actor, ...(decision.note ? { note: decision.note } : {}) };
      if (decision.action === 'discarded') return await quick.finishRun({ districtId, runId, discard: who });
      await heavy.applyRun({ districtId, runId, approval: who });
    } else if (!dryRun) {
      await heavy.applyRun({ districtId, runId });
    }
    return await quick.finishRun({ districtId, runId });
  } catch (err) {
    const cancelled = isCancellation(err);
    const reason = cancelled
      ? `the sync was cancelled${state.held ? ' while held for support' : ''} (e.g. the district was paused): nothing was applied`
      : failureReason(err);
    log.warn('sync run failed', { districtId, runId, reason });
    // Cleanup must run even when the failure is a cancellation.
    const summary = await CancellationScope.nonCancellable(async () => {
      const s = await quick.failRun({ districtId, runId, reason });
      await notifyParent(districtId, s);
      if (!cancelled) await notifyRunOutcome({ districtId, runId, status: 'failed' });
      return s;
    });
    if (cancelled) throw err;
    throw ApplicationFailure.create({ type: 'SyncFailed', message: reason, nonRetryable: true, details: [summary] });
  }
}

async function notifyParent(districtId: string, summary: RunSummary): Promise<void> {
  try {
    await getExternalWorkflowHandle(onboardingWorkflowId(districtId)).signal(runFinishedSignal, summary);
  } catch (err) {
    // The parent may be mid continue-as-new or gone; sync_runs still records the run.
    log.warn('could not tell the onboarding workflow about a run', { districtId, error: String(err) });
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
