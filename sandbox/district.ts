// The base (night 0) synthetic district for one seed, size and school year. Only the small tables
// (schools, per-teacher and per-course lookups) are built; every roster record is a pure function
// of (seed, index), so collections of any size cost nothing until a page is asked for.

import { hash, mulberry32, pick, unit } from './prng.js';
import { COURSES, FAMILY_NAMES, GIVEN_NAMES, GRADES, PATRONS, PLACES, type Name } from './names.js';
import type {
  AcademicSessionRecord, ClassRecord, CourseRecord, EnrollmentRecord, OrgRecord, Ref, SandboxCollection, Status, UserRecord, UserRole,
} from './types.js';

export type Size = 'xs' | 's' | 'm' | 'l' | 'xl';
export const SIZES: readonly Size[] = ['xs', 's', 'm', 'l', 'xl'];

export interface SizeSpec {
  schools: number;
  students: number;
  teachers: number;
  administrators: number;
  aides: number;
  /** Sections each teacher teaches; with 6–8 classes per student this sets class size. */
  classesPerTeacher: number;
  /** Guardians as a share of students (they are in the feed but not synced by Gradient). */
  guardianShare: number;
}

export const SIZE_SPECS: Record<Size, SizeSpec> = {
  xs: { schools: 2, students: 200, teachers: 14, administrators: 2, aides: 4, classesPerTeacher: 4, guardianShare: 0.05 },
  s: { schools: 5, students: 2_000, teachers: 110, administrators: 10, aides: 20, classesPerTeacher: 5, guardianShare: 0.05 },
  m: { schools: 14, students: 10_000, teachers: 440, administrators: 40, aides: 80, classesPerTeacher: 5, guardianShare: 0.05 },
  l: { schools: 40, students: 50_000, teachers: 2_000, administrators: 300, aides: 700, classesPerTeacher: 5, guardianShare: 0.05 },
  xl: { schools: 160, students: 200_000, teachers: 8_000, administrators: 1_200, aides: 2_800, classesPerTeacher: 5, guardianShare: 0.05 },
};

/** Share of base records served as status 'tobedeleted' (courses, classes, users, enrollments). */
export const TOBEDELETED_SHARE = 0.005;

/** Grade of a student slot is anchored to this school year, so generations are stable across years. */
const ANCHOR_YEAR = 2026;
/** Student sourcedIds of later/earlier cohorts in the same slot are offset by multiples of this. */
export const GENERATION_STRIDE = 10_000_000;
const PERIODS = 8;

// Salts keep the hash streams of different purposes independent.
const enum Salt {
  District = 1, Tbd, Dlm, Person, Grade, School, Section, Terms, Block, Seat, Guardian, AdminOrg,
}
const COLLECTION_SALT: Record<SandboxCollection, number> = {
  orgs: 11, academicSessions: 12, courses: 13, classes: 14, users: 15, enrollments: 16,
};

type Band = 'elementary' | 'middle' | 'high';

interface School {
  orgIndex: number;
  name: string;
  band: Band;
  /** Grade indexes (0 = KG) this school serves, inclusive. */
  lo: number;
  hi: number;
  teacherStart: number;
  teacherCount: number;
  courseStart: number;
  catalogue: readonly (readonly [string, string, string])[];
}

export interface DistrictOptions {
  seed: number;
  size: Size;
  /** The calendar year the school year ends in. */
  schoolYear: number;
  /** Night 0 is "now" for the base records; their dateLastModified fall in the spread before it. */
  epochMs: number;
  spreadMs: number;
}

/** The school year containing `now`: from July on, the year that ends next June. */
export function currentSchoolYear(now = new Date()): number {
  return now.getUTCMonth() >= 6 ? now.getUTCFullYear() + 1 : now.getUTCFullYear();
}

/** Default night-0 time: late July before the year starts, deterministic for a school year. */
export function defaultEpochMs(schoolYear: number): number {
  return Date.UTC(schoolYear - 1, 6, 20, 6, 0, 0);
}

