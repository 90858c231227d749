// Leaders' opt-in to the daily sync summary email (support can set it for them too). Held and
// failed run notices always go to SUPPORT_EMAIL and need no opt-in.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getDistrict } from '../../roster/districts.js';
import { dailySummarySubscribers, setDailySummary } from '../../notify/subscriptions.js';
import { notFound } from '../errors.js';
import { DistrictIdParams, ErrorReply as ErrorResponse } from '../schemas.js';
const Subscriptions = Type.Object({ districtId: Type.String(), dailySummary: Type.Array(Type.String({ description: 'email address' })) }, { additionalProperties: false });
const DailySummaryBody = Type.Object(
  { email: Type.String({ format: 'email', maxLength: 320 }), enabled: Type.Boolean({ description: 'true opts in, false opts out' }) },
  { additionalProperties: false },
);

export const notificationRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.deps;

  async function subscriptions(districtId: string) {
    return { districtId, dailySummary: (await dailySummarySubscribers(db, districtId)).map((s) => s.email) };
  }

  app.get(
    '/api/districts/:id/notifications',
    { schema: { summary: 'Who receives the daily sync summary', tags: ['districts'], params: DistrictIdParams, response: { 200: Subscriptions, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse } } },
    async (req) => {
      if (!(await getDistrict(db, req.params.id))) throw notFound(`district "${req.params.id}"`);
      return subscriptions(req.params.id);
    },
  );

  app.put(
    '/api/districts/:id/notifications/daily-summary',
    {
      schema: {
        summary: 'Opt an address in to (or out of) the daily sync summary',
        tags: ['districts'],
        params: DistrictIdParams,
        body: DailySummaryBody,
        response: { 200: Subscriptions, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => {
      if (!(await getDistrict(db, req.params.id))) throw notFound(`district "${req.params.id}"`);
      await setDailySummary(db, req.params.id, req.body.email, req.body.enabled, req.principal?.id ?? 'unknown');
      return subscriptions(req.params.id);
    },
  );
};
