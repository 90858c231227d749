import type { BenchResults } from '../../bench/results.js';
import { spread } from '../../bench/stats.js';
import { formatFigure, formatNumber, formatTable } from '../../bench/table.js';
import { evaluate } from '../../bench/targets.js';

function results(): BenchResults {
  return {
    size: 'm', records: 85657, runs: 3,
    floor_s: 4.2, fetch_only_s: 2, full_sync_s: 12.6, ratio_full: 3, resync_s: 2.4, ratio_resync: 1.2, resync_rows_written: 0,
    delta_s: 0.9, ratio_delta: 0.071, peak_rss_mb: 280, peak_rss_mb_4x: 420, size_4x: 'l', records_4x: 426043, full_sync_4x_s: 60,
    activities_per_run: 6, history_events_per_run: 40, max_payload_bytes: 239, districts: 100, districts_failed: 0, districts_s: 31.5,
    spreads: { floor_s: spread([4.2, 4.0, 5.1]), full_sync_s: spread([12.6, 11.9, 13.25]) },
    modes: { full_sync: ['full', 'full', 'full'], delta: ['delta', 'delta', 'delta'] },
    details: {}, skipped: {}, notes: ['delta: something worth knowing'],
    date: '2026-11-28T23:00:00.000Z',
    machine: { nproc: 2, memory_mb: 24105, cpu: 'AMD EPYC', node: 'v20.20.2', platform: 'linux-x64' },
    git_commit: '0faf30f7d7aa', git_dirty: false, command: 'npm run bench -- --size m',
  };
}

describe('bench table', () => {
  test('numbers: integers as they are, fractions to 2 or 3 decimals, missing as a dash', () => {
    expect(formatNumber(300)).toBe('300');
    expect(formatNumber(12.345)).toBe('12.35');
    expect(formatNumber(0.0712)).toBe('0.071');
    expect(formatNumber(null)).toBe('—');
  });

  test('seconds and ratios keep their decimals even when whole', () => {
    expect(formatFigure('floor_s', 4)).toBe('4.00');
    expect(formatFigure('ratio_full', 3)).toBe('3.00');
    expect(formatFigure('ratio_delta', 0.05)).toBe('0.050');
    expect(formatFigure('peak_rss_mb', 280)).toBe('280');
  });

  test('one row per figure with median, min, max, target and verdict', () => {
    const r = results();
    const text = formatTable(r, evaluate(r));
    const row = (field: string) => text.split('\n').find((l) => l.startsWith(`${field} `))!.split(/\s{2,}/);
    expect(row('floor_s')).toEqual(['floor_s', '4.20', '4.00', '5.10']);
    expect(row('full_sync_s')).toEqual(['full_sync_s', '12.60', '11.90', '13.25']);
    expect(row('ratio_full')).toEqual(['ratio_full', '3.00', '≤ 2.5', 'MISS']);
    expect(row('peak_rss_mb_4x')).toEqual(['peak_rss_mb_4x', '420', '≤ 300', 'MISS']);
    expect(row('ratio_delta')).toEqual(['ratio_delta', '0.071', '≤ 0.2', 'ok']);
    expect(row('districts')).toEqual(['districts', '100']);
  });

  test('says what was measured, on what, and what to keep in mind', () => {
    const r = results();
    const text = formatTable(r, evaluate(r));
    expect(text).toContain('size m (85657 records; 4× = l, 426043 records)');
    expect(text).toContain('median of 3 runs');
    expect(text).toContain('2 cpu (AMD EPYC)');
    expect(text).toContain('commit 0faf30f7d7');
    expect(text).toContain('full_sync=full, delta=delta');
    expect(text).toContain('note: delta: something worth knowing');
  });

  test('columns line up', () => {
    const r = results();
    const lines = formatTable(r, evaluate(r)).split('\n');
    const head = lines.find((l) => l.startsWith('field'))!;
    const floor = lines.find((l) => l.startsWith('floor_s'))!;
    // Right-aligned numbers end where their header ends.
    expect(floor.indexOf('4.20') + '4.20'.length).toBe(head.indexOf('median') + 'median'.length);
  });
});