const mod = (a: number, n: number) => ((a % n) + n) % n;
/** Generations -1, 1, -2, 2 … map to 1, 2, 3, 4 … so the id stays a plain positive number. */
const zigzag = (g: number) => (g >= 0 ? 2 * g : -2 * g - 1);
const iso = (ms: number) => new Date(ms).toISOString();
const ref = (sourcedId: string, type: Ref['type']): Ref => ({ sourcedId, type });

export class District {
  readonly seed: number;
  readonly size: Size;
  readonly spec: SizeSpec;
  readonly schoolYear: number;
  readonly epochMs: number;
  readonly spreadMs: number;
  readonly districtName: string;
  readonly domain: string;
  readonly schools: School[];
  /** School (index into schools) of each teacher. */
  private readonly teacherSchool: Uint16Array;
  private readonly courseSchool: Uint16Array;
  /** Schools serving each grade, for placing a student. */
  private readonly schoolsByGrade: number[][];

  // Users are laid out [administrators][teachers][aides][students][guardians].
  readonly teacherUserStart: number;
  readonly aideUserStart: number;
  readonly studentUserStart: number;
  readonly guardianUserStart: number;
  readonly guardianCount: number;
  readonly baseCounts: Record<SandboxCollection, number>;
  readonly teacherEnrollments: number;

  constructor(opts: DistrictOptions) {
    this.seed = opts.seed;
    this.size = opts.size;
    this.spec = SIZE_SPECS[opts.size];
    this.schoolYear = opts.schoolYear;
    this.epochMs = opts.epochMs;
    this.spreadMs = opts.spreadMs;
    const place = PLACES[hash(this.seed, Salt.District) % PLACES.length];
    this.districtName = `${place[0]} Unified School District`;
    this.domain = `${place[1]}${this.seed}.k12.example.org`;

    const spec = this.spec;
    this.schools = this.buildSchools();
    this.teacherSchool = new Uint16Array(spec.teachers);
    let courses = 0;
    const weights = this.schools.map((s) => (s.hi - s.lo + 1) / this.schools.filter((o) => o.band === s.band).length);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    this.schools.forEach((school, k) => {
      // Teachers in proportion to the students a school can expect, so class sizes are even.
      const start = Math.round((spec.teachers * cumulative) / totalWeight);
      cumulative += weights[k];
      const end = Math.round((spec.teachers * cumulative) / totalWeight);
      school.teacherStart = start;
      school.teacherCount = end - start;
      // Every period must be covered by some teacher: local offsets rotate periods.
      if (school.teacherCount < PERIODS - spec.classesPerTeacher + 1) throw new Error(`size ${this.size}: too few teachers for ${school.name}`);
      this.teacherSchool.fill(k, start, end);
      school.courseStart = courses;
      courses += school.catalogue.length;
    });
    this.courseSchool = new Uint16Array(courses);
    this.schools.forEach((s, k) => this.courseSchool.fill(k, s.courseStart, s.courseStart + s.catalogue.length));
    this.schoolsByGrade = GRADES.map((_, g) => this.schools.flatMap((s, k) => (g >= s.lo && g <= s.hi ? [k] : [])));

    this.teacherUserStart = spec.administrators;
    this.aideUserStart = this.teacherUserStart + spec.teachers;
    this.studentUserStart = this.aideUserStart + spec.aides;
    this.guardianUserStart = this.studentUserStart + spec.students;
    this.guardianCount = Math.round(spec.students * spec.guardianShare);
    const classes = spec.teachers * spec.classesPerTeacher;
    this.teacherEnrollments = classes;
    this.baseCounts = {
      orgs: 1 + this.schools.length,
      academicSessions: 7,
      courses,
      classes,
      users: this.guardianUserStart + this.guardianCount,
      enrollments: classes + this.studentEnrollmentOffset(spec.students),
    };
  }

