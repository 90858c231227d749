// Sync runs driven the way the system drives them: districts registered in the database with their
// tenant connection, and `syncRun` / `nightlySync` workflows started on the worker's task queue with
// the contract of workflows/messages.ts. Each run is timed from start to result, and read back from
// sync_runs (mode, counts) and from its Temporal history (activities, events, payload sizes).
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type pg from 'pg';
import { nightlyWorkflowId, oneOffRunWorkflowId, type RunSummary, type SyncWorkflowInput } from '../workflows/messages.js';
import { historyFigures } from './history.js';
import type { HistoryFigures } from './results.js';
import type { SandboxProcess, Stack, WorkerProcess } from './stack.js';

/** The six live roster tables a sync writes to. */
export const LIVE_TABLES = ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments'] as const;

export async function registerDistrict(stack: Stack, id: string, sandbox: SandboxProcess, pageSize: number): Promise<void> {
  await stack.db
    .insertInto('districts')
    .values({
      id,
      name: `Bench ${id}`,
      timezone: 'America/Chicago',
      oneroster_base_url: sandbox.onerosterBaseUrl,
      oneroster_auth_kind: 'oauth2',
      oneroster_client_id: sandbox.clientId,
      oneroster_secret_enc: stack.secrets.seal(sandbox.clientSecret),
      oneroster_token_url: sandbox.tokenUrl,
      oneroster_signature_method: null,
      sso_issuer: null,
      sso_client_id: null,
      sso_secret_enc: null,
      settings: JSON.stringify({ pageSize }),
    })
    .execute();
}

/** Every run of a case starts from empty live tables. */
export async function emptyLiveTables(pool: pg.Pool): Promise<void> {
  await pool.query(`truncate ${LIVE_TABLES.join(', ')} cascade`);
}

export interface RunOutcome {
  workflowId: string;
  seconds: number;
  ok: boolean;
  status: string;
  reason: string | null;
  /** sync_runs.mode as the engine recorded it. */
  mode: string | null;
  counts: unknown;
  timings: unknown;
  history: HistoryFigures | null;
}

export type RunType = 'syncRun' | 'nightlySync';

export interface StartedRun {
  workflowId: string;
  t0: number;
  /** Resolves when the run is over (never rejects): the time and the summary or failure. */
  done: Promise<{ seconds: number; summary: RunSummary | null; error: string | null; runId: string }>;
}

/** `syncRun` = a one-off manual run (full); `nightlySync` = the cron child's run (delta after a good run, once the engine has delta). */
export async function startRun(stack: Stack, worker: WorkerProcess, type: RunType, districtId: string): Promise<StartedRun> {
  const oneOff = type === 'syncRun';
  const runId = randomUUID();
  const workflowId = oneOff ? oneOffRunWorkflowId(districtId, 'manual', runId) : nightlyWorkflowId(districtId);
  const input: SyncWorkflowInput = oneOff ? { districtId, kind: 'manual', runId, dryRun: false } : { districtId, kind: 'nightly', dryRun: false };
  const t0 = performance.now();
  const handle = await stack.temporal.workflow.start(type, { taskQueue: worker.taskQueue, workflowId, args: [input] });
  const done = (async () => {
    try {
      const summary = (await handle.result()) as RunSummary;
      return { seconds: (performance.now() - t0) / 1000, summary, error: null, runId: handle.firstExecutionRunId };
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message;
      return { seconds: (performance.now() - t0) / 1000, summary: null, error: cause, runId: handle.firstExecutionRunId };
    }
  })();
  return { workflowId, t0, done };
}

/** Reads the run's row and history once it is over. */
export async function outcomeOf(stack: Stack, started: StartedRun, end: Awaited<StartedRun['done']>, withHistory = true): Promise<RunOutcome> {
  const row = await stack.db
    .selectFrom('sync_runs')
    .select(['mode', 'status', 'reason', 'counts', 'timings'])
    .where('workflow_id', '=', started.workflowId)
    .where('temporal_run_id', '=', end.runId)
    .executeTakeFirst();
  let history: HistoryFigures | null = null;
  if (withHistory) history = historyFigures(await stack.temporal.workflow.getHandle(started.workflowId, end.runId).fetchHistory());
  const status = end.summary?.status ?? row?.status ?? 'failed';
  return {
    workflowId: started.workflowId,
    seconds: end.seconds,
    ok: end.error === null && status === 'succeeded',
    status,
    reason: end.error ?? end.summary?.reason ?? row?.reason ?? null,
    mode: row?.mode ?? null,
    counts: row?.counts ?? null,
    timings: row?.timings ?? null,
    history,
  };
}

