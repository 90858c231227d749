import { evaluate, misses, TARGETS } from '../../bench/targets.js';

type Figures = Parameters<typeof evaluate>[0];

/** Every figure exactly on its target: the best a run can be held to. */
function onTarget(): Figures {
  const r = { skipped: {} } as Record<string, unknown>;
  for (const t of TARGETS) r[t.field] = t.limit;
  return r as unknown as Figures;
}

describe('bench --check', () => {
  test('figures on their targets pass (limits are inclusive)', () => {
    const checks = evaluate(onTarget());
    expect(checks.map((c) => c.verdict)).toEqual(TARGETS.map(() => 'ok'));
    expect(misses(checks)).toEqual([]);
  });

  test('covers every target of the issue', () => {
    expect(TARGETS.map((t) => `${t.field} ${t.op} ${t.limit}`)).toEqual([
      'ratio_full <= 2.5',
      'ratio_resync <= 1.3',
      'resync_rows_written = 0',
      'ratio_delta <= 0.2',
      'peak_rss_mb <= 300',
      'peak_rss_mb_4x <= 300',
      'activities_per_run <= 15',
      'history_events_per_run <= 150',
      'max_payload_bytes <= 16384',
      'districts_failed = 0',
    ]);
  });

  test('each miss is named with its value and target', () => {
    const r = { ...onTarget(), ratio_full: 2.51, resync_rows_written: 3, peak_rss_mb_4x: 512, districts_failed: 1 };
    const missed = misses(evaluate(r));
    expect(missed.map((m) => m.field)).toEqual(['ratio_full', 'resync_rows_written', 'peak_rss_mb_4x', 'districts_failed']);
    expect(missed[0]!.message).toBe('ratio_full is 2.51, target ≤ 2.5');
    expect(missed[1]!.message).toBe('resync_rows_written is 3, target = 0');
  });

  test('a figure that could not be measured is a miss; one skipped on purpose is not', () => {
    const r = { ...onTarget(), ratio_delta: null, peak_rss_mb_4x: null, skipped: { peak_rss_mb_4x: 'no sandbox size is 4× xl' } };
    const checks = evaluate(r);
    expect(checks.find((c) => c.field === 'ratio_delta')).toMatchObject({ verdict: 'miss', message: expect.stringContaining('could not be measured') });
    expect(checks.find((c) => c.field === 'peak_rss_mb_4x')).toMatchObject({ verdict: 'skipped', message: expect.stringContaining('no sandbox size') });
    expect(misses(checks).map((m) => m.field)).toEqual(['ratio_delta']);
  });
});
