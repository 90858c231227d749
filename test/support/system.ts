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
import { freePort } from '../../lib/free-port.js';
import { devServerEnv } from './temporal.js';

export interface TestSystem {
  config: Config;
  database: TestDatabase;
  env: TestWorkflowEnvironment;
  worker: Worker;
  sandbox: RunningSandbox;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> when started with `listen` (browser tests), else null. */
  url: string | null;
  token: string;
  /** app.inject with the support token. */
  api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  /** Sandbox options, or a function of the API's URL (e.g. for OIDC redirect URIs when listening). */
  sandbox?: SandboxOptions | ((apiUrl: string) => SandboxOptions);
  taskQueue?: string;
  /** Also serve the API on a real port (PUBLIC_URL matches it), for a browser. */
  listen?: boolean;
  /** Extra configuration, e.g. SMTP_URL. */
  env?: Record<string, string>;
}

export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const token = 'test-support-token-0123456789';
  const taskQueue = options.taskQueue ?? `classlink-sync-test-${process.pid}-${Date.now()}`;
  const port = options.listen ? await freePort() : null;
  const url = port ? `http://127.0.0.1:${port}` : null;
  const config = loadConfig({ NODE_ENV: 'test', SUPPORT_API_TOKEN: token, TEMPORAL_TASK_QUEUE: taskQueue, ...(url ? { PUBLIC_URL: url } : {}), ...options.env });
  const secrets = createSecretBox(config.secretsKey);
  const sandboxOptions = typeof options.sandbox === 'function' ? options.sandbox(url ?? 'http://localhost:3000') : options.sandbox;
  const [database, env, sandbox] = await Promise.all([createTestDatabase(), devServerEnv(), startSandbox({ size: 'xs', seed: 1, ...sandboxOptions })]);
  const worker = await createSyncWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, db: database.db, pool: database.pool, secrets });
  const running = worker.run();
  const app = await buildApp({ db: database.db, temporal: env.client, config, secrets });
  if (port) await app.listen({ host: '127.0.0.1', port });
  return {
    config,
    database,
    env,
    worker,
    sandbox,
    app,
    url,
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
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
