// Seeded, allocation-free randomness. Every synthetic record is derived from a hash of
// (seed, collection, index, ...) so record i can be computed without generating records 0..i-1:
// that is what lets an `xl` tenant serve any page instantly and never hold a collection in memory.

/** murmur3's finaliser: a cheap avalanche so neighbouring inputs give unrelated outputs. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable 32-bit hash of a few integers (order matters). */
export function hash(a: number, b = 0, c = 0, d = 0): number {
  let h = fmix((a ^ 0x9e3779b9) >>> 0);
  h = fmix((h + Math.imul(b | 0, 0x27d4eb2f)) >>> 0);
  h = fmix((h + Math.imul(c | 0, 0x165667b1)) >>> 0);
  h = fmix((h + Math.imul(d | 0, 0x1b873593)) >>> 0);
  return h;
}

/** A number in [0, 1) from the same inputs as hash(). */
export function unit(a: number, b = 0, c = 0, d = 0): number {
  return hash(a, b, c, d) / 4294967296;
}

/** mulberry32: a tiny sequential PRNG for when one record needs several draws. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Small helpers over a draw function. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

export function intBelow(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** FNV-1a of a string, for decisions that must agree wherever the same sourcedId appears. */
export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return hash(h >>> 0);
}
