import { todayIn } from '../../roster/terms.js';

test('today is the calendar date in the district’s time zone, not the server’s', () => {
  const instant = new Date('2026-11-29T03:30:00Z'); // 21:30 on the 28th in Chicago
  expect(todayIn('America/Chicago', instant)).toBe('2026-11-28');
  expect(todayIn('UTC', instant)).toBe('2026-11-29');
  expect(todayIn('Pacific/Honolulu', instant)).toBe('2026-11-28');
  expect(todayIn('Asia/Tokyo', new Date('2026-12-31T15:00:00Z'))).toBe('2027-01-01');
});

describe('isRealDate', () => {
  test('accepts real days and refuses impossible ones that match the pattern', async () => {
    const { isRealDate } = await import('../../roster/terms.js');
    expect(isRealDate('2026-11-28')).toBe(true);
    expect(isRealDate('2028-02-29')).toBe(true);
    expect(isRealDate('2027-02-29')).toBe(false);
    expect(isRealDate('4900-30-70')).toBe(false);
    expect(isRealDate('2026-1-1')).toBe(false);
  });
});