  private buildSchools(): School[] {
    const n = this.spec.schools;
    const bands: { band: Band; lo: number; hi: number; label: string }[] = [];
    if (n === 2) {
      bands.push({ band: 'elementary', lo: 0, hi: 5, label: 'Elementary School' }, { band: 'high', lo: 6, hi: 12, label: 'Secondary School' });
    } else {
      const middle = Math.max(1, Math.round(n * 0.2));
      const high = Math.max(1, Math.round(n * 0.2));
      const elementary = n - middle - high;
      for (let k = 0; k < elementary; k++) bands.push({ band: 'elementary', lo: 0, hi: 5, label: 'Elementary School' });
      for (let k = 0; k < middle; k++) bands.push({ band: 'middle', lo: 6, hi: 8, label: 'Middle School' });
      for (let k = 0; k < high; k++) bands.push({ band: 'high', lo: 9, hi: 12, label: 'High School' });
    }
    return bands.map((b, k) => {
      const patron = PATRONS[(hash(this.seed, Salt.School, k) % PATRONS.length + k) % PATRONS.length];
      // Patrons repeat in large districts; a campus suffix keeps names unique.
      const campus = k >= PATRONS.length ? ` (Campus ${Math.floor(k / PATRONS.length) + 1})` : '';
      const catalogue = b.band === 'high' && b.lo === 6 ? [...COURSES.middle, ...COURSES.high] : COURSES[b.band];
      return { orgIndex: k + 1, name: `${patron} ${b.label}${campus}`, band: b.band, lo: b.lo, hi: b.hi, teacherStart: 0, teacherCount: 0, courseStart: 0, catalogue };
    });
  }

  // ---------- shared helpers ----------

  baseStatus(collection: SandboxCollection, i: number): Status {
    if (collection === 'orgs' || collection === 'academicSessions') return 'active';
    return unit(this.seed, Salt.Tbd, COLLECTION_SALT[collection], i) < TOBEDELETED_SHARE ? 'tobedeleted' : 'active';
  }

  baseModified(collection: SandboxCollection, i: number): string {
    return iso(this.baseModifiedMs(collection, i));
  }

  baseModifiedMs(collection: SandboxCollection, i: number): number {
    return this.epochMs - Math.floor(unit(this.seed, Salt.Dlm, COLLECTION_SALT[collection], i) * this.spreadMs);
  }

  orgRef(orgIndex: number): Ref {
    return ref(`org-${orgIndex}`, 'org');
  }

  sessionId(i: number): string {
    return `as-${this.schoolYear}-${i}`;
  }

  classId(i: number): string {
    return `cls-${this.schoolYear}-${i}`;
  }

  enrollmentId(i: number): string {
    return `enr-${this.schoolYear}-${i}`;
  }

  private personName(key: number, salt = 0): { given: Name; family: Name; middle: Name } {
    const rand = mulberry32(hash(this.seed, Salt.Person, key, salt));
    return { given: pick(rand, GIVEN_NAMES), family: pick(rand, FAMILY_NAMES), middle: pick(rand, GIVEN_NAMES) };
  }

  // ---------- students ----------

  /** A student slot's grade this year and which cohort (generation) occupies it. */
  studentCohort(slot: number): { grade: number; generation: number } {
    const g = (hash(this.seed, Salt.Grade, slot) % GRADES.length) + (this.schoolYear - ANCHOR_YEAR);
    return { grade: mod(g, GRADES.length), generation: Math.floor(g / GRADES.length) };
  }

  studentSchool(key: number, grade: number, generation: number): number {
    const options = this.schoolsByGrade[grade];
    return options[hash(this.seed, Salt.School, key, generation) % options.length];
  }

  /** Which sourcedId number a user index has this year (student slots change hands at graduation). */
  userNumber(u: number): number {
    if (u < this.studentUserStart || u >= this.guardianUserStart) return u;
    const { generation } = this.studentCohort(u - this.studentUserStart);
    return u + zigzag(generation) * GENERATION_STRIDE;
  }

  userId(u: number): string {
    return `usr-${this.userNumber(u)}`;
  }

  /** Inverse of userId for this year, or -1 when that id is not served this year. */
  userIndexOfNumber(n: number): number {
    const u = n % GENERATION_STRIDE;
    return this.userNumber(u) === n ? u : -1;
  }

