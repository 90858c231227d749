// One long-lived DistrictOnboarding workflow per district. It stays thin: handlers delegate to the
// OnboardingMachine; the main loop brings the world in line with the state (search attributes,
// the nightly cron child, the audit table, the year-end timer) and continues as new when told to.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  makeContinueAsNewFunc,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { OnboardingActivities } from '../activities/onboarding.js';
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
  type AcademicYear,
  type Actor,
  type OnboardingInput,
  type RunKind,
  type RunSummary,
  type StartRunArgs,
  type TermInfo,
} from './messages.js';
import { nightlyCron } from './onboarding-clock.js';
import { checkYearCoversTerms, initialState, OnboardingMachine } from './onboarding-machine.js';
import { DISTRICT_ID, ONBOARDING_PHASE } from './search-attributes.js';
import { nightlySync, syncRun } from './sync.js';

const NON_RETRYABLE = ['OneRosterAuthError', 'ConfigurationError', 'DistrictNotFoundError'];

/** Bookkeeping (audit rows, stopping the child): keep trying, a database blip must not lose it. */
const bookkeeping = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Stopping the nightly chain polls until no run of it is open; a run being cancelled takes seconds. */
const stopping = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Reads a person is waiting for (an Update in flight): a few quick tries, then say so. */
const interactive = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** The smallest history threshold honoured, so a tiny test value cannot continue-as-new forever. */
const MIN_HISTORY_EVENTS = 20;

function refuse(reason: string | null): void {
  if (reason) throw ApplicationFailure.create({ type: 'Refused', message: reason, nonRetryable: true });
}

function now(): string {
  return new Date().toISOString();
}

