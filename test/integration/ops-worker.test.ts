// The real worker process (`tsx worker/main.ts`) against the test's Postgres, the Temporal dev server
// and the sandbox tenant:
// 1. a sync shows up on the worker's /metrics (records applied per entity, run outcome, duration,
//    Temporal SDK metrics), and every log line of the sync carries districtId, runId, workflowId;
// 2. SIGTERM while a run is inside its apply transaction: the worker exits within its grace time,
//    readers only ever see yesterday's roster, and a new worker completes the run to exactly the
//    tenant's roster (that worker runs the prebuilt workflow bundle, as production does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { loadConfig } from '../../config/index.js';
import { projectRoot } from '../../config/tools.js';
import { createSecretBox } from '../../db/secrets.js';
import { COLLECTIONS } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { isSkippedBySync } from '../support/roster-compare.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { oneOffRunWorkflowId, type RunSummary, type SyncWorkflowInput } from '../../workflows/messages.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { waitFor } from '../support/system.js';
import { devServerEnv } from '../support/temporal.js';

const TIMEOUT = 240_000;

const DISTRICT = 'sigterm-isd';
const GRACE_MS = 1500;

let database: TestDatabase;
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
const taskQueue = `ops-worker-${process.pid}-${Date.now()}`;

interface RunningWorker {
  child: ChildProcess;
  httpPort: number;
  lines: string[];
  exited: Promise<number | null>;
}

async function startWorker(extraEnv: Record<string, string> = {}): Promise<RunningWorker> {
  const [httpPort, sdkPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_HTTP_PORT: String(httpPort),
      WORKER_SDK_METRICS_PORT: String(sdkPort),
      WORKER_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    'the worker to answer /health',
    async () => {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
      const res = await fetch(`http://127.0.0.1:${httpPort}/health`).catch(() => null);
      return res?.status === 200;
    },
    90_000,
    250,
  );
  return { child, httpPort, lines, exited };
}

async function liveSnapshot(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const c of COLLECTIONS) {
    const rows = await database.db.selectFrom(LIVE_TABLE[c]).select(['sourced_id', 'content_hash', 'deleted_at']).where('district_id', '=', DISTRICT).execute();
    out[c] = Object.fromEntries(rows.map((r) => [r.sourced_id, `${r.content_hash}:${r.deleted_at ? 'deleted' : 'live'}`]));
  }
  return out;
}

function startRun(runId: string) {
  const input: SyncWorkflowInput = { districtId: DISTRICT, kind: 'manual', runId, dryRun: false };
  return env.client.workflow.start('syncRun', { taskQueue, workflowId: oneOffRunWorkflowId(DISTRICT, 'manual', runId), args: [input] });
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return null;
}

let bundlePath: string;

beforeAll(async () => {
  // The production path: the second worker loads a prebuilt bundle (npm run build:workflows).
  bundlePath = join(mkdtempSync(join(tmpdir(), 'ops-bundle-')), 'workflow-bundle.js');
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-workflow-bundle.ts', bundlePath], { cwd: projectRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build:workflows failed: ${build.stderr.slice(-2000)}`);
  [database, env, sandbox] = await Promise.all([createTestDatabase(), devServerEnv(), startSandbox({ size: 'xs', seed: 8 })]);
  const secrets = createSecretBox(loadConfig({ NODE_ENV: 'test' }).secretsKey);
  await database.db
    .insertInto('districts')
    .values({
      id: DISTRICT,
      name: 'Sigterm ISD',
      timezone: 'America/Chicago',
      oneroster_base_url: sandbox.onerosterBaseUrl,
      oneroster_auth_kind: 'oauth2',
      oneroster_client_id: sandbox.clientId,
      oneroster_secret_enc: secrets.seal(sandbox.clientSecret),
      oneroster_token_url: sandbox.tokenUrl,
      oneroster_signature_method: null,
      sso_issuer: null,
      sso_client_id: null,
      sso_secret_enc: null,
      settings: JSON.stringify({ pageSize: 50 }),
    })
    .execute();
}, TIMEOUT);

afterAll(async () => {
  await Promise.allSettled([env?.teardown(), sandbox?.close()]);
  await database?.destroy();
});

let first: RunningWorker | null = null;
let second: RunningWorker | null = null;
afterAll(() => {
  for (const w of [first, second]) if (w && w.child.exitCode === null) w.child.kill('SIGKILL');
});

