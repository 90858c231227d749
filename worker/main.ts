// Worker process entry: logging and metrics first, then connect and run. On SIGTERM/SIGINT the
// Temporal Runtime stops polling; in-flight activities get WORKER_SHUTDOWN_GRACE_MS to finish, then
// are abandoned with a retryable failure (another worker resumes them: fetch resumes at its last
// page, apply is one transaction that Postgres rolls back when this process exits).
import { existsSync } from 'node:fs';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createSecretBox } from '../db/secrets.js';
import { createLogger } from '../lib/log.js';
import { temporalConnectionOptions } from '../lib/temporal-connection.js';
import { createMailer } from '../mail/mailer.js';
import { createSyncWorker } from './create.js';
import { PinoTemporalLogger, temporalLevel } from './logging.js';
import { createSyncMetrics, startWorkerHttp } from './metrics.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'worker', level: config.logLevel });
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: point the worker at Postgres (npm run dev sets it for you)');
  const connectionOptions = temporalConnectionOptions(config);
  const sdkMetricsPort = config.worker.sdkMetricsPort || null;
  Runtime.install({
    logger: new PinoTemporalLogger(log),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      // Core is chatty below WARN (every poll): only LOG_LEVEL=trace lets its debug lines through.
      logging: { filter: { core: temporalLevel(config.logLevel) === 'TRACE' ? 'DEBUG' : 'WARN', other: 'ERROR' }, forward: {} },
      ...(sdkMetricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}` } } } : {}),
    },
  });

  const { db, pool } = createDb(config.databaseUrl);
  if (config.env !== 'production') await migrateToLatest(db);
  const metrics = createSyncMetrics(db);
  const bundlePath = config.worker.workflowBundlePath;
  if (bundlePath && !existsSync(bundlePath)) throw new Error(`WORKFLOW_BUNDLE_PATH ${bundlePath} does not exist: run \`npm run build:workflows\` or unset it`);
  if (config.env === 'production' && !bundlePath) log.warn('no WORKFLOW_BUNDLE_PATH: bundling workflows from source at start (slower; build one with `npm run build:workflows`)');

  const connection = await NativeConnection.connect(connectionOptions);
  const mailer = config.smtpUrl ? createMailer(config.smtpUrl, config.mailFrom) : null;
  let worker: Worker | null = null;
  const http = config.worker.httpPort
    ? await startWorkerHttp({ port: config.worker.httpPort, registry: metrics.registry, sdkMetricsPort, state: () => worker?.getState() ?? 'STARTING' })
    : null;
  worker = await createSyncWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    db,
    pool,
    secrets: createSecretBox(config.secretsKey),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    shutdownGraceMs: config.worker.shutdownGraceMs,
    log,
    metrics,
    mailer,
    notify: { supportEmail: config.supportEmail, publicUrl: config.api.publicUrl, temporalUiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
  });
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, httpPort: http?.port ?? null, prebuiltBundle: Boolean(bundlePath) }, 'worker started');
  await worker.run();
  log.info('worker stopped polling and drained; closing');
  // Abandoned activities may still hold a pooled connection (e.g. an apply waiting on a lock): do
  // not wait for them. Exiting closes their sockets and Postgres rolls their transactions back.
  await Promise.race([Promise.allSettled([http?.close(), connection.close(), db.destroy()]), new Promise((r) => setTimeout(r, 5000).unref())]);
  mailer?.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
