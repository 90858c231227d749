// Per-district sync knobs, read from districts.settings with defaults. Bad values fall back to the
// default (a typo in a setting must not stop a district's nightly sync) and are reported.
import type { District } from '../db/schema.js';

export interface SyncSettings {
  /** Hold the run when more than this percent of an entity's active live records would be removed. */
  removalThresholdPercent: number;
  /** Hold a full run whose users or enrollments feed holds fewer than this percent of today's active live records. */
  feedMinPercent: number;
  /** Nightly runs are full when the last successful full run is at least this many days old. */
  fullSyncEveryDays: number;
  /** A delta asks for records modified since the last successful run's start minus this margin. */
  deltaSafetyMarginMinutes: number;
  /** "No term covers today" tolerates breaks between terms up to this many days. */
  termBreakDays: number;
}

export const DEFAULT_SYNC_SETTINGS: SyncSettings = {
  removalThresholdPercent: 10,
  feedMinPercent: 50,
  fullSyncEveryDays: 7,
  deltaSafetyMarginMinutes: 60,
  termBreakDays: 21,
};

const LIMITS: Record<keyof SyncSettings, [number, number]> = {
  removalThresholdPercent: [0, 100],
  feedMinPercent: [0, 100],
  fullSyncEveryDays: [0, 366],
  deltaSafetyMarginMinutes: [0, 7 * 24 * 60],
  termBreakDays: [0, 120],
};

export function syncSettings(district: Pick<District, 'settings'>): { settings: SyncSettings; ignored: string[] } {
  const raw = (district.settings ?? {}) as Record<string, unknown>;
  const settings = { ...DEFAULT_SYNC_SETTINGS };
  const ignored: string[] = [];
  for (const key of Object.keys(DEFAULT_SYNC_SETTINGS) as (keyof SyncSettings)[]) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    const [lo, hi] = LIMITS[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi) settings[key] = v;
    else ignored.push(`${key}=${JSON.stringify(v)} is not a number in ${lo}..${hi}; using ${settings[key]}`);
  }
  return { settings, ignored };
}
