// Every roster rule in one declarative registry: what is checked, how bad it is, what support tells
// the district, and how they fix it at the SIS/ClassLink side. Validation (validate.ts), warnings
// (warnings.ts) and guards (guards.ts) execute these entries; a later issue generates the
// "Roster requirements" page from them. Keep messages in words a district's roster lead understands.
import { createHash } from 'node:crypto';
import { CLASS_TYPES, ENROLLMENT_ROLES, ORG_TYPES, SESSION_TYPES, STATUSES, USER_ROLES } from '../oneroster/records.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { MAX_SOURCED_ID_LENGTH, UNSTORABLE_KEY } from './storable.js';

/** RFC 5321 limits a path to 256 octets; anything much longer is not an address (and would not fit an index). */
const MAX_EMAIL_LENGTH = 320;

/**
 * error: the record is quarantined (not applied), and so is everything that depends on it.
 * warning: applied, but shown in review and run reports.
 * skip: fetched and counted, deliberately never applied.
 * hold: a feed-level anomaly; the whole run waits for support to approve or discard it.
 */
export type Severity = 'error' | 'warning' | 'skip' | 'hold';

/** How a record-level rule is checked; validate.ts compiles each kind to SQL over staging. */
export type Check =
  /** present, not null, not blank (an empty array counts as missing too) */
  | { t: 'required' }
  /** when present: a JSON string */
  | { t: 'string' }
  /** when present: one of `values` */
  | { t: 'enum'; values: readonly string[] }
  /** when present: a real calendar date YYYY-MM-DD */
  | { t: 'date' }
  /** when present: an ISO 8601 date-time */
  | { t: 'datetime' }
  /** when present: a 4-digit year (string or number) */
  | { t: 'year' }
  /** when present: true/false or "true"/"false" */
  | { t: 'flag' }
  /** when present: an array of strings */
  | { t: 'strings' }
  /** when present: a reference {sourcedId, type} (or an array of them) */
  | { t: 'refShape'; many: boolean }
  /** both dates valid and start after end */
  | { t: 'dateOrder'; start: string; end: string }
  /** the sourcedId appears more than once in the collection */
  | { t: 'unique' }
  /** every referenced sourcedId exists in the feed (or, for a delta, among live records) */
  | { t: 'ref'; target: Collection; many: boolean }
  /** a referenced record is quarantined, so this one is too */
  | { t: 'cascade'; target: Collection; many: boolean }
  /** the field's value is in `values`: the record is skipped */
  | { t: 'skipWhen'; values: readonly string[] }
  /** when present: a string of at most `max` characters */
  | { t: 'maxLength'; max: number }
  /** the field (a marker staging adds, roster/storable.ts) is absent */
  | { t: 'absent' };

interface RuleBase {
  /** Stable id, stored on issues and counted per run: `<entity>.<field>.<what>`. */
  id: string;
  entity: Collection | 'feed';
  field: string | null;
  severity: Severity;
  /** What is wrong, for support and the district. */
  message: string;
  /** How to fix it where the data comes from (SIS, ClassLink Roster Server). */
  fix: string;
}

export interface RecordRule extends RuleBase {
  entity: Collection;
  field: string;
  severity: 'error' | 'skip';
  check: Check;
}

export interface WarningRule extends RuleBase {
  entity: Collection;
  severity: 'warning';
}

export interface GuardRule extends RuleBase {
  entity: 'feed';
  severity: 'hold';
}

export type Rule = RecordRule | WarningRule | GuardRule;

// ---- record rules ------------------------------------------------------------------------------

const NOUN: Record<Collection, string> = {
  orgs: 'org',
  academicSessions: 'academic session',
  courses: 'course',
  classes: 'class',
  users: 'user',
  enrollments: 'enrollment',
};

const SIS = 'in the SIS (or the ClassLink Roster Server mapping that feeds OneRoster)';

function required(entity: Collection, field: string, hint = ''): RecordRule {
  return {
    id: `${entity}.${field}.required`,
    entity,
    field,
    severity: 'error',
    check: { t: 'required' },
    message: `${NOUN[entity]} has no ${field}, which OneRoster requires`,
    fix: `fill in ${field} for this ${NOUN[entity]} ${SIS}${hint}`,
  };
}

function typed(entity: Collection, field: string, check: Check, what: string): RecordRule {
  const suffix = check.t === 'enum' ? 'enum' : check.t === 'date' || check.t === 'datetime' || check.t === 'year' ? 'format' : 'type';
  return {
    id: `${entity}.${field}.${suffix}`,
    entity,
    field,
    severity: 'error',
    check,
    message: `${NOUN[entity]} ${field} must be ${what}`,
    fix: `correct ${field} ${SIS}; if the SIS value is right, check the ClassLink field mapping for ${field}`,
  };
}

