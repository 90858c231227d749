// Record checking: good records of all six kinds pass; each kind of defect is named with its field
// and rule; nothing, however malformed, throws.
import fc from 'fast-check';
import { isIsoDate, isIsoDateTime, parseRecord, type Problem } from '../../oneroster/records.js';
import { deltaFilter } from '../../oneroster/delta.js';
import { COLLECTIONS, type Collection } from '../../oneroster/types.js';

const base = { status: 'active', dateLastModified: '2026-01-05T12:34:56.789Z' };
const ref = (sourcedId: string, type: string) => ({ sourcedId, type, href: `https://x/${type}s/${sourcedId}` });

// Shaped like ClassLink's OneRoster 1.1 JSON (strings for booleans, refs with href).
const GOOD: Record<Collection, Record<string, unknown>> = {
  orgs: { ...base, sourcedId: 'org-1', name: 'Lincoln High', type: 'school', identifier: '042', parent: ref('dist-1', 'org'), children: [] },
  academicSessions: {
    ...base,
    sourcedId: 'term-1',
    title: 'Fall 2025',
    type: 'term',
    startDate: '2025-08-18',
    endDate: '2025-12-19',
    parent: ref('sy-2026', 'academicSession'),
    schoolYear: '2026',
  },
  courses: { ...base, sourcedId: 'crs-1', title: 'Algebra I', courseCode: 'MA101', grades: ['09'], subjects: ['Math'], org: ref('org-1', 'org') },
  classes: {
    ...base,
    sourcedId: 'cls-1',
    title: 'Algebra I - P1',
    classType: 'scheduled',
    course: ref('crs-1', 'course'),
    school: ref('org-1', 'org'),
    terms: [ref('term-1', 'academicSession')],
    periods: ['1'],
  },
  users: {
    ...base,
    sourcedId: 'usr-1',
    username: 'zoë.ñúñez',
    userIds: [{ type: 'LDAP', identifier: 'znunez' }],
    enabledUser: 'true',
    givenName: 'Zoë',
    familyName: 'Ñúñez',
    middleName: '',
    role: 'student',
    email: 'zoe@example.org',
    orgs: [ref('org-1', 'org')],
    grades: ['09'],
  },
  enrollments: {
    ...base,
    sourcedId: 'enr-1',
    user: ref('usr-1', 'user'),
    class: ref('cls-1', 'class'),
    school: ref('org-1', 'org'),
    role: 'student',
    primary: 'false',
    beginDate: '2025-08-18',
    endDate: '',
  },
};

function problemsOf(collection: Collection, raw: unknown): Problem[] {
  const r = parseRecord(collection, raw);
  if (r.ok) throw new Error(`expected ${collection} record to be rejected`);
  return r.problems;
}

const rulesOf = (ps: Problem[]) => ps.map((p) => `${p.field}:${p.rule}`).sort();

describe('parseRecord on good records', () => {
  test.each(COLLECTIONS)('%s passes and comes back as served', (collection) => {
    const r = parseRecord(collection, GOOD[collection]);
    expect(r).toEqual({ ok: true, record: GOOD[collection] });
  });

  test('leniencies: JSON booleans, numeric schoolYear, null optionals, tobedeleted, offset date-times', () => {
    expect(parseRecord('users', { ...GOOD.users, enabledUser: false, email: null, agents: null }).ok).toBe(true);
    expect(parseRecord('academicSessions', { ...GOOD.academicSessions, schoolYear: 2026 }).ok).toBe(true);
    expect(parseRecord('orgs', { ...GOOD.orgs, status: 'tobedeleted', dateLastModified: '2026-01-05T06:34:56-06:00' }).ok).toBe(true);
  });
});