  /** Classes per student are 6, 7 or 8, permuted within blocks of three so offsets stay O(1). */
  private blockCounts(block: number): [number, number, number] {
    const perms: [number, number, number][] = [[6, 7, 8], [6, 8, 7], [7, 6, 8], [7, 8, 6], [8, 6, 7], [8, 7, 6]];
    return perms[hash(this.seed, Salt.Block, block) % 6];
  }

  classCountOfStudent(slot: number): number {
    return this.blockCounts(Math.floor(slot / 3))[slot % 3];
  }

  /** Student enrollments before this slot's first one. */
  studentEnrollmentOffset(slot: number): number {
    const block = Math.floor(slot / 3);
    const counts = this.blockCounts(block);
    let offset = block * 21;
    for (let k = 0; k < slot % 3; k++) offset += counts[k];
    return offset;
  }

  /** Base enrollment indexes of one student slot (for cascading a dropped student). */
  enrollmentRangeOfStudentSlot(slot: number): [start: number, end: number] {
    const start = this.teacherEnrollments + this.studentEnrollmentOffset(slot);
    return [start, start + this.classCountOfStudent(slot)];
  }

  /** The section a student (identified by key) takes in `period` (0-based) at a school. */
  findClass(schoolIndex: number, period: number, key: number): number {
    const school = this.schools[schoolIndex];
    const cpt = this.spec.classesPerTeacher;
    const start = hash(this.seed, Salt.Seat, key, period) % school.teacherCount;
    for (let step = 0; step < school.teacherCount; step++) {
      const local = (start + step) % school.teacherCount;
      const j = mod(period - local, PERIODS);
      if (j < cpt) return (school.teacherStart + local) * cpt + j;
    }
    throw new Error(`no section in period ${period + 1} at ${school.name}`);
  }

  // ---------- record builders (base state, night 0) ----------

  org(i: number): OrgRecord {
    const common = { sourcedId: `org-${i}`, status: this.baseStatus('orgs', i), dateLastModified: this.baseModified('orgs', i) };
    if (i === 0) return { ...common, name: this.districtName, type: 'district', identifier: `D${1000 + (this.seed % 9000)}` };
    const school = this.schools[i - 1];
    return { ...common, name: school.name, type: 'school', identifier: `SCH-${100 + i}`, parent: this.orgRef(0) };
  }

  academicSession(i: number): AcademicSessionRecord {
    const y = this.schoolYear;
    const span = `${y - 1}-${y}`;
    // [title, type, start, end, parent index]: a school year, two semesters, four grading periods.
    const rows: [string, AcademicSessionRecord['type'], string, string, number][] = [
      [`${span} School Year`, 'schoolYear', `${y - 1}-08-15`, `${y}-06-05`, -1],
      [`Fall Semester ${y - 1}`, 'semester', `${y - 1}-08-15`, `${y - 1}-12-19`, 0],
      [`Spring Semester ${y}`, 'semester', `${y}-01-06`, `${y}-06-05`, 0],
      [`Q1 ${span}`, 'gradingPeriod', `${y - 1}-08-15`, `${y - 1}-10-17`, 1],
      [`Q2 ${span}`, 'gradingPeriod', `${y - 1}-10-20`, `${y - 1}-12-19`, 1],
      [`Q3 ${span}`, 'gradingPeriod', `${y}-01-06`, `${y}-03-13`, 2],
      [`Q4 ${span}`, 'gradingPeriod', `${y}-03-16`, `${y}-06-05`, 2],
    ];
    const [title, type, startDate, endDate, parent] = rows[i];
    const record: AcademicSessionRecord = {
      sourcedId: this.sessionId(i), status: 'active', dateLastModified: this.baseModified('academicSessions', i),
      title, type, startDate, endDate, schoolYear: String(y),
    };
    if (parent >= 0) record.parent = ref(this.sessionId(parent), 'academicSession');
    return record;
  }

  private courseInfo(i: number) {
    const school = this.schools[this.courseSchool[i]];
    const [title, stem, subject] = school.catalogue[i - school.courseStart];
    return { school, title, stem, subject };
  }

