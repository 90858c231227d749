// Crashes: the Temporal dev server stops in the middle of a run's fetch and starts again on the
// same port with the same database file (--db-filename). The worker process and the client
// reconnect by themselves, the run finishes, and the live tables equal the tenant's roster.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { projectRoot } from '../../config/tools.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal-dev.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { recordFigures } from './support/figures.js';
import { params } from './support/params.js';
import { compareLive, describeDifferences, duplicateRows, registerDistrict, runRow, sleep, startRun, waitUntil } from './support/rig.js';
import { removeWorkflowBundle, spawnWorker, workflowBundle, type WorkerProcess } from './support/worker-process.js';

const dbFile = join(projectRoot, '.data', 'reliability', `temporal-${process.pid}-${Date.now()}.db`);
const taskQueue = `reliability-temporal-${process.pid}-${Date.now()}`;
const DISTRICT = 'temporal-restart';

let database: TestDatabase;
let sandbox: RunningSandbox;
let server: TemporalDevServer;
let port: number;
let connection: Connection;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  port = await freePort();
  let bundlePath: string;
  [database, sandbox, server, bundlePath] = await Promise.all([
    createTestDatabase(),
    startSandbox({ size: params.size, seed: params.seed + 200 }),
    startTemporalDevServer({ port, dbFile }),
    workflowBundle(),
  ]);
  connection = await Connection.connect({ address: server.address });
  worker = spawnWorker({ databaseUrl: database.url, temporalAddress: server.address, taskQueue, bundlePath });
}, 180_000);

afterAll(async () => {
  await removeWorkflowBundle();
  await worker?.kill('SIGKILL');
  await connection?.close().catch(() => undefined);
  await Promise.allSettled([server?.stop(), sandbox?.close()]);
  await database?.destroy();
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
});

test('the Temporal server restarted mid-run (same --db-filename): the run carries on and the live tables equal the tenant roster', async () => {
  const client = new Client({ connection });
  await registerDistrict(database.db, DISTRICT, sandbox, { pageSize: 200 });
  // Slow pages so the fetch is still going when the server goes away.
  sandbox.setFaults({ slowMs: 150 });
  const run = await startRun(client, DISTRICT, taskQueue);
  const atStop = await waitUntil('the run to be a few pages into its fetch', async () => {
    const row = await runRow(database.db, run.runId);
    if (row && row.status !== 'running') throw new Error(`run ended early: ${row.status} ${row.reason}`);
    return row?.progress.phase === 'fetch' && Number(row.progress.collectionIndex) >= 5 ? row.progress : null;
  }, 240_000, 100);

  await server.stop();
  await sleep(2_000);
  const downFor = Date.now();
  server = await startTemporalDevServer({ port, dbFile });
  const restartMs = Date.now() - downFor + 2_000;
  sandbox.clearFaults();

  const done = await waitUntil('the run to finish after the restart', async () => {
    const row = await runRow(database.db, run.runId);
    return row && row.status !== 'running' ? row : null;
  }, 300_000, 500);
  expect([done.status, done.reason]).toEqual(['succeeded', null]);
  // The workflow itself completed on the restarted server (its history survived in the db file),
  // and the client's long poll for its result rode out the restart.
  await expect(run.result).resolves.toMatchObject({ status: 'succeeded', runId: run.runId });
  await expect(client.workflow.getHandle(run.workflowId).result()).resolves.toMatchObject({ status: 'succeeded' });

  const { differences, rowsLost } = await compareLive(database.db, DISTRICT, sandbox.generator);
  expect(describeDifferences(differences)).toEqual([]);
  expect(await duplicateRows(database.db, DISTRICT)).toEqual([]);
  recordFigures('crash-temporal', { temporalRestartsSurvived: 1, rowsLost }, [
    `Temporal dev server stopped during the fetch (${atStop.collection} page ${atStop.pagesDone}) and back after ${(restartMs / 1000).toFixed(0)} s; the run succeeded on the same history`,
  ]);
}, 600_000);
