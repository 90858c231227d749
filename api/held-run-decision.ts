// Sends support's decision on a held run to the run's workflow.
//
// The validate activity marks the run's row held before its workflow has taken in the activity's
// result, and the workflow's validator refuses a decision ("run … is not held") until it has. A
// decision made from the row (the support console, the API) can land in that gap, so it first waits
// a little for the workflow to say it is held.
import type { WorkflowHandle } from '@temporalio/client';
import { approveHeldRunUpdate, discardHeldRunUpdate, syncRunStateQuery, type HeldRunDecision, type HeldRunDecisionResult } from '../workflows/messages.js';

export type HeldRunAction = 'approve' | 'discard';

export async function decideHeldRun(handle: WorkflowHandle, action: HeldRunAction, decision: HeldRunDecision, waitMs = 10_000): Promise<HeldRunDecisionResult> {
  await untilWorkflowHeld(handle, waitMs);
  return handle.executeUpdate(action === 'approve' ? approveHeldRunUpdate : discardHeldRunUpdate, { args: [decision] });
}

/** Returns once the workflow is held or decided, or after waitMs; the update then gives the answer. */
async function untilWorkflowHeld(handle: WorkflowHandle, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    // A workflow that is gone or unreachable is left for the update to report.
    const state = await handle.query(syncRunStateQuery).catch(() => null);
    if (!state || state.held || state.decision || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
