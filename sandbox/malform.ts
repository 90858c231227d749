// Breaks one record in one specific way, for the `malformed` fault. Each kind maps to a rule the
// sync's validation must catch (and quarantine) without failing the page.

import type { MalformedKind } from './faults.js';
import type { SandboxCollection } from './types.js';

type Json = Record<string, unknown>;

/** A required field per collection whose absence OneRoster forbids. */
const REQUIRED_FIELD: Record<SandboxCollection, string> = {
  orgs: 'name', academicSessions: 'startDate', courses: 'title', classes: 'title', users: 'role', enrollments: 'role',
};
const ENUM_FIELD: Record<SandboxCollection, [string, string]> = {
  orgs: ['type', 'galaxy'], academicSessions: ['type', 'season'], courses: ['status', 'archived'],
  classes: ['classType', 'lecture-hall'], users: ['role', 'wizard'], enrollments: ['role', 'overlord'],
};
const REF_FIELD: Record<SandboxCollection, string> = {
  orgs: 'parent', academicSessions: 'parent', courses: 'org', classes: 'course', users: 'orgs', enrollments: 'user',
};
/** [field, wrong-typed value]: right name, wrong JSON type. */
const WRONG_TYPE: Record<SandboxCollection, [string, (r: Json) => unknown]> = {
  orgs: ['name', () => 42],
  academicSessions: ['schoolYear', (r) => Number(r.schoolYear)],
  courses: ['grades', (r) => (r.grades as string[]).join(',')],
  classes: ['periods', (r) => (r.periods as string[])[0]],
  users: ['orgs', (r) => (r.orgs as { sourcedId: string }[])[0]?.sourcedId ?? 'org-0'],
  enrollments: ['user', (r) => (r.user as { sourcedId: string }).sourcedId],
};

/** Returns a broken copy of `record`; `previousId` is the sourcedId a duplicate should take. */
export function malform(collection: SandboxCollection, record: Json, kind: MalformedKind, previousId: string): Json {
  const r: Json = structuredClone(record);
  switch (kind) {
    case 'missingField':
      delete r[REQUIRED_FIELD[collection]];
      break;
    case 'badEnum': {
      const [field, value] = ENUM_FIELD[collection];
      r[field] = value;
      break;
    }
    case 'badDate':
      r.dateLastModified = 'not-a-date';
      if (collection === 'academicSessions') r.endDate = '2026-13-45';
      break;
    case 'duplicateId':
      r.sourcedId = previousId;
      break;
    case 'danglingRef': {
      const field = REF_FIELD[collection];
      const missing = { sourcedId: `missing-${r.sourcedId as string}`, type: collection === 'enrollments' ? 'user' : collection === 'classes' ? 'course' : collection === 'users' || collection === 'courses' || collection === 'orgs' ? 'org' : 'academicSession' };
      r[field] = field === 'orgs' ? [missing] : missing;
      break;
    }
    case 'wrongType': {
      const [field, value] = WRONG_TYPE[collection];
      r[field] = value(r);
      break;
    }
  }
  return r;
}
