// Helpers for sync integration tests: a district on the sandbox, runs started as their own
// workflows on the real dev server, and snapshots of the live tables.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createSecretBox } from '../../db/secrets.js';
import { COLLECTIONS } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import type { AcademicYear, RunKind, RunSummary } from '../../workflows/messages.js';
import { registerDistrict as registerTenantDistrict, rowVersions, type StartedRun } from '../reliability/support/rig.js';
import { waitFor, type TestSystem } from '../support/system.js';

export async function registerDistrict(sys: TestSystem, id: string, settings: Record<string, unknown> = {}): Promise<void> {
  await registerTenantDistrict(sys.database.db, id, sys.sandbox, settings, createSecretBox(sys.config.secretsKey));
}

export type { StartedRun };

/** Starts a sync run as its own workflow (as DistrictOnboarding does for one-off runs). */
export async function startRun(
  sys: TestSystem,
  districtId: string,
  opts: { kind?: RunKind; dryRun?: boolean; academicYear?: AcademicYear; taskQueue?: string } = {},
): Promise<StartedRun> {
  const runId = randomUUID();
  const kind = opts.kind ?? 'manual';
  const workflowId = `test/${districtId}/${kind}/${runId}`;
  const handle = await sys.env.client.workflow.start('syncRun', {
    taskQueue: opts.taskQueue ?? sys.config.temporal.taskQueue,
    workflowId,
    args: [{ districtId, kind, runId, dryRun: opts.dryRun ?? kind === 'review', ...(opts.academicYear ? { academicYear: opts.academicYear } : {}) }],
  });
  const result = handle.result() as Promise<RunSummary>;
  result.catch(() => undefined);
  return { runId, workflowId, result };
}

export async function runStatus(sys: TestSystem, districtId: string, runId: string): Promise<any> {
  const { status, json } = await sys.api('GET', `/api/districts/${districtId}/runs/${runId}`);
  return status === 200 ? json : null;
}

export async function waitForStatus(sys: TestSystem, districtId: string, runId: string, status: string, timeoutMs = 90_000): Promise<any> {
  return waitFor(`run ${runId} to be ${status}`, async () => {
    const run = await runStatus(sys, districtId, runId);
    if (run && run.status !== 'running' && run.status !== status) throw new Error(`run is ${run.status}: ${run.reason}`);
    return run?.status === status ? run : null;
  }, timeoutMs);
}

/** (sourcedId → ctid) of every live row of a district: equal snapshots mean no row was written (see rowVersions). */
export async function rowVersionsOf(sys: TestSystem, districtId: string): Promise<Record<string, string>> {
  return rowVersions(sys.database.db, districtId);
}

/** What a district's live tables hold, independent of when it was written. */
export async function liveContent(sys: TestSystem, districtId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of COLLECTIONS) {
    const rows = await sql<{ s: string; h: string; d: boolean }>`
      select sourced_id as s, content_hash as h, deleted_at is not null as d from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(sys.database.db);
    for (const r of rows.rows) out[`${c}/${r.s}`] = `${r.h}${r.d ? ' deleted' : ''}`;
  }
  return out;
}

export async function stagingRows(sys: TestSystem, runId: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from staging_records where run_id = ${runId}`.execute(sys.database.db);
  return r.rows[0]?.n ?? 0;
}
