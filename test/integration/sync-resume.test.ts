// A worker process killed (SIGKILL) in the middle of fetching: a fresh worker process retries the
// fetch after the heartbeat timeout, resumes just past the last committed page, and the district
// ends with exactly the live tables of an undisturbed run.
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../config/tools.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';
import { liveContent, registerDistrict, runStatus, startRun } from './sync-support.js';

let sys: TestSystem;
const children: ChildProcess[] = [];
const queue = `classlink-sync-resume-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  sys = await startTestSystem({ sandbox: { size: 'xs', seed: 5 } });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sys?.stop();
});

/** The real worker entry (worker/main.ts) as its own process: one node process, no tsx wrapper. */
function spawnWorker(): { child: ChildProcess; output: () => string } {
  let out = '';
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: projectRoot,
    env: { ...env, NODE_ENV: 'test', DATABASE_URL: sys.database.url, TEMPORAL_ADDRESS: sys.env.address, TEMPORAL_TASK_QUEUE: queue, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, output: () => out.slice(-4000) };
}

test('a worker killed mid-fetch resumes from its last page and ends with the same live tables as an undisturbed run', async () => {
  await registerDistrict(sys, 'resume', { pageSize: 20 });
  await registerDistrict(sys, 'calm', { pageSize: 20 });
  sys.sandbox.setFaults({ slowMs: 40 });

  const first = spawnWorker();
  const run = await startRun(sys, 'resume', { taskQueue: queue });
  const atKill = await waitFor(
    'the first worker to be in the middle of enrollments',
    async () => {
      if (first.child.exitCode !== null) throw new Error(`worker exited: ${first.output()}`);
      const r = await runStatus(sys, 'resume', run.runId);
      return r?.progress?.collection === 'enrollments' && r.progress.pagesDone >= 10 ? r.progress : null;
    },
    120_000,
    100,
  );
  first.child.kill('SIGKILL');
  await new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
  expect(atKill.pagesDone).toBeLessThan(atKill.pagesTotal);

  const second = spawnWorker();
  await expect(run.result).resolves.toMatchObject({ status: 'succeeded' });
  second.child.kill('SIGTERM');

  const resumed = await runStatus(sys, 'resume', run.runId);
  expect(resumed.status).toBe('succeeded');
  const resumes = resumed.summary.fetch.resumes as { collection: string; offset: number; attempt: number }[];
  expect(resumes).toHaveLength(1);
  expect(resumes[0]).toMatchObject({ collection: 'enrollments', attempt: 2 });
  // Resumed at or past the last page the killed worker reported, never from the start.
  expect(resumes[0]!.offset).toBeGreaterThanOrEqual(atKill.offset);
  expect(resumes[0]!.offset % 20).toBe(0);

  sys.sandbox.clearFaults();
  const undisturbed = await startRun(sys, 'calm');
  await undisturbed.result;
  const calm = await runStatus(sys, 'calm', undisturbed.runId);
  expect(calm.summary.fetch.resumes).toEqual([]);
  expect(resumed.counts).toEqual(calm.counts);
  const a = await liveContent(sys, 'resume');
  expect(Object.keys(a).length).toBeGreaterThan(1500);
  expect(a).toEqual(await liveContent(sys, 'calm'));
}, 300_000);
