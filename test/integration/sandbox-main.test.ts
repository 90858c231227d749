// `npm run sandbox` as a real process: prints where it listens and how to get in, serves an `l`
// tenant's first page within seconds, and exits cleanly on SIGTERM/SIGINT.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function start(args: string[]): { child: ChildProcess; output: () => string; ready: Promise<Record<string, string>> } {
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'sandbox/main.ts', ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const base = /OneRoster base URL\s+(\S+)/.exec(out)?.[1];
      const token = /OAuth 2 token URL\s+(\S+)/.exec(out)?.[1];
      const creds = /client id \/ secret\s+(\S+) \/ (\S+)/.exec(out);
      if (base && token && creds && /admin/.test(out)) resolve({ base, token, clientId: creds[1], clientSecret: creds[2] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('exit', (code) => reject(new Error(`sandbox exited early (${code}):\n${out}`)));
  });
  ready.catch(() => undefined); // a test that expects the exit does not await ready
  return { child, output: () => out, ready };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

test('an l tenant serves its first page within seconds and stops on SIGTERM', async () => {
  const started = performance.now();
  const { child, ready } = start(['--size', 'l', '--seed', '3', '--port', '0']);
  try {
    const info = await ready;
    const tokenRes = await fetch(info.token, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${info.clientId}:${info.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const res = await fetch(`${info.base}/enrollments?limit=1000`, { headers: { authorization: `Bearer ${access_token}` } });
    const body = (await res.json()) as { enrollments: unknown[] };
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(body.enrollments).toHaveLength(1000);
    expect(Number(res.headers.get('x-total-count'))).toBeGreaterThan(340_000);
    // Process start (tsx compile included) to first page. Reported, not asserted: timings on a
    // shared 2-core machine belong in the benchmark, not in a pass/fail test.
    console.log(`l tenant: first page ${elapsed.toFixed(0)} ms after spawn`);
  } finally {
    const code = exited(child);
    child.kill('SIGTERM');
    expect(await code).toBe(0);
  }
});

test('SIGINT also closes it cleanly', async () => {
  const { child, ready, output } = start(['--size', 'xs', '--port', '0']);
  await ready;
  const code = exited(child);
  child.kill('SIGINT');
  expect(await code).toBe(0);
  expect(output()).toMatch(/SIGINT: closing sandbox/);
});

test('bad arguments are refused with a message', async () => {
  const { child, output } = start(['--size', 'huge']);
  expect(await exited(child)).toBe(2);
  expect(output()).toMatch(/--size must be one of xs, s, m, l, xl/);
});
