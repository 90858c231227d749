// Read-only schedule queries over the live roster for Admin Mode spot checks and /api/me: a
// person's or a class's classes in progress on a date (a class is in progress when one of its
// terms contains the date), with period, course, school, teachers and enrollment counts.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const STAFF_ROLES = ['teacher', 'aide', 'administrator'] as const;
export type PersonKind = 'staff' | 'student';

export interface PersonRef {
  sourcedId: string;
  name: string;
  email: string | null;
}

export interface Person extends PersonRef {
  role: string;
  username: string | null;
  grades: string[];
  active: boolean;
  schools: { sourcedId: string; name: string | null }[];
}

export interface ClassSummary {
  sourcedId: string;
  title: string;
  classCode: string | null;
  classType: string | null;
  location: string | null;
  periods: string[];
  course: { sourcedId: string; title: string | null; courseCode: string | null } | null;
  school: { sourcedId: string; name: string | null } | null;
  terms: { sourcedId: string; title: string | null; startDate: string | null; endDate: string | null }[];
  teachers: PersonRef[];
  enrollment: { students: number; teachers: number };
  /** The person's role in the class (person schedules only). */
  role?: string;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const refId = (v: unknown): string | null => str((v as { sourcedId?: unknown } | undefined)?.sourcedId);
const refIds = (v: unknown): string[] => (Array.isArray(v) ? v.map(refId).filter((x): x is string => Boolean(x)) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const nameOf = (d: Json, fallback: string) => [str(d.givenName), str(d.familyName)].filter(Boolean).join(' ') || fallback;

/** Natural order of periods ("2" before "10"), then title. */
function byPeriod(a: ClassSummary, b: ClassSummary): number {
  const pa = a.periods[0] ?? '';
  const pb = b.periods[0] ?? '';
  return pa.localeCompare(pb, undefined, { numeric: true }) || a.title.localeCompare(b.title);
}

async function byIds(db: Db, table: 'courses' | 'orgs' | 'academic_sessions', districtId: string, ids: string[]): Promise<Map<string, Json>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom(table).select(['sourced_id', 'data']).where('district_id', '=', districtId).where('sourced_id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.sourced_id, r.data as Json]));
}

/** Class summaries (in the order asked) with teachers and counts of active enrollments. */
export async function classSummaries(db: Db, districtId: string, classIds: string[]): Promise<ClassSummary[]> {
  if (!classIds.length) return [];
  const classes = await db.selectFrom('classes').select(['sourced_id', 'data']).where('district_id', '=', districtId).where('sourced_id', 'in', classIds).execute();
  const members = await classMembers(db, districtId, classIds);
  const courses = await byIds(db, 'courses', districtId, classes.map((c) => refId((c.data as Json).course)).filter((x): x is string => Boolean(x)));
  const schools = await byIds(db, 'orgs', districtId, classes.map((c) => refId((c.data as Json).school)).filter((x): x is string => Boolean(x)));
  const sessions = await byIds(db, 'academic_sessions', districtId, classes.flatMap((c) => refIds((c.data as Json).terms)));
  const out = new Map<string, ClassSummary>();
  for (const c of classes) {
    const d = c.data as Json;
    const courseId = refId(d.course);
    const schoolId = refId(d.school);
    const course = courseId ? courses.get(courseId) : undefined;
    const school = schoolId ? schools.get(schoolId) : undefined;
    const m = members.filter((x) => x.classId === c.sourced_id);
    out.set(c.sourced_id, {
      sourcedId: c.sourced_id,
      title: str(d.title) ?? c.sourced_id,
      classCode: str(d.classCode),
      classType: str(d.classType),
      location: str(d.location),
      periods: strings(d.periods),
      course: courseId ? { sourcedId: courseId, title: str(course?.title), courseCode: str(course?.courseCode) } : null,
      school: schoolId ? { sourcedId: schoolId, name: str(school?.name) } : null,
      terms: refIds(d.terms).map((id) => {
        const s = sessions.get(id);
        return { sourcedId: id, title: str(s?.title), startDate: str(s?.startDate), endDate: str(s?.endDate) };
      }),
      teachers: m.filter((x) => x.role === 'teacher').map(({ sourcedId, name, email }) => ({ sourcedId, name, email })),
      enrollment: { students: m.filter((x) => x.role === 'student').length, teachers: m.filter((x) => x.role === 'teacher').length },
    });
  }
  return classIds.map((id) => out.get(id)).filter((x): x is ClassSummary => Boolean(x));
}

/** Active enrollments of active users in these classes. */
async function classMembers(db: Db, districtId: string, classIds: string[]) {
  const rows = await sql<{ class_id: string; role: string; sourced_id: string; data: Json }>`
    select e.data->'class'->>'sourcedId' as class_id, e.data->>'role' as role, u.sourced_id, u.data
    from enrollments e
    join users u on u.district_id = e.district_id and u.sourced_id = e.data->'user'->>'sourcedId' and u.deleted_at is null
    where e.district_id = ${districtId} and e.deleted_at is null and e.data->'class'->>'sourcedId' = any(${classIds}::text[])
    order by u.data->>'familyName', u.data->>'givenName', u.sourced_id`.execute(db);
  return rows.rows.map((r) => ({ classId: r.class_id, role: r.role, sourcedId: r.sourced_id, name: nameOf(r.data, r.sourced_id), email: str(r.data.email), grades: strings(r.data.grades) }));
}

/** A class is in progress on a date when one of its (live) terms contains the date. */
const inProgress = (date: string) => sql<boolean>`exists (
  select 1 from jsonb_array_elements(case when jsonb_typeof(c.data->'terms') = 'array' then c.data->'terms' else '[]'::jsonb end) t
  join academic_sessions s on s.district_id = c.district_id and s.sourced_id = t->>'sourcedId' and s.deleted_at is null
  where try_date(s.data->>'startDate') <= ${date}::date and try_date(s.data->>'endDate') >= ${date}::date)`;

export async function getPerson(db: Db, districtId: string, sourcedId: string): Promise<Person | undefined> {
  const row = await db.selectFrom('users').select(['sourced_id', 'status', 'deleted_at', 'data']).where('district_id', '=', districtId).where('sourced_id', '=', sourcedId).executeTakeFirst();
  if (!row) return undefined;
  const d = row.data as Json;
  const schools = await byIds(db, 'orgs', districtId, refIds(d.orgs));
  return {
    sourcedId: row.sourced_id,
    name: nameOf(d, row.sourced_id),
    email: str(d.email),
    role: str(d.role) ?? 'unknown',
    username: str(d.username),
    grades: strings(d.grades),
    active: row.deleted_at === null && row.status === 'active',
    schools: refIds(d.orgs).map((id) => ({ sourcedId: id, name: str(schools.get(id)?.name) })),
  };
}

export const kindOf = (role: string): PersonKind | null => (role === 'student' ? 'student' : (STAFF_ROLES as readonly string[]).includes(role) ? 'staff' : null);

/** The classes a person is enrolled in that are in progress on `date`, by period. */
export async function personClasses(db: Db, districtId: string, sourcedId: string, date: string): Promise<ClassSummary[]> {
  const rows = await sql<{ class_id: string; role: string }>`
    select distinct c.sourced_id as class_id, e.data->>'role' as role
    from enrollments e
    join classes c on c.district_id = e.district_id and c.sourced_id = e.data->'class'->>'sourcedId' and c.deleted_at is null
    where e.district_id = ${districtId} and e.deleted_at is null and e.data->'user'->>'sourcedId' = ${sourcedId}
      and ${inProgress(date)}`.execute(db);
  const roles = new Map(rows.rows.map((r) => [r.class_id, r.role]));
  const summaries = await classSummaries(db, districtId, [...roles.keys()]);
  return summaries.map((s) => ({ ...s, role: roles.get(s.sourcedId) })).sort(byPeriod);
}

export interface ClassDetail {
  class: ClassSummary;
  /** One of its terms contains the date. */
  inProgress: boolean;
  students: (PersonRef & { grades: string[] })[];
}

export async function classDetail(db: Db, districtId: string, classId: string, date: string): Promise<ClassDetail | undefined> {
  const [summary] = await classSummaries(db, districtId, [classId]);
  if (!summary) return undefined;
  const live = await db
    .selectFrom('classes as c')
    .select(inProgress(date).as('in_progress'))
    .where('c.district_id', '=', districtId)
    .where('c.sourced_id', '=', classId)
    .where('c.deleted_at', 'is', null)
    .executeTakeFirst();
  const students = (await classMembers(db, districtId, [classId])).filter((m) => m.role === 'student').map(({ sourcedId, name, email, grades }) => ({ sourcedId, name, email, grades }));
  return { class: summary, inProgress: Boolean(live?.in_progress), students };
}

export interface SearchHit {
  type: 'staff' | 'student' | 'class';
  sourcedId: string;
  name: string;
  detail: string | null;
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Find people and classes by name, email, username, code or exact sourcedId; exact matches first. */
export async function searchRoster(db: Db, districtId: string, q: string, type: SearchHit['type'] | undefined, limit = 20): Promise<SearchHit[]> {
  const query = q.trim();
  const like = likePattern(query);
  const hits: (SearchHit & { exact: boolean })[] = [];
  if (type !== 'class') {
    const roles = type === 'staff' ? [...STAFF_ROLES] : type === 'student' ? ['student'] : [...STAFF_ROLES, 'student'];
    const users = await sql<{ sourced_id: string; data: Json; exact: boolean }>`
      select sourced_id, data,
             (sourced_id = ${query} or lower(data->>'email') = lower(${query}) or lower(data->>'username') = lower(${query}) or data->>'identifier' = ${query}) as exact
      from users
      where district_id = ${districtId} and deleted_at is null and data->>'role' = any(${roles}::text[])
        and (sourced_id = ${query} or lower(data->>'email') = lower(${query}) or lower(data->>'username') = lower(${query}) or data->>'identifier' = ${query}
             or (coalesce(data->>'givenName', '') || ' ' || coalesce(data->>'familyName', '')) ilike ${like}
             or (coalesce(data->>'familyName', '') || ', ' || coalesce(data->>'givenName', '')) ilike ${like})
      order by exact desc, data->>'familyName', data->>'givenName', sourced_id
      limit ${limit}`.execute(db);
    for (const u of users.rows) {
      hits.push({ type: u.data.role === 'student' ? 'student' : 'staff', sourcedId: u.sourced_id, name: nameOf(u.data, u.sourced_id), detail: str(u.data.email) ?? str(u.data.username), exact: u.exact });
    }
  }
  if (!type || type === 'class') {
    const classes = await sql<{ sourced_id: string; data: Json; exact: boolean }>`
      select sourced_id, data, (sourced_id = ${query} or lower(data->>'classCode') = lower(${query})) as exact
      from classes
      where district_id = ${districtId} and deleted_at is null
        and (sourced_id = ${query} or data->>'title' ilike ${like} or data->>'classCode' ilike ${like})
      order by exact desc, data->>'title', sourced_id
      limit ${limit}`.execute(db);
    for (const c of classes.rows) hits.push({ type: 'class', sourcedId: c.sourced_id, name: str(c.data.title) ?? c.sourced_id, detail: str(c.data.classCode), exact: c.exact });
  }
  return hits
    .sort((a, b) => Number(b.exact) - Number(a.exact))
    .slice(0, limit)
    .map(({ exact: _exact, ...hit }) => hit);
}