const oneOf = (values: readonly string[]) => `one of ${values.join(', ')}`;

function ref(entity: Collection, field: string, target: Collection, many: boolean): RecordRule[] {
  return [
    typed(entity, field, { t: 'refShape', many }, many ? 'a list of references {sourcedId, type}' : 'a reference {sourcedId, type}'),
    {
      id: `${entity}.${field}.ref`,
      entity,
      field,
      severity: 'error',
      check: { t: 'ref', target, many },
      message: `${NOUN[entity]} ${field} points at a ${NOUN[target]} that is not in the roster`,
      fix: `make sure the referenced ${NOUN[target]} is shared with this application in ClassLink (or fix the reference ${SIS})`,
    },
  ];
}

function cascade(entity: Collection, field: string, target: Collection, many: boolean): RecordRule {
  return {
    id: `${entity}.${field}.cascade`,
    entity,
    field,
    severity: 'error',
    check: { t: 'cascade', target, many },
    message: `${NOUN[entity]} depends on a quarantined ${NOUN[target]} (${field}), so it is held back too`,
    fix: `fix the ${NOUN[target]}'s own issue listed in this report; this ${NOUN[entity]} then applies on the next sync`,
  };
}

/** Rules every OneRoster record must pass, whatever its collection. */
function common(entity: Collection): RecordRule[] {
  return [
    {
      id: `${entity}.record.unstorable`,
      entity,
      field: UNSTORABLE_KEY,
      severity: 'error',
      check: { t: 'absent' },
      message: `${NOUN[entity]} holds text that cannot be stored (a NUL character or a broken UTF-16 surrogate); the listed fields are shown with \uFFFD in their place`,
      fix: `remove the invisible control or broken characters from the listed fields ${SIS}`,
    },
    required(entity, 'sourcedId'),
    typed(entity, 'sourcedId', { t: 'string' }, 'a string'),
    {
      id: `${entity}.sourcedId.length`,
      entity,
      field: 'sourcedId',
      severity: 'error',
      check: { t: 'maxLength', max: MAX_SOURCED_ID_LENGTH },
      message: `${NOUN[entity]} sourcedId is longer than ${MAX_SOURCED_ID_LENGTH} characters, too long to be an identifier`,
      fix: `use a short, stable sourcedId (a GUID or the SIS key) ${SIS}`,
    },
    {
      id: `${entity}.sourcedId.unique`,
      entity,
      field: 'sourcedId',
      severity: 'error',
      check: { t: 'unique' },
      message: `the same sourcedId appears more than once among ${entity}; every copy is held back because we cannot tell which is right`,
      fix: `sourcedIds must be unique and stable: remove the duplicate ${NOUN[entity]} ${SIS}`,
    },
    required(entity, 'status'),
    typed(entity, 'status', { t: 'enum', values: STATUSES }, oneOf(STATUSES)),
    required(entity, 'dateLastModified'),
    typed(entity, 'dateLastModified', { t: 'datetime' }, 'an ISO 8601 date-time such as 2026-01-31T12:00:00Z'),
  ];
}

