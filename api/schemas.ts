// Request/response schemas shared by the routes (and, via @fastify/swagger, the OpenAPI document).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() }, { $id: 'Error' });

/**
 * ErrorBody's shape for a route's `response` map: without the $id, which may be declared only once,
 * so every route can embed it.
 */
export const ErrorReply = Type.Object({ error: Type.String({ description: 'machine-readable code' }), message: Type.String({ description: 'what went wrong and what to do next' }) });

/** `{ 400: ErrorReply, 404: ErrorReply, … }` for a route's `response` map. */
export function errorReplies<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ErrorReply } {
  return Object.fromEntries(statuses.map((s) => [s, ErrorReply])) as { [K in S[number]]: typeof ErrorReply };
}

/** The 4xx every authenticated route with validated input can answer: bad input, no or wrong credentials, not allowed. */
export const AUTHED_ERRORS = [400, 401, 403] as const;

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * A redirect: no body. Documented with a schema so the contract (status, `location` header) is
 * visible in /docs/json.
 */
export const Redirect = (description: string) => Type.Null({ description });

/** Server-rendered HTML (a refusal page or a form). */
export const HtmlPage = (description: string) => Type.String({ description });

/** A status answered with an HTML page to a browser or `{error, message}` (validation, rate limit) otherwise. */
export const HtmlOrError = (description: string) => ({
  description,
  content: { 'text/html': { schema: HtmlPage(description) }, 'application/json': { schema: ErrorReply } },
});

export const DistrictIdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'district id: lowercase letters, digits and dashes' }) });
export const RunParams = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
  runId: Type.String({ minLength: 1, maxLength: 100 }),
});

export const OneRosterAuthBody = Type.Union([
  Type.Object({ kind: Type.Literal('oauth2'), clientId: Type.String({ minLength: 1 }), clientSecret: Type.String({ minLength: 1 }), tokenUrl: Type.Optional(Type.String({ format: 'uri' })) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('oauth1'), clientId: Type.String({ minLength: 1 }), clientSecret: Type.String({ minLength: 1 }), signatureMethod: Type.Optional(Type.Union([Type.Literal('HMAC-SHA256'), Type.Literal('HMAC-SHA1')])) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('bearer'), token: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);

export const RegisterDistrictBody = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lowercase letters, digits and dashes, e.g. "springfield-isd"' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, default America/Chicago' })),
    oneroster: Type.Optional(Type.Object({ baseUrl: Type.String({ format: 'uri' }), auth: OneRosterAuthBody, pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })) }, { additionalProperties: false })),
    sso: Type.Optional(Type.Object({ issuer: Type.String({ format: 'uri' }), clientId: Type.String({ minLength: 1 }), clientSecret: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type RegisterDistrict = Static<typeof RegisterDistrictBody>;

export const NoteBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const AcademicYearBody = Type.Object(
  {
    schoolYear: Type.String({ pattern: '^\\d{4}(-\\d{4})?$', description: 'e.g. 2027 or 2026-2027' }),
    startDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'first day, YYYY-MM-DD' }),
    endDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'last day, YYYY-MM-DD' }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

// Open-ended per-run figures (per collection, per rule…): every property is kept when serializing.
export const Counts = Type.Object({}, { additionalProperties: true });
export const RunBody = Type.Object({
  id: Type.String(),
  districtId: Type.String(),
  kind: Type.String(),
  mode: Type.String(),
  dryRun: Type.Boolean(),
  status: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  counts: Counts,
  timings: Counts,
  progress: Counts,
  summary: Counts,
  temporal: Type.Object({ workflowId: Type.Union([Type.String(), Type.Null()]), runId: Type.Union([Type.String(), Type.Null()]), url: Type.Union([Type.String(), Type.Null()]) }),
});

/** POST /api/districts/:id/runs/:runId/approve | discard */
export const HeldRunDecisionBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const HeldRunDecisionReply = Type.Object({
  runId: Type.String(),
  decision: Type.Union([Type.Literal('approved'), Type.Literal('discarded')]),
  statusUrl: Type.String(),
});

// Roster views (roster/schedules.ts, roster/terms.ts) as the schedule, term and /api/me routes show them.
const Ref = Type.Object({ sourcedId: Type.String(), name: Nullable(Type.String()) });
export const PersonRefReply = Type.Object({ sourcedId: Type.String(), name: Type.String(), email: Nullable(Type.String()) });
export const PersonReply = Type.Object({
  sourcedId: Type.String(),
  name: Type.String(),
  email: Nullable(Type.String()),
  role: Type.String({ description: 'OneRoster role' }),
  username: Nullable(Type.String()),
  grades: Type.Array(Type.String()),
  active: Type.Boolean(),
  schools: Type.Array(Ref),
});
export const ClassSummaryReply = Type.Object({
  sourcedId: Type.String(),
  title: Type.String(),
  classCode: Nullable(Type.String()),
  classType: Nullable(Type.String()),
  location: Nullable(Type.String()),
  periods: Type.Array(Type.String()),
  course: Nullable(Type.Object({ sourcedId: Type.String(), title: Nullable(Type.String()), courseCode: Nullable(Type.String()) })),
  school: Nullable(Ref),
  terms: Type.Array(Type.Object({ sourcedId: Type.String(), title: Nullable(Type.String()), startDate: Nullable(Type.String()), endDate: Nullable(Type.String()) })),
  teachers: Type.Array(PersonRefReply),
  enrollment: Type.Object({ students: Type.Integer(), teachers: Type.Integer() }),
  role: Type.Optional(Type.String({ description: 'the person’s role in the class (person schedules only)' })),
});
export const TermReply = Type.Object({
  sourcedId: Type.String(),
  title: Type.String(),
  type: Type.String(),
  startDate: Nullable(Type.String()),
  endDate: Nullable(Type.String()),
  schoolYear: Nullable(Type.String()),
  parentSourcedId: Nullable(Type.String()),
  inProgress: Type.Boolean({ description: 'its dates contain the date asked about' }),
  current: Type.Boolean({ description: 'the one current term' }),
});
