// The bench end to end at size xs, as CI's smoke test: it starts its own Postgres, Temporal dev
// server, sandbox and worker processes, runs every case but the 4× one once, prints the table and
// writes results. It checks that the harness measures, never how fast anything is.
// Runs in CI (CI set, as .ci/run does) or with BENCH_SMOKE=1; skipped in a local `npm test`, where
// its minute or two (a production build, three worker starts) buys little over the other tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../config/tools.js';
import type { BenchResults } from '../../bench/results.js';
import { createGenerator, SANDBOX_COLLECTIONS } from '../../sandbox/generator.js';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const enabled = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
const describeSmoke = enabled(process.env.BENCH_SMOKE) || enabled(process.env.CI) ? describe : describe.skip;

describeSmoke('npm run bench -- --size xs (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('measures every case, prints the table and writes the results', async () => {
    const out = join(dir, 'results.json');
    const { code, stdout, stderr } = await run(['--size', 'xs', '--runs', '1', '--districts', '5', '--cases', 'floor,fetch,sync,delta,districts', '--out', out]);
    expect({ code, stderr: code === 0 ? '' : stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });

    const r = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    const g = createGenerator({ size: 'xs', seed: 1 });
    expect(r.records).toBe(SANDBOX_COLLECTIONS.reduce((n, c) => n + g.count(c), 0));
    for (const field of ['floor_s', 'fetch_only_s', 'full_sync_s', 'resync_s', 'delta_s', 'districts_s', 'ratio_full', 'ratio_resync', 'ratio_delta'] as const) {
      expect({ field, positive: (r[field] ?? 0) > 0 }).toEqual({ field, positive: true });
    }
    expect(r.spreads.full_sync_s).toMatchObject({ n: 1 });
    expect(r.ratio_full).toBeCloseTo(r.full_sync_s! / r.floor_s!, 2);
    // Every run synced: a failed run is never timed, so these would be null.
    expect(r.districts_failed).toBe(0);
    // The second full run found nothing changed and wrote nothing; the nightly run after it was a delta.
    expect(r.resync_rows_written).toBe(0);
    expect(r.modes).toMatchObject({ full_sync: ['full'], resync: ['full'], delta: ['delta'] });
    expect(r.activities_per_run).toBeGreaterThan(0);
    expect(r.history_events_per_run).toBeGreaterThan(r.activities_per_run!);
    expect(r.max_payload_bytes).toBeGreaterThan(0);
    expect(r.peak_rss_mb).toBeGreaterThan(30);
    expect(r.resync_rows_written).not.toBeNull();
    expect(r.skipped).toEqual({ peak_rss_mb_4x: 'not in --cases' });
    expect(r.machine.nproc).toBeGreaterThan(0);

    for (const row of ['floor_s', 'full_sync_s', 'ratio_full', 'resync_rows_written', 'districts_failed']) expect(stdout).toMatch(new RegExp(`^${row} `, 'm'));
    expect(stderr).toMatch(/full_sync \(size xs\) run 1 of 1: done in/);
  }, 300_000);
});
