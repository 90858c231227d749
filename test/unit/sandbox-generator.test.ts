import { createGenerator, SANDBOX_COLLECTIONS, type SandboxCollection, type SandboxGenerator } from '../../sandbox/generator.js';
import type { ClassRecord, EnrollmentRecord, UserRecord } from '../../sandbox/types.js';
import { matches, parseFilter, QueryEngine } from '../../sandbox/query.js';

const all = <C extends SandboxCollection>(g: SandboxGenerator, c: C) => [...g.records(c)];

function ids(g: SandboxGenerator, c: SandboxCollection): Set<string> {
  return new Set(all(g, c).map((r) => r.sourcedId));
}

/** Every reference in the district points at a record the feed serves. */
function expectReferentialIntegrity(g: SandboxGenerator): void {
  const orgs = ids(g, 'orgs');
  const sessions = ids(g, 'academicSessions');
  const courses = ids(g, 'courses');
  const classes = ids(g, 'classes');
  const users = ids(g, 'users');
  const missing: string[] = [];
  const need = (set: Set<string>, id: string | undefined, what: string) => {
    if (!id || !set.has(id)) missing.push(`${what} -> ${id}`);
  };
  for (const o of all(g, 'orgs')) if (o.parent) need(orgs, o.parent.sourcedId, o.sourcedId);
  for (const s of all(g, 'academicSessions')) if (s.parent) need(sessions, s.parent.sourcedId, s.sourcedId);
  for (const c of all(g, 'courses')) {
    need(orgs, c.org.sourcedId, c.sourcedId);
    need(sessions, c.schoolYear.sourcedId, c.sourcedId);
  }
  for (const c of all(g, 'classes')) {
    need(courses, c.course.sourcedId, c.sourcedId);
    need(orgs, c.school.sourcedId, c.sourcedId);
    expect(c.terms.length).toBeGreaterThan(0);
    for (const t of c.terms) need(sessions, t.sourcedId, c.sourcedId);
  }
  for (const u of all(g, 'users')) for (const o of u.orgs) need(orgs, o.sourcedId, u.sourcedId);
  for (const e of all(g, 'enrollments')) {
    need(users, e.user.sourcedId, e.sourcedId);
    need(classes, e.class.sourcedId, e.sourcedId);
    need(orgs, e.school.sourcedId, e.sourcedId);
  }
  expect(missing.slice(0, 10)).toEqual([]);
}

