// validate → plan → apply on a real Postgres over a generated district, without Temporal: the SQL
// rules, cascades, counts, revival and the zero-write second run.
import { sql } from 'kysely';
import { applyStaging } from '../../roster/apply.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { computePlan } from '../../roster/plan.js';
import { copyWriter, insertWriter } from '../../roster/staging.js';
import { RecordChecksOutdatedError, resetValidation, validateStaging } from '../../roster/validate.js';
import { RULES_VERSION } from '../../roster/rules.js';
import { findWarnings } from '../../roster/warnings.js';
import { COLLECTIONS } from '../../oneroster/types.js';
import { createGenerator } from '../../sandbox/generator.js';
import { malform } from '../../sandbox/malform.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ensureDistrict, finishRun, newRun, stage } from './roster-support.js';

let t: TestDatabase;
const gen = createGenerator({ seed: 1, size: 'xs', schoolYear: 2027 });
const guardians = [...gen.records('users')].filter((u) => u.role === 'guardian').length;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t?.destroy();
});

async function syncOnce(districtId: string, tweak?: Parameters<typeof stage>[4], mode: 'full' | 'delta' = 'full') {
  const runId = await newRun(t.db, districtId, mode);
  await stage(t.db, copyWriter(t.pool), runId, gen, tweak);
  await resetValidation(t.db, runId);
  const checked = await validateStaging(t.db, { runId, districtId, delta: mode === 'delta' });
  const counts = await t.db.transaction().execute((trx) => applyStaging(trx, { runId, districtId, fullFeed: mode === 'full' }));
  await finishRun(t.db, runId);
  return { runId, checked, counts };
}

async function issuesOf(runId: string) {
  return t.db.selectFrom('run_issues').selectAll().where('run_id', '=', runId).orderBy('id').execute();
}

