// Which administrators lead a district in Gradient (System Admin or Roster Lead): support assigns
// them; the leaders of a district may see the list.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getDistrict } from '../../roster/districts.js';
import { getPerson } from '../../roster/schedules.js';
import { HttpError, notFound } from '../errors.js';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies, Nullable } from '../schemas.js';

const LeaderParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), sourcedId: Type.String({ minLength: 1, maxLength: 256 }) });
const LeaderBody = Type.Object({ title: Type.Union([Type.Literal('system_admin'), Type.Literal('roster_lead')]) }, { additionalProperties: false });

const LeadersReply = Type.Object({
  leaders: Type.Array(
    Type.Object({
      sourcedId: Type.String(),
      title: Type.String({ description: 'system_admin or roster_lead' }),
      name: Nullable(Type.String()),
      email: Nullable(Type.String()),
      activeInRoster: Type.Boolean(),
      assignedBy: Type.String(),
      assignedAt: Type.String({ format: 'date-time' }),
    }),
  ),
});

export const leaderRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.deps;

  async function requireDistrict(id: string) {
    const d = await getDistrict(db, id);
    if (!d) throw notFound(`district "${id}"`);
    return d;
  }

  async function list(districtId: string) {
    const rows = await db.selectFrom('district_leaders').selectAll().where('district_id', '=', districtId).orderBy('assigned_at').execute();
    return Promise.all(
      rows.map(async (r) => {
        const p = await getPerson(db, districtId, r.user_sourced_id);
        return { sourcedId: r.user_sourced_id, title: r.title, name: p?.name ?? null, email: p?.email ?? null, activeInRoster: Boolean(p?.active), assignedBy: r.assigned_by, assignedAt: new Date(r.assigned_at).toISOString() };
      }),
    );
  }

  app.get('/api/districts/:id/leaders', { schema: { params: DistrictIdParams, response: { 200: LeadersReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    await requireDistrict(req.params.id);
    return { leaders: await list(req.params.id) };
  });

  app.put('/api/districts/:id/leaders/:sourcedId', { schema: { params: LeaderParams, body: LeaderBody, response: { 200: LeadersReply, ...errorReplies(...AUTHED_ERRORS, 404, 409) } } }, async (req) => {
    const { id, sourcedId } = req.params;
    await requireDistrict(id);
    const person = await getPerson(db, id, sourcedId);
    if (!person) throw notFound(`user "${sourcedId}" in the roster of district "${id}" (sync the roster first)`);
    if (!person.active) throw new HttpError(409, 'deactivated', `user "${sourcedId}" is deactivated in the roster: only active administrators can lead a district`);
    if (person.role !== 'administrator') {
      throw new HttpError(409, 'not_an_administrator', `user "${sourcedId}" is a ${person.role} in the roster: only administrators can be System Admin or Roster Lead`);
    }
    const actor = req.principal?.id ?? 'unknown';
    await db
      .insertInto('district_leaders')
      .values({ district_id: id, user_sourced_id: sourcedId, title: req.body.title, assigned_by: actor })
      .onConflict((oc) => oc.columns(['district_id', 'user_sourced_id']).doUpdateSet({ title: req.body.title, assigned_by: actor, assigned_at: new Date() }))
      .execute();
    await db.insertInto('audit_events').values({ district_id: id, actor, action: 'leader assigned', note: null, details: JSON.stringify({ sourcedId, title: req.body.title }) }).execute();
    return { leaders: await list(id) };
  });

  app.delete('/api/districts/:id/leaders/:sourcedId', { schema: { params: LeaderParams, response: { 200: LeadersReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const { id, sourcedId } = req.params;
    await requireDistrict(id);
    const gone = await db.deleteFrom('district_leaders').where('district_id', '=', id).where('user_sourced_id', '=', sourcedId).returning('title').executeTakeFirst();
    if (!gone) throw notFound(`leader "${sourcedId}" of district "${id}"`);
    const actor = req.principal?.id ?? 'unknown';
    await db.insertInto('audit_events').values({ district_id: id, actor, action: 'leader removed', note: null, details: JSON.stringify({ sourcedId, title: gone.title }) }).execute();
    return { leaders: await list(id) };
  });
};
