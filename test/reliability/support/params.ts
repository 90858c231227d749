// The suite's sizes, from the environment: small defaults keep `npm test` CI-sized; the full run is
//   RELIABILITY_KILLS=20 RELIABILITY_SIZE=m RELIABILITY_FUZZ_EXAMPLES=50 npm run test:reliability -- --report
import { SIZES, type Size } from '../../../sandbox/generator.js';

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${raw} is not an integer >= ${min}: fix or unset it`);
  return n;
}

function size(name: string, fallback: Size): Size {
  const raw = process.env[name];
  if (!raw) return fallback;
  if (!(SIZES as readonly string[]).includes(raw)) throw new Error(`${name}=${raw} is not one of ${SIZES.join(', ')}`);
  return raw as Size;
}

export const params = {
  /** Worker SIGKILLs, one sync run (and one seed) each. */
  kills: int('RELIABILITY_KILLS', 3, 1),
  /** Sandbox size of the crash runs. */
  size: size('RELIABILITY_SIZE', 's'),
  /** Kill runs in flight at once: a killed activity waits out its heartbeat timeout idle, so overlap them. */
  killConcurrency: int('RELIABILITY_KILL_CONCURRENCY', 3, 1),
  /** Base seed: kill i uses seed + i (kill point) on the same tenant. */
  seed: int('RELIABILITY_SEED', 1),
  /** schemathesis --max-examples per operation, and its time budget in seconds. */
  fuzzExamples: int('RELIABILITY_FUZZ_EXAMPLES', 5, 1),
  fuzzSeconds: int('RELIABILITY_FUZZ_SECONDS', 30, 1),
  /** fast-check: sync runs, and generated records per run. */
  generatedRuns: int('RELIABILITY_GENERATED_RUNS', 2, 1),
  generatedRecords: int('RELIABILITY_GENERATED_RECORDS', 40, 1),
};
