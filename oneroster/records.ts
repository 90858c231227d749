// The six OneRoster 1.1 record shapes a sync reads, and a checker that turns one raw JSON record
// into either a typed record or the list of what is wrong with it. It never throws: a malformed
// record is a validation issue for that record, not a crash of its page.
//
// Strict on meaning, lenient on spelling where servers differ without changing what is meant:
// boolean flags come as "true"/"false" (the 1.1 spec) or as JSON booleans; optional fields may be
// null or "" (a CSV habit some servers keep); schoolYear may be a 4-digit string or number.

import type { Collection } from './types.js';

export const STATUSES = ['active', 'tobedeleted'] as const;
export const ORG_TYPES = ['department', 'school', 'district', 'local', 'state', 'national'] as const;
export const SESSION_TYPES = ['schoolYear', 'term', 'semester', 'gradingPeriod'] as const;
export const USER_ROLES = ['teacher', 'student', 'administrator', 'aide', 'guardian', 'parent', 'relative', 'proctor'] as const;
/** OneRoster 1.1 narrows enrollment roles to these four (aide/guardian arrive only in 1.2). */
export const ENROLLMENT_ROLES = ['administrator', 'proctor', 'student', 'teacher'] as const;
export const CLASS_TYPES = ['homeroom', 'scheduled'] as const;

export type Status = (typeof STATUSES)[number];
export type OrgType = (typeof ORG_TYPES)[number];
export type SessionType = (typeof SESSION_TYPES)[number];
export type UserRole = (typeof USER_ROLES)[number];
export type EnrollmentRole = (typeof ENROLLMENT_ROLES)[number];
export type ClassType = (typeof CLASS_TYPES)[number];
/** "true"/"false" per the 1.1 spec; some servers send JSON booleans. */
export type Flag = boolean | 'true' | 'false';

/** A GUIDRef: points at another record by sourcedId. */
export interface Ref {
  sourcedId: string;
  type: string;
  href?: string;
}

interface Base {
  sourcedId: string;
  status: Status;
  /** ISO 8601 date-time. */
  dateLastModified: string;
  metadata?: Record<string, unknown> | null;
}

export interface Org extends Base {
  name: string;
  type: OrgType;
  identifier?: string | null;
  parent?: Ref | null;
  children?: Ref[] | null;
}

export interface AcademicSession extends Base {
  title: string;
  type: SessionType;
  /** YYYY-MM-DD */
  startDate: string;
  /** YYYY-MM-DD */
  endDate: string;
  parent?: Ref | null;
  children?: Ref[] | null;
  /** The ending year, e.g. "2026" for 2025–26. */
  schoolYear: string | number;
}

export interface Course extends Base {
  title: string;
  schoolYear?: Ref | null;
  courseCode?: string | null;
  grades?: string[] | null;
  subjects?: string[] | null;
  org: Ref;
  subjectCodes?: string[] | null;
  resources?: Ref[] | null;
}

export interface Class extends Base {
  title: string;
  classCode?: string | null;
  classType: ClassType;
  location?: string | null;
  grades?: string[] | null;
  subjects?: string[] | null;
  course: Ref;
  school: Ref;
  terms: Ref[];
  subjectCodes?: string[] | null;
  periods?: string[] | null;
  resources?: Ref[] | null;
}

export interface UserId {
  type: string;
  identifier: string;
}

export interface User extends Base {
  username: string;
  userIds?: UserId[] | null;
  enabledUser: Flag;
  givenName: string;
  familyName: string;
  middleName?: string | null;
  role: UserRole;
  identifier?: string | null;
  email?: string | null;
  sms?: string | null;
  phone?: string | null;
  agents?: Ref[] | null;
  orgs: Ref[];
  grades?: string[] | null;
}

export interface Enrollment extends Base {
  user: Ref;
  class: Ref;
  school: Ref;
  role: EnrollmentRole;
  primary?: Flag | null;
  /** YYYY-MM-DD */
  beginDate?: string | null;
  /** YYYY-MM-DD */
  endDate?: string | null;
}

export interface RecordOf {
  orgs: Org;
  academicSessions: AcademicSession;
  courses: Course;
  classes: Class;
  users: User;
  enrollments: Enrollment;
}

export type ProblemRule = 'shape' | 'required' | 'type' | 'enum' | 'format' | 'range';

export interface Problem {
  /** Dotted path, e.g. "course.sourcedId" or "terms[1]". */
  field: string;
  rule: ProblemRule;
  message: string;
}

export type ParseResult<T> =
  | { ok: true; record: T }
  | { ok: false; sourcedId: string | null; problems: Problem[] };

// ---- field specs -------------------------------------------------------------------------------

type Kind =
  | { t: 'string' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'date' }
  | { t: 'datetime' }
  | { t: 'year' }
  | { t: 'flag' }
  | { t: 'object' }
  | { t: 'ref' }
  | { t: 'refs'; min: number }
  | { t: 'strings' }
  | { t: 'userIds' };