  course(i: number): CourseRecord {
    const { school, title, stem, subject } = this.courseInfo(i);
    return {
      sourcedId: `crs-${i}`, status: this.baseStatus('courses', i), dateLastModified: this.baseModified('courses', i),
      title, courseCode: `${stem}-${school.orgIndex}`, schoolYear: ref(this.sessionId(0), 'academicSession'),
      grades: GRADES.slice(school.lo, school.hi + 1), subjects: [subject], org: this.orgRef(school.orgIndex),
    };
  }

  /** Teacher index, period (0-based), course index of a class; classes past the base are extra sections. */
  classInfo(i: number): { teacher: number; period: number; course: number; school: School } {
    const cpt = this.spec.classesPerTeacher;
    let teacher: number;
    let period: number;
    if (i < this.baseCounts.classes) {
      teacher = Math.floor(i / cpt);
      const school = this.schools[this.teacherSchool[teacher]];
      period = (teacher - school.teacherStart + (i % cpt)) % PERIODS;
    } else {
      teacher = hash(this.seed, Salt.Section, i) % this.spec.teachers;
      period = hash(this.seed, Salt.Section, i, 1) % PERIODS;
    }
    const school = this.schools[this.teacherSchool[teacher]];
    const course = school.courseStart + (hash(this.seed, Salt.Section, teacher, i) % school.catalogue.length);
    return { teacher, period, course, school };
  }

  cls(i: number): ClassRecord {
    const { teacher, period, course, school } = this.classInfo(i);
    const c = this.courseInfo(course);
    const teacherName = this.personName(this.teacherUserStart + teacher);
    const termDraw = hash(this.seed, Salt.Terms, i) % 10;
    // Most sections run all year; some are one semester only.
    const terms = termDraw < 8 ? [1, 2] : termDraw === 8 ? [1] : [2];
    const section = String(i % 100).padStart(2, '0');
    return {
      sourcedId: this.classId(i), status: this.baseStatus('classes', i), dateLastModified: this.baseModified('classes', i),
      title: `${c.title} - ${teacherName.family[0]} - P${period + 1}`,
      classCode: `${c.stem}-${school.orgIndex}.${section}`,
      classType: c.stem === 'HR' ? 'homeroom' : 'scheduled',
      location: `Room ${100 + (hash(this.seed, Salt.Section, teacher) % 300)}`,
      grades: GRADES.slice(school.lo, school.hi + 1), subjects: [c.subject],
      course: ref(`crs-${course}`, 'course'), school: this.orgRef(school.orgIndex),
      terms: terms.map((t) => ref(this.sessionId(t), 'academicSession')),
      periods: [String(period + 1)],
    };
  }

  userRole(u: number): UserRole {
    if (u < this.teacherUserStart) return 'administrator';
    if (u < this.aideUserStart) return 'teacher';
    if (u < this.studentUserStart) return 'aide';
    if (u < this.guardianUserStart) return 'student';
    if (u < this.baseCounts.users) return 'guardian';
    return 'student'; // users added at night are new students
  }

  /** A student's grade index and school index (base slots and night additions alike). */
  studentPlacement(u: number): { grade: number; school: number; generation: number } {
    if (u < this.baseCounts.users) {
      const slot = u - this.studentUserStart;
      const { grade, generation } = this.studentCohort(slot);
      return { grade, generation, school: this.studentSchool(slot, grade, generation) };
    }
    const grade = hash(this.seed, Salt.Grade, u) % GRADES.length;
    return { grade, generation: 0, school: this.studentSchool(u, grade, 0) };
  }

