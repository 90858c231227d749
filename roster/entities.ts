// How OneRoster collections map onto our live tables.
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import type { LiveTable } from '../db/schema.js';

export const LIVE_TABLE: Record<Collection, LiveTable> = {
  orgs: 'orgs',
  academicSessions: 'academic_sessions',
  courses: 'courses',
  classes: 'classes',
  users: 'users',
  enrollments: 'enrollments',
};

/**
 * fetched = inserted + updated + unchanged + quarantined + skipped + (deleted - absent from a full feed).
 * revived is the part of updated that brought a deleted record back; skipped records (guardians) are never applied.
 */
export type EntityCounts = {
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  quarantined: number;
  skipped: number;
  revived: number;
};

export function emptyCounts(): EntityCounts {
  return { fetched: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, quarantined: 0, skipped: 0, revived: 0 };
}

/** 0 for every collection. */
export function zeroPerCollection(): Record<Collection, number> {
  return Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<Collection, number>;
}

/** `count(*) ... group by entity` rows as a count for every collection (0 where no row). */
export function perCollection(rows: ReadonlyArray<{ entity: string; n: number | string | bigint }>): Record<Collection, number> {
  const out = zeroPerCollection();
  for (const r of rows) out[r.entity as Collection] = Number(r.n);
  return out;
}
