// Fakes of the activities for time-skipping onboarding tests: the sync pipeline and the onboarding
// bookkeeping record what they were asked; stopping the nightly child is the real activity against
// the test server. Also the shared environment setup, steps every test takes, and helpers that read
// what really happened from Temporal histories.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import type { NotifyActivities } from '../../activities/notify.js';
import { createOnboardingActivities, type OnboardingActivities } from '../../activities/onboarding.js';
import type { AcademicYear, AuditEntry, OnboardingInput, OnboardingState, RunKind, RunSummary, TermInfo } from '../../workflows/messages.js';
import { academicYearStartedUpdate, dataApprovedUpdate, nightlyWorkflowId, onboardingWorkflowId, startReviewUpdate, stateQuery } from '../../workflows/messages.js';
import { workflowsPath } from '../../worker/create.js';
import { timeSkippingEnv } from '../support/temporal.js';

/**
 * A client for the time-skipping server without keepalive pings: the server (grpc-java defaults)
 * answers the SDK's 30-second pings with "too many pings" after a minute or so, and calls in
 * flight then stall for about a minute and a half.
 */
export async function quietClient(env: TestWorkflowEnvironment): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({
    address: env.address,
    channelArgs: { 'grpc.keepalive_permit_without_calls': 0, 'grpc.keepalive_time_ms': -1 },
  });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

export interface TimeSkippingSuite {
  readonly env: TestWorkflowEnvironment;
  /** Use this client, not env.client (see quietClient). */
  readonly client: Client;
}

/**
 * One time-skipping environment for the calling test file, started in beforeAll and torn down in
 * afterAll; each test then runs its own worker (withDistrict).
 */
export function timeSkippingSuite(): TimeSkippingSuite {
  let env: TestWorkflowEnvironment | undefined;
  let quiet: { client: Client; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    env = await timeSkippingEnv();
    quiet = await quietClient(env);
  });
  afterAll(async () => {
    await quiet?.close();
    await env?.teardown();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the time-skipping environment is not started yet: use it inside tests or hooks');
    return v;
  };
  return {
    get env() {
      return ready(env);
    },
    get client() {
      return ready(quiet).client;
    },
  };
}

export const SUPPORT = { actor: 'support@gradient' };
export const LEADER = { actor: 'leader@district' };

/** registered → reviewed → approved (the initial load done) → year `sy` started, the nightly child waiting. */
export async function toSyncing(suite: TimeSkippingSuite, handle: WorkflowHandle, districtId: string, sy: number): Promise<OnboardingState> {
  const runId = randomUUID();
  await handle.executeUpdate(startReviewUpdate, { args: [{ ...SUPPORT, runId }] });
  await waitFor('the review', async () => {
    const s = await stateOf(handle);
    return s.review?.status === 'succeeded' && s.activeRun === null;
  });
  await handle.executeUpdate(dataApprovedUpdate, { args: [SUPPORT] });
  await initialLoadFinished(handle);
  const state = await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...LEADER, ...yearFor(sy) }] });
  await nightlyWaiting(suite.client, districtId);
  return state;
}

/** Waits for the run approval started to end (and leave activeRun); returns the state then. */
export async function initialLoadFinished(handle: WorkflowHandle): Promise<OnboardingState> {
  return waitFor('the initial load', async () => {
    const s = await stateOf(handle);
    return s.initialLoad && s.initialLoad.status !== 'running' && s.initialLoad.status !== 'held' && s.activeRun === null ? s : null;
  });
}

export interface Gate {
  opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** The school year (the calendar year it ends in) that contains a moment; July onwards is the next. */
export function schoolYearAt(ms: number): number {
  const d = new Date(ms);
  return d.getUTCMonth() >= 6 ? d.getUTCFullYear() + 1 : d.getUTCFullYear();
}

export function yearFor(sy: number) {
  return { schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-30` };
}

export function feedFor(sy: number): TermInfo[] {
  return [
    { sourcedId: `as-${sy}-0`, title: `${sy - 1}-${sy} School Year`, type: 'schoolYear', startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-30` },
    { sourcedId: `as-${sy}-1`, title: `Fall Semester ${sy - 1}`, type: 'semester', startDate: `${sy - 1}-08-15`, endDate: `${sy - 1}-12-19` },
    { sourcedId: `as-${sy}-2`, title: `Spring Semester ${sy}`, type: 'semester', startDate: `${sy}-01-06`, endDate: `${sy}-06-30` },
  ];
}

/**
 * A plain cron whose next firing is about a year after `nowMs`. The time-skipping server cannot
 * run CRON_TZ schedules (and fires a plain cron child once right away); when the real schedule
 * fires is proven on the dev server and by the pure nextFirings tests.
 */