test('a sync is counted on the worker /metrics and its log lines carry districtId, runId, workflowId', async () => {
  first = await startWorker();
  const runId = randomUUID();
  const handle = await startRun(runId);
  const summary = (await handle.result()) as RunSummary;
  expect(summary.status).toBe('succeeded');
  const run = await database.db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  const counts = run.counts as Record<string, { inserted: number; quarantined: number }>;
  expect(counts.users!.inserted).toBeGreaterThan(0);

  const metrics = await (await fetch(`http://127.0.0.1:${first.httpPort}/metrics`)).text();
  for (const c of COLLECTIONS) {
    expect({ c, inserted: metricValue(metrics, 'classlink_sync_records_applied_total', { entity: c, change: 'inserted' }) ?? 0 }).toEqual({ c, inserted: counts[c]!.inserted });
  }
  expect(metricValue(metrics, 'classlink_sync_runs_total', { kind: 'manual', status: 'succeeded' })).toBe(1);
  expect(metricValue(metrics, 'classlink_sync_run_duration_seconds_count', { kind: 'manual', status: 'succeeded' })).toBe(1);
  expect(metricValue(metrics, 'classlink_sync_runs_held')).toBe(0);
  // The Temporal SDK's own runtime metrics come through the same endpoint.
  expect(metrics).toMatch(/^temporal_activity_execution_latency\w*\{/m);
  expect(metrics).toMatch(/^temporal_workflow_completed\w*\{/m);

  const logged = first.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const activityLines = logged.filter((l) => l.activityType && l.workflowId === handle.workflowId);
  expect(activityLines.length).toBeGreaterThan(0);
  for (const l of activityLines) expect({ districtId: l.districtId, runId: l.runId, workflowId: l.workflowId }).toEqual({ districtId: DISTRICT, runId, workflowId: handle.workflowId });
  const workflowLines = logged.filter((l) => l.workflowType === 'syncRun' && !l.activityType && l.workflowId === handle.workflowId);
  expect(workflowLines.length).toBeGreaterThan(0);
  for (const l of workflowLines) expect({ districtId: l.districtId, workflowId: l.workflowId }).toEqual({ districtId: DISTRICT, workflowId: handle.workflowId });
  expect(workflowLines.some((l) => l.runId === runId)).toBe(true);
  // No secret of the tenant in any line.
  expect(first.lines.join('\n')).not.toContain(sandbox.clientSecret);
}, TIMEOUT);

test('SIGTERM during the apply transaction: no half-applied run, and a new worker completes it', async () => {
  expect(first).not.toBeNull();
  const before = await liveSnapshot();
  expect(Object.keys(before.users!).length).toBeGreaterThan(0);
  await sandbox.advanceNight();

  // Hold a lock that the apply transaction needs for users, so the run is caught mid-apply: orgs,
  // sessions, courses and classes written in its open transaction, users waiting.
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query('lock table users in share mode');
  const runId = randomUUID();
  const handle = await startRun(runId);
  await waitFor(
    'the apply to wait on the users lock',
    async () => {
      // Polled from another connection: pg_stat_activity is a snapshot per transaction.
      const { rows } = await database.pool.query(`select count(*)::int as n from pg_locks where relation = 'users'::regclass and not granted`);
      return rows[0].n > 0;
    },
    60_000,
  ).catch(async (err) => {
    const run = await database.db.selectFrom('sync_runs').select(['status', 'progress', 'reason']).where('id', '=', runId).executeTakeFirst();
    const { rows } = await blocker.query(`select a.pid, a.state, a.wait_event_type, a.wait_event, a.backend_type, a.datname, left(a.query, 120) as q, (select json_agg(json_build_object('rel', l.relation::regclass::text, 'mode', l.mode, 'granted', l.granted)) from pg_locks l where l.pid = a.pid and l.relation is not null) as locks from pg_stat_activity a where a.backend_type = 'client backend'`);
    throw new Error(`${(err as Error).message}; run: ${JSON.stringify(run)}; backends: ${JSON.stringify(rows)}; worker: ${first!.lines.slice(-5).join('\n')}`);
  });
  // Readers see yesterday's roster while the apply is open.
  expect(await liveSnapshot()).toEqual(before);

  const sentAt = Date.now();
  first!.child.kill('SIGTERM');
  const code = await first!.exited;
  const stopMs = Date.now() - sentAt;
  expect(code).toBe(0);
  expect(stopMs).toBeLessThan(GRACE_MS + 15_000);
  expect(first!.lines.some((l) => l.includes('drained'))).toBe(true);

  await blocker.query('commit');
  await blocker.end();
  // The dead worker's transaction never commits: the live tables are still yesterday's.
  await waitFor('the abandoned apply backend to go away', async () => {
    const { rows } = await database.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`);
    return rows[0].n === 0;
  });
  expect(await liveSnapshot()).toEqual(before);
  const mid = await database.db.selectFrom('sync_runs').select(['status']).where('id', '=', runId).executeTakeFirstOrThrow();
  expect(mid.status).toBe('running');

  second = await startWorker({ WORKFLOW_BUNDLE_PATH: bundlePath });
  const summary = (await handle.result()) as RunSummary;
  expect(summary.status).toBe('succeeded');
  const completedMs = Date.now() - sentAt;
  expect(second.lines.some((l) => l.includes('"prebuiltBundle":true'))).toBe(true);

  // After: exactly the tenant's roster of tonight.
  const after = await liveSnapshot();
  expect(after).not.toEqual(before);
  for (const c of COLLECTIONS) {
    const expected = new Map<string, unknown>();
    for (const r of sandbox.generator.records(c)) if (!isSkippedBySync(c, r as unknown as Record<string, unknown>)) expected.set(r.sourcedId, r);
    const rows = await database.db.selectFrom(LIVE_TABLE[c]).select(['sourced_id', 'data', 'deleted_at']).where('district_id', '=', DISTRICT).execute();
    const present = rows.filter((r) => r.deleted_at === null || (r.data as { status?: string }).status === 'tobedeleted');
    expect({ c, n: present.length }).toEqual({ c, n: expected.size });
    for (const r of present) expect(r.data).toEqual(expected.get(r.sourced_id));
  }

  // The history shows the abandoned attempt and its retry on the new worker.
  const { events } = await handle.fetchHistory();
  const applyStarted = events!.filter((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1);
  expect(applyStarted.length).toBeGreaterThan(0);
  expect(applyStarted.some((e) => e.activityTaskStartedEventAttributes!.lastFailure?.applicationFailureInfo?.type === 'WorkerShutdown')).toBe(true);
  console.log(`SIGTERM → worker exit ${stopMs} ms (grace ${GRACE_MS} ms); SIGTERM → run completed by the new worker ${completedMs} ms`);

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, TIMEOUT);
