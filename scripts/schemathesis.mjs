#!/usr/bin/env node
// Pinned schemathesis (PyPI) in a git-ignored venv under .tools/, for the API fuzzing of the
// reliability suite and .ci/run. Only tests and CI call this; production code never does.
//   node scripts/schemathesis.mjs            installs if missing or broken, prints the venv's python
//                                            (run schemathesis as `<python> -m schemathesis.cli run ...`)
//   node scripts/schemathesis.mjs run ARGS   installs if missing or broken, then runs `st run ARGS`
// Plain JS so it runs without tsx.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMATHESIS_VERSION = '4.32.5';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The venv lives under the real .tools directory: in a git worktree .tools is a symlink to the
 * shared one, and a venv built through that symlink writes the worktree's path into its scripts'
 * shebangs, which break for everyone once that worktree is removed (`st` then fails with ENOENT).
 */
function venvDir() {
  const tools = join(root, '.tools');
  mkdirSync(tools, { recursive: true });
  return join(realpathSync(tools), 'schemathesis', SCHEMATHESIS_VERSION);
}

/** The venv's interpreter; `-m schemathesis.cli` runs the CLI without depending on `st`'s shebang. */
export function schemathesisPython() {
  return join(venvDir(), 'bin', 'python');
}

export const SCHEMATHESIS_MODULE = ['-m', 'schemathesis.cli'];

/** Whether the venv is whole and its interpreter runs this version (half a second). */
function usable(venv) {
  if (!existsSync(join(venv, '.installed'))) return false;
  const r = spawnSync(join(venv, 'bin', 'python'), [...SCHEMATHESIS_MODULE, '--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 && r.stdout.includes(SCHEMATHESIS_VERSION);
}

export function ensureSchemathesis() {
  const venv = venvDir();
  if (usable(venv)) return schemathesisPython();
  // A venv hard-codes its own path, so it is built in place; the stamp written last marks it whole,
  // and a folder without it (an interrupted install), or whose interpreter no longer runs (python
  // removed or moved), is rebuilt from scratch.
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  try {
    process.stderr.write(`schemathesis: installing schemathesis==${SCHEMATHESIS_VERSION} into ${venv} …\n`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'inherit'] });
    execFileSync(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (err) {
    throw new Error(`could not install schemathesis==${SCHEMATHESIS_VERSION} (${err.message}): check that python3 with venv and pip is installed and PyPI is reachable`);
  }
  writeFileSync(join(venv, '.installed'), `${SCHEMATHESIS_VERSION}\n`);
  if (!usable(venv)) throw new Error(`schemathesis==${SCHEMATHESIS_VERSION} was installed into ${venv} but \`python -m schemathesis.cli --version\` fails there: delete that folder and retry`);
  return schemathesisPython();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const python = ensureSchemathesis();
    if (process.argv[2] === 'run') {
      const r = spawnSync(python, [...SCHEMATHESIS_MODULE, 'run', ...process.argv.slice(3)], { stdio: 'inherit' });
      process.exit(r.status ?? 1);
    }
    process.stdout.write(`${python}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
