// Activity interceptors of the sync worker:
// - log attributes: every line an activity logs (SDK lines and Context.current().log) carries
//   districtId and runId (from the activity's first argument) next to workflowId;
// - shutdown: once the worker's grace time is over, an activity still running is abandoned with a
//   retryable failure so the server retries it on another worker at once instead of waiting for a
//   heartbeat timeout (the staged work is resumable and apply is one transaction, which Postgres
//   rolls back when this process exits);
// - metrics: when an activity returns a run summary in a final state, the run is counted.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../lib/log.js';
import type { SyncMetrics } from './metrics.js';

interface RunArg {
  districtId?: unknown;
  runId?: unknown;
}

function runIdsOf(args: unknown[]): { districtId?: string; runId?: string } {
  const first = (args[0] ?? {}) as RunArg;
  return {
    ...(typeof first.districtId === 'string' ? { districtId: first.districtId } : {}),
    ...(typeof first.runId === 'string' ? { runId: first.runId } : {}),
  };
}

function looksLikeRunSummary(value: unknown): value is { runId: string; status: string } {
  return typeof value === 'object' && value !== null && typeof (value as { runId?: unknown }).runId === 'string' && typeof (value as { status?: unknown }).status === 'string';
}

export const SHUTDOWN_FAILURE_TYPE = 'WorkerShutdown';

/** district/<id>[/<kind>/<runId>|/nightly]: the ids a workflow id spells, for lines logged before the arguments are seen. */
export function idsFromWorkflowId(workflowId: unknown): { districtId?: string; runId?: string } {
  if (typeof workflowId !== 'string') return {};
  const m = /^district\/([^/]+)(?:\/(?:review|manual)\/([^/]+))?/.exec(workflowId);
  return m ? { districtId: m[1], ...(m[2] ? { runId: m[2] } : {}) } : {};
}

export function syncActivityInterceptors(deps: { db: Kysely<Database>; metrics?: SyncMetrics; log?: Logger }): ActivityInterceptorsFactory {
  return (ctx: Context): ActivityInterceptors => {
    let ids: { districtId?: string; runId?: string } = {};
    return {
      inbound: {
        async execute(input, next) {
          ids = runIdsOf(input.args);
          const work = next(input);
          // Only a worker shutdown abandons the attempt; other cancellations are the activity's to handle.
          const abandoned = ctx.cancelled.catch((err: unknown) => {
            if (err instanceof CancelledFailure && err.message === 'WORKER_SHUTDOWN') {
              throw ApplicationFailure.retryable('the worker shut down before this activity finished; another worker retries it', SHUTDOWN_FAILURE_TYPE);
            }
            return work;
          });
          work.catch(() => undefined);
          const result = await Promise.race([work, abandoned]);
          if (deps.metrics && looksLikeRunSummary(result) && result.status !== 'running') {
            try {
              const run = await deps.db.selectFrom('sync_runs').selectAll().where('id', '=', result.runId).executeTakeFirst();
              if (run) deps.metrics.recordRun(run);
            } catch (err) {
              deps.log?.warn({ err, ...ids }, 'could not record sync metrics for a finished run');
            }
          }
          return result;
        },
      },
      outbound: {
        getLogAttributes(input, next) {
          // The task token is an opaque credential for completing the activity: keep it out of logs.
          const { taskToken: _taskToken, workflowRunId, ...attrs } = next(input);
          return { ...attrs, ...(workflowRunId ? { temporalRunId: workflowRunId } : {}), ...idsFromWorkflowId(attrs.workflowId), ...ids };
        },
      },
    };
  };
}
