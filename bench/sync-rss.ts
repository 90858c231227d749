// One full sync of a sandbox district with the worker as its own process, measuring its memory.
//   npx tsx bench/sync-rss.ts [--size l] [--runs 2] [--prod]
// --prod: run the worker as production does: `npm run build`'s output (compiled JavaScript and the
// prebuilt workflow bundle, built into .data/dist) on plain node with worker/memory.ts' heap options.
// Starts embedded Postgres, the Temporal dev server (pinned CLI) and the sandbox tenant here, and
// the worker as `/usr/bin/time -v node --import tsx worker/main.ts`; samples the worker's
// /proc/<pid>/status (VmRSS, VmHWM) every 200 ms. Prints the peak RSS at startup (workflow bundling)
// and during the sync, /usr/bin/time's maximum resident set size, and each phase's duration.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot, readTemporalToolPaths } from '../config/tools.js';
import { createDb } from '../db/connect.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import { createSecretBox } from '../db/secrets.js';
import { loadConfig } from '../config/index.js';
import { startSandbox } from '../sandbox/server.js';
import type { Size } from '../sandbox/generator.js';
import { freePort } from '../lib/free-port.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { WORKER_NODE_OPTIONS } from '../worker/memory.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'l' }, runs: { type: 'string', default: '2' }, entry: { type: 'string', default: 'worker/main.ts' }, prod: { type: 'boolean', default: false } } });
const size = values.size as Size;
const runs = Number(values.runs);

function status(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

function childPid(pid: number): number | null {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : null;
  } catch {
    return null;
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = join(projectRoot, '.data', `bench-sync-pg-${process.pid}`);
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
  const url = await pg.createDatabase('bench');
  const { db } = createDb(url);
  await migrateToLatest(db);
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: readTemporalToolPaths().temporalCli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS, ui: false },
  });
  const sandbox = await startSandbox({ size, seed: 1 });
  const taskQueue = `bench-${process.pid}`;
  const config = loadConfig({ NODE_ENV: 'test' });
  await db
    .insertInto('districts')
    .values({
      id: 'bench',
      name: 'Bench ISD',
      timezone: 'America/Chicago',
      oneroster_base_url: sandbox.onerosterBaseUrl,
      oneroster_auth_kind: 'oauth2',
      oneroster_client_id: sandbox.clientId,
      oneroster_secret_enc: createSecretBox(config.secretsKey).seal(sandbox.clientSecret),
      oneroster_token_url: sandbox.tokenUrl,
      settings: '{}',
    })
    .execute();

  const { NODE_OPTIONS: _ignored, ...parentEnv } = process.env;
  const extraEnv: Record<string, string> = {};
  if (values.prod) {
    const dist = join(projectRoot, '.data', 'dist');
    execFileSync(process.execPath, [join(projectRoot, 'scripts/build.mjs'), dist], { cwd: projectRoot, stdio: 'inherit' });
    values.entry = join(dist, 'worker/main.js');
    extraEnv.WORKFLOW_BUNDLE_PATH = join(dist, 'workflow-bundle.js');
    extraEnv.NODE_OPTIONS = WORKER_NODE_OPTIONS;
    // No metrics endpoints: the defaults may be taken by another worker on the machine.
    extraEnv.WORKER_HTTP_PORT = '0';
    extraEnv.WORKER_SDK_METRICS_PORT = '0';
  }
  const timeOut: string[] = [];
  // A .ts entry runs through tsx (as `npm run worker` does); a compiled .js/.mjs entry runs on plain node.
  const loader = values.entry!.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const command = ['/usr/bin/time', '-v', process.execPath, ...(process.env.WORKER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...loader, values.entry!];
  console.log(`worker: ${command.join(' ')}`);
  const time = spawn(command[0]!, command.slice(1), {
    cwd: projectRoot,
    env: { ...parentEnv, ...extraEnv, NODE_ENV: 'test', DATABASE_URL: url, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  time.stderr!.on('data', (d: Buffer) => {
    timeOut.push(d.toString());
    if (process.env.SHOW_WORKER_STDERR) process.stderr.write(d);
  });
  let worker: number | null = null;
  for (let i = 0; i < 100 && !worker; i++) {
    await new Promise((r) => setTimeout(r, 50));
    worker = childPid(time.pid!);
  }
  if (!worker) throw new Error('could not find the worker process');

  let peakRss = 0;
  const sampler = setInterval(() => {
    const s = status(worker!);
    if (s) peakRss = Math.max(peakRss, s.rss);
  }, 200);

  for (let i = 1; i <= runs; i++) {
    const runId = randomUUID();
    const started = Date.now();
    const handle = await env.client.workflow.start('syncRun', { taskQueue, workflowId: `bench/${runId}`, args: [{ districtId: 'bench', kind: 'manual', runId, dryRun: false }] });
    // Once beginRun has run, the worker is up: what it holds then is its startup cost (bundling included).
    for (;;) {
      const row = await db.selectFrom('sync_runs').select('id').where('id', '=', runId).executeTakeFirst();
      if (row) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const atStart = status(worker)!;
    peakRss = atStart.rss;
    await handle.result();
    const run = await db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    const end = status(worker)!;
    const counts = run.counts as Record<string, Record<string, number>>;
    const fetched = Object.values(counts).reduce((n, c) => n + (c.fetched ?? 0), 0);
    console.log(`run ${i} (${run.status}): ${((Date.now() - started) / 1000).toFixed(1)} s wall, ${fetched} records; timings ${JSON.stringify(run.timings)}`);
    console.log(`  counts ${JSON.stringify(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, `${v.fetched} fetched, +${v.inserted} ~${v.updated} =${v.unchanged} -${v.deleted} q${v.quarantined} s${v.skipped}`])))}`);
    console.log(`  worker RSS: ${mb(atStart.rss)} when the run began, peak ${mb(peakRss)} during the run, ${mb(end.rss)} at the end; VmHWM (peak since start) ${mb(end.hwm)}`);
  }
  clearInterval(sampler);
  process.kill(worker, 'SIGTERM'); // the worker itself: time then reports and exits
  await new Promise((r) => time.once('exit', r));
  const max = /Maximum resident set size \(kbytes\): (\d+)/.exec(timeOut.join(''))?.[1];
  console.log(`/usr/bin/time -v: maximum resident set size ${max ? mb(Number(max)) : 'n/a'}`);
  await sandbox.close();
  await env.teardown();
  await db.destroy();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
