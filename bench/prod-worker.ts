// The worker as production should run it: compiled JavaScript (no tsx) loading a prebuilt workflow
// bundle (no webpack at start-up). Same parts as worker/main.ts; used by bench/sync-rss.ts --prod,
// which compiles the project into .data/dist and bundles the workflows first.
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { createSecretBox } from '../db/secrets.js';
import { createSyncWorker } from '../worker/create.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const bundle = process.env.BENCH_WORKFLOW_BUNDLE;
  if (!config.databaseUrl || !config.temporal.address || !bundle) throw new Error('DATABASE_URL, TEMPORAL_ADDRESS and BENCH_WORKFLOW_BUNDLE are required');
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const { db, pool } = createDb(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createSyncWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    db,
    pool,
    secrets: createSecretBox(config.secretsKey),
    workflowBundle: { codePath: bundle },
  });
  await worker.run();
  await connection.close();
  await db.destroy();
}

main().catch((err: unknown) => {
  console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
