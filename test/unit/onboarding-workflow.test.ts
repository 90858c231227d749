// Time-skipping tests on the real Temporal test server (pinned binary): the order of onboarding.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import {
  academicYearStartedUpdate,
  dataApprovedUpdate,
  nightlyWorkflowId,
  onboardingWorkflowId,
  startReviewUpdate,
  stateQuery,
} from '../../workflows/messages.js';
import { workflowsPath } from '../../worker/create.js';
import { timeSkippingEnv } from '../support/temporal.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

/** Activities that do no I/O but record what the workflows asked for. */
function recordingActivities() {
  const calls: { name: string; kind?: string; runId: string }[] = [];
  const kinds = new Map<string, string>();
  const summary = (runId: string) => ({
    runId,
    kind: (kinds.get(runId) ?? 'manual') as 'review',
    status: 'succeeded' as const,
    blockingErrors: 0,
    warnings: 0,
    recordsFetched: 10,
    finishedAt: new Date().toISOString(),
  });
  const activities: Activities = {
    async beginRun(i) {
      kinds.set(i.runId, i.kind);
      calls.push({ name: 'beginRun', kind: i.kind, runId: i.runId });
      return { runId: i.runId };
    },
    async fetchRoster(i) {
      calls.push({ name: 'fetchRoster', runId: i.runId });
      return { fetched: { users: 10 } };
    },
    async validateRun(i) {
      calls.push({ name: 'validateRun', runId: i.runId });
      return { held: false, errors: 0 };
    },
    async applyRun(i) {
      calls.push({ name: 'applyRun', runId: i.runId });
      return { applied: true };
    },
    async finishRun(i) {
      calls.push({ name: 'finishRun', runId: i.runId });
      return summary(i.runId);
    },
    async failRun(i) {
      calls.push({ name: 'failRun', runId: i.runId });
      return { ...summary(i.runId), status: 'failed' };
    },
  };
  return { activities, calls };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the nightly child starts only after data approval and the academic year', async () => {
  const { activities, calls } = recordingActivities();
  const taskQueue = `tq-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
  const districtId = `d${randomUUID().slice(0, 8)}`;
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('districtOnboarding', {
      taskQueue,
      workflowId: onboardingWorkflowId(districtId),
      args: [{ districtId, districtName: 'Test ISD' }],
    });
    const actor = { actor: 'support@test' };

    // Before a review, approval is refused with the reason.
    await expect(handle.executeUpdate(dataApprovedUpdate, { args: [actor] })).rejects.toThrow(WorkflowUpdateFailedError);

    const reviewRunId = randomUUID();
    await handle.executeUpdate(startReviewUpdate, { args: [{ ...actor, runId: reviewRunId }] });
    await waitFor('the review to finish', async () => (await handle.query(stateQuery)).review?.status === 'succeeded');
    expect(calls.filter((c) => c.name === 'applyRun')).toHaveLength(0); // a review applies nothing

    // The year cannot start before approval.
    const year = { schoolYear: '2027', startDate: '2026-08-15', endDate: '2027-06-05' };
    const refused = await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...actor, ...year }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/approved/);

    await handle.executeUpdate(dataApprovedUpdate, { args: [actor] });
    expect((await handle.query(stateQuery)).phase).toBe('awaiting_year_start');
    await expect(env.client.workflow.getHandle(nightlyWorkflowId(districtId)).describe()).rejects.toThrow();

    await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...actor, ...year }] });
    const state = await handle.query(stateQuery);
    expect(state.phase).toBe('syncing');
    expect(calls.filter((c) => c.kind === 'nightly')).toHaveLength(0);

    // The child is started on the nightly schedule. (The time-skipping server cannot run CRON_TZ
    // schedules, so when it fires is checked on the real dev server in test/integration.)
    const childStart = await waitFor('the nightly child', async () => {
      const { events } = await handle.fetchHistory();
      return events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === nightlyWorkflowId(districtId))
        ?.startChildWorkflowExecutionInitiatedEventAttributes;
    });
    expect(childStart.cronSchedule).toBe('CRON_TZ=America/Chicago 45 23 * * *');
    expect(childStart.parentClosePolicy).toBe(2); // ABANDON: survives the parent's continue-as-new
  });
});
