// How stored rows are shown by the API: one place, so every route shows a run the same way.
import type { Config } from '../config/index.js';
import type { SyncRun } from '../db/schema.js';

export function temporalUiLink(config: Config) {
  const ns = encodeURIComponent(config.temporal.namespace);
  return (workflowId: string | null, runId?: string | null): string | null =>
    workflowId ? `${config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}/history` : ''}` : null;
}

export function runViewer(config: Config) {
  const link = temporalUiLink(config);
  return (run: SyncRun) => ({
    id: run.id,
    districtId: run.district_id,
    kind: run.kind,
    mode: run.mode,
    dryRun: run.dry_run,
    status: run.status,
    startedAt: new Date(run.started_at).toISOString(),
    finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
    reason: run.reason,
    counts: run.counts,
    timings: run.timings,
    progress: run.progress,
    summary: run.summary,
    temporal: { workflowId: run.workflow_id, runId: run.temporal_run_id, url: link(run.workflow_id, run.temporal_run_id) },
  });
}
