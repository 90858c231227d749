// A run whose workflow ended without closing it (terminated by an operator, timed out) stays
// `running` or `held` in sync_runs, and every later run of the district would wait behind it in
// beginRun forever. Temporal knows whether the workflow is still open: when it is not, the run is
// marked failed with the reason, and the district moves on.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database, SyncRun } from '../db/schema.js';
import { activeRunOf, failAbandonedRun } from '../roster/runs.js';

type Log = { warn(obj: object, msg?: string): void };

const ENDED: Partial<Record<WorkflowExecutionStatusName, string>> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  CONTINUED_AS_NEW: 'continued as new',
  TIMED_OUT: 'timed out',
};

/** How a workflow execution ended, in words; null while it is open or when Temporal cannot say. */
export async function howWorkflowEnded(temporal: Client, workflowId: string, runId: string | null, log?: Log): Promise<string | null> {
  try {
    const d = await temporal.workflow.getHandle(workflowId, runId ?? undefined).describe();
    return ENDED[d.status.name] ?? null;
  } catch (err) {
    // An open workflow is always found; one past its retention is not.
    if (err instanceof WorkflowNotFoundError) return 'ended (Temporal no longer has it)';
    // Temporal unreachable: assume the run is alive, and look again on the next retry.
    log?.warn({ workflowId, err: String(err) }, 'could not ask Temporal whether a blocking run is still going');
    return null;
  }
}

/**
 * Fails the district's blocking run if its workflow has ended; returns the run it released, or
 * null when the run is alive (or there is none). Apply is one transaction that also sets
 * summary.applied, so "nothing of it was applied" is exact when that flag is absent.
 */
export async function releaseAbandonedRun(db: Kysely<Database>, temporal: Client, districtId: string, log?: Log): Promise<SyncRun | null> {
  const run = await activeRunOf(db, districtId);
  if (!run?.workflow_id) return null;
  const ended = await howWorkflowEnded(temporal, run.workflow_id, run.temporal_run_id, log);
  if (!ended) return null;
  // A one-off run's workflow id is its own: a later execution of it still open means the run was
  // reset and carries on. (A nightly chain's later executions are the next nights' runs.)
  if (run.kind !== 'nightly' && run.temporal_run_id && (await howWorkflowEnded(temporal, run.workflow_id, null, log)) === null) return null;
  const applied = Boolean((run.summary as { applied?: boolean }).applied);
  const reason = applied
    ? `its workflow was ${ended} after the roster was applied but before the run was closed: its changes are live; later runs no longer wait for it`
    : `its workflow was ${ended} before it finished; nothing of it was applied. Later runs no longer wait for it`;
  if (!(await failAbandonedRun(db, run.id, reason))) return null;
  log?.warn({ districtId, runId: run.id, workflowId: run.workflow_id, ended }, 'failed a run whose workflow ended without closing it');
  return run;
}
