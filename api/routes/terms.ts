// GET /api/districts/:id/terms: every academic session of the district, the current term marked.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getDistrict } from '../../roster/districts.js';
import { isRealDate, listTerms, todayIn } from '../../roster/terms.js';
import { HttpError, notFound } from '../errors.js';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies, Nullable, TermReply } from '../schemas.js';

export const DateQuery = Type.Object(
  { date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD; default today in the district’s time zone' })) },
  { additionalProperties: false },
);

const TermsReply = Type.Object({
  districtId: Type.String(),
  timezone: Type.String(),
  date: Type.String({ description: 'the date asked about, YYYY-MM-DD' }),
  currentTermId: Nullable(Type.String()),
  message: Nullable(Type.String({ description: 'why there is no current term' })),
  terms: Type.Array(TermReply),
});

export const termRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.deps;

  app.get('/api/districts/:id/terms', { schema: { params: DistrictIdParams, querystring: DateQuery, response: { 200: TermsReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    if (req.query.date !== undefined && !isRealDate(req.query.date)) throw new HttpError(400, 'bad_date', `"${req.query.date}" is not a real date: use YYYY-MM-DD, e.g. 2026-11-28`);
    const date = req.query.date ?? todayIn(district.timezone);
    const { terms, current } = await listTerms(db, district.id, date);
    return {
      districtId: district.id,
      timezone: district.timezone,
      date,
      currentTermId: current?.sourcedId ?? null,
      message: terms.length ? (current ? null : `no term contains ${date}: the school is between terms`) : 'no terms in the roster yet: the district has not synced',
      terms,
    };
  });
};
