// Thin activity functions built from injected dependencies; each delegates to roster/ or oneroster/.
// Inputs and outputs are ids and counts only.
import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Database, District, RunKind } from '../db/schema.js';
import { COLLECTIONS, type OneRosterClient } from '../oneroster/types.js';
import { applyStaging } from '../roster/apply.js';
import { requireDistrict } from '../roster/districts.js';
import { createRun, issueCounts, mergeRunJson, requireRun, runSummary, setProgress, setRunStatus } from '../roster/runs.js';
import { dropStaging, resumeOffset, stagedCounts, writePage } from '../roster/staging.js';
import { validateStaging } from '../roster/validate.js';
import type { RunSummary } from '../workflows/messages.js';

export interface ActivityDeps {
  db: Kysely<Database>;
  /** Builds the district's OneRoster client from its stored (encrypted) connection. */
  oneroster: (district: District) => OneRosterClient;
  clock?: () => Date;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

interface RunRef {
  districtId: string;
  runId: string;
}

function heartbeat(details: unknown): void {
  // Activities also run outside a worker (unit tests call them directly).
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity context */
  }
}

export function createActivities(deps: ActivityDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function summarize(runId: string): Promise<RunSummary> {
    return runSummary(await requireRun(db, runId), await issueCounts(db, runId));
  }

  return {
    async beginRun(input: RunRef & { kind: RunKind; dryRun: boolean; workflowId: string; temporalRunId: string }): Promise<{ runId: string }> {
      await requireDistrict(db, input.districtId);
      await createRun(db, { id: input.runId, districtId: input.districtId, kind: input.kind, dryRun: input.dryRun, mode: 'full', workflowId: input.workflowId, temporalRunId: input.temporalRunId });
      return { runId: input.runId };
    },

    async fetchRoster({ districtId, runId }: RunRef): Promise<{ fetched: Record<string, number> }> {
      const district = await requireDistrict(db, districtId);
      const client = deps.oneroster(district);
      const started = clock().getTime();
      for (const collection of COLLECTIONS) {
        let pagesDone = 0;
        const startOffset = await resumeOffset(db, runId, collection);
        for await (const page of client.pages(collection, { startOffset })) {
          await writePage(db, runId, page);
          pagesDone += 1;
          const progress = { phase: 'fetch', collection, offset: page.offset + page.records.length, totalCount: page.totalCount, pagesDone };
          heartbeat(progress);
          await setProgress(db, runId, progress);
        }
      }
      await mergeRunJson(db, runId, 'timings', { fetch_ms: clock().getTime() - started });
      return { fetched: await stagedCounts(db, runId) };
    },

    async validateRun({ districtId, runId }: RunRef): Promise<{ held: boolean; errors: number }> {
      const started = clock().getTime();
      await setProgress(db, runId, { phase: 'validate' });
      // Issues are recomputed from scratch so a retried validation does not double them.
      await db.deleteFrom('run_issues').where('run_id', '=', runId).execute();
      await db.updateTable('staging_records').set({ quarantine_rule: null }).where('run_id', '=', runId).execute();
      const { errors } = await validateStaging(db, runId, districtId);
      await mergeRunJson(db, runId, 'timings', { validate_ms: clock().getTime() - started });
      return { held: false, errors };
    },

    async applyRun({ districtId, runId }: RunRef): Promise<{ applied: boolean }> {
      const started = clock().getTime();
      await setProgress(db, runId, { phase: 'apply' });
      await db.transaction().execute(async (trx) => {
        const run = await trx.selectFrom('sync_runs').select(['mode', 'status']).where('id', '=', runId).forUpdate().executeTakeFirstOrThrow();
        if (run.status !== 'running') return; // already applied by an earlier attempt that died after commit
        const counts = await applyStaging(trx, { runId, districtId, fullFeed: run.mode === 'full' });
        await mergeRunJson(trx, runId, 'counts', counts);
        await mergeRunJson(trx, runId, 'summary', { applied: true });
      });
      await mergeRunJson(db, runId, 'timings', { apply_ms: clock().getTime() - started });
      return { applied: true };
    },

    async finishRun({ runId }: RunRef): Promise<RunSummary> {
      const run = await requireRun(db, runId);
      if (run.status === 'running') {
        if (run.dry_run || !(run.summary as { applied?: boolean }).applied) {
          const staged = await stagedCounts(db, runId);
          const quarantined = await db.selectFrom('staging_records').select(['entity', (eb) => eb.fn.countAll<number>().as('n')]).where('run_id', '=', runId).where('quarantine_rule', 'is not', null).groupBy('entity').execute();
          const counts = Object.fromEntries(
            COLLECTIONS.map((c) => [c, { fetched: staged[c] ?? 0, quarantined: Number(quarantined.find((q) => q.entity === c)?.n ?? 0) }]),
          );
          await mergeRunJson(db, runId, 'counts', counts);
        }
        await setRunStatus(db, runId, 'succeeded');
        await setProgress(db, runId, { phase: 'done' });
        await dropStaging(db, runId);
      }
      return summarize(runId);
    },

    async failRun({ runId, reason }: RunRef & { reason: string }): Promise<RunSummary> {
      const run = await requireRun(db, runId);
      if (run.status === 'running') {
        await setRunStatus(db, runId, 'failed', reason);
        await setProgress(db, runId, { ...(run.progress as object), phase: 'failed' });
      }
      return summarize(runId);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
