// Malformed OneRoster records, each with the rule that must quarantine it, and odd-but-valid ones
// that must be applied byte for byte. A small valid district (sandbox generator, size xs) gives the
// records something real to reference.
import { COLLECTIONS, type Collection } from '../../../oneroster/types.js';
import { createGenerator } from '../../../sandbox/generator.js';
import type { Feed } from './corpus-server.js';

type Rec = Record<string, any>;

/** A record that must be quarantined: which one (collection + sourcedId as stored) and by which rule. */
export interface BadRecord {
  name: string;
  collection: Collection;
  record: unknown;
  sourcedId: string;
  rule: string;
}

/** A record that must be applied exactly as served. */
export interface OddRecord {
  name: string;
  collection: Collection;
  record: Rec;
}

export const INJECTIONS = [
  `<script>alert("x")</script>`,
  `<img src=x onerror=alert(1)>`,
  `"><svg/onload=alert(1)>`,
  `Robert'); DROP TABLE users;--`,
  `' OR '1'='1`,
  `1; SELECT pg_sleep(10); --`,
  `$(rm -rf /)`,
  '{{7*7}} ${7*7} <%= 7*7 %>',
  `&lt;b&gt;already escaped&lt;/b&gt; & ampersand`,
  `\\'; COPY users TO '/tmp/x'; --`,
];

export const UNICODE_ODDITIES = [
  'Zoë Ñúñez-Łukasiewicz',
  'مريم الحسن',
  'שָׁלוֹם',
  '李小龍',
  'Ṫ̈ḧ̈ï̈s̈ combining',
  'e\u0301 (e + combining acute)',
  'zero\u200bwidth\u200djoiner',
  '👩‍👩‍👧‍👦 family',
  '\u202eRTL override',
  'tab\there',
  ' leading and trailing spaces ',
  'Ⅻ ﬁ ℌ compatibility',
];

export interface Corpus {
  base: Feed;
  bad: BadRecord[];
  odd: OddRecord[];
  /** base + bad + odd, in serving order. */
  feed: Feed;
}

export interface Anchors {
  school: string;
  term: string;
  course: string;
  teacher: Rec;
  student: Rec;
  klass: Rec;
  enrollment: Rec;
  org: Rec;
  session: Rec;
  courseRec: Rec;
}

export function baseDistrict(seed: number): { base: Feed; anchors: Anchors } {
  const g = createGenerator({ seed, size: 'xs' });
  const base = Object.fromEntries(COLLECTIONS.map((c) => [c, [...(g.records(c) as Iterable<Rec>)]])) as Feed;
  const active = (c: Collection, f: (r: Rec) => boolean) => (base[c] as Rec[]).find((r) => r.status === 'active' && f(r))!;
  const org = active('orgs', (o) => o.type === 'school');
  const session = active('academicSessions', (s) => s.type === 'term' || s.type === 'semester');
  const courseRec = active('courses', () => true);
  const klass = active('classes', () => true);
  const teacher = active('users', (u) => u.role === 'teacher');
  const student = active('users', (u) => u.role === 'student');
  const enrollment = active('enrollments', () => true);
  return {
    base,
    anchors: { school: org.sourcedId, term: session.sourcedId, course: courseRec.sourcedId, teacher, student, klass, enrollment, org, session, courseRec },
  };
}

const clone = <T>(r: T): T => structuredClone(r);

/** Random letters (no runs a compressor could shrink): a value too long for any index. */
export function hugeString(length: number, seed = 1): string {
  let x = seed;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += String.fromCharCode(0x61 + (x % 26));
  }
  return out;
}