type Spec = Record<string, { required: boolean; kind: Kind }>;

const req = (kind: Kind) => ({ required: true, kind });
const opt = (kind: Kind) => ({ required: false, kind });
const str: Kind = { t: 'string' };
const oneOf = (values: readonly string[]): Kind => ({ t: 'enum', values });
const ref: Kind = { t: 'ref' };
const refs = (min = 0): Kind => ({ t: 'refs', min });
const strings: Kind = { t: 'strings' };
const date: Kind = { t: 'date' };

const BASE: Spec = {
  sourcedId: req(str),
  status: req(oneOf(STATUSES)),
  dateLastModified: req({ t: 'datetime' }),
  metadata: opt({ t: 'object' }),
};

const SPECS: Record<Collection, Spec> = {
  orgs: { ...BASE, name: req(str), type: req(oneOf(ORG_TYPES)), identifier: opt(str), parent: opt(ref), children: opt(refs()) },
  academicSessions: {
    ...BASE,
    title: req(str),
    type: req(oneOf(SESSION_TYPES)),
    startDate: req(date),
    endDate: req(date),
    parent: opt(ref),
    children: opt(refs()),
    schoolYear: req({ t: 'year' }),
  },
  courses: {
    ...BASE,
    title: req(str),
    schoolYear: opt(ref),
    courseCode: opt(str),
    grades: opt(strings),
    subjects: opt(strings),
    org: req(ref),
    subjectCodes: opt(strings),
    resources: opt(refs()),
  },
  classes: {
    ...BASE,
    title: req(str),
    classCode: opt(str),
    classType: req(oneOf(CLASS_TYPES)),
    location: opt(str),
    grades: opt(strings),
    subjects: opt(strings),
    course: req(ref),
    school: req(ref),
    terms: req(refs(1)),
    subjectCodes: opt(strings),
    periods: opt(strings),
    resources: opt(refs()),
  },
  users: {
    ...BASE,
    username: req(str),
    userIds: opt({ t: 'userIds' }),
    enabledUser: req({ t: 'flag' }),
    givenName: req(str),
    familyName: req(str),
    middleName: opt(str),
    role: req(oneOf(USER_ROLES)),
    identifier: opt(str),
    email: opt(str),
    sms: opt(str),
    phone: opt(str),
    agents: opt(refs()),
    orgs: req(refs(1)),
    grades: opt(strings),
  },
  enrollments: {
    ...BASE,
    user: req(ref),
    class: req(ref),
    school: req(ref),
    role: req(oneOf(ENROLLMENT_ROLES)),
    primary: opt({ t: 'flag' }),
    beginDate: opt(date),
    endDate: opt(date),
  },
};

/** Start/end pairs that must not run backwards, per collection. */
const RANGES: Partial<Record<Collection, [string, string]>> = {
  academicSessions: ['startDate', 'endDate'],
  enrollments: ['beginDate', 'endDate'],
};

// ---- checking ----------------------------------------------------------------------------------

export function parseRecord<C extends Collection>(collection: C, raw: unknown): ParseResult<RecordOf[C]> {
  try {
    return check(collection, raw);
  } catch (err) {
    // Belt and braces: a checker bug must cost one record, not the page.
    return {
      ok: false,
      sourcedId: sourcedIdOf(raw),
      problems: [{ field: '', rule: 'shape', message: `the record could not be checked: ${err instanceof Error ? err.message : String(err)}` }],
    };
  }
}

function check<C extends Collection>(collection: C, raw: unknown): ParseResult<RecordOf[C]> {
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      sourcedId: null,
      problems: [{ field: '', rule: 'shape', message: `a ${collection} record must be a JSON object, got ${describe(raw)}` }],
    };
  }
  const problems: Problem[] = [];
  for (const [field, { required, kind }] of Object.entries(SPECS[collection])) {
    const value = raw[field];
    if (isAbsent(value, required)) {
      if (required) problems.push({ field, rule: 'required', message: `${field} is required` });
      continue;
    }
    checkKind(kind, value, field, problems);
  }
  const range = RANGES[collection];
  if (range) checkRange(raw, range, problems);
  if (problems.length > 0) return { ok: false, sourcedId: sourcedIdOf(raw), problems };
  return { ok: true, record: raw as unknown as RecordOf[C] };
}

/** null/undefined are absent; "" is absent for optional fields and missing for required ones. */
function isAbsent(value: unknown, required: boolean): boolean {
  if (value === undefined || value === null) return true;
  if (value === '') return true;
  return required && typeof value === 'string' && value.trim() === '';
}

