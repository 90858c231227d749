import fc from 'fast-check';
import { median, ratio, round, spread } from '../../bench/stats.js';

describe('bench timings', () => {
  test('median of an odd count is the middle value, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([3.2])).toBe(3.2);
  });

  test('median of an even count is the mean of the two middle values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test('spread keeps min, max, the sample count and the samples in run order', () => {
    expect(spread([12.5, 10.25, 11])).toEqual({ median: 11, min: 10.25, max: 12.5, n: 3, samples: [12.5, 10.25, 11] });
  });

  test('no samples is an error, not a zero', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => spread([])).toThrow(RangeError);
  });

  test('min ≤ median ≤ max for any samples', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 25 }), (xs) => {
        const s = spread(xs);
        return s.min <= s.median && s.median <= s.max && s.n === xs.length;
      }),
    );
  });

  test('ratio is null when a side is missing or the denominator is zero', () => {
    expect(ratio(5, 2)).toBe(2.5);
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, null)).toBeNull();
    expect(ratio(2, 0)).toBeNull();
    expect(round(1.23456, 2)).toBe(1.23);
  });
});