describe('parseRecord on malformed records', () => {
  test('missing required fields, each named', () => {
    const { name: _n, type: _t, ...org } = GOOD.orgs;
    expect(rulesOf(problemsOf('orgs', org))).toEqual(['name:required', 'type:required']);
    expect(rulesOf(problemsOf('users', { ...GOOD.users, givenName: '  ', orgs: [] }))).toEqual(['givenName:required', 'orgs:required']);
  });

  test('bad enums', () => {
    expect(rulesOf(problemsOf('orgs', { ...GOOD.orgs, status: 'deleted', type: 'campus' }))).toEqual(['status:enum', 'type:enum']);
    expect(rulesOf(problemsOf('academicSessions', { ...GOOD.academicSessions, type: 'quarter' }))).toEqual(['type:enum']);
    expect(rulesOf(problemsOf('users', { ...GOOD.users, role: 'Teacher' }))).toEqual(['role:enum']);
    expect(rulesOf(problemsOf('enrollments', { ...GOOD.enrollments, role: 'guardian' }))).toEqual(['role:enum']);
    const [p] = problemsOf('users', { ...GOOD.users, role: 'principal' });
    expect(p.message).toBe('role must be one of teacher, student, administrator, aide, guardian, parent, relative, proctor, got "principal"');
  });

  test('bad dates and date-times', () => {
    expect(rulesOf(problemsOf('academicSessions', { ...GOOD.academicSessions, startDate: '2025/08/18', endDate: '2026-02-30' }))).toEqual([
      'endDate:format',
      'startDate:format',
    ]);
    expect(rulesOf(problemsOf('orgs', { ...GOOD.orgs, dateLastModified: 'yesterday' }))).toEqual(['dateLastModified:format']);
    expect(rulesOf(problemsOf('academicSessions', { ...GOOD.academicSessions, schoolYear: '25-26' }))).toEqual(['schoolYear:format']);
  });

  test('start after end', () => {
    const ps = problemsOf('academicSessions', { ...GOOD.academicSessions, startDate: '2026-01-10', endDate: '2025-12-19' });
    expect(ps).toEqual([{ field: 'endDate', rule: 'range', message: 'endDate 2025-12-19 is before startDate 2026-01-10' }]);
    expect(rulesOf(problemsOf('enrollments', { ...GOOD.enrollments, endDate: '2025-08-01' }))).toEqual(['endDate:range']);
  });

  test('bad references and wrong types', () => {
    expect(rulesOf(problemsOf('classes', { ...GOOD.classes, course: { type: 'course' }, terms: [ref('t', 'academicSession'), 'term-2'] }))).toEqual([
      'course.sourcedId:required',
      'terms[1]:type',
    ]);
    expect(rulesOf(problemsOf('users', { ...GOOD.users, enabledUser: 'yes', grades: '09', userIds: [{ identifier: 5 }] }))).toEqual([
      'enabledUser:type',
      'grades:type',
      'userIds[0].identifier:type',
      'userIds[0].type:required',
    ]);
    expect(rulesOf(problemsOf('enrollments', { ...GOOD.enrollments, user: 'usr-1' }))).toEqual(['user:type']);
  });

  test('the failure carries the sourcedId when there is one', () => {
    const r = parseRecord('users', { ...GOOD.users, role: 'x' });
    expect(r.ok === false && r.sourcedId).toBe('usr-1');
    const r2 = parseRecord('users', { ...GOOD.users, sourcedId: 42 });
    expect(r2.ok === false && r2.sourcedId).toBeNull();
  });

  test.each([null, 'usr-1', 42, [GOOD.users], undefined])('a non-object (%p) is a shape problem', (raw) => {
    expect(parseRecord('users', raw)).toEqual({ ok: false, sourcedId: null, problems: [expect.objectContaining({ field: '', rule: 'shape' })] });
  });

  // parseRecord has a last-resort catch; these check the checker never needs it.
  const usedFallback = (r: ReturnType<typeof parseRecord>) =>
    !r.ok && r.problems.some((p) => p.message.startsWith('the record could not be checked'));

  test('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COLLECTIONS), fc.anything(), (collection, raw) => {
        expect(usedFallback(parseRecord(collection, raw))).toBe(false);
      }),
      { numRuns: 500 },
    );
    // Mutations of good records: fields replaced by arbitrary values.
    fc.assert(
      fc.property(fc.constantFrom(...COLLECTIONS), fc.dictionary(fc.string(), fc.anything()), (collection, junk) => {
        const field = Object.keys(GOOD[collection]);
        const raw = { ...GOOD[collection], ...Object.fromEntries(Object.entries(junk).map(([k, v], i) => [field[i % field.length] ?? k, v])) };
        expect(usedFallback(parseRecord(collection, raw))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('formats', () => {
  test('dates', () => {
    expect(['2024-02-29', '2025-12-31'].every(isIsoDate)).toBe(true);
    expect(['2025-02-29', '2025-13-01', '2025-1-01', '20250101', '2025-01-01T00:00:00Z'].some(isIsoDate)).toBe(false);
  });
  test('date-times', () => {
    expect(['2026-01-05T12:34:56.789Z', '2026-01-05T12:34:56Z', '2026-01-05T12:34Z', '2026-01-05T12:34:56+0530', '2026-01-05T12:34:56'].every(isIsoDateTime)).toBe(true);
    expect(['2026-01-05', '2026-01-05 12:34:56Z', '2026-01-05T24:00:00Z', '2026-02-30T00:00:00Z', '2026-01-05T12:34:56+25:00'].some(isIsoDateTime)).toBe(false);
  });
});

describe('deltaFilter', () => {
  test('reaches back by the safety margin, in OneRoster filter syntax', () => {
    expect(deltaFilter(new Date('2026-01-02T03:04:05Z'), 5 * 60_000)).toBe("dateLastModified>'2026-01-02T02:59:05.000Z'");
    expect(deltaFilter(new Date('2026-01-02T00:00:00Z'), 0)).toBe("dateLastModified>'2026-01-02T00:00:00.000Z'");
  });
  test('refuses nonsense', () => {
    expect(() => deltaFilter(new Date('nope'), 0)).toThrow(RangeError);
    expect(() => deltaFilter(new Date(), -1)).toThrow(RangeError);
  });
});