describe('sandbox generator', () => {
  test('same seed gives identical records, another seed different people', () => {
    const a = createGenerator({ seed: 7, size: 'xs', schoolYear: 2026 });
    const b = createGenerator({ seed: 7, size: 'xs', schoolYear: 2026 });
    const c = createGenerator({ seed: 8, size: 'xs', schoolYear: 2026 });
    for (const coll of SANDBOX_COLLECTIONS) expect(JSON.stringify(all(a, coll))).toEqual(JSON.stringify(all(b, coll)));
    const names = (g: SandboxGenerator) => all(g, 'users').map((u) => `${u.givenName} ${u.familyName}`).join('|');
    expect(names(a)).not.toEqual(names(c));
  });

  test('xs has the promised shape', () => {
    const g = createGenerator({ seed: 1, size: 'xs', schoolYear: 2026 });
    const users = all(g, 'users');
    const byRole = (role: string) => users.filter((u) => u.role === role).length;
    expect(all(g, 'orgs').filter((o) => o.type === 'school')).toHaveLength(2);
    expect(all(g, 'orgs').filter((o) => o.type === 'district')).toHaveLength(1);
    expect(byRole('student')).toBe(200);
    expect(byRole('teacher') + byRole('administrator') + byRole('aide')).toBe(20);
    expect(byRole('guardian')).toBeGreaterThan(0);
    expect(byRole('guardian')).toBeLessThan(30);
    expect(g.count('classes')).toBeGreaterThanOrEqual(50);
    expect(g.count('classes')).toBeLessThanOrEqual(70);

    const sessions = all(g, 'academicSessions');
    expect(sessions.map((s) => s.type).sort()).toEqual(['gradingPeriod', 'gradingPeriod', 'gradingPeriod', 'gradingPeriod', 'schoolYear', 'semester', 'semester']);
    const year = sessions.find((s) => s.type === 'schoolYear')!;
    expect([year.startDate, year.endDate, year.schoolYear]).toEqual(['2025-08-15', '2026-06-05', '2026']);
    for (const s of sessions) expect(s.startDate < s.endDate).toBe(true);

    // Students in 6–8 classes each; every class exactly one primary teacher.
    const enrollments = all(g, 'enrollments');
    const perStudent = new Map<string, number>();
    const primaries = new Map<string, number>();
    for (const e of enrollments) {
      if (e.role === 'student') perStudent.set(e.user.sourcedId, (perStudent.get(e.user.sourcedId) ?? 0) + 1);
      if (e.role === 'teacher' && e.primary === 'true') primaries.set(e.class.sourcedId, (primaries.get(e.class.sourcedId) ?? 0) + 1);
    }
    expect(perStudent.size).toBe(200);
    for (const n of perStudent.values()) expect(n >= 6 && n <= 8).toBe(true);
    expect(primaries.size).toBe(g.count('classes'));
    for (const n of primaries.values()) expect(n).toBe(1);

    // A student's classes are in distinct periods, at the student's school.
    const classes = new Map(all(g, 'classes').map((c) => [c.sourcedId, c]));
    const students = new Map(users.filter((u) => u.role === 'student').map((u) => [u.sourcedId, u]));
    const periods = new Map<string, Set<string>>();
    for (const e of enrollments.filter((x) => x.role === 'student')) {
      const cls = classes.get(e.class.sourcedId)!;
      expect(cls.school.sourcedId).toBe(students.get(e.user.sourcedId)!.orgs[0].sourcedId);
      const set = periods.get(e.user.sourcedId) ?? new Set();
      expect(set.has(cls.periods[0])).toBe(false);
      set.add(cls.periods[0]);
      periods.set(e.user.sourcedId, set);
    }
  });

  test('xs is referentially intact and ids are unique', () => {
    const g = createGenerator({ seed: 3, size: 'xs', schoolYear: 2026 });
    expectReferentialIntegrity(g);
    for (const c of SANDBOX_COLLECTIONS) expect(ids(g, c).size).toBe(g.count(c));
  });

  test('records look like a real roster: unicode names, emails, OneRoster field shapes', () => {
    const g = createGenerator({ seed: 1, size: 's', schoolYear: 2026 });
    const users = all(g, 'users');
    const names = users.map((u) => `${u.givenName} ${u.familyName}`).join('\n');
    for (const needle of [/[éñø]/, /李|王|张|陈/, /'/]) expect(names).toMatch(needle);
    for (const u of users.slice(0, 500)) {
      expect(u.email).toMatch(/^[a-z0-9.]+@[a-z0-9.]+$/);
      expect(u.enabledUser).toBe('true');
      expect(u.userIds[0]).toEqual({ type: 'LDAP', identifier: u.username });
      expect(u.orgs[0].type).toBe('org');
    }
    expect(new Set(users.map((u) => u.email)).size).toBe(users.length);
    const cls = g.slice('classes', 0, 1)[0] as ClassRecord;
    expect(cls.terms[0].type).toBe('academicSession');
    expect(cls.course.type).toBe('course');
    const enr = g.slice('enrollments', 0, 1)[0] as EnrollmentRecord;
    expect(enr).toMatchObject({ role: 'teacher', primary: 'true', user: { type: 'user' }, class: { type: 'class' } });
    for (const r of [cls, enr, users[0]]) expect(new Date(r.dateLastModified).toISOString()).toBe(r.dateLastModified);
  });

  test('a small share of records is tobedeleted', () => {
    const g = createGenerator({ seed: 1, size: 's', schoolYear: 2026 });
    const enrollments = all(g, 'enrollments');
    const share = enrollments.filter((e) => e.status === 'tobedeleted').length / enrollments.length;
    expect(share).toBeGreaterThan(0.001);
    expect(share).toBeLessThan(0.02);
  });

  test('l and xl are counted and paged without building collections', () => {
    const started = performance.now();
    const l = createGenerator({ seed: 1, size: 'l', schoolYear: 2026 });
    expect(l.count('users')).toBeGreaterThan(53_000 + 2_000);
    expect(l.count('classes')).toBe(10_000);
    expect(l.count('enrollments')).toBeGreaterThan(340_000);
    expect(l.count('enrollments')).toBeLessThan(420_000);
    const xl = createGenerator({ seed: 1, size: 'xl', schoolYear: 2026 });
    expect(xl.count('enrollments')).toBeGreaterThan(4 * 340_000);
    const lastPage = xl.slice('enrollments', xl.count('enrollments') - 100, 100);
    expect(lastPage).toHaveLength(100);
    expect(xl.slice('users', 150_000, 100)).toHaveLength(100);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('get() finds what slice() serves and nothing else', () => {
    const g = createGenerator({ seed: 1, size: 'xs', schoolYear: 2026, night: 4 });
    for (const c of SANDBOX_COLLECTIONS) {
      const sample = g.slice(c, Math.floor(g.count(c) / 2), 3);
      for (const r of sample) expect(g.get(c, r.sourcedId)).toEqual(r);
    }
    expect(g.get('users', 'usr-999999')).toBeUndefined();
    expect(g.get('classes', 'cls-2019-1')).toBeUndefined();
  });
});

describe('sandbox evolution', () => {
  const base = { seed: 5, size: 's' as const, schoolYear: 2026 };

  test('each night adds, changes and drops about 1%, stamped with that night', () => {
    const before = createGenerator({ ...base, night: 2 });
    const after = createGenerator({ ...base, night: 3 });
    const tonight = after.nightTime(3);
    expect(tonight > before.nightTime(2)).toBe(true);
    for (const c of ['users', 'classes', 'enrollments'] as const) {
      const old = new Map(all(before, c).map((r) => [r.sourcedId, JSON.stringify(r)]));
      const now = all(after, c);
      const added = now.filter((r) => !old.has(r.sourcedId));
      const changed = now.filter((r) => old.has(r.sourcedId) && old.get(r.sourcedId) !== JSON.stringify(r));
      const gone = [...old.keys()].filter((id) => !after.get(c, id));
      for (const r of [...added, ...changed]) expect(r.dateLastModified).toBe(tonight);
      const touched = added.length + changed.length + gone.length;
      expect(touched / old.size).toBeGreaterThan(0.002);
      expect(touched / old.size).toBeLessThan(0.05);
    }
    const users = all(after, 'users') as UserRecord[];
    expect(users.some((u) => u.status === 'tobedeleted' && u.dateLastModified === tonight)).toBe(true);
  });

  test('nights are deterministic and stay referentially intact', () => {
    const a = createGenerator({ ...base, size: 'xs', night: 12 });
    const b = createGenerator({ ...base, size: 'xs', night: 12 });
    for (const c of SANDBOX_COLLECTIONS) expect(JSON.stringify(all(a, c))).toBe(JSON.stringify(all(b, c)));
    expectReferentialIntegrity(a);
    for (const c of SANDBOX_COLLECTIONS) expect(ids(a, c).size).toBe(a.count(c));
  });

  test('a student who vanishes takes their enrollments along', () => {
    const g = createGenerator({ ...base, night: 10 });
    const users = ids(g, 'users');
    const orphans = all(g, 'enrollments').filter((e) => !users.has(e.user.sourcedId));
    expect(orphans).toEqual([]);
    // and some students did vanish over ten nights
    const night0 = createGenerator({ ...base, night: 0 });
    const vanished = [...ids(night0, 'users')].filter((id) => !users.has(id));
    expect(vanished.length).toBeGreaterThan(0);
  });

  test('rollover starts the next school year: new sessions and classes, students a grade up', () => {
    const y1 = createGenerator({ ...base, size: 'xs' });
    const y2 = y1.rollover();
    expect(y2.schoolYear).toBe(2027);
    expect(y2.night).toBe(0);
    const s2 = all(y2, 'academicSessions');
    expect(s2.find((s) => s.type === 'schoolYear')!.startDate).toBe('2026-08-15');
    expect([...ids(y1, 'classes')].filter((id) => ids(y2, 'classes').has(id))).toEqual([]);
    const grades = (g: SandboxGenerator) => new Map((all(g, 'users') as UserRecord[]).filter((u) => u.role === 'student').map((u) => [u.sourcedId, u.grades[0]]));
    const g1 = grades(y1);
    const g2 = grades(y2);
    let promoted = 0;
    for (const [id, grade] of g2) {
      if (!g1.has(id)) continue;
      const before = g1.get(id) === 'KG' ? 0 : Number(g1.get(id));
      expect(Number(grade)).toBe(before + 1);
      promoted++;
    }
    expect(promoted).toBeGreaterThan(150);
    // Seniors graduated; their slots hold new kindergarteners with new ids.
    const seniors = [...g1].filter(([, grade]) => grade === '12').map(([id]) => id);
    expect(seniors.length).toBeGreaterThan(0);
    for (const id of seniors) expect(g2.has(id)).toBe(false);
    expect([...g2.values()].filter((grade) => grade === 'KG').length).toBeGreaterThan(0);
    expectReferentialIntegrity(y2);
  });
});

describe('sandbox delta filters', () => {
  test('a dateLastModified filter, judged without building the records, serves exactly what judging the records serves', () => {
    const g = createGenerator({ seed: 9, size: 'xs', schoolYear: 2026, night: 6 });
    const engine = new QueryEngine(g);
    const instants = [g.nightTime(0), g.nightTime(3), g.nightTime(5), g.nightTime(6), new Date(Date.parse(g.nightTime(0)) - 5 * 86_400_000).toISOString()];
    const filters = [
      ...instants.flatMap((t) => (['>', '>=', '<', '<=', '=', '!='] as const).map((op) => `dateLastModified${op}'${t}'`)),
      `dateLastModified>'${instants[1]}' AND dateLastModified<='${instants[2]}'`,
      `dateLastModified<'${instants[4]}' OR dateLastModified>='${instants[3]}'`,
      `dateLastModified~'${instants[2]!.slice(0, 10)}'`,
    ];
    const nonEmpty = new Set<string>();
    for (const c of SANDBOX_COLLECTIONS) {
      const records = all(g, c);
      for (const text of filters) {
        const filter = parseFilter(text);
        const expected = records.filter((r) => matches(r, filter)).map((r) => r.sourcedId);
        const served = engine.run(c, 0, records.length, { filter: text }).records.map((r) => r.sourcedId);
        expect({ c, text, served }).toEqual({ c, text, served: expected });
        if (expected.length > 0 && expected.length < records.length) nonEmpty.add(text);
      }
    }
    // Non-trivial: most filters split some collection.
    expect(nonEmpty.size).toBeGreaterThan(filters.length / 2);
  });
});
