// decideHeldRun (api/held-run-decision.ts) against a real sync-run workflow on the time-skipping
// server: a decision sent while the run's row already says held but its workflow has not yet taken in
// the validate result waits for the workflow instead of being refused.
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { decideHeldRun } from '../../api/held-run-decision.js';
import { discardHeldRunUpdate, syncRunStateQuery, type SyncWorkflowInput } from '../../workflows/messages.js';
import { workflowsPath } from '../../worker/create.js';
import { FakeWorld, gate, timeSkippingSuite } from './onboarding-fakes.js';

const suite = timeSkippingSuite();

async function withHeldGap(fn: (ctx: { runId: string; handle: ReturnType<typeof suite.client.workflow.getHandle>; release(): void }) => Promise<void>) {
  const world = new FakeWorld(suite.client);
  world.holdNext = 'Held for support: ClassLink sent no users';
  const written = gate();
  const release = gate();
  world.validateGate = { ...release, heldWritten: written.open };
  const taskQueue = `tq-${randomUUID()}`;
  const worker = await Worker.create({ connection: suite.env.nativeConnection, taskQueue, workflowsPath, activities: world.activities() });
  await worker.runUntil(async () => {
    const runId = randomUUID();
    const input: SyncWorkflowInput = { districtId: `d${runId.slice(0, 8)}`, kind: 'manual', dryRun: false, runId };
    const handle = await suite.client.workflow.start('syncRun', { taskQueue, workflowId: `test/${runId}`, args: [input] });
    try {
      await written.opened;
      await fn({ runId, handle, release: release.open });
    } finally {
      release.open();
      await handle.terminate('test over').catch(() => undefined);
    }
  });
}

test('a decision sent in the gap waits for the workflow to be held, then is taken', async () => {
  await withHeldGap(async ({ runId, handle, release }) => {
    // Sent straight to the workflow, the same decision is refused in the gap.
    await expect(handle.executeUpdate(discardHeldRunUpdate, { args: [{ runId, actor: 'support' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    const decided = decideHeldRun(handle, 'discard', { runId, actor: 'support' });
    setTimeout(release, 300);
    await expect(decided).resolves.toEqual({ runId, decision: 'discarded' });
    expect(await handle.query(syncRunStateQuery)).toMatchObject({ decision: { action: 'discarded', actor: 'support' } });
  });
}, 60_000);

test('a workflow that never becomes held still gets the decision, and its refusal comes back', async () => {
  await withHeldGap(async ({ runId, handle }) => {
    const started = Date.now();
    const refused = await decideHeldRun(handle, 'approve', { runId, actor: 'support' }, 500).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/is not held/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });
}, 60_000);
