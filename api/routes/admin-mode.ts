// JSON reads that Admin Mode needs beyond the SSO routes (and that automation may use too):
//   GET /api/districts/:id/staff        active staff with their schools and latest invite (invite picker, leader picker)
//   GET /api/districts/:id/school-year  the school-year session to prefill "start the academic year":
//                                       from the live roster, or straight from the feed before the first sync
//   GET /api/districts/:id/audit        the whole audit trail from audit_events, newest first: what the
//                                       workflow recorded and what routes record (leaders, held-run decisions)
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { createOneRosterClient } from '../../oneroster/client.js';
import { getDistrict, oneRosterConnection } from '../../roster/districts.js';
import { STAFF_ROLES } from '../../roster/schedules.js';
import { todayIn } from '../../roster/terms.js';
import { notFound } from '../errors.js';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies, Nullable } from '../schemas.js';

const StaffQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'part of a name, email or sourcedId' })),
    school: Type.Optional(Type.String({ maxLength: 256, description: 'only staff of this school (org sourcedId)' })),
    role: Type.Optional(Type.Union([Type.Literal('teacher'), Type.Literal('aide'), Type.Literal('administrator')], { description: 'only this roster role' })),
    // Query strings are text and the app does not coerce types: a number is spelled as digits.
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'at most this many staff (default 2000)' })),
  },
  { additionalProperties: false },
);

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export interface SchoolYearSession {
  sourcedId: string;
  title: string | null;
  schoolYear: string | null;
  startDate: string | null;
  endDate: string | null;
}

/** The school year containing today, else the next to start, else the latest. */
export function pickSchoolYear(sessions: SchoolYearSession[], today: string): SchoolYearSession | null {
  const dated = sessions.filter((s) => s.startDate && s.endDate).sort((a, b) => a.startDate!.localeCompare(b.startDate!));
  return (
    dated.find((s) => s.startDate! <= today && today <= s.endDate!) ??
    dated.find((s) => s.startDate! > today) ??
    dated[dated.length - 1] ??
    null
  );
}

const asSession = (sourcedId: string, d: Json): SchoolYearSession => ({
  sourcedId,
  title: str(d.title),
  schoolYear: d.schoolYear == null ? null : String(d.schoolYear),
  startDate: str(d.startDate),
  endDate: str(d.endDate),
});

const SessionReply = Type.Object({ sourcedId: Type.String(), title: Nullable(Type.String()), schoolYear: Nullable(Type.String()), startDate: Nullable(Type.String()), endDate: Nullable(Type.String()) });
const SchoolYearReply = Type.Object({
  districtId: Type.String(),
  today: Type.String({ description: 'YYYY-MM-DD in the district’s time zone' }),
  source: Nullable(Type.Union([Type.Literal('roster'), Type.Literal('feed')])),
  session: Nullable(SessionReply),
  message: Nullable(Type.String({ description: 'why there is no session, and what to do' })),
});
const AuditReply = Type.Object({
  events: Type.Array(
    Type.Object({ at: Type.String({ format: 'date-time' }), actor: Type.String(), action: Type.String(), note: Nullable(Type.String()), details: Type.Unknown({ description: 'what the event recorded (JSON)' }) }),
    { description: 'newest first' },
  ),
});
const SchoolRef = Type.Object({ sourcedId: Type.String(), name: Nullable(Type.String()) });
const StaffReply = Type.Object({
  districtId: Type.String(),
  schools: Type.Array(SchoolRef),
  staff: Type.Array(
    Type.Object({
      sourcedId: Type.String(),
      name: Type.String(),
      email: Nullable(Type.String()),
      role: Type.String(),
      schools: Type.Array(SchoolRef),
      lastInvite: Nullable(Type.Object({ status: Type.String(), createdAt: Type.String({ format: 'date-time' }) })),
    }),
  ),
  truncated: Type.Boolean({ description: 'more staff match than `limit`' }),
});

const AuditQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'at most this many events (default 200)' })) }, { additionalProperties: false });

