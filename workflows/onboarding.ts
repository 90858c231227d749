// One long-lived DistrictOnboarding workflow per district. It stays thin: handlers delegate to the
// OnboardingMachine; the main loop waits, then starts or cancels the nightly cron child.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import {
  academicYearStartedUpdate,
  dataApprovedUpdate,
  DEFAULT_TIMEZONE,
  nightlyWorkflowId,
  oneOffRunWorkflowId,
  pauseUpdate,
  requestChangesUpdate,
  resumeUpdate,
  runFinishedSignal,
  startReviewUpdate,
  stateQuery,
  syncNowUpdate,
  type Actor,
  type OnboardingInput,
  type RunKind,
  type RunSummary,
  type StartRunArgs,
} from './messages.js';
import { initialState, OnboardingMachine } from './onboarding-machine.js';
import { DISTRICT_ID, ONBOARDING_PHASE } from './search-attributes.js';
import { nightlySync, syncRun } from './sync.js';

function refuse(reason: string | null): void {
  if (reason) throw ApplicationFailure.create({ type: 'Refused', message: reason, nonRetryable: true });
}

function now(): string {
  return new Date().toISOString();
}

export async function districtOnboarding(input: OnboardingInput): Promise<void> {
  const { districtId } = input;
  const machine = new OnboardingMachine(
    input.state ?? initialState(districtId, input.districtName, input.timezone ?? DEFAULT_TIMEZONE, nightlyWorkflowId(districtId)),
  );
  const state = machine.state;
  let lastPhase = '';
  const publishPhase = () => {
    if (state.phase === lastPhase) return;
    lastPhase = state.phase;
    upsertSearchAttributes([
      { key: DISTRICT_ID, value: districtId },
      { key: ONBOARDING_PHASE, value: state.phase },
    ]);
  };
  publishPhase();

  const startOneOff = async (kind: Exclude<RunKind, 'nightly'>, args: StartRunArgs) => {
    const workflowId = oneOffRunWorkflowId(districtId, kind, args.runId);
    if (kind === 'review') machine.startReview(now(), args, workflowId);
    else machine.startOneOffRun(now(), args, kind, workflowId);
    publishPhase();
    const child = await startChild(syncRun, {
      workflowId,
      args: [{ districtId, kind, runId: args.runId, dryRun: kind === 'review' }],
      memo: { districtName: state.districtName },
      typedSearchAttributes: [{ key: DISTRICT_ID, value: districtId }],
    });
    child.result().then(
      (summary) => machine.runFinished(summary),
      (err: unknown) => {
        const details = (err as { cause?: { details?: unknown[] } }).cause?.details;
        const summary = details?.[0] as RunSummary | undefined;
        machine.runFinished(summary ?? { runId: args.runId, kind, status: 'failed', blockingErrors: 0, warnings: 0, recordsFetched: 0, reason: String(err), finishedAt: now() });
      },
    );
    return { runId: args.runId };
  };

  setHandler(stateQuery, () => state);
  setHandler(startReviewUpdate, (args) => startOneOff('review', args), { validator: (_args: StartRunArgs) => refuse(machine.checkStartReview()) });
  setHandler(syncNowUpdate, (args) => startOneOff('manual', args), { validator: (_args: StartRunArgs) => refuse(machine.checkSyncNow()) });
  setHandler(dataApprovedUpdate, (actor) => (machine.approve(now(), actor), state), { validator: (_actor: Actor) => refuse(machine.checkApprove()) });
  setHandler(requestChangesUpdate, (actor) => (machine.requestChanges(now(), actor), state), { validator: (_actor: Actor) => refuse(machine.checkRequestChanges()) });
  setHandler(academicYearStartedUpdate, (args) => (machine.startAcademicYear(now(), args), state), {
    validator: (args) => refuse(machine.checkAcademicYear(args)),
  });
  setHandler(pauseUpdate, (actor) => (machine.pause(now(), actor), state), { validator: (_actor: Actor) => refuse(machine.checkPause()) });
  setHandler(resumeUpdate, (actor) => (machine.resume(now(), actor), state), { validator: (_actor: Actor) => refuse(machine.checkResume()) });
  setHandler(runFinishedSignal, (summary) => machine.runFinished(summary));

  for (;;) {
    await condition(
      () => machine.nightlyWanted !== state.nightly.running || state.phase !== lastPhase || workflowInfo().continueAsNewSuggested,
    );
    publishPhase();
    if (machine.nightlyWanted && !state.nightly.running) {
      await startChild(nightlySync, {
        workflowId: state.nightly.workflowId,
        cronSchedule: state.nightly.cronSchedule,
        args: [{ districtId, kind: 'nightly', dryRun: false }],
        // The child outlives each run of this workflow (continue-as-new) and is cancelled explicitly.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        memo: { districtName: state.districtName },
        typedSearchAttributes: [{ key: DISTRICT_ID, value: districtId }],
      });
      state.nightly.running = true;
    } else if (!machine.nightlyWanted && state.nightly.running) {
      await getExternalWorkflowHandle(state.nightly.workflowId).cancel();
      state.nightly.running = false;
    }
    if (workflowInfo().continueAsNewSuggested && !state.activeRun) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof districtOnboarding>({ ...input, state });
    }
  }
}
