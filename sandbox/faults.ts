// Fault injection for the OneRoster routes: the bad days a real tenant has (5xx, 429, slowness,
// truncated pages, lying totals, revoked credentials, empty or mass-dropped feeds, malformed
// records). Random faults draw from a seeded PRNG so a test that sets them is repeatable.

import { mulberry32 } from './prng.js';
import type { SandboxCollection } from './types.js';

export type MalformedKind = 'missingField' | 'badEnum' | 'badDate' | 'duplicateId' | 'danglingRef' | 'wrongType';
export const MALFORMED_KINDS: readonly MalformedKind[] = ['missingField', 'badEnum', 'badDate', 'duplicateId', 'danglingRef', 'wrongType'];
export type InjectedStatus = 500 | 502 | 503;

export interface Faults {
  /** Probability (0..1) per OneRoster request of each status. */
  errorRate?: Partial<Record<InjectedStatus, number>>;
  /** The next `count` OneRoster requests fail with `status`. */
  burst?: { status: InjectedStatus; count: number; retryAfterSeconds?: number };
  /** The next `count` OneRoster requests get 429 with Retry-After. */
  rateLimit?: { count: number; retryAfterSeconds: number };
  /** Delay before every OneRoster response. */
  slowMs?: number;
  /** The page starting at `offset` returns fewer records than limit and X-Total-Count promise. */
  truncatePage?: { collection: SandboxCollection; offset: number };
  /** X-Total-Count off by delta for a collection. */
  wrongTotalCount?: { collection: SandboxCollection; delta: number };
  /** Every request 401, the token endpoint included. */
  authFailure?: boolean;
  /** After this many more OneRoster requests, every OneRoster request is refused (401) until cleared; the token endpoint still issues tokens, which do not help. */
  revokeAuthAfterRequests?: number;
  /** users (and the teachers/students views) come back empty. */
  emptyUsers?: boolean;
  /** This percentage of students (and their enrollments) vanish from the feed. */
  massDropStudentsPercent?: number;
  /** 200 with body {} for this collection. */
  missingCollectionKey?: { collection: SandboxCollection };
  /** Every MALFORMED_EVERY-th record of the collection (by position) is broken, kinds in rotation. */
  malformed?: { collection: SandboxCollection; kinds: MalformedKind[] };
  /** Seed for errorRate draws. Default 1. */
  seed?: number;
}

/** Positions MALFORMED_OFFSET, +MALFORMED_EVERY, +2·MALFORMED_EVERY … of a malformed collection are broken. */
export const MALFORMED_EVERY = 20;
export const MALFORMED_OFFSET = 3;

export function malformedKindAt(position: number, kinds: readonly MalformedKind[]): MalformedKind | undefined {
  if (kinds.length === 0 || position % MALFORMED_EVERY !== MALFORMED_OFFSET) return undefined;
  return kinds[Math.floor(position / MALFORMED_EVERY) % kinds.length];
}


const STATUS_CODES = new Set([500, 502, 503]);

export class FaultController {
  private faults: Faults = {};
  private rand = mulberry32(1);
  private revokeCountdown: number | undefined;

  set(faults: Faults): void {
    validateFaults(faults);
    // Replaces the whole set: a test states exactly the bad day it wants.
    this.faults = structuredClone(faults);
    this.rand = mulberry32(faults.seed ?? 1);
    this.revokeCountdown = faults.revokeAuthAfterRequests;
  }

  clear(): void {
    this.set({});
  }

  get current(): Faults {
    return structuredClone({ ...this.faults, ...(this.revokeCountdown !== undefined ? { revokeAuthAfterRequests: this.revokeCountdown } : {}) });
  }

  get authFailure(): boolean {
    return this.faults.authFailure === true;
  }

  /** Called once per authenticated OneRoster request; true when credentials count as revoked. */
  authRevoked(): boolean {
    if (this.revokeCountdown === undefined) return false;
    if (this.revokeCountdown <= 0) return true;
    this.revokeCountdown--;
    return false;
  }

  get slowMs(): number {
    return this.faults.slowMs ?? 0;
  }

  /** A failure to answer instead of the real response, consuming burst/rate-limit budget. */
  injectedFailure(): { status: number; headers: Record<string, string>; body: unknown } | undefined {
    const f = this.faults;
    if (f.burst && f.burst.count > 0) {
      f.burst.count--;
      const headers: Record<string, string> = f.burst.retryAfterSeconds !== undefined ? { 'retry-after': String(f.burst.retryAfterSeconds) } : {};
      return { status: f.burst.status, headers, body: failureBody(`injected ${f.burst.status} (burst)`) };
    }
    if (f.rateLimit && f.rateLimit.count > 0) {
      f.rateLimit.count--;
      return { status: 429, headers: { 'retry-after': String(f.rateLimit.retryAfterSeconds) }, body: failureBody('rate limit exceeded') };
    }
    if (f.errorRate) {
      const r = this.rand();
      let threshold = 0;
      for (const status of [500, 502, 503] as const) {
        threshold += f.errorRate[status] ?? 0;
        if (r < threshold) return { status, headers: {}, body: failureBody(`injected ${status}`) };
      }
    }
    return undefined;
  }

  get raw(): Readonly<Faults> {
    return this.faults;
  }
}

export function failureBody(description: string) {
  return { imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_description: description };
}

export class FaultValidationError extends Error {}

function validateFaults(f: Faults): void {
  const bad = (msg: string) => { throw new FaultValidationError(msg); };
  if (typeof f !== 'object' || f === null || Array.isArray(f)) bad('faults must be a JSON object');
  const known = new Set(['errorRate', 'burst', 'rateLimit', 'slowMs', 'truncatePage', 'wrongTotalCount', 'authFailure', 'revokeAuthAfterRequests',
    'emptyUsers', 'massDropStudentsPercent', 'missingCollectionKey', 'malformed', 'seed']);
  for (const k of Object.keys(f)) if (!known.has(k)) bad(`unknown fault ${k}`);
  const prob = (x: unknown) => typeof x === 'number' && x >= 0 && x <= 1;
  if (f.errorRate) {
    for (const [k, v] of Object.entries(f.errorRate)) if (!STATUS_CODES.has(Number(k)) || !prob(v)) bad(`errorRate.${k} must be a probability for 500/502/503`);
  }
  if (f.burst && (!STATUS_CODES.has(f.burst.status) || !(f.burst.count >= 0))) bad('burst needs status 500|502|503 and count >= 0');
  if (f.rateLimit && (!(f.rateLimit.count >= 0) || !(f.rateLimit.retryAfterSeconds >= 0))) bad('rateLimit needs count and retryAfterSeconds >= 0');
  if (f.massDropStudentsPercent !== undefined && !(f.massDropStudentsPercent >= 0 && f.massDropStudentsPercent <= 100)) bad('massDropStudentsPercent must be 0..100');
  if (f.malformed && (!Array.isArray(f.malformed.kinds) || f.malformed.kinds.some((k) => !MALFORMED_KINDS.includes(k)))) {
    bad(`malformed.kinds must be among ${MALFORMED_KINDS.join(', ')}`);
  }
}