/** Record-level rules, in the order they run: shape first, then references, then cascades. */
export const RECORD_RULES: readonly RecordRule[] = [
  {
    id: 'users.role.skipped',
    entity: 'users',
    field: 'role',
    severity: 'skip',
    check: { t: 'skipWhen', values: ['guardian', 'parent', 'relative'] },
    message: 'guardians, parents and relatives are not synced to Gradient; counted, never applied',
    fix: 'nothing to fix: to stop sending them, remove these roles from the application\'s sharing rules in ClassLink',
  },
  ...COLLECTIONS.flatMap(common),

  required('orgs', 'name'),
  typed('orgs', 'name', { t: 'string' }, 'a string'),
  required('orgs', 'type'),
  typed('orgs', 'type', { t: 'enum', values: ORG_TYPES }, oneOf(ORG_TYPES)),
  ...ref('orgs', 'parent', 'orgs', false),

  required('academicSessions', 'title'),
  typed('academicSessions', 'title', { t: 'string' }, 'a string'),
  required('academicSessions', 'type'),
  typed('academicSessions', 'type', { t: 'enum', values: SESSION_TYPES }, oneOf(SESSION_TYPES)),
  required('academicSessions', 'startDate'),
  typed('academicSessions', 'startDate', { t: 'date' }, 'a real date YYYY-MM-DD'),
  required('academicSessions', 'endDate'),
  typed('academicSessions', 'endDate', { t: 'date' }, 'a real date YYYY-MM-DD'),
  {
    id: 'academicSessions.endDate.order',
    entity: 'academicSessions',
    field: 'endDate',
    severity: 'error',
    check: { t: 'dateOrder', start: 'startDate', end: 'endDate' },
    message: 'academic session ends before it starts',
    fix: `correct the term's start and end dates ${SIS}`,
  },
  required('academicSessions', 'schoolYear'),
  typed('academicSessions', 'schoolYear', { t: 'year' }, 'a 4-digit year (the year the school year ends)'),
  ...ref('academicSessions', 'parent', 'academicSessions', false),

  required('courses', 'title'),
  typed('courses', 'title', { t: 'string' }, 'a string'),
  typed('courses', 'grades', { t: 'strings' }, 'a list of grade strings'),
  typed('courses', 'subjects', { t: 'strings' }, 'a list of strings'),
  required('courses', 'org'),
  ...ref('courses', 'org', 'orgs', false),

  required('classes', 'title'),
  typed('classes', 'title', { t: 'string' }, 'a string'),
  required('classes', 'classType'),
  typed('classes', 'classType', { t: 'enum', values: CLASS_TYPES }, oneOf(CLASS_TYPES)),
  typed('classes', 'grades', { t: 'strings' }, 'a list of grade strings'),
  typed('classes', 'subjects', { t: 'strings' }, 'a list of strings'),
  typed('classes', 'periods', { t: 'strings' }, 'a list of strings'),
  required('classes', 'course'),
  ...ref('classes', 'course', 'courses', false),
  required('classes', 'school'),
  ...ref('classes', 'school', 'orgs', false),
  required('classes', 'terms', ': every class needs at least one term'),
  ...ref('classes', 'terms', 'academicSessions', true),

  required('users', 'username'),
  typed('users', 'username', { t: 'string' }, 'a string'),
  required('users', 'givenName'),
  typed('users', 'givenName', { t: 'string' }, 'a string'),
  required('users', 'familyName'),
  typed('users', 'familyName', { t: 'string' }, 'a string'),
  required('users', 'role'),
  typed('users', 'role', { t: 'enum', values: USER_ROLES }, oneOf(USER_ROLES)),
  required('users', 'enabledUser'),
  typed('users', 'enabledUser', { t: 'flag' }, '"true" or "false"'),
  typed('users', 'email', { t: 'string' }, 'a string'),
  {
    id: 'users.email.length',
    entity: 'users',
    field: 'email',
    severity: 'error',
    check: { t: 'maxLength', max: MAX_EMAIL_LENGTH },
    message: `user email is longer than ${MAX_EMAIL_LENGTH} characters, which no mail system accepts`,
    fix: `correct the email address ${SIS}`,
  },
  typed('users', 'grades', { t: 'strings' }, 'a list of grade strings'),
  required('users', 'orgs', ': every user belongs to at least one school or the district'),
  ...ref('users', 'orgs', 'orgs', true),

  required('enrollments', 'role'),
  typed('enrollments', 'role', { t: 'enum', values: ENROLLMENT_ROLES }, oneOf(ENROLLMENT_ROLES)),
  typed('enrollments', 'primary', { t: 'flag' }, '"true" or "false"'),
  typed('enrollments', 'beginDate', { t: 'date' }, 'a real date YYYY-MM-DD'),
  typed('enrollments', 'endDate', { t: 'date' }, 'a real date YYYY-MM-DD'),
  {
    id: 'enrollments.endDate.order',
    entity: 'enrollments',
    field: 'endDate',
    severity: 'error',
    check: { t: 'dateOrder', start: 'beginDate', end: 'endDate' },
    message: 'enrollment ends before it begins',
    fix: `correct the enrollment's begin and end dates ${SIS}`,
  },
  required('enrollments', 'class'),
  ...ref('enrollments', 'class', 'classes', false),
  required('enrollments', 'user'),
  ...ref('enrollments', 'user', 'users', false),
  required('enrollments', 'school'),
  ...ref('enrollments', 'school', 'orgs', false),

  // Cascades, parents before children: what depends on a quarantined record is quarantined too.
  cascade('orgs', 'parent', 'orgs', false),
  cascade('academicSessions', 'parent', 'academicSessions', false),
  cascade('courses', 'org', 'orgs', false),
  cascade('classes', 'course', 'courses', false),
  cascade('classes', 'school', 'orgs', false),
  cascade('classes', 'terms', 'academicSessions', true),
  cascade('users', 'orgs', 'orgs', true),
  cascade('enrollments', 'class', 'classes', false),
  cascade('enrollments', 'user', 'users', false),
  cascade('enrollments', 'school', 'orgs', false),
];

