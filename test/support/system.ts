// The whole system in one test process, all real: Postgres, the Temporal dev server, a worker
// bundling the real workflows, the sandbox tenant over HTTP, and the Fastify API (driven by inject).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { loadConfig, type Config } from '../../config/index.js';
import { createSecretBox } from '../../db/secrets.js';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandbox/server.js';
import { createSyncWorker } from '../../worker/create.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { devServerEnv } from './temporal.js';

export interface TestSystem {
  config: Config;
  database: TestDatabase;
  env: TestWorkflowEnvironment;
  worker: Worker;
  sandbox: RunningSandbox;
  app: FastifyInstance;
  token: string;
  /** app.inject with the support token. */
  api(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

export async function startTestSystem(options: { sandbox?: SandboxOptions; taskQueue?: string } = {}): Promise<TestSystem> {
  const token = 'test-support-token-0123456789';
  const taskQueue = options.taskQueue ?? `classlink-sync-test-${process.pid}-${Date.now()}`;
  const config = loadConfig({ NODE_ENV: 'test', SUPPORT_API_TOKEN: token, TEMPORAL_TASK_QUEUE: taskQueue });
  const secrets = createSecretBox(config.secretsKey);
  const [database, env, sandbox] = await Promise.all([createTestDatabase(), devServerEnv(), startSandbox({ size: 'xs', seed: 1, ...options.sandbox })]);
  const worker = await createSyncWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, db: database.db, pool: database.pool, secrets });
  const running = worker.run();
  const app = await buildApp({ db: database.db, temporal: env.client, config, secrets });
  return {
    config,
    database,
    env,
    worker,
    sandbox,
    app,
    token,
    async api(method, url, body) {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : null };
    },
    async stop() {
      await app.close();
      worker.shutdown();
      await running.catch(() => undefined);
      await Promise.allSettled([env.teardown(), sandbox.close()]);
      await database.destroy();
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
