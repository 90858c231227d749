// Time-zone math of the onboarding workflow: the nightly schedule across daylight-saving changes,
// the year-end instant, and the per-district spread of the nightly minute.
import {
  instantOfWallTime,
  nextFirings,
  nightlyCron,
  nightlyMinute,
  parseDailyCron,
  stableHash,
  utcOffsetMinutes,
  wallTimeAt,
  yearEndsAt,
} from '../../workflows/onboarding-clock.js';

const iso = (ms: number) => new Date(ms).toISOString();
const CHICAGO_2345 = 'CRON_TZ=America/Chicago 45 23 * * *';

describe('nightly firings of CRON_TZ=America/Chicago 45 23 * * *', () => {
  test('spring forward (Sunday 2027-03-14): 05:45Z while CST, 04:45Z once CDT, 23 hours apart', () => {
    const firings = nextFirings(CHICAGO_2345, Date.parse('2027-03-12T12:00:00Z'), 4).map(iso);
    expect(firings).toEqual(['2027-03-13T05:45:00.000Z', '2027-03-14T05:45:00.000Z', '2027-03-15T04:45:00.000Z', '2027-03-16T04:45:00.000Z']);
    for (const f of firings) expect(wallTimeAt(Date.parse(f), 'America/Chicago')).toMatchObject({ hour: 23, minute: 45 });
  });

  test('fall back (Sunday 2026-11-01): 04:45Z while CDT, 05:45Z once CST, 25 hours apart', () => {
    const firings = nextFirings(CHICAGO_2345, Date.parse('2026-10-30T12:00:00Z'), 4).map(iso);
    expect(firings).toEqual(['2026-10-31T04:45:00.000Z', '2026-11-01T04:45:00.000Z', '2026-11-02T05:45:00.000Z', '2026-11-03T05:45:00.000Z']);
  });

  test('a firing exactly at the start instant is not "next"; one a minute later is', () => {
    const at = Date.parse('2026-11-02T05:45:00Z');
    expect(iso(nextFirings(CHICAGO_2345, at, 1)[0]!)).toBe('2026-11-03T05:45:00.000Z');
    expect(iso(nextFirings(CHICAGO_2345, at - 60_000, 1)[0]!)).toBe('2026-11-02T05:45:00.000Z');
  });

  test('a wall time skipped by spring forward never fires that day', () => {
    const firings = nextFirings('CRON_TZ=America/Chicago 30 2 * * *', Date.parse('2027-03-13T00:00:00Z'), 2).map(iso);
    expect(firings).toEqual(['2027-03-13T08:30:00.000Z', '2027-03-15T07:30:00.000Z']);
  });

  test('only the daily CRON_TZ shape is accepted', () => {
    expect(parseDailyCron('CRON_TZ=Europe/Berlin 5 23 * * *')).toEqual({ timeZone: 'Europe/Berlin', minute: 5, hour: 23 });
    expect(() => parseDailyCron('45 23 * * *')).toThrow(/CRON_TZ/);
    expect(() => parseDailyCron('CRON_TZ=America/Chicago 45 23 * * 1')).toThrow();
    expect(() => parseDailyCron('CRON_TZ=America/Chicago 75 23 * * *')).toThrow(/no such time/);
  });
});

describe('wall times', () => {
  test('Chicago offsets in winter and summer', () => {
    expect(utcOffsetMinutes(Date.parse('2027-01-15T12:00:00Z'), 'America/Chicago')).toBe(-360);
    expect(utcOffsetMinutes(Date.parse('2027-07-15T12:00:00Z'), 'America/Chicago')).toBe(-300);
    expect(utcOffsetMinutes(Date.parse('2027-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(330);
  });

  test('a skipped wall time has no instant; an ambiguous one resolves to its first occurrence', () => {
    expect(instantOfWallTime({ year: 2027, month: 3, day: 14, hour: 2, minute: 30 }, 'America/Chicago')).toBeNull();
    expect(iso(instantOfWallTime({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/Chicago')!)).toBe('2026-11-01T06:30:00.000Z');
  });
});

describe('year end', () => {
  test('the year is over at midnight after its last day, in the district zone', () => {
    expect(iso(yearEndsAt('2027-06-05', 'America/Chicago'))).toBe('2027-06-06T05:00:00.000Z');
    expect(iso(yearEndsAt('2026-12-20', 'America/Chicago'))).toBe('2026-12-21T06:00:00.000Z');
    expect(iso(yearEndsAt('2027-06-05', 'Pacific/Honolulu'))).toBe('2027-06-06T10:00:00.000Z');
    expect(iso(yearEndsAt('2027-06-05', 'Asia/Kolkata'))).toBe('2027-06-05T18:30:00.000Z');
    expect(iso(yearEndsAt('2027-12-31', 'UTC'))).toBe('2028-01-01T00:00:00.000Z');
  });
});

describe('per-district nightly minute', () => {
  test('stays between 23:45 and 23:54 and is the same every time', () => {
    expect(nightlyMinute('demo')).toBe(nightlyMinute('demo'));
    expect(nightlyCron('demo', 'America/Denver')).toBe(`CRON_TZ=America/Denver ${nightlyMinute('demo')} 23 * * *`);
    expect(stableHash('a')).toBe(0xe40c292c); // FNV-1a 32-bit test vector
    expect(stableHash('foobar')).toBe(0xbf9cf968);
  });

  test('a thousand districts spread over all ten minutes, none crowded', () => {
    const perMinute = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const m = nightlyMinute(`district-${i}`);
      expect(m).toBeGreaterThanOrEqual(45);
      expect(m).toBeLessThanOrEqual(54);
      perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
    }
    expect(perMinute.size).toBe(10);
    expect(Math.max(...perMinute.values())).toBeLessThan(150);
  });
});