// ---- warnings: applied, but must be seen --------------------------------------------------------

export const WARNING_RULES: readonly WarningRule[] = [
  {
    id: 'users.teacher.noStudentsThisTerm',
    entity: 'users',
    field: null,
    severity: 'warning',
    message: 'teacher has no students in any class this term',
    fix: 'check the teacher\'s sections and their student enrollments for the current term in the SIS',
  },
  {
    id: 'classes.noTeacher',
    entity: 'classes',
    field: null,
    severity: 'warning',
    message: 'class has no teacher enrolled',
    fix: 'assign a teacher to the section in the SIS (a teacher enrollment with role "teacher")',
  },
  {
    id: 'classes.noStudents',
    entity: 'classes',
    field: null,
    severity: 'warning',
    message: 'class has no students enrolled',
    fix: 'enroll students in the section in the SIS, or stop sharing empty sections in ClassLink',
  },
  {
    id: 'users.student.noClasses',
    entity: 'users',
    field: null,
    severity: 'warning',
    message: 'student is not enrolled in any class',
    fix: 'schedule the student in the SIS, or check that their sections are shared with this application in ClassLink',
  },
  {
    id: 'orgs.school.noClasses',
    entity: 'orgs',
    field: null,
    severity: 'warning',
    message: 'school has no classes',
    fix: 'check that the school\'s sections are shared with this application in ClassLink',
  },
  {
    id: 'users.email.shared',
    entity: 'users',
    field: 'email',
    severity: 'warning',
    message: 'another user has the same email address; single sign-on cannot tell them apart',
    fix: 'give each person their own email in the SIS, or merge the duplicate accounts',
  },
  {
    id: 'users.username.shared',
    entity: 'users',
    field: 'username',
    severity: 'warning',
    message: 'another user has the same username; single sign-on cannot tell them apart',
    fix: 'give each person their own username in the SIS, or merge the duplicate accounts',
  },
  {
    id: 'classes.terms.allPast',
    entity: 'classes',
    field: 'terms',
    severity: 'warning',
    message: 'every term of this class has already ended',
    fix: 'end-date or stop sharing last year\'s sections, or move the section to a current term in the SIS',
  },
];

// ---- guards: feed-level anomalies that hold the whole run ---------------------------------------

export const GUARD_RULES: readonly GuardRule[] = [
  {
    id: 'feed.users.empty',
    entity: 'feed',
    field: null,
    severity: 'hold',
    message: 'the users feed is empty',
    fix: 'check in ClassLink that users are still shared with this application and that the SIS export ran',
  },
  {
    id: 'feed.enrollments.empty',
    entity: 'feed',
    field: null,
    severity: 'hold',
    message: 'the enrollments feed is empty',
    fix: 'check in ClassLink that enrollments are still shared with this application and that the SIS export ran',
  },
  {
    id: 'feed.users.short',
    entity: 'feed',
    field: null,
    severity: 'hold',
    message: 'the users feed holds far fewer records than are live today',
    fix: 'check the ClassLink sharing rules and the SIS export: a partial export would deactivate many accounts',
  },
  {
    id: 'feed.enrollments.short',
    entity: 'feed',
    field: null,
    severity: 'hold',
    message: 'the enrollments feed holds far fewer records than are live today',
    fix: 'check the ClassLink sharing rules and the SIS export: a partial export would empty many classes',
  },
  {
    id: 'feed.removals.threshold',
    entity: 'feed',
    field: null,
    severity: 'hold',
    message: 'the run would remove more active records than the district\'s threshold allows',
    fix: 'if the removals are real (e.g. end of year), approve the run; otherwise fix the SIS/ClassLink export and discard it',
  },
  {
    id: 'feed.terms.noneCurrent',
    entity: 'feed',
    field: null,
    severity: 'hold',
    message: 'no term in the feed covers today although the academic year has started',
    fix: 'publish the current school year\'s terms in the SIS and share them in ClassLink (a rollover may be incomplete)',
  },
];

/**
 * Which rules are in force. Live rows were validated by the record rules of the run that applied
 * them, and its warnings found by its warning rules: when the rules change (a new release), every
 * record is validated again, no record is taken as unchanged and no warning is reused. Staged pages
 * note the version their records were checked against (roster/record-checks.ts).
 */
export const RULES_VERSION = createHash('md5').update(JSON.stringify([RECORD_RULES, WARNING_RULES])).digest('hex').slice(0, 16);

export const RULES: readonly Rule[] = [...RECORD_RULES, ...WARNING_RULES, ...GUARD_RULES];

const BY_ID = new Map<string, Rule>(RULES.map((r) => [r.id, r]));

export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}
