// Worker process entry: connect, run, shut down gracefully on SIGINT/SIGTERM (in-flight
// activities get the shutdown grace time to finish or heartbeat out).
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createSecretBox } from '../db/secrets.js';
import { createSyncWorker } from './create.js';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: point the worker at Postgres (npm run dev sets it for you)');
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is not set: point the worker at Temporal (npm run dev sets it for you)');
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const { db, pool } = createDb(config.databaseUrl);
  if (config.env !== 'production') await migrateToLatest(db);
  const connection = await NativeConnection.connect({
    address: config.temporal.address,
    tls: config.temporal.tls,
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  });
  const worker = await createSyncWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    db,
    pool,
    secrets: createSecretBox(config.secretsKey),
  });
  await worker.run();
  await connection.close();
  await db.destroy();
}

main().catch((err: unknown) => {
  console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