export const adminModeRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, secrets } = app.deps;

  app.get('/api/districts/:id/audit', { schema: { params: DistrictIdParams, querystring: AuditQuery, response: { 200: AuditReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    const rows = await db
      .selectFrom('audit_events')
      .select(['at', 'actor', 'action', 'note', 'details'])
      .where('district_id', '=', district.id)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(req.query.limit ? Number(req.query.limit) : 200)
      .execute();
    return { events: rows.map((r) => ({ at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, note: r.note, details: r.details })) };
  });

  app.get('/api/districts/:id/staff', { schema: { params: DistrictIdParams, querystring: StaffQuery, response: { 200: StaffReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    const limit = req.query.limit ? Number(req.query.limit) : 2000;
    const q = req.query.q?.trim();
    const like = q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows = await sql<{ sourced_id: string; data: Json; status: string | null; created_at: Date | null }>`
      select u.sourced_id, u.data, i.status, i.created_at
      from users u
      left join lateral (
        select status, created_at from login_invites li
        where li.district_id = u.district_id and li.user_sourced_id = u.sourced_id
        order by created_at desc, id desc limit 1) i on true
      where u.district_id = ${district.id} and u.deleted_at is null and u.status = 'active'
        and u.data->>'role' = any(${req.query.role ? [req.query.role] : [...STAFF_ROLES]}::text[])
        and ${req.query.school ? sql`u.data->'orgs' @> ${JSON.stringify([{ sourcedId: req.query.school }])}::jsonb` : sql`true`}
        and ${like ? sql`(u.sourced_id = ${q} or coalesce(u.data->>'email', '') ilike ${like} or (coalesce(u.data->>'givenName', '') || ' ' || coalesce(u.data->>'familyName', '')) ilike ${like})` : sql`true`}
      order by u.data->>'familyName', u.data->>'givenName', u.sourced_id
      limit ${limit + 1}`.execute(db);
    const orgs = await db.selectFrom('orgs').select(['sourced_id', 'data']).where('district_id', '=', district.id).where('deleted_at', 'is', null).execute();
    const orgName = new Map(orgs.map((o) => [o.sourced_id, str((o.data as Json).name)]));
    const schools = orgs
      .filter((o) => (o.data as Json).type === 'school')
      .map((o) => ({ sourcedId: o.sourced_id, name: str((o.data as Json).name) }))
      .sort((a, b) => (a.name ?? a.sourcedId).localeCompare(b.name ?? b.sourcedId));
    const staff = rows.rows.slice(0, limit).map((r) => {
      const d = r.data;
      const orgIds = Array.isArray(d.orgs) ? d.orgs.map((o) => str((o as Json)?.sourcedId)).filter((x): x is string => Boolean(x)) : [];
      return {
        sourcedId: r.sourced_id,
        name: [str(d.givenName), str(d.familyName)].filter(Boolean).join(' ') || r.sourced_id,
        email: str(d.email),
        role: String(d.role),
        schools: orgIds.map((id) => ({ sourcedId: id, name: orgName.get(id) ?? null })),
        lastInvite: r.status ? { status: r.status, createdAt: new Date(r.created_at!).toISOString() } : null,
      };
    });
    return { districtId: district.id, schools, staff, truncated: rows.rows.length > limit };
  });

  app.get('/api/districts/:id/school-year', { schema: { params: DistrictIdParams, response: { 200: SchoolYearReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    const today = todayIn(district.timezone);
    const live = await db
      .selectFrom('academic_sessions')
      .select(['sourced_id', 'data'])
      .where('district_id', '=', district.id)
      .where('deleted_at', 'is', null)
      .where(sql<string>`data->>'type'`, '=', 'schoolYear')
      .execute();
    const fromRoster = pickSchoolYear(live.map((r) => asSession(r.sourced_id, r.data as Json)), today);
    if (fromRoster) return { districtId: district.id, today, source: 'roster' as const, session: fromRoster, message: null };
    if (!district.oneroster_base_url) {
      return { districtId: district.id, today, source: null, session: null, message: 'no roster synced yet and no OneRoster connection to ask: enter the dates by hand' };
    }
    // Before the first sync nothing is live: ask the feed itself (one small filtered read).
    try {
      const client = createOneRosterClient({ ...oneRosterConnection(district, secrets), districtId: district.id, maxAttempts: 2, timeoutMs: 15_000 });
      const found: SchoolYearSession[] = [];
      for await (const page of client.pages('academicSessions', { filter: "type='schoolYear'" })) {
        for (const r of page.records as unknown as Json[]) if (r.status !== 'tobedeleted') found.push(asSession(String(r.sourcedId), r));
        if (found.length > 200) break;
      }
      const session = pickSchoolYear(found, today);
      return { districtId: district.id, today, source: session ? ('feed' as const) : null, session, message: session ? null : 'the feed has no school-year session: enter the dates by hand' };
    } catch (err) {
      req.log.warn({ districtId: district.id }, 'school-year lookup in the feed failed');
      return { districtId: district.id, today, source: null, session: null, message: `could not read the school year from ClassLink (${(err as Error).message}): enter the dates by hand` };
    }
  });
};
