import { FOUR_X, parseBenchArgs, UsageError } from '../../bench/args.js';
import { createGenerator, SANDBOX_COLLECTIONS, SIZES, type Size } from '../../sandbox/generator.js';

describe('bench arguments', () => {
  test('defaults: size l, 3 runs, 100 districts, every case, no check', () => {
    const o = parseBenchArgs([]);
    expect(o).toMatchObject({ size: 'l', runs: 3, districts: 100, check: false, out: 'bench/results.json', keep: false, cpuProfDir: null, pgStats: false });
    expect([...o.cases]).toEqual(['floor', 'fetch', 'sync', 'delta', '4x', 'districts']);
  });

  test('reads size, runs, districts and check', () => {
    expect(parseBenchArgs(['--size', 'xs', '--runs', '1', '--districts', '5', '--check'])).toMatchObject({ size: 'xs', runs: 1, districts: 5, check: true });
  });

  test('refuses what it cannot run, saying what is allowed', () => {
    expect(() => parseBenchArgs(['--size', 'huge'])).toThrow(new UsageError('--size must be one of xs, s, m, l, xl, got "huge"'));
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs must be an integer ≥ 1/);
    expect(() => parseBenchArgs(['--runs', '2.5'])).toThrow(/--runs must be an integer/);
    expect(() => parseBenchArgs(['--cases', 'floor,warp'])).toThrow(/unknown case "warp"/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(UsageError);
  });

  test('a delta case brings the full sync it runs after', () => {
    expect([...parseBenchArgs(['--cases', 'delta']).cases].sort()).toEqual(['delta', 'sync']);
  });

  test('the 4× size is the next size up, and serves roughly 4× the records or more', () => {
    const records = (size: Size) => {
      const g = createGenerator({ size, seed: 1 });
      return SANDBOX_COLLECTIONS.reduce((n, c) => n + g.count(c), 0);
    };
    for (const size of SIZES) {
      const bigger = FOUR_X[size];
      if (!bigger) continue;
      expect(SIZES.indexOf(bigger)).toBe(SIZES.indexOf(size) + 1);
      expect(records(bigger) / records(size)).toBeGreaterThanOrEqual(3.9);
    }
    expect(FOUR_X.xl).toBeNull();
  });
});
