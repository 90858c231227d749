#!/usr/bin/env node
// Pinned schemathesis (PyPI) in a git-ignored venv under .tools/, for the API fuzzing of the
// reliability suite and .ci/run. Only tests and CI call this; production code never does.
//   node scripts/schemathesis.mjs            installs if missing, prints the `st` path
//   node scripts/schemathesis.mjs run ARGS   installs if missing, then runs `st run ARGS`
// Plain JS so it runs without tsx.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMATHESIS_VERSION = '4.32.5';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.tools', 'schemathesis', SCHEMATHESIS_VERSION);
const stamp = join(venv, '.installed');

export function schemathesisBin() {
  return join(venv, 'bin', 'st');
}

export function ensureSchemathesis() {
  if (existsSync(stamp) && existsSync(schemathesisBin())) return schemathesisBin();
  // A venv hard-codes its own path, so it is built in place; the stamp written last marks it whole,
  // and a folder without it (an interrupted install) is rebuilt from scratch.
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
  writeFileSync(stamp, `${SCHEMATHESIS_VERSION}\n`);
  return schemathesisBin();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const bin = ensureSchemathesis();
    if (process.argv[2] === 'run') {
      const r = spawnSync(bin, ['run', ...process.argv.slice(3)], { stdio: 'inherit' });
      process.exit(r.status ?? 1);
    }
    process.stdout.write(`${bin}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
