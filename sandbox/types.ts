// OneRoster 1.1 JSON shapes as the sandbox serves them (the optional fields a real ClassLink tenant
// may omit are omitted here too). Booleans are the strings 'true'/'false', as the spec's CSV
// heritage and ClassLink both have it.

export const SANDBOX_COLLECTIONS = ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'] as const;
export type SandboxCollection = (typeof SANDBOX_COLLECTIONS)[number];

export type Status = 'active' | 'tobedeleted';
export type RefType = 'org' | 'academicSession' | 'course' | 'class' | 'user';

export interface Ref {
  sourcedId: string;
  type: RefType;
  href?: string;
}

interface Base {
  sourcedId: string;
  status: Status;
  /** ISO 8601 with milliseconds and Z. */
  dateLastModified: string;
}

export interface OrgRecord extends Base {
  name: string;
  type: 'district' | 'school';
  identifier: string;
  parent?: Ref;
}

export interface AcademicSessionRecord extends Base {
  title: string;
  type: 'schoolYear' | 'semester' | 'gradingPeriod' | 'term';
  /** YYYY-MM-DD */
  startDate: string;
  endDate: string;
  parent?: Ref;
  /** The year the school year ends, e.g. '2026'. */
  schoolYear: string;
}

export interface CourseRecord extends Base {
  title: string;
  courseCode: string;
  schoolYear: Ref;
  grades: string[];
  subjects: string[];
  org: Ref;
}

export interface ClassRecord extends Base {
  title: string;
  classCode: string;
  classType: 'homeroom' | 'scheduled';
  location: string;
  grades: string[];
  subjects: string[];
  course: Ref;
  school: Ref;
  terms: Ref[];
  periods: string[];
}

export type UserRole = 'administrator' | 'teacher' | 'aide' | 'student' | 'guardian';

export interface UserRecord extends Base {
  username: string;
  userIds: { type: string; identifier: string }[];
  enabledUser: 'true' | 'false';
  givenName: string;
  familyName: string;
  middleName: string;
  role: UserRole;
  identifier: string;
  email: string;
  sms: string;
  phone: string;
  agents: Ref[];
  orgs: Ref[];
  grades: string[];
}

export interface EnrollmentRecord extends Base {
  role: 'teacher' | 'student';
  primary: 'true' | 'false';
  user: Ref;
  class: Ref;
  school: Ref;
}

export interface RecordByCollection {
  orgs: OrgRecord;
  academicSessions: AcademicSessionRecord;
  courses: CourseRecord;
  classes: ClassRecord;
  users: UserRecord;
  enrollments: EnrollmentRecord;
}

export type OneRosterRecord = RecordByCollection[SandboxCollection];
