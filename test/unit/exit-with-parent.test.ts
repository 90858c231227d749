// scripts/exit-with-parent.mjs, preloaded into processes a harness spawns: killed harness, no
// orphan; a child whose work is done still exits on its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { projectRoot } from '../../config/tools.js';

const PRELOAD = ['--import', 'tsx', '--import', './scripts/exit-with-parent.mjs'];

/** A harness process that spawns `childArgs` as the bench and reliability harnesses do, and prints the child's pid. */
function harness(childArgs: string[]) {
  const script = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ${JSON.stringify(childArgs)}, { cwd: ${JSON.stringify(projectRoot)}, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, EXIT_WITH_PARENT: String(process.pid) } });
    console.log('child ' + child.pid);
    child.on('exit', (code) => console.log('child exited ' + code));
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const line = async (re: RegExp) => {
    for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const m = re.exec(out);
    if (!m) throw new Error(`harness did not print ${re}: ${out}`);
    return m;
  };
  return { parent, line };
}

/** Running: a zombie (exited, not yet reaped by whoever adopted it) does not count. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 100) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

test('a child outlives a killed harness without the preload, and ends with it when preloaded', async () => {
  const forever = ['-e', 'setInterval(() => {}, 1000)'];
  const plain = harness(['--import', 'tsx', ...forever]);
  const plainPid = Number((await plain.line(/child (\d+)/))[1]);
  plain.parent.kill('SIGKILL');
  await once(plain.parent, 'exit');
  try {
    expect(await goneWithin(plainPid, 2000)).toBe(false);
  } finally {
    process.kill(plainPid, 'SIGKILL');
  }

  const preloaded = harness([...PRELOAD, ...forever]);
  const pid = Number((await preloaded.line(/child (\d+)/))[1]);
  preloaded.parent.kill('SIGKILL');
  await once(preloaded.parent, 'exit');
  expect(await goneWithin(pid, 10_000)).toBe(true);
}, 30_000);

test('the check does not keep a preloaded child running once its work is done', async () => {
  const h = harness([...PRELOAD, '-e', 'setTimeout(() => {}, 200)']);
  try {
    expect((await h.line(/child exited (\d+)/))[1]).toBe('0');
  } finally {
    h.parent.kill('SIGKILL');
  }
}, 30_000);
