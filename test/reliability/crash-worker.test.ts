// Crashes: the worker process is SIGKILLed at a seeded random point of a sync (a page of some
// collection, somewhere in validation, or inside the apply transaction); a new worker process
// finishes the run, and the live tables then equal both the tenant's roster and an undisturbed
// run's, with no duplicate or missing row. RELIABILITY_KILLS / RELIABILITY_SIZE set the scale.
import { isDeepStrictEqual } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { COLLECTIONS } from '../../oneroster/types.js';
import { hash, mulberry32 } from '../../sandbox/prng.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { devServerEnv } from '../support/temporal.js';
import { recordFigures } from './support/figures.js';
import { params } from './support/params.js';
import { compareLive, describeDifferences, duplicateRows, liveContent, registerDistrict, runRow, sleep, startRun, waitUntil } from './support/rig.js';
import { removeWorkflowBundle, spawnWorker, workflowBundle, type WorkerProcess } from './support/worker-process.js';

const PAGE_SIZE = 500;
const base = `reliability-kill-${process.pid}-${Date.now()}`;

let database: TestDatabase;
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let bundlePath: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [database, env, sandbox, bundlePath] = await Promise.all([
    createTestDatabase(),
    devServerEnv(),
    startSandbox({ size: params.size, seed: params.seed }),
    workflowBundle(),
  ]);
}, 180_000);

afterAll(async () => {
  await removeWorkflowBundle();
  await Promise.allSettled(workers.map((w) => w.kill('SIGKILL')));
  await Promise.allSettled([env?.teardown(), sandbox?.close()]);
  await database?.destroy();
});

function worker(taskQueue: string): WorkerProcess {
  const w = spawnWorker({ databaseUrl: database.url, temporalAddress: env.address, taskQueue, bundlePath });
  workers.push(w);
  return w;
}

type KillPoint =
  | { phase: 'fetch'; page: number; extraMs: number }
  | { phase: 'validate'; extraMs: number }
  | { phase: 'apply'; extraMs: number };

interface Reference {
  pages: number;
  validateMs: number;
  applyMs: number;
}

/** Where kill `seed` strikes: 60% during the fetch (a uniformly drawn page), 20% in validation, 20% inside apply. */
function killPoint(seed: number, ref: Reference): KillPoint {
  const rand = mulberry32(hash(seed, 0x6b11));
  const r = rand();
  if (r < 0.6) return { phase: 'fetch', page: Math.floor(rand() * ref.pages), extraMs: Math.floor(rand() * 150) };
  if (r < 0.8) return { phase: 'validate', extraMs: Math.floor(rand() * ref.validateMs) };
  return { phase: 'apply', extraMs: Math.floor(rand() * ref.applyMs) };
}

/** Pages fetched so far across collections, from the run's progress. */
function pagesSoFar(progress: Record<string, any>, pagesPer: number[]): number {
  if (progress.phase !== 'fetch') return progress.phase === 'starting' ? 0 : Number.POSITIVE_INFINITY;
  const before = pagesPer.slice(0, Number(progress.collectionIndex) - 1).reduce((a, b) => a + b, 0);
  return before + Number(progress.pagesDone);
}

interface KillResult {
  seed: number;
  planned: KillPoint;
  /** The run's phase when the process died (from its progress row). */
  killedIn: string;
  finishedBeforeKill: boolean;
  status: string;
  /** From the kill until the new worker had finished the run. */
  recoveryMs: number;
}