function failureMessage(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

export async function districtOnboarding(input: OnboardingInput): Promise<void> {
  const { districtId } = input;
  const timezone = input.timezone ?? DEFAULT_TIMEZONE;
  const machine = new OnboardingMachine(
    input.state ?? initialState(districtId, input.districtName, timezone, nightlyWorkflowId(districtId), input.cronSchedule ?? nightlyCron(districtId, timezone)),
  );
  const state = machine.state;
  state.initialLoad ??= null; // a state carried from before initial loads existed
  if (!input.state) machine.registered(now(), input.registeredBy ?? 'unknown');
  // Audit keys are per workflow chain, so a district registered again never collides with its past.
  const chainId = workflowInfo().firstExecutionRunId;

  let publishedPhase = '';
  const publishPhase = () => {
    if (state.phase === publishedPhase) return;
    publishedPhase = state.phase;
    upsertSearchAttributes([
      { key: DISTRICT_ID, value: districtId },
      { key: ONBOARDING_PHASE, value: state.phase },
    ]);
  };
  publishPhase();

  const nightlyInStep = () => state.nightly.running === machine.nightlyWanted;
  const childOptions = { memo: { districtName: state.districtName }, typedSearchAttributes: [{ key: DISTRICT_ID, value: districtId }] };

  // ---- one-off runs (review, the initial load, sync now) ----------------------------------------

  const finishOneOff = async (kind: RunKind, runId: string, outcome: Promise<RunSummary>) => {
    let summary: RunSummary;
    try {
      summary = await outcome;
    } catch (err) {
      const details = (err as { cause?: { details?: unknown[] } }).cause?.details;
      summary = (details?.[0] as RunSummary | undefined) ?? { runId, kind, status: 'failed', blockingErrors: 0, warnings: 0, recordsFetched: 0, reason: failureMessage(err), finishedAt: now() };
    }
    if (kind === 'review' && summary.status === 'succeeded') {
      try {
        summary = { ...summary, terms: await interactive.reviewTerms({ districtId, runId }) };
      } catch (err) {
        log.warn('could not read the terms the review found', { districtId, runId, error: failureMessage(err) });
      }
    }
    machine.runFinished(summary);
  };

  /** Starts the child of a run already in the state; on failure the run is recorded failed and the error rethrown. */
  const launchOneOff = async (kind: Exclude<RunKind, 'nightly'>, runId: string, workflowId: string) => {
    const child = await startChild(syncRun, { workflowId, args: [{ districtId, kind, runId, dryRun: kind === 'review' }], ...childOptions }).catch((err: unknown) => {
      machine.runFinished({ runId, kind, status: 'failed', blockingErrors: 0, warnings: 0, recordsFetched: 0, reason: failureMessage(err), finishedAt: now() });
      throw err;
    });
    // Not awaited: the run reports back here; continue-as-new waits until activeRun is cleared.
    void finishOneOff(kind, runId, child.result());
  };

  const startOneOff = async (kind: 'review' | 'manual', args: StartRunArgs) => {
    const workflowId = oneOffRunWorkflowId(districtId, kind, args.runId);
    // State first, so a second message arriving while the child starts is refused.
    if (kind === 'review') machine.startReview(now(), args, workflowId);
    else machine.startOneOffRun(now(), args, kind, workflowId);
    publishPhase();
    await launchOneOff(kind, args.runId, workflowId).catch((err: unknown) => {
      throw ApplicationFailure.create({ type: 'Refused', message: `the ${kind} run could not start (${failureMessage(err)}): try again`, nonRetryable: true });
    });
    return { runId: args.runId };
  };

  /**
   * Approval applies the approved roster at once (an 'initial' run, not a dry run): SSO maps a
   * login to a live user row, so without it the district's leaders could not sign in to start the
   * year. The approval answers without waiting; the state's initialLoad shows how the run goes, and
   * if it fails support runs sync-now (allowed from approval on); a held one is decided as any.
   */
  const approve = (actor: Actor) => {
    machine.approve(now(), actor);
    // Workflows approved before this existed replay without the run.
    if (patched('initial-load-on-approval')) {
      const runId = uuid4();
      const workflowId = oneOffRunWorkflowId(districtId, 'initial', runId);
      machine.startOneOffRun(now(), { actor: actor.actor, runId }, 'initial', workflowId);
      void launchOneOff('initial', runId, workflowId).catch((err: unknown) => log.warn('the initial load could not start', { districtId, runId, error: failureMessage(err) }));
    }
    return state;
  };

  const syncNow = async (args: StartRunArgs) => {
    // The parent only learns of a nightly run when it ends; the run table knows it is going on.
    const running = await interactive.runningRun({ districtId });
    if (running) refuse(`the ${running.kind} run ${running.runId} has been running since ${running.startedAt}: wait for it to finish, then sync again`);
    refuse(machine.checkSyncNow()); // the state may have moved while we looked
    return startOneOff('manual', args);
  };

  // ---- the year in force, for every sync run to read ---------------------------------------------

  // The nightly child is kept across a rollover, so its input cannot carry the year: each run reads
  // it from Postgres, written here before the child starts (or whenever the year changes).
  const yearKey = () => (state.academicYear ? JSON.stringify(state.academicYear) : null);
  let yearRecorded: string | null = null;
  /** A history from before this existed replays without the activity; once live, the loop's next pass records the year. */
  let yearOwed = false;
  const recordYear = async () => {
    const key = yearKey();
    if (key === yearRecorded && !yearOwed) return;
    if (state.academicYear && patched('record-academic-year')) {
      await bookkeeping.recordAcademicYear({ districtId, year: state.academicYear });
      yearOwed = false;
    } else {
      yearOwed = state.academicYear !== null;
    }
    yearRecorded = key;
  };

  // ---- the academic year ------------------------------------------------------------------------

  const feedTermsNow = async (): Promise<TermInfo[]> => {
    try {
      const terms = await interactive.feedTerms({ districtId });
      state.feedTerms = { terms, checkedAt: now(), source: 'oneroster' };
      return terms;
    } catch (err) {
      const cached = state.feedTerms?.terms ?? state.review?.summary?.terms;
      if (!cached) refuse(`could not read the feed's terms from ClassLink (${failureMessage(err)}): try again in a minute`);
      log.warn('checking the year against the terms seen before: ClassLink did not answer', { districtId, error: failureMessage(err) });
      state.feedTerms = { terms: cached!, checkedAt: state.feedTerms?.checkedAt ?? now(), source: 'cached' };
      return cached!;
    }
  };

  const startYear = async (args: AcademicYear & Actor) => {
    const terms = await feedTermsNow();
    refuse(machine.checkAcademicYear(args, Date.now()));
    refuse(checkYearCoversTerms(args, terms));
    // Rollover: a run in progress finishes under the old year first. The first year has no old
    // one, and the initial load (perhaps held for support) must not keep the leader waiting.
    if (state.activeRun && state.academicYear) await condition(() => state.activeRun === null);
    refuse(machine.checkAcademicYear(args, Date.now()));
    machine.startAcademicYear(now(), args);
    await condition(nightlyInStep);
    // Answer once the runs will read the new year too (on a rollover the child is already running).
    // Histories from before this replay without the wait, or their commands would come in another order.
    if (patched('record-academic-year')) await condition(() => yearKey() === yearRecorded);
    return state;
  };

  // ---- handlers -----------------------------------------------------------------------------------

  /** Handlers that change whether the nightly child should run answer once it does (or does not). */
  const settled = async () => {
    await condition(nightlyInStep);
    return state;
  };

  setHandler(stateQuery, () => state);
  setHandler(startReviewUpdate, (args) => startOneOff('review', args), { validator: (_args: StartRunArgs) => refuse(machine.checkStartReview()) });
  setHandler(syncNowUpdate, syncNow, { validator: (_args: StartRunArgs) => refuse(machine.checkSyncNow()) });
  setHandler(dataApprovedUpdate, approve, { validator: (_actor: Actor) => refuse(machine.checkApprove()) });
  setHandler(requestChangesUpdate, (actor) => (machine.requestChanges(now(), actor), state), { validator: (_actor: Actor) => refuse(machine.checkRequestChanges()) });
  setHandler(academicYearStartedUpdate, startYear, { validator: (args) => refuse(machine.checkAcademicYear(args, Date.now())) });
  setHandler(pauseUpdate, (actor) => (machine.pause(now(), actor), settled()), { validator: (_actor: Actor) => refuse(machine.checkPause()) });
  setHandler(resumeUpdate, (actor) => (machine.resume(now(), actor), settled()), { validator: (_actor: Actor) => refuse(machine.checkResume()) });
  setHandler(runFinishedSignal, (summary) => machine.runFinished(summary));

  // ---- the nightly cron child ---------------------------------------------------------------------

  const startNightly = async () => {
    try {
      const child = await startChild(nightlySync, {
        workflowId: state.nightly.workflowId,
        cronSchedule: state.nightly.cronSchedule,
        args: [{ districtId, kind: 'nightly', dryRun: false }],
        // The chain outlives each run of this workflow (continue-as-new); it is stopped explicitly.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        ...childOptions,
      });
      const startedAt = now();
      state.nightly.running = true;
      state.nightly.startedAt = startedAt;
      // The chain only ends when stopped; if something else ends it, the loop starts it again.
      child.result().then(
        () => undefined,
        () => {
          if (state.nightly.running && state.nightly.startedAt === startedAt) state.nightly.running = false;
        },
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // An earlier chain is still closing (cancelled mid-run): stop it again and retry shortly.
      log.info('the previous nightly chain is still running; stopping it before starting a new one', { districtId });
      await stopping.stopNightly({ workflowId: state.nightly.workflowId, reason: 'replaced by a new nightly schedule' });
      await sleep('3 seconds');
    }
  };

  const stopNightly = async (reason: string) => {
    await stopping.stopNightly({ workflowId: state.nightly.workflowId, reason });
    state.nightly.running = false;
    state.nightly.startedAt = null;
  };

  // ---- audit trail and long life ------------------------------------------------------------------

  const recordAudit = async () => {
    const entries = machine.unrecordedAudit();
    if (entries.length === 0) return;
    await bookkeeping.recordAuditEvents({ districtId, chainId, entries });
    machine.auditRecorded(entries[entries.length - 1]!.seq);
  };

  const maxHistory = input.maxHistoryEvents ? Math.max(input.maxHistoryEvents, MIN_HISTORY_EVENTS) : null;
  const continueAsNewDue = () => workflowInfo().continueAsNewSuggested || (maxHistory !== null && workflowInfo().historyLength >= maxHistory);
  /** Nothing in flight that a new run could not pick up from the state alone. */
  const quiescent = () => state.activeRun === null && nightlyInStep() && machine.unrecordedAudit().length === 0 && yearKey() === yearRecorded;
  const continueAsNew = makeContinueAsNewFunc<typeof districtOnboarding>({
    memo: { districtName: state.districtName },
    typedSearchAttributes: [{ key: DISTRICT_ID, value: districtId }],
  });

  let yearEndArmedFor: string | null = null;
  const needsWork = () =>
    state.phase !== publishedPhase ||
    !nightlyInStep() ||
    machine.unrecordedAudit().length > 0 ||
    yearKey() !== yearRecorded ||
    machine.yearEndDue(Date.now()) ||
    state.yearEndsAt !== yearEndArmedFor ||
    (continueAsNewDue() && state.activeRun === null);

  for (;;) {
    // The year-end timer is durable: it is a server-side timer, re-armed from the state after a restart.
    yearEndArmedFor = state.yearEndsAt;
    const untilYearEnd = machine.msUntilYearEnd(Date.now());
    if (untilYearEnd !== null && untilYearEnd > 0) await condition(needsWork, untilYearEnd, { summary: `school year ends (${state.academicYear?.endDate})` });
    else await condition(needsWork);

    if (machine.yearEndDue(Date.now())) machine.endYear(now());
    publishPhase();
    await recordYear();
    if (machine.nightlyWanted && !state.nightly.running) await startNightly();
    else if (!machine.nightlyWanted && state.nightly.running) await stopNightly(state.pausedReason ?? state.phase);
    await recordAudit();

    if (continueAsNewDue() && quiescent()) {
      // A handler may still need the loop (e.g. to start the nightly child): stop waiting if so.
      await condition(() => allHandlersFinished() || !quiescent());
      if (!allHandlersFinished() || !quiescent()) continue;
      state.generation += 1;
      await continueAsNew({ ...input, state });
    }
  }
}