export function buildCorpus(seed = 21): Corpus {
  const { base, anchors: a } = baseDistrict(seed);
  const bad: BadRecord[] = [];
  const odd: OddRecord[] = [];
  let n = 0;
  const id = (prefix: string) => `${prefix}-bad-${++n}`;
  const user = (mutate: (u: Rec) => void, from: Rec = a.student): Rec => {
    const u = clone(from);
    u.sourcedId = id('usr');
    mutate(u);
    return u;
  };
  const add = (name: string, collection: Collection, record: Rec, rule: string, sourcedId = record.sourcedId as string) => bad.push({ name, collection, record, sourcedId, rule });

  // Missing fields.
  add('user without givenName', 'users', user((u) => delete u.givenName), 'users.givenName.required');
  add('user with blank familyName', 'users', user((u) => (u.familyName = '   ')), 'users.familyName.required');
  add('user without orgs', 'users', user((u) => (u.orgs = [])), 'users.orgs.required');
  add('user without status', 'users', user((u) => delete u.status), 'users.status.required');
  add('class without terms', 'classes', { ...clone(a.klass), sourcedId: id('cls'), terms: [] }, 'classes.terms.required');
  add('enrollment without user', 'enrollments', (() => { const e = clone(a.enrollment); e.sourcedId = id('enr'); delete e.user; return e; })(), 'enrollments.user.required');
  add('org without name', 'orgs', (() => { const o = clone(a.org); o.sourcedId = id('org'); o.name = null; return o; })(), 'orgs.name.required');

  // Wrong types.
  add('givenName is a number', 'users', user((u) => (u.givenName = 42)), 'users.givenName.type');
  add('familyName is an object', 'users', user((u) => (u.familyName = { first: 'x' })), 'users.familyName.type');
  add('enabledUser is "yes"', 'users', user((u) => (u.enabledUser = 'yes')), 'users.enabledUser.type');
  add('class grades is a string', 'classes', { ...clone(a.klass), sourcedId: id('cls'), grades: '09' }, 'classes.grades.type');
  add('course subjects hold a number', 'courses', { ...clone(a.courseRec), sourcedId: id('crs'), subjects: ['math', 7] }, 'courses.subjects.type');
  add('enrollment class is a bare string', 'enrollments', { ...clone(a.enrollment), sourcedId: id('enr'), class: a.klass.sourcedId }, 'enrollments.class.type');
  add('user orgs is an object', 'users', user((u) => (u.orgs = { sourcedId: a.school, type: 'org' })), 'users.orgs.type');
  // A record without a string id cannot be named: its issue has no sourcedId.
  add('sourcedId is a number', 'users', user((u) => (u.sourcedId = 987654)), 'users.sourcedId.type', '');

  // Bad enums.
  add('role "wizard"', 'users', user((u) => (u.role = 'wizard')), 'users.role.enum');
  add('status "archived"', 'users', user((u) => (u.status = 'archived')), 'users.status.enum');
  add('org type "galaxy"', 'orgs', { ...clone(a.org), sourcedId: id('org'), type: 'galaxy' }, 'orgs.type.enum');
  add('session type "quarter"', 'academicSessions', { ...clone(a.session), sourcedId: id('as'), type: 'quarter' }, 'academicSessions.type.enum');
  add('classType "lecture"', 'classes', { ...clone(a.klass), sourcedId: id('cls'), classType: 'lecture' }, 'classes.classType.enum');
  add('enrollment role "principal"', 'enrollments', { ...clone(a.enrollment), sourcedId: id('enr'), role: 'principal' }, 'enrollments.role.enum');
  add('role in capitals', 'users', user((u) => (u.role = 'STUDENT')), 'users.role.enum');

  // Impossible dates.
  add('February 30th', 'academicSessions', { ...clone(a.session), sourcedId: id('as'), startDate: '2026-02-30' }, 'academicSessions.startDate.format');
  add('month 13', 'enrollments', { ...clone(a.enrollment), sourcedId: id('enr'), beginDate: '2026-13-01' }, 'enrollments.beginDate.format');
  add('term ends before it starts', 'academicSessions', { ...clone(a.session), sourcedId: id('as'), startDate: '2026-06-01', endDate: '2026-01-01' }, 'academicSessions.endDate.order');
  add('dateLastModified "yesterday"', 'users', user((u) => (u.dateLastModified = 'yesterday')), 'users.dateLastModified.format');
  add('schoolYear "20x6"', 'academicSessions', { ...clone(a.session), sourcedId: id('as'), schoolYear: '20x6' }, 'academicSessions.schoolYear.format');
  add('year 0000-00-00', 'enrollments', { ...clone(a.enrollment), sourcedId: id('enr'), endDate: '0000-00-00' }, 'enrollments.endDate.format');

  // Duplicate ids: both copies are held back.
  const dup = user(() => undefined);
  add('duplicate sourcedId (first copy)', 'users', dup, 'users.sourcedId.unique');
  add('duplicate sourcedId (second copy)', 'users', { ...clone(dup), givenName: 'Other' }, 'users.sourcedId.unique');

  // Dangling references, and what depends on a quarantined record.
  add('user in an unknown school', 'users', user((u) => (u.orgs = [{ sourcedId: 'org-nowhere', type: 'org' }])), 'users.orgs.ref');
  add('course of an unknown org', 'courses', { ...clone(a.courseRec), sourcedId: id('crs'), org: { sourcedId: 'org-nowhere', type: 'org' } }, 'courses.org.ref');
  add('class of an unknown course', 'classes', { ...clone(a.klass), sourcedId: id('cls'), course: { sourcedId: 'crs-nowhere', type: 'course' } }, 'classes.course.ref');
  add('enrollment of an unknown user', 'enrollments', { ...clone(a.enrollment), sourcedId: id('enr'), user: { sourcedId: 'usr-nowhere', type: 'user' } }, 'enrollments.user.ref');
  const quarantinedClass = bad.find((b) => b.name === 'classType "lecture"')!.record as Rec;
  add('enrollment in a quarantined class', 'enrollments', { ...clone(a.enrollment), sourcedId: id('enr'), class: { sourcedId: quarantinedClass.sourcedId, type: 'class' } }, 'enrollments.class.cascade');

  // Not even an object.
  add('a bare string in the users array', 'users', 'not a record' as unknown as Rec, 'users.sourcedId.required', '');
  add('null in the users array', 'users', null as unknown as Rec, 'users.sourcedId.required', '');

  // Values Postgres cannot store or index as they are: each once broke the staging write of the
  // whole page (and so every night's sync); now the record alone is quarantined.
  add('a 3 000-character sourcedId', 'users', user((u) => (u.sourcedId = hugeString(3_000, 5))), 'users.sourcedId.length', '');
  add('a 3 000-character email', 'users', user((u) => (u.email = `${hugeString(3_000, 7)}@example.org`)), 'users.email.length');
  add('NUL in a name', 'users', user((u) => (u.givenName = 'nul\u0000here')), 'users.record.unstorable');
  add('unpaired surrogate in a name', 'users', user((u) => (u.familyName = 'lone\ud800surrogate')), 'users.record.unstorable');
  add('NUL in a sourcedId', 'classes', { ...clone(a.klass), sourcedId: 'cls-\u0000-nul' }, 'classes.record.unstorable', '');

  // Odd but valid: applied exactly as served.
  for (const [i, s] of INJECTIONS.entries()) {
    odd.push({ name: `injection in givenName: ${s}`, collection: 'users', record: user((u) => ((u.givenName = s), (u.familyName = `Inject${i}`)), a.teacher) });
  }
  for (const s of UNICODE_ODDITIES) odd.push({ name: `unicode name: ${s}`, collection: 'users', record: user((u) => ((u.givenName = s), (u.familyName = s))) });
  odd.push({ name: 'injection in a course title', collection: 'courses', record: { ...clone(a.courseRec), sourcedId: id('crs'), title: INJECTIONS[0]! } });
  odd.push({ name: 'injection in a school name', collection: 'orgs', record: { ...clone(a.org), sourcedId: id('org'), name: INJECTIONS[3]! } });
  odd.push({ name: 'a 20 000-character givenName', collection: 'users', record: user((u) => (u.givenName = hugeString(20_000, 3))) });

  const feed = Object.fromEntries(COLLECTIONS.map((c) => [c, [...base[c], ...bad.filter((b) => b.collection === c).map((b) => b.record), ...odd.filter((o) => o.collection === c).map((o) => o.record)]])) as Feed;
  return { base, bad, odd, feed };
}