test(`a worker SIGKILLed at ${params.kills} seeded random points of a size ${params.size} sync: a new worker finishes each run and the live tables equal an undisturbed run's`, async () => {
  const pagesPer = COLLECTIONS.map((c) => Math.max(1, Math.ceil(sandbox.generator.count(c) / PAGE_SIZE)));

  // The undisturbed run: its tables are what every killed run must end with.
  await registerDistrict(database.db, 'reference', sandbox, { pageSize: PAGE_SIZE });
  const refQueue = `${base}-ref`;
  const refWorker = worker(refQueue);
  const refRun = await startRun(env.client, 'reference', refQueue);
  await expect(refRun.result).resolves.toMatchObject({ status: 'succeeded' });
  await refWorker.kill('SIGTERM');
  const refRow = (await runRow(database.db, refRun.runId))!;
  const reference = await liveContent(database.db, 'reference');
  const refCompare = await compareLive(database.db, 'reference', sandbox.generator);
  expect(describeDifferences(refCompare.differences)).toEqual([]);
  const ref: Reference = { pages: pagesPer.reduce((a, b) => a + b, 0), validateMs: Number(refRow.timings.validate_ms ?? 500), applyMs: Number(refRow.timings.apply_ms ?? 500) };

  async function killAndResume(i: number): Promise<KillResult> {
    const seed = params.seed + i;
    const districtId = `crash-${i}`;
    const queue = `${base}-k${i}`;
    const planned = killPoint(seed, ref);
    await registerDistrict(database.db, districtId, sandbox, { pageSize: PAGE_SIZE });
    const first = worker(queue);
    const run = await startRun(env.client, districtId, queue);
    await waitUntil(
      `run ${districtId} to reach its kill point ${JSON.stringify(planned)}`,
      async () => {
        if (first.child.exitCode !== null) throw new Error(`the first worker exited early: ${first.output()}`);
        const row = await runRow(database.db, run.runId);
        if (!row) return false;
        if (row.status !== 'running') return true;
        const p = row.progress;
        if (planned.phase === 'fetch') return pagesSoFar(p, pagesPer) >= planned.page;
        if (planned.phase === 'validate') return p.phase === 'validate' || p.phase === 'apply' || p.phase === 'done';
        return p.phase === 'apply' || p.phase === 'done';
      },
      240_000,
      25,
    );
    await sleep(planned.extraMs);
    const atKill = (await runRow(database.db, run.runId))!;
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    const second = worker(queue);
    const summary = await run.result;
    await second.kill('SIGTERM');
    const p = atKill.progress;
    const killedIn = p.phase === 'fetch' ? `fetch ${p.collection} page ${p.pagesDone}/${p.pagesTotal}` : String(p.phase ?? 'starting');
    return { seed, planned, killedIn, finishedBeforeKill: atKill.status !== 'running', status: summary.status, recoveryMs: Date.now() - killedAt };
  }

  // Kills run a few at a time: a killed activity is only retried after its heartbeat timeout, idle time worth overlapping.
  const results: KillResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(params.killConcurrency, params.kills) }, async () => {
      while (next < params.kills) results.push(await killAndResume(next++));
    }),
  );

  const problems: string[] = [];
  let rowsLost = 0;
  for (let i = 0; i < params.kills; i++) {
    const districtId = `crash-${i}`;
    const { differences, rowsLost: lost } = await compareLive(database.db, districtId, sandbox.generator);
    rowsLost += lost;
    problems.push(...describeDifferences(differences).map((d) => `${districtId} vs tenant: ${d}`));
    problems.push(...(await duplicateRows(database.db, districtId)).map((d) => `${districtId} duplicate ${d}`));
    const live = await liveContent(database.db, districtId);
    const absent = Object.keys(reference).filter((k) => !(k in live));
    const differing = Object.keys(reference).filter((k) => k in live && live[k] !== reference[k]);
    const extra = Object.keys(live).filter((k) => !(k in reference));
    if (absent.length || differing.length || extra.length) problems.push(`${districtId} vs reference: ${absent.length} missing, ${differing.length} different, ${extra.length} extra`);
    const { counts } = await database.db.selectFrom('sync_runs').select('counts').where('district_id', '=', districtId).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    if (!isDeepStrictEqual(counts, refRow.counts)) problems.push(`${districtId}: counts ${JSON.stringify(counts)} differ from the reference's ${JSON.stringify(refRow.counts)}`);
  }
  expect(results.map((r) => r.status)).toEqual(results.map(() => 'succeeded'));
  expect(problems).toEqual([]);
  expect(rowsLost).toBe(0);
  // Most kills must land inside the run (a kill after the end would prove nothing).
  const midRun = results.filter((r) => !r.finishedBeforeKill);
  expect(midRun.length).toBeGreaterThanOrEqual(Math.ceil(params.kills / 2));

  const byPhase = results.reduce<Record<string, number>>((acc, r) => {
    const phase = r.killedIn.split(' ')[0]!;
    acc[phase] = (acc[phase] ?? 0) + 1;
    return acc;
  }, {});
  const slowest = Math.max(...results.map((r) => r.recoveryMs));
  recordFigures('crash-worker', { killsSurvived: midRun.length, rowsLost }, [
    `worker SIGKILLs: ${params.kills} at size ${params.size} (seeds ${params.seed}..${params.seed + params.kills - 1}); killed in ${Object.entries(byPhase).map(([p, n]) => `${p} ×${n}`).join(', ')}; ${results.length - midRun.length} after the run had finished; slowest recovery ${(slowest / 1000).toFixed(0)} s`,
    ...results.map((r) => `  seed ${r.seed}: killed in ${r.killedIn}${r.finishedBeforeKill ? ' (already finished)' : ''}, finished ${(r.recoveryMs / 1000).toFixed(0)} s later`),
  ]);
}, Math.max(600_000, Math.ceil(params.kills / params.killConcurrency) * 240_000 + 240_000));
