// The record rules the worker evaluates while staging (roster/record-checks.ts): their verdicts on
// the shapes the registry describes, and dates and date-times judged exactly as Postgres judges them
// (apply casts dateLastModified, schedules compare dates: a value the worker lets through must cast).
import fc from 'fast-check';
import { sql } from 'kysely';
import { checkRecord, isDate, isDateTime, jsonbText, STAGED_REF_FIELDS, stagedRefs } from '../../roster/record-checks.js';
import { stagedRefsSql } from '../../roster/validate.js';
import { RECORD_RULES } from '../../roster/rules.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ migrated: false });
});

afterAll(async () => {
  await t?.destroy();
});

const validUser = {
  sourcedId: 'u-1',
  status: 'active',
  dateLastModified: '2026-08-01T12:00:00Z',
  username: 'ada',
  givenName: 'Ada',
  familyName: 'Lovelace',
  role: 'student',
  enabledUser: 'true',
  orgs: [{ sourcedId: 'school-1', type: 'org' }],
};

const rulesBroken = (entity: Parameters<typeof checkRecord>[0], record: unknown) => (checkRecord(entity, record).faults ?? []).map(([id]) => id);

async function postgresAccepts(values: string[], type: 'date' | 'timestamptz'): Promise<boolean[]> {
  const r = await sql<{ ok: boolean }>`select pg_input_is_valid(v, ${type}) as ok from unnest(${values}::text[]) with ordinality as x(v, i) order by i`.execute(t.db);
  return r.rows.map((row) => row.ok);
}

const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((x) => String(x).padStart(n, '0'));

test('a valid user breaks no rule; each broken field names its rule and the value it got', () => {
  expect(checkRecord('users', validUser)).toEqual({ skip: null, faults: null });
  const { faults } = checkRecord('users', { ...validUser, role: 'wizard', enabledUser: 'yes', givenName: '   ' });
  expect(faults).toEqual([
    ['users.givenName.required', 'user has no givenName, which OneRoster requires'],
    ['users.role.enum', `${RECORD_RULES.find((r) => r.id === 'users.role.enum')!.message}: got "wizard"`],
    ['users.enabledUser.type', 'user enabledUser must be "true" or "false": got "yes"'],
  ]);
});

test('guardians are skipped, not checked', () => {
  expect(checkRecord('users', { ...validUser, role: 'guardian', givenName: null })).toEqual({ skip: 'users.role.skipped', faults: null });
});

test('present means a non-null value that is not blank; blank is spaces only, as Postgres btrim sees it', () => {
  expect(rulesBroken('users', { ...validUser, username: null })).toEqual(['users.username.required']);
  expect(rulesBroken('users', { ...validUser, username: '' })).toEqual(['users.username.required']);
  expect(rulesBroken('users', { ...validUser, username: '\t' })).toEqual([]);
  expect(rulesBroken('users', { ...validUser, orgs: [] })).toEqual(['users.orgs.required']);
  // Optional fields: absent or null is fine, a wrong type is not.
  expect(rulesBroken('users', { ...validUser, email: null, grades: undefined })).toEqual([]);
  expect(rulesBroken('users', { ...validUser, email: 42, grades: ['9', 10] })).toEqual(['users.email.type', 'users.grades.type']);
});

test('a record that is not an object misses every required field; non-finite numbers count as null, as staged', () => {
  expect(rulesBroken('orgs', 'just a string')).toEqual(expect.arrayContaining(['orgs.sourcedId.required', 'orgs.name.required', 'orgs.type.required']));
  expect(rulesBroken('orgs', [1, 2])).toContain('orgs.sourcedId.required');
  const org = { sourcedId: 'o', status: 'active', dateLastModified: '2026-01-01T00:00:00Z', name: 'North High', type: 'school' };
  expect(rulesBroken('orgs', org)).toEqual([]);
  expect(rulesBroken('orgs', { ...org, name: Infinity })).toEqual(['orgs.name.required']);
});

test('references, flags, years, lengths and date order', () => {
  const enrollment = { sourcedId: 'e', status: 'active', dateLastModified: '2026-01-01T00:00:00Z', role: 'student', class: { sourcedId: 'c' }, user: { sourcedId: 'u' }, school: { sourcedId: 's' } };
  expect(rulesBroken('enrollments', enrollment)).toEqual([]);
  expect(rulesBroken('enrollments', { ...enrollment, class: 'c', user: { sourcedId: ' ' }, primary: 1 })).toEqual(['enrollments.primary.type', 'enrollments.class.type', 'enrollments.user.type']);
  expect(rulesBroken('enrollments', { ...enrollment, beginDate: '2026-09-01', endDate: '2026-08-31' })).toEqual(['enrollments.endDate.order']);
  expect(checkRecord('enrollments', { ...enrollment, beginDate: '2026-09-01', endDate: '2026-08-31' }).faults![0]![1]).toBe('enrollment ends before it begins: 2026-09-01 to 2026-08-31');
  expect(rulesBroken('enrollments', { ...enrollment, beginDate: '2026-02-30' })).toEqual(['enrollments.beginDate.format']);
  const term = { sourcedId: 't', status: 'active', dateLastModified: '2026-01-01T00:00:00Z', title: 'Fall', type: 'term', startDate: '2026-08-01', endDate: '2026-12-20' };
  expect(rulesBroken('academicSessions', { ...term, schoolYear: 2027 })).toEqual([]);
  expect(rulesBroken('academicSessions', { ...term, schoolYear: '27' })).toEqual(['academicSessions.schoolYear.format']);
  // Length counts characters (code points), as Postgres does, not UTF-16 units.
  const emoji = '😀'.repeat(320);
  expect(rulesBroken('users', { ...validUser, email: emoji })).toEqual([]);
  expect(rulesBroken('users', { ...validUser, email: `${emoji}x` })).toEqual(['users.email.length']);
  expect(checkRecord('users', { ...validUser, email: `${emoji}x` }).faults![0]![1]).toMatch(/: 321 characters, starting 😀{40}$/u);
  // The staging marker of unstorable text quarantines the record.
  expect(rulesBroken('users', { ...validUser, _unstorable: ['givenName'] })).toEqual(['users.record.unstorable']);
});

