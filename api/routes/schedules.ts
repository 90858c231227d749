// Admin Mode spot checks: a teacher's, a student's or a class's schedule for the current term
// (or ?date=), and a search to find them by name, email or id.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getDistrict } from '../../roster/districts.js';
import { classDetail, getPerson, kindOf, personClasses, searchRoster, type PersonKind } from '../../roster/schedules.js';
import { isRealDate, listTerms, todayIn } from '../../roster/terms.js';
import { HttpError, notFound } from '../errors.js';
import { AUTHED_ERRORS, ClassSummaryReply, DistrictIdParams, errorReplies, Nullable, PersonRefReply, PersonReply } from '../schemas.js';
import { DateQuery } from './terms.js';

const ScheduleParams = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
  sourcedId: Type.String({ minLength: 1, maxLength: 256 }),
});
const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 2, maxLength: 200, description: 'name, email, username, class code or sourcedId' }),
    type: Type.Optional(Type.Union([Type.Literal('staff'), Type.Literal('student'), Type.Literal('class')])),
    limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1-100, default 20' })),
  },
  { additionalProperties: false },
);

const Context = {
  districtId: Type.String(),
  date: Type.String({ description: 'the date asked about, YYYY-MM-DD' }),
  currentTerm: Nullable(Type.Object({ sourcedId: Type.String(), title: Type.String(), startDate: Nullable(Type.String()), endDate: Nullable(Type.String()) })),
};
const PersonSchedule = Type.Object({ ...Context, person: PersonReply, classes: Type.Array(ClassSummaryReply, { description: 'in progress on the date; none for a deactivated person' }) });
const ClassSchedule = Type.Object({
  ...Context,
  class: ClassSummaryReply,
  inProgress: Type.Boolean({ description: 'one of its terms contains the date' }),
  students: Type.Array(Type.Object({ ...PersonRefReply.properties, grades: Type.Array(Type.String()) })),
});
const SearchReply = Type.Object({
  results: Type.Array(
    Type.Object({
      type: Type.Union([Type.Literal('staff'), Type.Literal('student'), Type.Literal('class')]),
      sourcedId: Type.String(),
      name: Type.String(),
      detail: Nullable(Type.String()),
      scheduleUrl: Type.String(),
    }),
  ),
});
const ERRORS = errorReplies(...AUTHED_ERRORS, 404);

export const scheduleRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.deps;

  async function context(id: string, date: string | undefined) {
    const district = await getDistrict(db, id);
    if (!district) throw notFound(`district "${id}"`);
    if (date !== undefined && !isRealDate(date)) throw new HttpError(400, 'bad_date', `"${date}" is not a real date: use YYYY-MM-DD, e.g. 2026-11-28`);
    const day = date ?? todayIn(district.timezone);
    const { current } = await listTerms(db, id, day);
    return { district, date: day, currentTerm: current ? { sourcedId: current.sourcedId, title: current.title, startDate: current.startDate, endDate: current.endDate } : null };
  }

  const person = (kind: PersonKind, path: string) =>
    app.get(`/api/districts/:id/schedules/${path}/:sourcedId`, { schema: { params: ScheduleParams, querystring: DateQuery, response: { 200: PersonSchedule, ...ERRORS } } }, async (req) => {
      const ctx = await context(req.params.id, req.query.date);
      const who = await getPerson(db, ctx.district.id, req.params.sourcedId);
      if (!who) throw notFound(`user "${req.params.sourcedId}" in the roster of district "${ctx.district.id}"`);
      const actual = kindOf(who.role);
      if (actual !== kind) {
        const hint = actual ? `: use /api/districts/${ctx.district.id}/schedules/${actual === 'staff' ? 'staff' : 'students'}/${who.sourcedId}` : '';
        throw new HttpError(404, 'wrong_kind', `user "${who.sourcedId}" is a ${who.role}, not ${kind === 'staff' ? 'staff' : 'a student'}${hint}`);
      }
      const classes = who.active ? await personClasses(db, ctx.district.id, who.sourcedId, ctx.date) : [];
      return { districtId: ctx.district.id, date: ctx.date, currentTerm: ctx.currentTerm, person: who, classes };
    });
  person('staff', 'staff');
  person('student', 'students');

  app.get('/api/districts/:id/schedules/classes/:sourcedId', { schema: { params: ScheduleParams, querystring: DateQuery, response: { 200: ClassSchedule, ...ERRORS } } }, async (req) => {
    const ctx = await context(req.params.id, req.query.date);
    const detail = await classDetail(db, ctx.district.id, req.params.sourcedId, ctx.date);
    if (!detail) throw notFound(`class "${req.params.sourcedId}" in the roster of district "${ctx.district.id}"`);
    return { districtId: ctx.district.id, date: ctx.date, currentTerm: ctx.currentTerm, ...detail };
  });

  app.get('/api/districts/:id/search', { schema: { params: DistrictIdParams, querystring: SearchQuery, response: { 200: SearchReply, ...ERRORS } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    const hits = await searchRoster(db, district.id, req.query.q, req.query.type, Number(req.query.limit ?? 20));
    const path = { staff: 'staff', student: 'students', class: 'classes' } as const;
    return { results: hits.map((h) => ({ ...h, scheduleUrl: `/api/districts/${district.id}/schedules/${path[h.type]}/${encodeURIComponent(h.sourcedId)}` })) };
  });
};
