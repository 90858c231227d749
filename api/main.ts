// API server entry: connects to Postgres and Temporal, listens, closes gracefully.
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createSecretBox } from '../db/secrets.js';
import { buildApp } from './app.js';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: point the API at Postgres (npm run dev sets it for you)');
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is not set (npm run dev sets it for you)');
  const { db } = createDb(config.databaseUrl);
  if (config.env !== 'production') await migrateToLatest(db);
  const connection = await Connection.connect({
    address: config.temporal.address,
    tls: config.temporal.tls,
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({ db, temporal, config, secrets: createSecretBox(config.secretsKey) }, { logger: { level: config.logLevel } });
  app.server.requestTimeout = 30_000;
  await app.listen({ host: config.api.host, port: config.api.port });
  if (config.supportApiTokenGenerated) console.log(`support API token (generated for this run): ${config.supportApiToken}`);
  const stop = async () => {
    await app.close();
    await connection.close();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`api: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
