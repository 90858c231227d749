#!/usr/bin/env node
// `npm run test:reliability [-- --report] [-- <jest args>]`: the reliability and security suite
// (test/reliability plus the SSO authorization matrix and tamper tests it reuses), then, with
// --report or RELIABILITY_REPORT=1, a one-page summary of its figures printed and written to
// test-results/reliability.md. Sizes come from RELIABILITY_* variables (test/reliability/support/params.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const report = args.includes('--report') || ['1', 'true'].includes(process.env.RELIABILITY_REPORT ?? '');
const jestArgs = args.filter((a) => a !== '--report');
const SUITE = ['test/reliability', 'test/integration/sso-matrix.test.ts', 'test/integration/sso-tamper.test.ts'];
const paths = jestArgs.some((a) => !a.startsWith('-')) ? [] : SUITE;

const results = join(root, 'test-results');
const figuresDir = join(results, 'reliability-figures');
const jestJson = join(results, 'reliability-jest.json');
rmSync(figuresDir, { recursive: true, force: true });
rmSync(jestJson, { force: true });
mkdirSync(figuresDir, { recursive: true });

const bootstrap = spawnSync(process.execPath, [join(root, 'scripts/bootstrap.mjs')], { cwd: root, stdio: 'inherit' });
if (bootstrap.status !== 0) process.exit(bootstrap.status ?? 1);

const started = Date.now();
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', join(root, 'node_modules/jest/bin/jest.js'), ...paths, ...jestArgs, '--json', `--outputFile=${jestJson}`],
  { cwd: root, stdio: 'inherit', env: { ...process.env, RELIABILITY_FIGURES_DIR: figuresDir } },
);
const seconds = Math.round((Date.now() - started) / 1000);

if (report) {
  const page = renderReport(seconds);
  writeFileSync(join(results, 'reliability.md'), page);
  process.stdout.write(`\n${page}\nwritten to test-results/reliability.md\n`);
}
process.exit(jest.status ?? 1);

function renderReport(seconds) {
  const entries = existsSync(join(figuresDir, 'figures.jsonl'))
    ? readFileSync(join(figuresDir, 'figures.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
  const sum = (key) => entries.reduce((n, e) => n + (Number(e.figures[key]) || 0), 0);
  const has = (key) => entries.some((e) => key in e.figures);
  const fig = (key) => (has(key) ? String(sum(key)) : 'not run');
  const tests = existsSync(jestJson) ? JSON.parse(readFileSync(jestJson, 'utf8')) : null;
  const env = Object.entries(process.env).filter(([k]) => k.startsWith('RELIABILITY_') && k !== 'RELIABILITY_FIGURES_DIR').map(([k, v]) => `${k}=${v}`);
  const command = `${env.length ? `${env.join(' ')} ` : ''}npm run test:reliability -- --report${jestArgs.length ? ` ${jestArgs.join(' ')}` : ''}`;
  const lost = sum('rowsLost');
  const rows = [
    ['Worker kills survived (SIGKILL mid-sync, new worker finished the run)', fig('killsSurvived')],
    ['Postgres restarts mid-apply survived', fig('postgresRestartsSurvived')],
    ['Temporal dev server restarts mid-run survived', fig('temporalRestartsSurvived')],
    ['Faults handled (retried to success, or failed with the roster untouched)', fig('faultsHandled')],
    ['Bad records tried (corpus + generated), each quarantined with its rule', fig('badRecordsTried')],
    ['Good records beside them, each applied', fig('goodRecordsApplied')],
    ['Guard holds (nothing removed until approved)', fig('guardHolds')],
    ['Fuzz cases (schemathesis, with a support token and with none)', has('fuzzCases') ? `${sum('fuzzCases')} over ${sum('fuzzOperations')} operation runs` : 'not run'],
    ['Forbidden requests denied (authorization matrix, cross-district, CSRF, fixation)', fig('forbiddenDenied')],
    ['Tampered SSO logins refused', fig('tamperedLoginsRefused')],
    ['Secret probes (responses and logs scanned, none found)', fig('secretProbes')],
    ['**Rows lost**', has('rowsLost') ? `**${lost}**` : 'not run'],
  ];
  const outcome = tests ? `${tests.numPassedTests} passed, ${tests.numFailedTests} failed, ${tests.numPendingTests} skipped (${tests.numTotalTestSuites} files)` : 'jest wrote no results';
  const lines = [
    '# Reliability report',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${seconds} s · tests: ${outcome}${tests && !tests.success ? ' · **FAILED**' : ''}`,
    '',
    `Command: \`${command}\``,
    '',
    '| figure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Notes',
    ...entries.flatMap((e) => e.notes.map((n) => (n.startsWith('  ') ? `  - ${n.trim()}` : `- ${e.source}: ${n}`))),
    '',
  ];
  return lines.join('\n');
}
