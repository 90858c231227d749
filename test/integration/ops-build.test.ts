// The production build (npm run build → what the Dockerfile runs): compiled JavaScript that runs
// with plain node. The compiled migrations apply to an empty database, and the compiled API starts
// against a Temporal dev server, answers /ready and serves the pages' static files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, readTemporalToolPaths } from '../../config/tools.js';
import { freePort } from '../../lib/free-port.js';
import { WORKER_NODE_OPTIONS } from '../../worker/memory.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/system.js';

let out: string;
let database: TestDatabase;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Inside the project, as /app/dist is in the image: node finds node_modules above it.
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  out = mkdtempSync(join(projectRoot, '.data', 'build-test-'));
  const build = spawnSync(process.execPath, [join(projectRoot, 'scripts/build.mjs'), out], { cwd: projectRoot, encoding: 'utf8' });
  expect({ status: build.status, stderr: build.stderr.trim() }).toMatchObject({ status: 0 });
  database = await createTestDatabase({ migrated: false });
}, 240_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await database?.destroy();
  rmSync(out, { recursive: true, force: true });
});

test('the build holds the entry points, the static files and the workflow bundle, and no TypeScript', () => {
  for (const f of ['api/main.js', 'worker/main.js', 'db/migrate-cli.js', 'scripts/ops.js', 'scripts/admin.js', 'api/pages/static/app.css', 'workflow-bundle.js']) {
    expect(existsSync(join(out, f))).toBe(true);
  }
  // Tests, benchmarks and the ClassLink sandbox stay out of production.
  for (const d of ['test', 'bench', 'sandbox']) expect(existsSync(join(out, d))).toBe(false);
});

test('compiled migrations apply to an empty database', () => {
  const env = { PATH: process.env.PATH, DATABASE_URL: database.url, NODE_OPTIONS: WORKER_NODE_OPTIONS };
  const migrate = spawnSync(process.execPath, [join(out, 'db/migrate-cli.js')], { env, encoding: 'utf8' });
  expect({ status: migrate.status, stderr: migrate.stderr }).toEqual({ status: 0, stderr: '' });
  expect(migrate.stdout).toMatch(/^applied \d+ migration\(s\): 2026_11_28_001_initial/);
  const check = spawnSync(process.execPath, [join(out, 'db/migrate-cli.js'), '--check'], { env, encoding: 'utf8' });
  expect(check.stdout.trim()).toBe('database is up to date');
});

test('the compiled worker loads its whole module graph and says what is missing', () => {
  const worker = spawnSync(process.execPath, [join(out, 'worker/main.js')], { env: { PATH: process.env.PATH, NODE_OPTIONS: WORKER_NODE_OPTIONS }, encoding: 'utf8' });
  expect(worker.status).toBe(1);
  expect(worker.stderr).toContain('DATABASE_URL is not set');
});

test('the compiled API starts on plain node, answers /ready and serves the static files', async () => {
  const temporalPort = await freePort();
  const temporal = spawn(readTemporalToolPaths().temporalCli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(temporalPort), '--log-level', 'error'], { stdio: 'ignore' });
  children.push(temporal);
  const port = await freePort();
  const api = spawn(process.execPath, [join(out, 'api/main.js')], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: database.url, TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, PORT: String(port), HOST: '127.0.0.1', SECRETS_KEY: 'a'.repeat(64), SUPPORT_API_TOKEN: 'build-test-token-0123456789abcdef' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(api);
  let said = '';
  api.stderr!.on('data', (d: Buffer) => (said += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the compiled API to be ready', async () => {
    if (api.exitCode !== null) throw new Error(`the compiled API exited (${api.exitCode}): ${said}`);
    return (await fetch(`${base}/ready`).catch(() => null))?.status === 200;
  });
  const css = await fetch(`${base}/assets/app.css`);
  expect(css.status).toBe(200);
  expect(css.headers.get('content-type')).toContain('text/css');
  expect((await css.text()).length).toBeGreaterThan(100);
}, 120_000);
