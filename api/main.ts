// API server entry: connects to Postgres and Temporal, listens, and closes gracefully on SIGTERM/SIGINT:
// new requests get 503 (return503OnClosing) so the balancer moves on, in-flight requests finish,
// then connections close. A second signal, or API_SHUTDOWN_TIMEOUT_MS, forces the exit.
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createSecretBox } from '../db/secrets.js';
import { createLogger } from '../lib/log.js';
import { temporalConnectionOptions } from '../lib/temporal-connection.js';
import { buildApp } from './app.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'api', level: config.logLevel });
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: point the API at Postgres (npm run dev sets it for you)');
  const { db } = createDb(config.databaseUrl);
  if (config.env !== 'production') await migrateToLatest(db);
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({ db, temporal, config, secrets: createSecretBox(config.secretsKey) }, { logger: log });
  app.server.requestTimeout = 30_000;
  // Longer than a typical balancer idle timeout, so the balancer closes idle connections first.
  app.server.keepAliveTimeout = 65_000;
  await app.listen({ host: config.api.host, port: config.api.port });
  if (config.supportApiTokenGenerated) console.log(`support API token (generated for this run): ${config.supportApiToken}`);

  const forceAfterMs = config.api.shutdownTimeoutMs;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      log.error({ forceAfterMs }, 'in-flight requests did not finish in time: exiting');
      process.exit(1);
    }, forceAfterMs).unref();
    await app.close();
    await connection.close();
    await db.destroy();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));
}

main().catch((err: unknown) => {
  console.error(`api: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
