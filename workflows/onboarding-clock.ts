// Wall-clock math in a district's time zone, pure and deterministic (Intl's tz data ships with
// Node, so the same Node answers the same on replay). Used by the workflow for the year-end timer
// and by tests to say when a `CRON_TZ=` schedule fires across daylight-saving changes.

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export const NIGHTLY_HOUR = 23;
export const NIGHTLY_BASE_MINUTE = 45;
/** Districts spread over 23:45..23:54 so a thousand of them don't start in the same second. */
export const NIGHTLY_SPREAD_MINUTES = 10;

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall time an instant shows in a time zone. */
export function wallTimeAt(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute! };
}

/** Minutes the zone is ahead of UTC at an instant (Chicago: -360 in winter, -300 in summer). */
export function utcOffsetMinutes(instantMs: number, timeZone: string): number {
  const w = wallTimeAt(instantMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return Math.round((asUtc - Math.floor(instantMs / MINUTE_MS) * MINUTE_MS) / MINUTE_MS);
}

/**
 * The instant a wall time happens in a zone; null when it does not exist (skipped by a spring-forward
 * gap). An ambiguous fall-back time resolves to its first (daylight) occurrence.
 */
export function instantOfWallTime(w: WallTime, timeZone: string): number | null {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  // Try the offsets in force a day either side: one of them is the right one unless the time is skipped.
  const offsets = [...new Set([utcOffsetMinutes(asUtc - DAY_MS, timeZone), utcOffsetMinutes(asUtc + DAY_MS, timeZone)])].sort((a, b) => b - a);
  for (const off of offsets) {
    const candidate = asUtc - off * MINUTE_MS;
    const back = wallTimeAt(candidate, timeZone);
    if (back.year === w.year && back.month === w.month && back.day === w.day && back.hour === w.hour && back.minute === w.minute) return candidate;
  }
  return null;
}

/** Parses YYYY-MM-DD (validated elsewhere) into its parts. */
function dateParts(date: string): { year: number; month: number; day: number } {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

/** The instant a school year is over: midnight at the start of the day after its last day, in the zone. */
export function yearEndsAt(lastDay: string, timeZone: string): number {
  const d = dateParts(lastDay);
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day) + DAY_MS);
  const midnight = { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: 0, minute: 0 };
  // A zone that skips midnight (a few do on DST days) starts the day at 01:00.
  return instantOfWallTime(midnight, timeZone) ?? instantOfWallTime({ ...midnight, hour: 1 }, timeZone)!;
}

/** FNV-1a: a stable 32-bit hash, the same in every process and on every replay. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The district's nightly minute past 23:00: 45 plus its own 0..9 minute spread. */
export function nightlyMinute(districtId: string): number {
  return NIGHTLY_BASE_MINUTE + (stableHash(districtId) % NIGHTLY_SPREAD_MINUTES);
}

export function nightlyCron(districtId: string, timeZone: string): string {
  return `CRON_TZ=${timeZone} ${nightlyMinute(districtId)} ${NIGHTLY_HOUR} * * *`;
}

export interface DailyCron {
  timeZone: string;
  minute: number;
  hour: number;
}

const DAILY_CRON = /^CRON_TZ=(\S+) (\d{1,2}) (\d{1,2}) \* \* \*$/;

/** Parses the one cron shape the nightly child uses; anything else is a programming error. */
export function parseDailyCron(cron: string): DailyCron {
  const m = DAILY_CRON.exec(cron);
  if (!m) throw new Error(`"${cron}" is not a daily "CRON_TZ=<zone> <minute> <hour> * * *" schedule`);
  const minute = Number(m[2]);
  const hour = Number(m[3]);
  if (minute > 59 || hour > 23) throw new Error(`"${cron}" has no such time of day`);
  return { timeZone: m[1]!, minute, hour };
}

/** The next `count` instants after `afterMs` at which a daily CRON_TZ schedule fires. */
export function nextFirings(cron: string, afterMs: number, count: number): number[] {
  const { timeZone, minute, hour } = parseDailyCron(cron);
  const start = wallTimeAt(afterMs, timeZone);
  const firings: number[] = [];
  // Walk calendar days in the zone; a day whose firing time is skipped by DST contributes nothing.
  for (let dayMs = Date.UTC(start.year, start.month - 1, start.day); firings.length < count; dayMs += DAY_MS) {
    const d = new Date(dayMs);
    const at = instantOfWallTime({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour, minute }, timeZone);
    if (at !== null && at > afterMs) firings.push(at);
  }
  return firings;
}
