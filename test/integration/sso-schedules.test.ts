// Admin Mode reads over the live roster: terms with the current one marked, staff/student/class
// schedules for a date, and search. Expectations are computed from the sandbox generator, not
// from our SQL.
import { createGenerator } from '../../sandbox/generator.js';
import type { ClassRecord, UserRecord } from '../../sandbox/types.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { insertDistrict, loadRoster, startApi, SUPPORT_TOKEN, type RunningApi } from './sso-support.js';

const g = createGenerator({ seed: 5, size: 'xs', schoolYear: 2027 });
let database: TestDatabase;
let api: RunningApi;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database.db, await freePort());
  await insertDistrict(database.db, api.secrets, { id: 'sch', name: 'Schedule ISD', timezone: 'America/Chicago' });
  await loadRoster(database.db, 'sch', g);
});

afterAll(async () => {
  await api?.close();
  await database?.destroy();
});

async function get(url: string) {
  const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${SUPPORT_TOKEN}` } });
  return { status: res.statusCode, json: res.json() as Record<string, any> };
}

const sessions = new Map([...g.records('academicSessions')].map((s) => [s.sourcedId, s]));
const classes = new Map([...g.records('classes')].map((c) => [c.sourcedId, c]));
const users = new Map([...g.records('users')].map((u) => [u.sourcedId, u]));
const enrollments = [...g.records('enrollments')].filter((e) => e.status === 'active');
const liveUser = (id: string) => users.get(id)?.status === 'active';

const inProgress = (c: ClassRecord, date: string) => c.terms.some((t) => sessions.get(t.sourcedId)!.startDate <= date && date <= sessions.get(t.sourcedId)!.endDate);
function expectedFor(userId: string, date: string) {
  const ids = new Set(enrollments.filter((e) => e.user.sourcedId === userId).map((e) => e.class.sourcedId));
  return [...ids].filter((id) => classes.get(id)?.status === 'active' && inProgress(classes.get(id)!, date)).sort();
}
const members = (classId: string, role: 'teacher' | 'student') => enrollments.filter((e) => e.class.sourcedId === classId && e.role === role && liveUser(e.user.sourcedId)).map((e) => e.user.sourcedId);

test('terms: every session, the shortest one containing the date is current', async () => {
  const fall = await get('/api/districts/sch/terms?date=2026-11-28');
  expect(fall.status).toBe(200);
  expect(fall.json.terms).toHaveLength(7);
  expect(fall.json.currentTermId).toBe('as-2027-4'); // Q2: inside the school year and the fall semester too
  expect(fall.json.terms.filter((t: { current: boolean }) => t.current).map((t: { sourcedId: string }) => t.sourcedId)).toEqual(['as-2027-4']);
  expect(fall.json.terms.filter((t: { inProgress: boolean }) => t.inProgress).map((t: { sourcedId: string }) => t.sourcedId).sort()).toEqual(['as-2027-0', 'as-2027-1', 'as-2027-4']);
  expect((await get('/api/districts/sch/terms?date=2027-03-14')).json.currentTermId).toBe('as-2027-2'); // weekend between Q3 and Q4: the spring semester
  const summer = await get('/api/districts/sch/terms?date=2027-07-01');
  expect(summer.json.currentTermId).toBeNull();
  expect(summer.json.message).toMatch(/between terms/);
  // Without ?date: today in the district's time zone.
  const today = await get('/api/districts/sch/terms');
  expect(today.json.date).toBe(new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date()));
  expect((await get('/api/districts/sch/terms?date=tomorrow')).status).toBe(400);
});

test('a teacher’s schedule: in-progress classes by period, with course, teachers and counts', async () => {
  const teacher = [...users.values()].find((u) => u.role === 'teacher' && u.status === 'active' && expectedFor(u.sourcedId, '2027-02-01').length > 0)!;
  for (const date of ['2026-09-01', '2027-02-01']) {
    const { status, json } = await get(`/api/districts/sch/schedules/staff/${teacher.sourcedId}?date=${date}`);
    expect(status).toBe(200);
    expect(json.person).toMatchObject({ sourcedId: teacher.sourcedId, role: 'teacher', email: teacher.email, active: true });
    expect(json.classes.map((c: { sourcedId: string }) => c.sourcedId).sort()).toEqual(expectedFor(teacher.sourcedId, date));
    const periods = json.classes.map((c: { periods: string[] }) => Number(c.periods[0]));
    expect(periods).toEqual([...periods].sort((a, b) => a - b));
    for (const c of json.classes) {
      const rec = classes.get(c.sourcedId)!;
      expect(c.periods).toEqual(rec.periods);
      expect(c.course.title).toBe([...g.records('courses')].find((x) => x.sourcedId === rec.course.sourcedId)!.title);
      expect(c.teachers.map((t: { sourcedId: string }) => t.sourcedId).sort()).toEqual(members(c.sourcedId, 'teacher').sort());
      expect(c.enrollment.students).toBe(members(c.sourcedId, 'student').length);
      expect(c.role).toBe('teacher');
    }
  }
  expect((await get(`/api/districts/sch/schedules/staff/${teacher.sourcedId}?date=2027-07-01`)).json.classes).toEqual([]);
});

test('a student’s and a class’s schedule', async () => {
  const student = [...users.values()].find((u) => u.role === 'student' && u.status === 'active' && expectedFor(u.sourcedId, '2026-10-01').length > 2)!;
  const s = await get(`/api/districts/sch/schedules/students/${student.sourcedId}?date=2026-10-01`);
  expect(s.json.classes.map((c: { sourcedId: string }) => c.sourcedId).sort()).toEqual(expectedFor(student.sourcedId, '2026-10-01'));
  expect(s.json.currentTerm.sourcedId).toBe('as-2027-3');

  const classId = s.json.classes[0].sourcedId as string;
  const c = await get(`/api/districts/sch/schedules/classes/${classId}?date=2026-10-01`);
  expect(c.status).toBe(200);
  expect(c.json.inProgress).toBe(true);
  expect(c.json.students.map((x: { sourcedId: string }) => x.sourcedId).sort()).toEqual(members(classId, 'student').sort());
  expect(c.json.students.map((x: { sourcedId: string }) => x.sourcedId)).toContain(student.sourcedId);
  expect(c.json.class.enrollment.students).toBe(c.json.students.length);
});

test('wrong kind and unknown ids say what to do', async () => {
  const student = [...users.values()].find((u) => u.role === 'student')!;
  const wrong = await get(`/api/districts/sch/schedules/staff/${student.sourcedId}`);
  expect(wrong.status).toBe(404);
  expect(wrong.json).toMatchObject({ error: 'wrong_kind', message: expect.stringContaining(`/schedules/students/${student.sourcedId}`) });
  expect((await get('/api/districts/sch/schedules/students/usr-nope')).status).toBe(404);
  expect((await get('/api/districts/sch/schedules/classes/cls-nope')).status).toBe(404);
  expect((await get('/api/districts/nowhere/schedules/classes/cls-nope')).json.message).toMatch(/district "nowhere"/);
});

test('search finds people and classes by name, email, code or id', async () => {
  const teacher = [...users.values()].find((u): u is UserRecord => u.role === 'teacher' && u.status === 'active')!;
  const byEmail = await get(`/api/districts/sch/search?q=${encodeURIComponent(teacher.email.toUpperCase())}`);
  expect(byEmail.json.results[0]).toMatchObject({ type: 'staff', sourcedId: teacher.sourcedId, scheduleUrl: `/api/districts/sch/schedules/staff/${teacher.sourcedId}` });

  const byName = await get(`/api/districts/sch/search?q=${encodeURIComponent(teacher.familyName)}&limit=100`);
  const expectedNames = [...users.values()].filter((u) => u.status === 'active' && u.role !== 'guardian' && `${u.givenName} ${u.familyName}`.toLowerCase().includes(teacher.familyName.toLowerCase()));
  expect(byName.json.results.filter((r: { type: string }) => r.type !== 'class').map((r: { sourcedId: string }) => r.sourcedId).sort()).toEqual(expectedNames.map((u) => u.sourcedId).sort());

  const cls = [...classes.values()].find((c) => c.status === 'active')!;
  const byCode = await get(`/api/districts/sch/search?q=${encodeURIComponent(cls.classCode)}&type=class`);
  expect(byCode.json.results[0]).toMatchObject({ type: 'class', sourcedId: cls.sourcedId });
  expect(byCode.json.results.every((r: { type: string }) => r.type === 'class')).toBe(true);
  const students = await get(`/api/districts/sch/search?q=a&type=student`);
  expect(students.status).toBe(400); // too short
  const pct = await get(`/api/districts/sch/search?q=${encodeURIComponent('%%')}`);
  expect(pct.json.results).toEqual([]); // wildcards are literal
});