test("messages show values in jsonb's text form", () => {
  expect(jsonbText({ b: [1, { zz: 1, a: 'x' }], aa: 2.5 })).toBe('{"b": [1, {"a": "x", "zz": 1}], "aa": 2.5}');
  expect(rulesBroken('orgs', { sourcedId: 'o', status: 'active', dateLastModified: '2026-01-01T00:00:00Z', name: 'N', type: 'school', parent: ['p'] })).toEqual(['orgs.parent.type']);
});

test('dates: the worker accepts exactly what Postgres accepts', async () => {
  const edge = ['0000-01-01', '0001-01-01', '2024-02-29', '2023-02-29', '2000-02-29', '1900-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '9999-12-31', '2026-1-01', '2026-01-01 '];
  const generated = fc.sample(fc.tuple(digits(4), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`), { numRuns: 3000, seed: 42 });
  const values = [...edge, ...generated];
  const pg = await postgresAccepts(values, 'date');
  const disagree = values.filter((v, i) => isDate(v) !== (/^\d{4}-\d{2}-\d{2}$/.test(v) && pg[i]));
  expect(disagree).toEqual([]);
});

test('date-times: the worker accepts exactly what Postgres accepts as timestamptz', async () => {
  const edge = [
    '2026-01-01T24:00:00Z', '2026-01-01T24:00:01Z', '2026-01-01T23:59:60Z', '2026-01-01T12:30:60.5Z', '2026-01-01T12:00:60.0000001Z',
    '2026-01-01T24:00:00.0000001Z', '2026-01-01T24:00:00.0000005Z', '2026-01-01T24:00:00.0000015Z', '2026-01-01T12:00:00+15:59', '2026-01-01T12:00:00+16:00',
    '2026-01-01T12:00:00-1559', '2026-01-01T12:00:00+05:60', '0000-01-01T00:00:00Z', '2026-02-29T00:00Z', '2026-01-01T12:00',
  ];
  const datetime = fc
    .tuple(fc.constantFrom('2026', '2024', '0001', '9999', '0000'), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 26 }), fc.integer({ min: 0, max: 61 }),
      fc.option(fc.tuple(fc.integer({ min: 0, max: 61 }), fc.option(fc.integer({ min: 1, max: 9 }).chain(digits)))),
      fc.constantFrom('', 'Z', '+00:00', '-05:00', '+15:59', '+16:00', '+0530', '-1500', '+05:61'))
    .map(([y, mo, d, h, mi, sec, tz]) => {
      const p = (n: number) => String(n).padStart(2, '0');
      const s = sec ? `:${p(sec[0])}${sec[1] ? `.${sec[1]}` : ''}` : '';
      return `${y}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}${s}${tz}`;
    });
  const values = [...edge, ...fc.sample(datetime, { numRuns: 4000, seed: 7 })];
  const pg = await postgresAccepts(values, 'timestamptz');
  const disagree = values.filter((v, i) => isDateTime(v) !== pg[i]);
  expect(disagree).toEqual([]);
});

test("references staged by the worker are the ids validation's SQL reads from the JSON", async () => {
  expect(STAGED_REF_FIELDS.enrollments).toEqual(['class', 'user', 'school']);
  expect(STAGED_REF_FIELDS.users).toEqual([]);
  expect(stagedRefs('users', validUser)).toBeNull();
  const reference = fc.oneof(
    fc.record({ sourcedId: fc.oneof(fc.string(), fc.constantFrom('', ' ', '  ', '\t', ' c-1 ', 'c"1', 'c\\1', 'c,1', 'NULL', '{c}')), type: fc.constant('class') }, { requiredKeys: [] }),
    fc.record({ sourcedId: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 })) }),
    fc.constantFrom(null, 'c-1', 7, [], [{ sourcedId: 'c-1' }], {}),
  );
  const enrollment = fc.record({ class: reference, user: reference, school: reference }, { requiredKeys: [] });
  const records: unknown[] = [...fc.sample(enrollment, { numRuns: 1500, seed: 11 }), 'not an object', [1, 2], null, 42];
  const fromSql = await sql<{ refs: (string | null)[] }>`
    select ${sql.raw(stagedRefsSql('enrollments', 'x.d'))} as refs
    from jsonb_array_elements(${JSON.stringify(records)}::jsonb) with ordinality as x(d, i) order by i`.execute(t.db);
  const disagree = records.filter((r, i) => JSON.stringify(stagedRefs('enrollments', r)) !== JSON.stringify(fromSql.rows[i]!.refs));
  expect(disagree).toEqual([]);
  // Non-trivial: most generated references are kept, some are not.
  const kept = records.flatMap((r) => stagedRefs('enrollments', r)).filter((id) => id !== null).length;
  expect(kept).toBeGreaterThan(500);
  expect(kept).toBeLessThan(records.length * 3);
});
