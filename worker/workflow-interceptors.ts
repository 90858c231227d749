// Workflow interceptors, bundled with the workflow code (runs in the workflow sandbox: deterministic,
// no Node built-ins, no I/O). They put districtId and our sync runId on every workflow log line, and
// name Temporal's own run id temporalRunId so it is never confused with the sync run id.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

// district/<id>, district/<id>/nightly, district/<id>/<review|manual>/<runId>
const DISTRICT_WORKFLOW = /^district\/([^/]+)(?:\/(?:review|manual)\/([^/]+))?/;

function runIdOf(args: unknown[]): string | undefined {
  const first = args[0] as { runId?: unknown } | undefined;
  return typeof first?.runId === 'string' ? first.runId : undefined;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  let runId: string | undefined;
  return {
    inbound: [
      {
        async execute(input, next) {
          runId = runIdOf(input.args) ?? runId;
          return next(input);
        },
      },
    ],
    outbound: [
      {
        // A nightly run makes its run id inside the workflow: learn it from the activities it schedules.
        async scheduleActivity(input, next) {
          runId = runIdOf(input.args) ?? runId;
          return next(input);
        },
        getLogAttributes(input, next) {
          const { runId: temporalRunId, ...attrs } = next(input);
          const m = typeof attrs.workflowId === 'string' ? DISTRICT_WORKFLOW.exec(attrs.workflowId) : null;
          const known = runId ?? m?.[2];
          return { ...attrs, temporalRunId, ...(m ? { districtId: m[1] } : {}), ...(known ? { runId: known } : {}) };
        },
      },
    ],
  };
};
