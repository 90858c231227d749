// The real worker entry (worker/main.ts) as its own process, so a test can SIGKILL it: nothing of
// the process survives (no finally blocks, no graceful drain), exactly like a crashed container.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../../config/tools.js';

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The last few KiB of its stdout and stderr, for failure messages. */
  output(): string;
  /** Every stdout/stderr line so far (log scans). */
  lines(): string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

let bundle: Promise<string> | null = null;

/** One prebuilt workflow bundle per test file (npm run build:workflows): workers start in ~2 s instead of bundling. */
export function workflowBundle(): Promise<string> {
  bundle ??= (async () => {
    const dir = join(projectRoot, '.data', 'reliability');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `workflow-bundle-${process.pid}-${Date.now()}.js`);
    const { NODE_OPTIONS: _n, ...env } = process.env;
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build-workflow-bundle.ts', out], { cwd: projectRoot, env });
    if (!existsSync(out)) throw new Error(`the workflow bundle was not written to ${out}`);
    return out;
  })();
  return bundle;
}

/** Deletes this file's bundle (a few MB); call from afterAll. */
export async function removeWorkflowBundle(): Promise<void> {
  const path = await bundle?.catch(() => null);
  bundle = null;
  if (path) rmSync(path, { force: true });
}

export function spawnWorker(opts: { databaseUrl: string; temporalAddress: string; taskQueue: string; bundlePath?: string; logLevel?: string; env?: Record<string, string> }): WorkerProcess {
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/exit-with-parent.mjs', 'worker/main.ts'], {
    cwd: projectRoot,
    env: {
      ...inherited,
      NODE_ENV: 'test',
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: opts.temporalAddress,
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      LOG_LEVEL: opts.logLevel ?? 'warn',
      WORKER_HTTP_PORT: '0',
      WORKER_SDK_METRICS_PORT: '0',
      ...(opts.bundlePath ? { WORKFLOW_BUNDLE_PATH: opts.bundlePath } : {}),
      ...opts.env,
      // The worker ends when this process does, however it ends (scripts/exit-with-parent.mjs).
      EXIT_WITH_PARENT: String(process.pid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const all: string[] = [];
  let tail = '';
  const take = (d: Buffer) => {
    const text = d.toString();
    tail = (tail + text).slice(-6000);
    all.push(...text.split('\n').filter(Boolean));
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => tail,
    lines: () => all,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
