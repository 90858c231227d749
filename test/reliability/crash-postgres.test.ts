// Crashes: Postgres stops in the middle of the apply transaction (a dedicated embedded server, so
// the rest of the test run keeps its database). Nothing of the half-done apply is visible after the
// restart, the worker's retry applies the run once Postgres is back, and the live tables end equal
// to the tenant's roster with no row lost.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { projectRoot } from '../../config/tools.js';
import { createDb } from '../../db/connect.js';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../db/embedded.js';
import { migrateToLatest } from '../../db/migrate.js';
import type { Database } from '../../db/schema.js';
import { COLLECTIONS } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { freePort } from '../../lib/free-port.js';
import { devServerEnv } from '../support/temporal.js';
import { recordFigures } from './support/figures.js';
import { params } from './support/params.js';
import { compareLive, describeDifferences, duplicateRows, liveContent, registerDistrict, runRow, sleep, startRun, waitUntil } from './support/rig.js';
import { removeWorkflowBundle, spawnWorker, workflowBundle, type WorkerProcess } from './support/worker-process.js';

const dataDir = join(projectRoot, '.data', `reliability-pg-${process.pid}`);
const taskQueue = `reliability-pg-${process.pid}-${Date.now()}`;
const DISTRICT = 'pg-restart';
/** Rows per live table made to look changed, so the second run's apply rewrites them. */
const STALE_PER_TABLE = 5;

let server: EmbeddedPg;
let port: number;
let databaseUrl: string;
let db: Kysely<Database>;
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  port = await freePort();
  rmSync(dataDir, { recursive: true, force: true });
  let bundlePath: string;
  [server, env, sandbox, bundlePath] = await Promise.all([
    startEmbeddedPostgres({ dataDir, port, persistent: true }),
    devServerEnv(),
    startSandbox({ size: params.size, seed: params.seed + 100 }),
    workflowBundle(),
  ]);
  databaseUrl = await server.createDatabase('reliability');
  db = createDb(databaseUrl).db;
  await migrateToLatest(db);
  worker = spawnWorker({ databaseUrl, temporalAddress: env.address, taskQueue, bundlePath });
}, 180_000);

afterAll(async () => {
  await removeWorkflowBundle();
  await worker?.kill('SIGKILL');
  await db?.destroy().catch(() => undefined);
  await Promise.allSettled([env?.teardown(), sandbox?.close(), server?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

/** A client holding a row lock that the apply will queue behind: a sure way to stop it halfway. */
async function lockRow(table: string, sourcedId: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // Postgres going away under the lock is the point of the test.
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(`select 1 from ${table} where district_id = $1 and sourced_id = $2 for update`, [DISTRICT, sourcedId]);
  return client;
}

test('Postgres stopped mid-apply and started again: no half-applied roster, the retry applies the run, no row lost', async () => {
  await registerDistrict(db, DISTRICT, sandbox, { pageSize: 500 });
  const first = await startRun(env.client, DISTRICT, taskQueue);
  await expect(first.result).resolves.toMatchObject({ status: 'succeeded' });

  // Make a few rows of every table look changed; the last one of enrollments (applied last) is locked.
  const stale: string[] = [];
  for (const c of COLLECTIONS) {
    const rows = await sql<{ s: string }>`
      update ${sql.table(LIVE_TABLE[c])} set content_hash = 'stale' where district_id = ${DISTRICT}
        and sourced_id in (select sourced_id from ${sql.table(LIVE_TABLE[c])} where district_id = ${DISTRICT} order by sourced_id limit ${STALE_PER_TABLE})
      returning sourced_id as s`.execute(db);
    stale.push(...rows.rows.map((r) => `${c}/${r.s}`));
  }
  const before = await liveContent(db, DISTRICT);
  const lockedId = stale.filter((s) => s.startsWith('enrollments/')).at(-1)!.split('/')[1]!;
  let locker = await lockRow('enrollments', lockedId);
  const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

  const second = await startRun(env.client, DISTRICT, taskQueue);
  // The apply is inside its transaction (its progress row too, so only pg_stat_activity shows it),
  // queued behind our lock on enrollments after writing the other tables.
  await waitUntil('the apply to wait on the locked row', async () => {
    const row = await runRow(db, second.runId);
    if (row && row.status !== 'running') throw new Error(`run ended early: ${row.status} ${row.reason}`);
    // Blocked by our lock, not matched on its text: pg_stat_activity cuts a query at 1 kB.
    const waiting = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = 'reliability' and ${lockerPid} = any(pg_blocking_pids(pid))`.execute(db);
    return (waiting.rows[0]?.n ?? 0) > 0;
  }, 240_000, 100);

  await db.destroy();
  await server.stop();
  // Down long enough that the first retry (5 s after the failure) finds no Postgres either.
  await sleep(8_000);
  server = await startEmbeddedPostgres({ dataDir, port, persistent: true });
  // Lock the row again at once: the next retry is seconds away and would queue behind us.
  locker = await lockRow('enrollments', lockedId);
  db = createDb(databaseUrl).db;
  expect(await liveContent(db, DISTRICT)).toEqual(before);
  await locker.query('rollback');
  await locker.end();

  const row = await waitUntil('the run to finish after the restart', async () => {
    if (worker!.child.exitCode !== null || worker!.child.signalCode !== null) throw new Error(`the worker died: ${worker!.output()}`);
    const r = await runRow(db, second.runId);
    return r && r.status !== 'running' ? r : null;
  }, 240_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\nworker output: ${worker!.output()}`);
  });
  expect([row.status, row.reason]).toEqual(['succeeded', null]);
  const updated = COLLECTIONS.reduce((n, c) => n + Number(row.counts[c]?.updated ?? 0), 0);
  expect(updated).toBe(stale.length);
  const { differences, rowsLost } = await compareLive(db, DISTRICT, sandbox.generator);
  expect(describeDifferences(differences)).toEqual([]);
  expect(await duplicateRows(db, DISTRICT)).toEqual([]);
  recordFigures('crash-postgres', { postgresRestartsSurvived: 1, rowsLost }, [
    `Postgres stopped for 8 s with the apply blocked mid-transaction (size ${params.size}): nothing of it visible after the restart; the retry rewrote all ${stale.length} changed rows`,
  ]);
}, 600_000);
