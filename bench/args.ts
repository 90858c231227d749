// `npm run bench -- --size <xs|s|m|l|xl> [--runs 3] [--districts 100] [--check] ...`: parsing and
// validation only, so the CLI's refusals are unit-tested.
import { parseArgs } from 'node:util';
import { SIZES, type Size } from '../sandbox/generator.js';

export const CASES = ['floor', 'fetch', 'sync', 'delta', '4x', 'districts'] as const;
export type Case = (typeof CASES)[number];

export interface BenchOptions {
  size: Size;
  runs: number;
  districts: number;
  check: boolean;
  out: string;
  cases: Set<Case>;
  /** Keep the bench's data folder (Postgres, logs) instead of deleting it. */
  keep: boolean;
  /** Run the worker with --cpu-prof, profiles into this folder. */
  cpuProfDir: string | null;
  /** Load pg_stat_statements and report the costliest statements of the size case. */
  pgStats: boolean;
  /** A sync run taking longer is terminated and reported, and its case not repeated. */
  runTimeoutMs: number;
}

/** The size measured as "4×" of each size: the nearest larger sandbox size (l → xl is exactly 4×). */
export const FOUR_X: Record<Size, Size | null> = { xs: 's', s: 'm', m: 'l', l: 'xl', xl: null };

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run bench -- [--size xs|s|m|l|xl] [--runs N] [--districts N] [--check]
                          [--out FILE] [--cases ${CASES.join(',')}] [--keep] [--cpu-prof DIR] [--pg-stats]
                          [--run-timeout MINUTES]
  --size       sandbox size of the main cases (default l); the 4× case uses the next size up
  --runs       samples per timing, median reported with min and max (default 3)
  --districts  districts of size xs syncing at once through one worker (default 100; 0 skips)
  --check      exit non-zero when a figure misses its target (otherwise exit 0 whatever the figures)
  --out        where the JSON results go (default bench/results.json)
  --cases      run only these cases (comma-separated); figures of the others are skipped
  --keep       keep the bench data folder (.data/bench-*) with Postgres and the process logs
  --cpu-prof   run the worker with node --cpu-prof, writing .cpuprofile files into DIR
  --pg-stats   load pg_stat_statements and print the costliest statements of the size case
  --run-timeout  minutes one sync run may take before it is terminated and reported (default 30)`;

function positiveInt(raw: string, name: string, min: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        size: { type: 'string', default: 'l' },
        runs: { type: 'string', default: '3' },
        districts: { type: 'string', default: '100' },
        check: { type: 'boolean', default: false },
        out: { type: 'string', default: 'bench/results.json' },
        cases: { type: 'string', default: CASES.join(',') },
        keep: { type: 'boolean', default: false },
        'cpu-prof': { type: 'string' },
        'pg-stats': { type: 'boolean', default: false },
        'run-timeout': { type: 'string', default: '30' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const size = values.size as Size;
  if (!SIZES.includes(size)) throw new UsageError(`--size must be one of ${SIZES.join(', ')}, got "${values.size}"`);
  const cases = new Set<Case>();
  for (const raw of values.cases.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(CASES as readonly string[]).includes(raw)) throw new UsageError(`--cases: unknown case "${raw}" (known: ${CASES.join(', ')})`);
    cases.add(raw as Case);
  }
  // A delta run needs a district that has synced; ratios need their denominators.
  if (cases.has('delta')) cases.add('sync');
  return {
    size,
    runs: positiveInt(values.runs, '--runs', 1),
    districts: positiveInt(values.districts, '--districts', 0),
    check: values.check,
    out: values.out,
    cases,
    keep: values.keep,
    cpuProfDir: values['cpu-prof'] ?? null,
    pgStats: values['pg-stats'],
    runTimeoutMs: positiveInt(values['run-timeout'], '--run-timeout', 1) * 60_000,
  };
}