function checkKind(kind: Kind, value: unknown, field: string, out: Problem[]): void {
  switch (kind.t) {
    case 'string':
      if (typeof value !== 'string') out.push(typeProblem(field, 'a string', value));
      return;
    case 'enum':
      if (typeof value !== 'string') out.push(typeProblem(field, 'a string', value));
      else if (!kind.values.includes(value)) {
        out.push({ field, rule: 'enum', message: `${field} must be one of ${kind.values.join(', ')}, got ${describe(value)}` });
      }
      return;
    case 'date':
      if (typeof value !== 'string') out.push(typeProblem(field, 'a date string', value));
      else if (!isIsoDate(value)) out.push({ field, rule: 'format', message: `${field} must be a date YYYY-MM-DD, got ${describe(value)}` });
      return;
    case 'datetime':
      if (typeof value !== 'string') out.push(typeProblem(field, 'a date-time string', value));
      else if (!isIsoDateTime(value)) {
        out.push({ field, rule: 'format', message: `${field} must be an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z), got ${describe(value)}` });
      }
      return;
    case 'year':
      if (!(typeof value === 'string' && /^\d{4}$/.test(value)) && !(Number.isInteger(value) && /^\d{4}$/.test(String(value)))) {
        out.push({ field, rule: 'format', message: `${field} must be a 4-digit year, got ${describe(value)}` });
      }
      return;
    case 'flag':
      if (value !== true && value !== false && value !== 'true' && value !== 'false') {
        out.push(typeProblem(field, '"true" or "false"', value));
      }
      return;
    case 'object':
      if (!isPlainObject(value)) out.push(typeProblem(field, 'an object', value));
      return;
    case 'ref':
      checkRef(value, field, out);
      return;
    case 'refs':
      if (!Array.isArray(value)) out.push(typeProblem(field, 'an array of references', value));
      else {
        if (value.length < kind.min) {
          out.push({ field, rule: 'required', message: `${field} needs at least ${kind.min} reference${kind.min === 1 ? '' : 's'}` });
        }
        value.forEach((item, i) => checkRef(item, `${field}[${i}]`, out));
      }
      return;
    case 'strings':
      if (!Array.isArray(value)) out.push(typeProblem(field, 'an array of strings', value));
      else value.forEach((item, i) => typeof item !== 'string' && out.push(typeProblem(`${field}[${i}]`, 'a string', item)));
      return;
    case 'userIds':
      if (!Array.isArray(value)) out.push(typeProblem(field, 'an array of {type, identifier}', value));
      else {
        value.forEach((item, i) => {
          const at = `${field}[${i}]`;
          if (!isPlainObject(item)) return out.push(typeProblem(at, 'an object {type, identifier}', item));
          if (typeof item.type !== 'string' || item.type === '') out.push({ field: `${at}.type`, rule: 'required', message: `${at}.type is required` });
          if (typeof item.identifier !== 'string') out.push(typeProblem(`${at}.identifier`, 'a string', item.identifier));
        });
      }
      return;
  }
}

function checkRef(value: unknown, field: string, out: Problem[]): void {
  if (!isPlainObject(value)) {
    out.push(typeProblem(field, 'a reference {sourcedId, type}', value));
    return;
  }
  if (typeof value.sourcedId !== 'string' || value.sourcedId.trim() === '') {
    out.push({ field: `${field}.sourcedId`, rule: 'required', message: `${field}.sourcedId is required` });
  }
  if (typeof value.type !== 'string' || value.type === '') {
    out.push({ field: `${field}.type`, rule: 'required', message: `${field}.type is required` });
  }
  if (value.href !== undefined && value.href !== null && typeof value.href !== 'string') {
    out.push(typeProblem(`${field}.href`, 'a string', value.href));
  }
}

function checkRange(raw: Record<string, unknown>, [startField, endField]: [string, string], out: Problem[]): void {
  const start = raw[startField];
  const end = raw[endField];
  // Only well-formed dates compare; a bad format is already reported on its own.
  if (typeof start === 'string' && typeof end === 'string' && isIsoDate(start) && isIsoDate(end) && start > end) {
    out.push({ field: endField, rule: 'range', message: `${endField} ${end} is before ${startField} ${start}` });
  }
}

function typeProblem(field: string, expected: string, value: unknown): Problem {
  return { field, rule: 'type', message: `${field} must be ${expected}, got ${describe(value)}` };
}

// ---- formats -----------------------------------------------------------------------------------

/** YYYY-MM-DD naming a real calendar day (no 2026-02-30). */
export function isIsoDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** ISO 8601 calendar date-time: date, 'T', hh:mm[:ss[.fff]], optional Z or ±hh[:]mm. */
export function isIsoDateTime(value: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?$/.exec(value);
  if (!m || !isIsoDate(m[1])) return false;
  const [h, mi, s] = [Number(m[2]), Number(m[3]), m[4] === undefined ? 0 : Number(m[4])];
  if (h > 23 || mi > 59 || s > 60) return false;
  if (m[6] !== undefined && (Number(m[6]) > 23 || Number(m[7]) > 59)) return false;
  return true;
}

// ---- helpers -----------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sourcedIdOf(raw: unknown): string | null {
  if (!isPlainObject(raw)) return null;
  const id = raw.sourcedId;
  return typeof id === 'string' && id.trim() !== '' ? id : null;
}

/** A short, safe rendering of an offending value for a message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return `${typeof value} ${String(value)}`;
}
