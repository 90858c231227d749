// Repository for sync_runs: the record of every run that the API and the Admin pages show.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RunKind, RunStatus, SyncRun } from '../db/schema.js';
import type { RunSummary } from '../workflows/messages.js';

type Db = Kysely<Database> | Transaction<Database>;

export class RunConflictError extends Error {
  override name = 'RunConflictError';
}

export interface NewRun {
  id: string;
  districtId: string;
  kind: RunKind;
  dryRun: boolean;
  mode: 'full' | 'delta';
  deltaSince?: Date | null;
  workflowId: string;
  temporalRunId: string;
}

/** Idempotent (an activity retry re-inserts the same id); refuses a second running run of a district. */
export async function createRun(db: Db, run: NewRun): Promise<SyncRun> {
  const existing = await getRun(db, run.id);
  if (existing) return existing;
  try {
    return await db
      .insertInto('sync_runs')
      .values({
        id: run.id,
        district_id: run.districtId,
        kind: run.kind,
        dry_run: run.dryRun,
        mode: run.mode,
        delta_since: run.deltaSince ?? null,
        status: 'running',
        workflow_id: run.workflowId,
        temporal_run_id: run.temporalRunId,
        counts: '{}',
        timings: '{}',
        progress: JSON.stringify({ phase: 'starting' }),
        summary: '{}',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      const running = await db.selectFrom('sync_runs').select(['id', 'kind']).where('district_id', '=', run.districtId).where('status', '=', 'running').executeTakeFirst();
      throw new RunConflictError(`another sync of district "${run.districtId}" is running (${running?.kind ?? 'unknown'} run ${running?.id ?? '?'}); this one waits for it`);
    }
    throw err;
  }
}

/** The district's run that blocks others (running, or held for support), if any. */
export async function activeRunOf(db: Db, districtId: string): Promise<SyncRun | undefined> {
  return db.selectFrom('sync_runs').selectAll().where('district_id', '=', districtId).where('status', 'in', ['running', 'held']).executeTakeFirst();
}

/** Fails a run nobody will close (its workflow is gone); false when it closed meanwhile. */
export async function failAbandonedRun(db: Db, id: string, reason: string): Promise<boolean> {
  const res = await db
    .updateTable('sync_runs')
    .set({ status: 'failed', reason, finished_at: new Date(), progress: sql`progress || '{"phase":"failed"}'::jsonb` })
    .where('id', '=', id)
    .where('status', 'in', ['running', 'held'])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function getRun(db: Db, id: string): Promise<SyncRun | undefined> {
  return db.selectFrom('sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function requireRun(db: Db, id: string): Promise<SyncRun> {
  const run = await getRun(db, id);
  if (!run) throw new Error(`sync run ${id} does not exist`);
  return run;
}

export async function listRuns(db: Db, districtId: string, limit = 50): Promise<SyncRun[]> {
  return db.selectFrom('sync_runs').selectAll().where('district_id', '=', districtId).orderBy('started_at', 'desc').limit(limit).execute();
}

export async function setProgress(db: Db, id: string, progress: Record<string, unknown>): Promise<void> {
  await db.updateTable('sync_runs').set({ progress: JSON.stringify(progress) }).where('id', '=', id).execute();
}

/** Merge into a JSON column without a read-modify-write race. */
export async function mergeRunJson(db: Db, id: string, column: 'counts' | 'timings' | 'summary', patch: Record<string, unknown>): Promise<void> {
  await sql`update sync_runs set ${sql.ref(column)} = ${sql.ref(column)} || ${JSON.stringify(patch)}::jsonb where id = ${id}`.execute(db);
}

export async function setRunStatus(db: Db, id: string, status: RunStatus, reason: string | null = null): Promise<void> {
  const finished = status === 'running' || status === 'held' ? null : new Date();
  await db.updateTable('sync_runs').set({ status, reason, finished_at: finished }).where('id', '=', id).execute();
}

type CountsRecord = Record<string, { fetched?: number; quarantined?: number }>;

export function runSummary(run: SyncRun, issueCounts: { errors: number; warnings: number }): RunSummary {
  const counts = run.counts as CountsRecord;
  const recordsFetched = Object.values(counts).reduce((n, c) => n + (c.fetched ?? 0), 0);
  return {
    runId: run.id,
    kind: run.kind,
    status: run.status,
    blockingErrors: issueCounts.errors,
    warnings: issueCounts.warnings,
    recordsFetched,
    ...(run.reason ? { reason: run.reason } : {}),
    finishedAt: (run.finished_at ?? new Date()).toISOString(),
  };
}

export async function issueCounts(db: Db, runId: string): Promise<{ errors: number; warnings: number }> {
  const rows = await db
    .selectFrom('run_issues')
    .select(['severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('severity')
    .execute();
  const get = (s: string) => Number(rows.find((r) => r.severity === s)?.n ?? 0);
  return { errors: get('error'), warnings: get('warning') };
}

/** Issues of a run counted per rule, e.g. {"classes.course.ref": 3, "classes.noTeacher": 12}. */
export async function issueCountsByRule(db: Db, runId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('run_issues')
    .select(['rule', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('rule')
    .orderBy('rule')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.rule, Number(r.n)]));
}

export class RunStateError extends Error {
  override name = 'RunStateError';
}

/** held → running when support approves; refuses any other state with the reason. */
export async function resumeHeldRun(db: Db, id: string): Promise<void> {
  const res = await db.updateTable('sync_runs').set({ status: 'running', reason: null }).where('id', '=', id).where('status', '=', 'held').executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const run = await getRun(db, id);
    throw new RunStateError(`run ${id} is ${run?.status ?? 'unknown'}, not held: only a held run can be approved`);
  }
}