export function dormantCron(nowMs: number): string {
  const yesterday = new Date(nowMs - 86_400_000);
  return `0 0 ${yesterday.getUTCDate()} ${yesterday.getUTCMonth() + 1} *`;
}

export class FakeWorld {
  readonly calls: { name: string; kind?: RunKind; runId?: string }[] = [];
  /** audit_events as the recordAuditEvents activity left it, by key. */
  readonly auditRows = new Map<string, AuditEntry & { districtId: string }>();
  /** Merged into the next run's summary (e.g. blockingErrors). */
  nextSummary: Partial<RunSummary> = {};
  /** When set, the next run fails in validation with this message. */
  failNext: string | null = null;
  /** When set, a guard holds the next run with this reason (it then waits for support's decision). */
  holdNext: string | null = null;
  /** When set, a held validation returns only once it opens (after calling heldWritten): the gap
   * between the run's row saying held and its workflow knowing it. */
  validateGate: (Gate & { heldWritten(): void }) | null = null;
  /** When set, fetching of review and manual runs waits for it (a run "in progress"). */
  fetchGate: Gate | null = null;
  feed: TermInfo[] = [];
  feedDown = false;
  /** What the sync_runs table would say is running. */
  runningInDb: { runId: string; kind: RunKind; startedAt: string } | null = null;
  /** district_academic_years as recordAcademicYear left it, by district. */
  readonly academicYears = new Map<string, AcademicYear>();
  private kinds = new Map<string, RunKind>();
  private summaries = new Map<string, Partial<RunSummary>>();

  constructor(private readonly client: Client) {}

  private summary(runId: string, status: RunSummary['status'] = 'succeeded'): RunSummary {
    return { runId, kind: this.kinds.get(runId) ?? 'manual', status, blockingErrors: 0, warnings: 0, recordsFetched: 10, finishedAt: new Date().toISOString(), ...this.summaries.get(runId) };
  }

  activities(): Activities & OnboardingActivities & Pick<NotifyActivities, 'notifyRunOutcome'> {
    const real = createOnboardingActivities({ db: null as never, temporal: this.client, oneroster: () => { throw new Error('no OneRoster in fakes'); } });
    const sync: Activities = {
      beginRun: async (i) => {
        this.kinds.set(i.runId, i.kind);
        this.summaries.set(i.runId, this.nextSummary);
        this.nextSummary = {};
        this.calls.push({ name: 'beginRun', kind: i.kind, runId: i.runId });
        return { runId: i.runId };
      },
      fetchRoster: async (i) => {
        this.calls.push({ name: 'fetchRoster', runId: i.runId });
        // Nightly runs are not gated: the time-skipping server fires a cron child once as it starts.
        if (this.fetchGate && this.kinds.get(i.runId) !== 'nightly') await this.fetchGate.opened;
        return { fetched: { users: 10 } };
      },
      validateRun: async (i) => {
        this.calls.push({ name: 'validateRun', runId: i.runId });
        const fail = this.failNext;
        this.failNext = null;
        if (fail) throw ApplicationFailure.create({ type: 'ConfigurationError', message: fail, nonRetryable: true });
        const hold = this.holdNext;
        this.holdNext = null;
        if (hold) {
          if (this.validateGate) {
            this.validateGate.heldWritten();
            await this.validateGate.opened;
          }
          return { held: true, errors: 0, reason: hold };
        }
        return { held: false, errors: 0 };
      },
      applyRun: async (i) => {
        this.calls.push({ name: 'applyRun', runId: i.runId });
        return { applied: true };
      },
      finishRun: async (i) => {
        this.calls.push({ name: 'finishRun', runId: i.runId });
        return this.summary(i.runId);
      },
      failRun: async (i) => {
        this.calls.push({ name: 'failRun', runId: i.runId });
        return { ...this.summary(i.runId, 'failed'), reason: i.reason };
      },
    };
    const onboarding: OnboardingActivities = {
      recordAuditEvents: async (i) => {
        let recorded = 0;
        for (const e of i.entries) {
          const key = `${i.chainId}/${e.seq}`;
          if (!this.auditRows.has(key)) {
            this.auditRows.set(key, { ...e, districtId: i.districtId });
            recorded += 1;
          }
        }
        return { recorded };
      },
      reviewTerms: async (i) => {
        this.calls.push({ name: 'reviewTerms', runId: i.runId });
        return this.feed;
      },
      feedTerms: async () => {
        this.calls.push({ name: 'feedTerms' });
        if (this.feedDown) throw ApplicationFailure.create({ type: 'OneRosterAuthError', message: 'ClassLink answered 503', nonRetryable: true });
        return this.feed;
      },
      recordAcademicYear: async (i) => {
        this.calls.push({ name: 'recordAcademicYear' });
        this.academicYears.set(i.districtId, i.year);
      },
      runningRun: async () => this.runningInDb,
      stopNightly: async (i) => {
        this.calls.push({ name: 'stopNightly' });
        return real.stopNightly(i);
      },
    };
    // Held and failed runs email support; here the notice is only counted.
    const notifyRunOutcome: NotifyActivities['notifyRunOutcome'] = async (i) => {
      this.calls.push({ name: 'notifyRunOutcome', runId: i.runId });
      return { sent: false, reason: 'fake' };
    };
    return { ...sync, ...onboarding, notifyRunOutcome };
  }

