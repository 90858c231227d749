// POST /api/districts/:id/test-connection: auth plus one page of each collection, per collection
// the count or the exact error (never the credentials).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { getDistrict, oneRosterConnection } from '../../roster/districts.js';
import { HttpError, notFound } from '../errors.js';
import { Type } from '@sinclair/typebox';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies } from '../schemas.js';

const Check = { ok: Type.Boolean(), error: Type.Optional(Type.String({ description: 'the exact error (never the credentials)' })) };
const ConnectionReport = Type.Object({
  ok: Type.Boolean({ description: 'authenticated and every collection answered' }),
  auth: Type.Object(Check),
  collections: Type.Array(Type.Object({ collection: Type.String(), ...Check, count: Type.Optional(Type.Integer({ description: 'records the tenant reports (or on the first page)' })) })),
});
import { checkTenant } from '../tenant-check.js';

export const connectionRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, secrets } = app.deps;

  app.post('/api/districts/:id/test-connection', { schema: { params: DistrictIdParams, response: { 200: ConnectionReport, ...errorReplies(...AUTHED_ERRORS, 404, 409) } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    if (!district.oneroster_base_url) {
      throw new HttpError(409, 'no_tenant', `district "${district.id}" uses ClassLink SSO only: it has no OneRoster connection to test`);
    }
    const { baseUrl, auth } = oneRosterConnection(district, secrets);
    return checkTenant(district.id, { baseUrl, auth });
  });
};