  user(u: number): UserRecord {
    const role = this.userRole(u);
    const number = this.userNumber(u);
    let orgs: Ref[];
    let grades: string[] = [];
    let agents: Ref[] = [];
    let identifier: string;
    let emailDomain = this.domain;
    let nameKey = number;
    if (role === 'student') {
      const { grade, school } = this.studentPlacement(u);
      orgs = [this.orgRef(this.schools[school].orgIndex)];
      grades = [GRADES[grade]];
      identifier = String(200000 + number);
      emailDomain = `students.${this.domain}`;
    } else if (role === 'guardian') {
      const slot = hash(this.seed, Salt.Guardian, u) % this.spec.students;
      const child = this.studentUserStart + slot;
      agents = [ref(this.userId(child), 'user')];
      orgs = [this.orgRef(0)];
      identifier = `G${100000 + u}`;
      emailDomain = 'mail.example.com';
      nameKey = this.userNumber(child); // guardians share their child's family name
    } else {
      const school = role === 'teacher'
        ? this.schools[this.teacherSchool[u - this.teacherUserStart]].orgIndex
        : role === 'administrator'
          ? hash(this.seed, Salt.AdminOrg, u) % (this.schools.length + 1) // some sit at the district office
          : 1 + (u % this.schools.length);
      orgs = [this.orgRef(school)];
      identifier = `E${10000 + u}`;
    }
    const person = this.personName(nameKey);
    const given = role === 'guardian' ? this.personName(u).given : person.given;
    const local = `${given[1]}.${person.family[1]}${number}`;
    const email = `${local}@${emailDomain}`;
    return {
      sourcedId: `usr-${number}`, status: this.baseStatus('users', u), dateLastModified: this.baseModified('users', u),
      username: local, userIds: [{ type: 'LDAP', identifier: local }], enabledUser: 'true',
      givenName: given[0], familyName: person.family[0], middleName: hash(this.seed, Salt.Person, u, 7) % 3 === 0 ? person.middle[0] : '',
      role, identifier, email, sms: '', phone: '', agents, orgs, grades,
    };
  }

  /**
   * Student enrollments' links as computed (user, class and period by index; -1: not yet): placing a
   * student costs microseconds, and a delta filter reads every enrollment's link every night.
   */
  private studentLinks: Int32Array | undefined;

  /** Who and what a base enrollment joins, without building the record. */
  baseEnrollmentLink(i: number): EnrollmentLink {
    if (i < this.teacherEnrollments) {
      const teacher = Math.floor(i / this.spec.classesPerTeacher);
      return { userIndex: this.teacherUserStart + teacher, classIndex: i, role: 'teacher', period: this.classInfo(i).period };
    }
    const links = (this.studentLinks ??= new Int32Array(3 * (this.baseCounts.enrollments - this.teacherEnrollments)).fill(-1));
    const at = 3 * (i - this.teacherEnrollments);
    if (links[at] < 0) {
      const link = this.placeStudentEnrollment(i);
      links[at] = link.userIndex;
      links[at + 1] = link.classIndex;
      links[at + 2] = link.period;
    }
    return { userIndex: links[at], classIndex: links[at + 1], role: 'student', period: links[at + 2] };
  }

  private placeStudentEnrollment(i: number): EnrollmentLink {
    const e = i - this.teacherEnrollments;
    const block = Math.floor(e / 21);
    const counts = this.blockCounts(block);
    let r = e - block * 21;
    let k = 0;
    while (r >= counts[k]) r -= counts[k++];
    const slot = block * 3 + k;
    const u = this.studentUserStart + slot;
    const { school } = this.studentPlacement(u);
    return { userIndex: u, classIndex: this.studentClass(u, school, r), role: 'student', period: r };
  }

  /** The section student u takes in a period; keyed by the sourcedId number so a new cohort reshuffles. */
  studentClass(u: number, school: number, period: number, salt = 0): number {
    return this.findClass(school, period, hash(number32(this.userNumber(u)), salt));
  }

  enrollment(i: number, link = this.baseEnrollmentLink(i)): EnrollmentRecord {
    const school = this.classInfo(link.classIndex).school;
    return {
      sourcedId: this.enrollmentId(i), status: this.baseStatus('enrollments', i), dateLastModified: this.baseModified('enrollments', i),
      role: link.role, primary: link.role === 'teacher' ? 'true' : 'false',
      user: ref(this.userId(link.userIndex), 'user'), class: ref(this.classId(link.classIndex), 'class'),
      school: this.orgRef(school.orgIndex),
    };
  }
}

export interface EnrollmentLink {
  userIndex: number;
  classIndex: number;
  role: 'teacher' | 'student';
  /** 0-based period of the class. */
  period: number;
}

/** Fold a possibly > 2^32 id number into hash input. */
function number32(n: number): number {
  return (n % 4294967296) ^ Math.floor(n / 4294967296);
}