  runsOf(kind: RunKind): string[] {
    return this.calls.filter((c) => c.name === 'beginRun' && c.kind === kind).map((c) => c.runId!);
  }
}

export async function withDistrict(
  suite: TimeSkippingSuite,
  world: FakeWorld,
  input: Partial<OnboardingInput>,
  fn: (handle: WorkflowHandle, ctx: { districtId: string; firstRunId: string }) => Promise<void>,
): Promise<void> {
  const { env, client } = suite;
  const taskQueue = `tq-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: world.activities() });
  const districtId = `d${randomUUID().slice(0, 8)}`;
  await worker.runUntil(async () => {
    const handle = await client.workflow.start('districtOnboarding', {
      taskQueue,
      workflowId: onboardingWorkflowId(districtId),
      args: [{ districtId, districtName: 'Test ISD', registeredBy: 'support@test', ...input }],
      memo: { districtName: 'Test ISD' },
    });
    try {
      await fn(handle, { districtId, firstRunId: handle.firstExecutionRunId });
    } finally {
      await handle.terminate('test over').catch(() => undefined);
      await client.workflow.getHandle(nightlyWorkflowId(districtId)).terminate('test over').catch(() => undefined);
    }
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Waits until the nightly chain's latest run is waiting for its next firing. The time-skipping
 * server fires a plain cron child once as it starts (the dev server does not); stopping a chain in
 * the middle of that firing trips bugs of the test server, so tests let the firing pass first.
 */
export async function nightlyWaiting(client: Client, districtId: string): Promise<void> {
  await waitFor('the nightly chain to wait for its next firing', async () => {
    const d = await client.workflow.getHandle(nightlyWorkflowId(districtId)).describe();
    return d.status.name === 'RUNNING' && d.historyLength === 1;
  });
}

export async function stateOf(handle: WorkflowHandle) {
  return handle.query(stateQuery);
}

/** Run ids of the onboarding workflow's chain, first to latest, following continue-as-new. */
export async function parentRuns(client: Client, workflowId: string, firstRunId: string): Promise<string[]> {
  const runs = [firstRunId];
  for (;;) {
    const { events } = await client.workflow.getHandle(workflowId, runs.at(-1)).fetchHistory();
    const next = events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return runs;
    runs.push(next);
  }
}

/** The last run of a chain (cron firings continue as new) and its status. */
export async function chainEnd(client: Client, workflowId: string, runId: string): Promise<{ runId: string; status: string; firings: number }> {
  let current = runId;
  let firings = 0;
  for (;;) {
    const d = await client.workflow.getHandle(workflowId, current).describe();
    if (d.status.name !== 'CONTINUED_AS_NEW') return { runId: current, status: d.status.name, firings };
    const { events } = await client.workflow.getHandle(workflowId, current).fetchHistory();
    current = events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes!.newExecutionRunId!;
    firings += 1;
  }
}

/**
 * Every nightly cron chain any run of the parent started, with the status of the chain's latest
 * run now (the time-skipping server fires a plain cron child once right away, so a chain may
 * already be on its second run).
 */
export async function nightlyChildren(client: Client, districtId: string, firstRunId: string): Promise<{ runId: string; status: string; parentRunId: string }[]> {
  const out: { runId: string; status: string; parentRunId: string }[] = [];
  for (const parentRunId of await parentRuns(client, onboardingWorkflowId(districtId), firstRunId)) {
    const { events } = await client.workflow.getHandle(onboardingWorkflowId(districtId), parentRunId).fetchHistory();
    for (const e of events ?? []) {
      const started = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (started?.workflowId === nightlyWorkflowId(districtId)) {
        const end = await chainEnd(client, started.workflowId, started.runId!);
        out.push({ runId: started.runId!, status: end.status, parentRunId });
      }
    }
  }
  return out;
}
