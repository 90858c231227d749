// The workflow-side notification helpers on the time-skipping server with fake activities: a notice
// that cannot be sent is retried, then given up without failing the caller (the sync); runs that
// are not held or failed send nothing; the daily summary workflow returns what the activity sent.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { NotifyActivities } from '../../activities/notify.js';
import { timeSkippingEnv } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
const workflowsPath = fileURLToPath(new URL('../../notify/workflow.ts', import.meta.url));

beforeAll(async () => {
  env = await timeSkippingEnv();
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(activities: Partial<NotifyActivities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `notify-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
  return worker.runUntil(fn(taskQueue));
}

test('an SMTP outage is retried, then logged: the caller never fails', async () => {
  const calls: string[] = [];
  await withWorker(
    {
      async notifyRunOutcome({ runId }) {
        calls.push(runId);
        throw new Error('SMTP server unavailable');
      },
    },
    async (taskQueue) => {
      const result = await env.client.workflow.execute('notifyRunOutcome', { taskQueue, workflowId: randomUUID(), args: [{ districtId: 'd', runId: 'run-1', status: 'failed' }] });
      expect(result).toBeUndefined();
    },
  );
  expect(calls).toEqual(Array(6).fill('run-1')); // maximumAttempts
});

test('succeeded runs send nothing; held ones do', async () => {
  const calls: string[] = [];
  await withWorker(
    {
      async notifyRunOutcome({ runId }) {
        calls.push(runId);
        return { sent: true, to: 'support@x.test', messageId: 'm' };
      },
    },
    async (taskQueue) => {
      await env.client.workflow.execute('notifyRunOutcome', { taskQueue, workflowId: randomUUID(), args: [{ districtId: 'd', runId: 'ok-run', status: 'succeeded' }] });
      await env.client.workflow.execute('notifyRunOutcome', { taskQueue, workflowId: randomUUID(), args: [{ districtId: 'd', runId: 'held-run', status: 'held' }] });
    },
  );
  expect(calls).toEqual(['held-run']);
});

test('dailySummary returns what the activity sent', async () => {
  const sent = await withWorker({ sendDailySummaries: async () => ({ sent: 3 }) }, (taskQueue) =>
    env.client.workflow.execute('dailySummary', { taskQueue, workflowId: randomUUID(), args: [{}] }),
  );
  expect(sent).toEqual({ sent: 3 });
});
