// Summaries of repeated timings. The machines are noisy, so every timing is reported as the median
// of its samples with the extremes beside it, never as one number.

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many samples the figures come from. */
  n: number;
  samples: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new RangeError('spread of no samples');
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    n: samples.length,
    samples: [...samples],
  };
}

/** a / b rounded for a report; null when either side is missing or b is zero. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || b === 0) return null;
  return round(a / b, 3);
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