export const TIMED_OUT = 'timed out';

/**
 * Runs one sync to its end, failing fast if the worker dies. A run past `timeoutMs` is terminated,
 * its queries in Postgres cancelled (they would go on burning the CPU the next case measures), and
 * it comes back with status "timed out".
 */
export async function runOnce(stack: Stack, worker: WorkerProcess, type: RunType, districtId: string, timeoutMs: number): Promise<RunOutcome> {
  const started = await startRun(stack, worker, type, districtId);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const end = await Promise.race([started.done, worker.died, timeout]).finally(() => clearTimeout(timer));
  if (end !== 'timeout') return outcomeOf(stack, started, end);
  await stack.temporal.workflow.getHandle(started.workflowId).terminate(`the bench gave up after ${timeoutMs / 60_000} min`).catch(() => undefined);
  await stack.pool.query(`select pg_cancel_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`);
  const row = await stack.db.selectFrom('sync_runs').select(['mode', 'progress', 'timings']).where('workflow_id', '=', started.workflowId).orderBy('started_at', 'desc').executeTakeFirst();
  return {
    workflowId: started.workflowId,
    seconds: timeoutMs / 1000,
    ok: false,
    status: TIMED_OUT,
    reason: `still running after ${timeoutMs / 60_000} min (at ${JSON.stringify(row?.progress ?? null)}); terminated`,
    mode: row?.mode ?? null,
    counts: null,
    timings: row?.timings ?? null,
    history: null,
  };
}

/** What a running run of this district is doing, for the progress line. */
export async function runProgress(stack: Stack, districtId: string): Promise<string | null> {
  const row = await stack.db.selectFrom('sync_runs').select(['progress']).where('district_id', '=', districtId).where('status', '=', 'running').executeTakeFirst();
  if (!row) return null;
  const p = row.progress as { phase?: string; collection?: string; offset?: number; totalCount?: number | null };
  const where = p.collection ? ` ${p.collection}${p.offset !== undefined ? ` ${p.offset}${p.totalCount ? `/${p.totalCount}` : ''}` : ''}` : '';
  return `${p.phase ?? '?'}${where}`;
}

export interface LiveSnapshot {
  /** Transactions after this one wrote whatever carries a larger xmin. */
  xid: bigint;
  rows: Record<string, number>;
}

/**
 * Rows written between a snapshot and now: row versions created since (xmin after the snapshot's
 * transaction: inserts and updates, soft deletes included) plus rows that disappeared (hard deletes).
 * Exact and immediate, unlike pg_stat_user_tables, whose counters reach other sessions up to seconds
 * late. The 32-bit xmin is compared within one epoch: the bench's cluster is fresh.
 */
export async function liveSnapshot(pool: pg.Pool, districtId: string): Promise<LiveSnapshot> {
  const { rows } = await pool.query<{ x: string }>('select pg_current_xact_id()::text as x');
  const xid = BigInt(rows[0]!.x) % 2n ** 32n;
  return { xid, rows: await liveCounts(pool, districtId) };
}

async function liveCounts(pool: pg.Pool, districtId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of LIVE_TABLES) {
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from ${t} where district_id = $1`, [districtId]);
    out[t] = Number(rows[0]!.n);
  }
  return out;
}

export async function rowsWrittenSince(pool: pg.Pool, districtId: string, snap: LiveSnapshot): Promise<{ total: number; byTable: Record<string, number> }> {
  const after = await liveCounts(pool, districtId);
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const t of LIVE_TABLES) {
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from ${t} where district_id = $1 and xmin::text::bigint > $2`, [districtId, snap.xid.toString()]);
    const n = Number(rows[0]!.n) + Math.max(0, (snap.rows[t] ?? 0) - (after[t] ?? 0));
    byTable[t] = n;
    total += n;
  }
  return { total, byTable };
}