/** Row versions (ctid: a write always makes a new one). */
async function rowVersions(districtId: string) {
  const out: Record<string, string> = {};
  for (const c of COLLECTIONS) {
    const rows = await sql<{ sourced_id: string; x: string }>`select sourced_id, ctid::text as x from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(t.db);
    for (const r of rows.rows) out[`${c}/${r.sourced_id}`] = r.x;
  }
  return out;
}

test('a clean district validates without errors, skips guardians, and applies exactly the roster', async () => {
  await ensureDistrict(t.db, 'clean');
  const { runId, checked, counts } = await syncOnce('clean');
  expect(await issuesOf(runId)).toEqual([]);
  expect(checked.errors).toBe(0);
  expect(checked.skipped.users).toBe(guardians);
  for (const c of COLLECTIONS) {
    const expected = [...gen.records(c)].filter((r) => !(c === 'users' && (r as { role?: string }).role === 'guardian'));
    const rows = await t.db.selectFrom(LIVE_TABLE[c]).select(['sourced_id', 'data', 'deleted_at']).where('district_id', '=', 'clean').execute();
    expect(rows.length).toBe(expected.length);
    const tbd = expected.filter((r) => r.status === 'tobedeleted').length;
    expect(counts[c]).toMatchObject({ fetched: gen.count(c), inserted: expected.length - tbd, deleted: tbd, updated: 0, unchanged: 0, quarantined: 0 });
    expect(rows.filter((r) => r.deleted_at !== null).length).toBe(tbd);
    const byId = new Map(rows.map((r) => [r.sourced_id, r.data]));
    for (const r of expected) expect(byId.get(r.sourcedId)).toEqual(r);
  }
});

test('an unchanged second run writes zero rows and counts everything unchanged', async () => {
  const before = await rowVersions('clean');
  const { counts } = await syncOnce('clean');
  expect(await rowVersions('clean')).toEqual(before);
  for (const c of COLLECTIONS) {
    const skipped = c === 'users' ? guardians : 0;
    expect(counts[c]).toMatchObject({ inserted: 0, updated: 0, deleted: 0, unchanged: gen.count(c) - skipped, skipped });
  }
});

test('a first load whose plan is contradicted by a live row that appeared behind it commits nothing', async () => {
  await ensureDistrict(t.db, 'first-load-raced');
  const runId = await newRun(t.db, 'first-load-raced', 'full');
  await stage(t.db, copyWriter(t.pool), runId, gen);
  await resetValidation(t.db, runId);
  await validateStaging(t.db, { runId, districtId: 'first-load-raced', delta: false });
  const plan = await computePlan(t.db, { runId, districtId: 'first-load-raced', fullFeed: true });
  expect(plan.classes.kinds.unchanged + plan.classes.kinds.update).toBe(0);
  const planned = Object.fromEntries(COLLECTIONS.map((c) => [c, plan[c].kinds]));
  // One class lands in the live table after the plan was made (the plan says every row is new).
  const cls = [...gen.records('classes')][0]!;
  await t.db.insertInto('classes').values({ district_id: 'first-load-raced', sourced_id: cls.sourcedId, status: 'active', data: JSON.stringify(cls), content_hash: 'x' }).execute();
  await expect(t.db.transaction().execute((trx) => applyStaging(trx, { runId, districtId: 'first-load-raced', fullFeed: true, planned }))).rejects.toThrow(
    /apply of classes met a row already there.*nothing was committed/,
  );
  for (const c of COLLECTIONS) {
    const rows = await t.db.selectFrom(LIVE_TABLE[c]).select('sourced_id').where('district_id', '=', 'first-load-raced').execute();
    expect(rows.map((r) => r.sourced_id)).toEqual(c === 'classes' ? [cls.sourcedId] : []);
  }
  await finishRun(t.db, runId);
});

test('one bad class quarantines it and its enrollments only; the rest applies', async () => {
  await ensureDistrict(t.db, 'badclass');
  const bad = [...gen.records('classes')][5]!;
  const enrollmentsOfBad = [...gen.records('enrollments')].filter((e) => e.class.sourcedId === bad.sourcedId).map((e) => e.sourcedId).sort();
  expect(enrollmentsOfBad.length).toBeGreaterThan(0);
  const { runId, checked, counts } = await syncOnce('badclass', (c, records) =>
    c === 'classes' ? records.map((r) => (r.sourcedId === bad.sourcedId ? { ...r, classType: 'lecture-hall' } : r)) : records,
  );
  const issues = await issuesOf(runId);
  expect(issues.filter((i) => i.entity === 'classes').map((i) => [i.sourced_id, i.rule])).toEqual([[bad.sourcedId, 'classes.classType.enum']]);
  expect(issues.find((i) => i.entity === 'classes')!.message).toContain('"lecture-hall"');
  const cascaded = issues.filter((i) => i.entity === 'enrollments');
  expect(cascaded.map((i) => i.sourced_id).sort()).toEqual(enrollmentsOfBad);
  expect(new Set(cascaded.map((i) => i.rule))).toEqual(new Set(['enrollments.class.cascade']));
  expect(issues.length).toBe(1 + enrollmentsOfBad.length);
  expect(checked.quarantined).toMatchObject({ classes: 1, enrollments: enrollmentsOfBad.length, users: 0, courses: 0 });
  expect(counts.classes.quarantined).toBe(1);
  const liveClass = await t.db.selectFrom('classes').select('sourced_id').where('district_id', '=', 'badclass').where('sourced_id', '=', bad.sourcedId).execute();
  expect(liveClass).toEqual([]);
  const liveEnrollments = await t.db.selectFrom('enrollments').select((eb) => eb.fn.countAll<number>().as('n')).where('district_id', '=', 'badclass').executeTakeFirstOrThrow();
  expect(Number(liveEnrollments.n)).toBe(gen.count('enrollments') - enrollmentsOfBad.length);
});

test('a record breaking rules checked at staging and across records is quarantined under the first in registry order, with an issue for each', async () => {
  await ensureDistrict(t.db, 'twice-bad');
  const [first, second] = [...gen.records('classes')];
  // The second class takes the first one's id (a duplicate, checked in SQL) and a bad classType (checked by the worker).
  const { runId } = await syncOnce('twice-bad', (c, records) =>
    c === 'classes' ? records.map((r) => (r.sourcedId === second!.sourcedId ? { ...r, sourcedId: first!.sourcedId, classType: 'lecture-hall' } : r)) : records,
  );
  const staged = await t.db.selectFrom('staging_records').select(['quarantine_rule']).where('run_id', '=', runId).where('entity', '=', 'classes').where('sourced_id', '=', first!.sourcedId).execute();
  expect(staged.map((r) => r.quarantine_rule).sort()).toEqual(['classes.sourcedId.unique', 'classes.sourcedId.unique']);
  const issues = (await issuesOf(runId)).filter((i) => i.entity === 'classes' && i.sourced_id === first!.sourcedId).map((i) => i.rule).sort();
  expect(issues).toEqual(['classes.classType.enum', 'classes.sourcedId.unique', 'classes.sourcedId.unique']);
});

test('records checked at staging under other rules (a worker of another release) are refused, not trusted', async () => {
  await ensureDistrict(t.db, 'outdated');
  const runId = await newRun(t.db, 'outdated');
  await stage(t.db, copyWriter(t.pool), runId, gen);
  await t.db.updateTable('staging_pages').set({ rules_version: 'older-rules' }).where('run_id', '=', runId).where('entity', '=', 'users').execute();
  const refused = await validateStaging(t.db, { runId, districtId: 'outdated', delta: false }).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(RecordChecksOutdatedError);
  expect(String((refused as Error).message)).toMatch(/other roster rules.*older-rules.*sync again/);
  expect(await issuesOf(runId)).toEqual([]);
  // Pages staged by a release without staged references (same rules, no refs column filled) too.
  await t.db.updateTable('staging_pages').set({ rules_version: RULES_VERSION }).where('run_id', '=', runId).execute();
  await expect(validateStaging(t.db, { runId, districtId: 'outdated', delta: false })).rejects.toBeInstanceOf(RecordChecksOutdatedError);
});

test('every malformed kind of the sandbox is caught by its rule', async () => {
  await ensureDistrict(t.db, 'malformed');
  const kinds = ['missingField', 'badEnum', 'badDate', 'duplicateId', 'danglingRef', 'wrongType'] as const;
  const expected: Record<string, Record<string, string>> = {
    orgs: { missingField: 'orgs.name.required', badEnum: 'orgs.type.enum', badDate: 'orgs.dateLastModified.format', danglingRef: 'orgs.parent.ref', wrongType: 'orgs.name.type', duplicateId: 'orgs.sourcedId.unique' },
    courses: { missingField: 'courses.title.required', badEnum: 'courses.status.enum', badDate: 'courses.dateLastModified.format', danglingRef: 'courses.org.ref', wrongType: 'courses.grades.type', duplicateId: 'courses.sourcedId.unique' },
    classes: { missingField: 'classes.title.required', badEnum: 'classes.classType.enum', badDate: 'classes.dateLastModified.format', danglingRef: 'classes.course.ref', wrongType: 'classes.periods.type', duplicateId: 'classes.sourcedId.unique' },
    users: { missingField: 'users.role.required', badEnum: 'users.role.enum', badDate: 'users.dateLastModified.format', danglingRef: 'users.orgs.ref', wrongType: 'users.orgs.type', duplicateId: 'users.sourcedId.unique' },
    enrollments: { missingField: 'enrollments.role.required', badEnum: 'enrollments.role.enum', badDate: 'enrollments.dateLastModified.format', danglingRef: 'enrollments.user.ref', wrongType: 'enrollments.user.type', duplicateId: 'enrollments.sourcedId.unique' },
  };
  const broken: { collection: string; kind: string; sourcedId: string }[] = [];
  const { runId } = await syncOnce('malformed', (c, records) => {
    if (!(c in expected)) return records;
    return records.map((r, i) => {
      const k = kinds[i - 10];
      if (!k) return r;
      const out = malform(c, r, k, String(records[i - 1]!.sourcedId));
      broken.push({ collection: c, kind: k, sourcedId: String(out.sourcedId) });
      return out;
    });
  });
  const issues = await issuesOf(runId);
  for (const b of broken) {
    const rules = issues.filter((i) => i.entity === b.collection && i.sourced_id === b.sourcedId).map((i) => i.rule);
    expect({ ...b, rules: rules.includes(expected[b.collection]![b.kind]!) }).toEqual({ ...b, rules: true });
  }
});

test('a record that comes back after being deleted is revived, and a delta never removes absent records', async () => {
  await ensureDistrict(t.db, 'revive');
  await syncOnce('revive');
  const victim = [...gen.records('users')].find((u) => u.role === 'student' && u.status === 'active')!;
  // Full feed without the student (and their enrollments): soft-deleted.
  const drop = (c: string, records: Record<string, unknown>[]) =>
    c === 'users' ? records.filter((r) => r.sourcedId !== victim.sourcedId) : c === 'enrollments' ? records.filter((r) => (r.user as { sourcedId: string }).sourcedId !== victim.sourcedId) : records;
  const dropped = await syncOnce('revive', drop);
  expect(dropped.counts.users).toMatchObject({ deleted: 1, inserted: 0, updated: 0 });
  const row = await t.db.selectFrom('users').selectAll().where('district_id', '=', 'revive').where('sourced_id', '=', victim.sourcedId).executeTakeFirstOrThrow();
  expect(row.deleted_at).not.toBeNull();
  // Comes back unchanged: revived, even though its content hash is the same.
  const back = await syncOnce('revive');
  expect(back.counts.users).toMatchObject({ updated: 1, revived: 1, deleted: 0 });
  const revived = await t.db.selectFrom('users').selectAll().where('district_id', '=', 'revive').where('sourced_id', '=', victim.sourcedId).executeTakeFirstOrThrow();
  expect(revived.deleted_at).toBeNull();
  // A delta feed holding only one changed class: nothing absent is removed; references resolve against live.
  const someClass = [...gen.records('classes')][3]!;
  const delta = await syncOnce(
    'revive',
    (c, records) => (c === 'classes' ? records.filter((r) => r.sourcedId === someClass.sourcedId).map((r) => ({ ...r, title: 'Renamed' })) : []),
    'delta',
  );
  expect(delta.checked.errors).toBe(0);
  expect(delta.counts.classes).toMatchObject({ fetched: 1, updated: 1, deleted: 0 });
  for (const c of COLLECTIONS) expect(delta.counts[c].deleted).toBe(0);
});

test('warnings are found over the roster-to-be and counted per rule', async () => {
  await ensureDistrict(t.db, 'warn');
  const runId = await newRun(t.db, 'warn');
  const [firstStudent, secondStudent] = [...gen.records('users')].filter((u) => u.role === 'student' && u.status === 'active');
  await stage(t.db, insertWriter(t.db), runId, gen, (c, records) =>
    c === 'users' ? records.map((r) => (r.sourcedId === secondStudent!.sourcedId ? { ...r, email: firstStudent!.email, username: firstStudent!.username } : r)) : records,
  );
  await validateStaging(t.db, { runId, districtId: 'warn', delta: false });
  const counts = await findWarnings(t.db, { runId, districtId: 'warn', delta: false, today: '2026-11-30' });
  expect(counts['users.email.shared']).toBe(2);
  expect(counts['users.username.shared']).toBe(2);
  const shared = await t.db.selectFrom('run_issues').select(['sourced_id', 'message']).where('run_id', '=', runId).where('rule', '=', 'users.email.shared').execute();
  expect(shared.map((s) => s.sourced_id).sort()).toEqual([firstStudent!.sourcedId, secondStudent!.sourcedId].sort());
  // In the summer after the year every class's terms are past; in November none are.
  expect(counts['classes.terms.allPast']).toBe(0);
  const later = await findWarnings(t.db, { runId, districtId: 'warn', delta: false, today: '2027-07-01' });
  const activeClasses = [...gen.records('classes')].filter((c) => c.status === 'active').length;
  expect(later['classes.terms.allPast']).toBe(activeClasses);
  // Every warning rule ran, with a number.
  expect(Object.values(counts).every((n) => Number.isInteger(n))).toBe(true);
  const plan = await computePlan(t.db, { runId, districtId: 'warn', fullFeed: true });
  expect(plan.users.kinds.insert).toBeGreaterThan(0);
});

test('silent problems are warned about: a teacher with no students this term, a class without teacher or students, a student without classes', async () => {
  type Rec = Record<string, any>;
  const enrollments = [...gen.records('enrollments')] as Rec[];
  const activeClasses = ([...gen.records('classes')] as Rec[]).filter((c) => c.status === 'active');
  const teaching = (cls: Rec) => enrollments.filter((e) => e.class.sourcedId === cls.sourcedId && e.status === 'active');
  const [noStudentsClass, noTeacherClass] = activeClasses.filter((c) => teaching(c).some((e) => e.role === 'teacher') && teaching(c).some((e) => e.role === 'student'));
  const student = ([...gen.records('users')] as Rec[]).find((u) => u.role === 'student' && u.status === 'active' && enrollments.some((e) => e.user.sourcedId === u.sourcedId))!;
  const aTeacher = ([...gen.records('users')] as Rec[]).find((u) => u.role === 'teacher' && u.status === 'active')!;
  const lonelyTeacher = { ...aTeacher, sourcedId: 'lonely-teacher', username: 'lonely.teacher', email: 'lonely.teacher@example.org' };
  const dropped = (e: Rec) =>
    (e.class.sourcedId === noStudentsClass!.sourcedId && e.role === 'student') ||
    (e.class.sourcedId === noTeacherClass!.sourcedId && e.role === 'teacher') ||
    e.user.sourcedId === student.sourcedId;
  const lonelyEnrollment = { ...enrollments.find((e) => e.class.sourcedId === noStudentsClass!.sourcedId && e.role === 'teacher')!, sourcedId: 'lonely-enrollment', user: { sourcedId: 'lonely-teacher', type: 'user' } };

  const flagged = async (districtId: string, tweak?: Parameters<typeof stage>[4]) => {
    await ensureDistrict(t.db, districtId);
    const runId = await newRun(t.db, districtId);
    await stage(t.db, copyWriter(t.pool), runId, gen, tweak);
    await validateStaging(t.db, { runId, districtId, delta: false });
    const counts = await findWarnings(t.db, { runId, districtId, delta: false, today: '2026-11-30' });
    const rows = await t.db.selectFrom('run_issues').select(['rule', 'sourced_id']).where('run_id', '=', runId).where('severity', '=', 'warning').execute();
    const ids = (rule: string) => new Set(rows.filter((r) => r.rule === rule).map((r) => r.sourced_id));
    return { counts, ids };
  };
  const clean = await flagged('silent-clean');
  const planted = await flagged('silent-planted', (c, records) =>
    c === 'enrollments' ? [...records.filter((e) => !dropped(e)), lonelyEnrollment] : c === 'users' ? [...records, lonelyTeacher] : records,
  );
  const added = (rule: string) => [...planted.ids(rule)].filter((id) => !clean.ids(rule).has(id)).sort();
  expect(added('classes.noStudents')).toEqual([noStudentsClass!.sourcedId]);
  expect(added('classes.noTeacher')).toEqual([noTeacherClass!.sourcedId]);
  expect(added('users.teacher.noStudentsThisTerm')).toContain('lonely-teacher');
  expect(added('users.student.noClasses')).toContain(student.sourcedId);
  // Counts agree with the stored issues.
  for (const rule of ['classes.noStudents', 'classes.noTeacher', 'users.teacher.noStudentsThisTerm', 'users.student.noClasses']) {
    expect(planted.counts[rule]).toBe(planted.ids(rule).size);
  }
});
