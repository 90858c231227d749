// The human-readable table printed at the end of a bench run. Pure: results + checks in, text out.
import type { BenchResults } from './results.js';
import type { Check } from './targets.js';

/** Rows in the order of issue 9's table. */
const ROWS: readonly (keyof BenchResults)[] = [
  'floor_s',
  'fetch_only_s',
  'full_sync_s',
  'ratio_full',
  'resync_s',
  'ratio_resync',
  'resync_rows_written',
  'delta_s',
  'ratio_delta',
  'peak_rss_mb',
  'peak_rss_mb_4x',
  'activities_per_run',
  'history_events_per_run',
  'max_payload_bytes',
  'districts',
  'districts_failed',
  'districts_s',
];

export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1 ? v.toFixed(3) : v.toFixed(2);
}

/** Seconds and ratios always with decimals (4.00, not 4), counts as they are. */
export function formatFigure(field: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (field.endsWith('_s') || field.startsWith('ratio_')) return Math.abs(v) < 1 ? v.toFixed(3) : v.toFixed(2);
  return formatNumber(v);
}

function pad(s: string, width: number, right = false): string {
  return right ? s.padStart(width) : s.padEnd(width);
}

export function formatTable(r: BenchResults, checks: readonly Check[]): string {
  const byField = new Map(checks.map((c) => [c.field as string, c]));
  const head = ['field', 'median', 'min', 'max', 'target', 'verdict'];
  const lines: string[][] = [head];
  for (const field of ROWS) {
    const spread = r.spreads[field];
    const check = byField.get(field);
    const value = r[field] as number | null;
    const verdict = check ? (check.verdict === 'ok' ? 'ok' : check.verdict === 'miss' ? 'MISS' : 'skipped') : '';
    lines.push([
      field,
      formatFigure(field, value),
      spread ? formatFigure(field, spread.min) : '',
      spread ? formatFigure(field, spread.max) : '',
      check?.target ?? '',
      verdict,
    ]);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const body = lines.map((l) => l.map((cell, i) => pad(cell, widths[i]!, i >= 1 && i <= 3)).join('  ').trimEnd());
  body.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));

  const m = r.machine;
  const four = r.size_4x ? `; 4× = ${r.size_4x}, ${r.records_4x ?? '?'} records` : '';
  const out = [
    `classlink-sync bench: size ${r.size} (${r.records ?? '?'} records${four}), ${r.districts} districts of size xs`,
    `timings: median of ${r.runs} run${r.runs === 1 ? '' : 's'} (min, max beside it); seconds`,
    `${r.date}  ${m.nproc} cpu (${m.cpu}), ${(m.memory_mb / 1024).toFixed(1)} GB, node ${m.node}, commit ${r.git_commit?.slice(0, 10) ?? 'unknown'}${r.git_dirty ? ' (dirty)' : ''}`,
    '',
    ...body,
  ];
  const modes = Object.entries(r.modes).map(([k, v]) => `${k}=${[...new Set(v)].join('/')}`);
  if (modes.length) out.push('', `run modes recorded by the engine: ${modes.join(', ')}`);
  for (const [field, why] of Object.entries(r.skipped)) out.push(`skipped ${field}: ${why}`);
  for (const note of r.notes) out.push(`note: ${note}`);
  return `${out.join('\n')}\n`;
}
