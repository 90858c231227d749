// The targets of issue 9 and their evaluation for `--check`. Pure: takes results, says what missed.
import type { BenchResults } from './results.js';

type Field = keyof BenchResults;

export interface Target {
  field: Field;
  op: '<=' | '=';
  limit: number;
}

export const TARGETS: readonly Target[] = [
  { field: 'ratio_full', op: '<=', limit: 2.5 },
  { field: 'ratio_resync', op: '<=', limit: 1.3 },
  { field: 'resync_rows_written', op: '=', limit: 0 },
  { field: 'ratio_delta', op: '<=', limit: 0.2 },
  { field: 'peak_rss_mb', op: '<=', limit: 300 },
  { field: 'peak_rss_mb_4x', op: '<=', limit: 300 },
  { field: 'activities_per_run', op: '<=', limit: 15 },
  { field: 'history_events_per_run', op: '<=', limit: 150 },
  { field: 'max_payload_bytes', op: '<=', limit: 16384 },
  { field: 'districts_failed', op: '=', limit: 0 },
];

export type Verdict = 'ok' | 'miss' | 'skipped';

export interface Check {
  field: Field;
  target: string;
  value: number | null;
  verdict: Verdict;
  /** For a miss: what missed, in words. */
  message?: string;
}

export function targetText(t: Target): string {
  return `${t.op === '<=' ? '≤' : '='} ${t.limit}`;
}

export function evaluate(results: Pick<BenchResults, Field> & { skipped: Record<string, string> }): Check[] {
  return TARGETS.map((t) => {
    const raw = results[t.field];
    const value = typeof raw === 'number' ? raw : null;
    const target = targetText(t);
    if (value === null) {
      const why = results.skipped[t.field];
      if (why) return { field: t.field, target, value, verdict: 'skipped', message: `${t.field} was not measured: ${why}` };
      return { field: t.field, target, value, verdict: 'miss', message: `${t.field} could not be measured (target ${target}); see the notes` };
    }
    const ok = t.op === '<=' ? value <= t.limit : value === t.limit;
    return ok
      ? { field: t.field, target, value, verdict: 'ok' }
      : { field: t.field, target, value, verdict: 'miss', message: `${t.field} is ${value}, target ${target}` };
  });
}

export function misses(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.verdict === 'miss');
}
