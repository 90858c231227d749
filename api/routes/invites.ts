// Login invites: a leader (or support) emails chosen staff a sign-in link for their district's
// ClassLink SSO. Each invite's delivery result is stored and listed. Resending is allowed, flooding
// is not: one invite per person per 10 minutes, and an hourly cap per district.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { District } from '../../db/schema.js';
import { createMailer, type Mailer } from '../../mail/mailer.js';
import { getDistrict } from '../../roster/districts.js';
import { getPerson, kindOf } from '../../roster/schedules.js';
import { HttpError, notFound } from '../errors.js';
import { escapeHtml } from '../html.js';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies, Nullable } from '../schemas.js';

export const INVITE_RESEND_AFTER_MS = 10 * 60 * 1000;
export const DEFAULT_INVITES_PER_HOUR = 200;
const SEND_CONCURRENCY = 4;

const InviteBody = Type.Object(
  { userSourcedIds: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 100, description: 'staff sourcedIds, at most 100 per request' }) },
  { additionalProperties: false },
);
const ListQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^(1000|[1-9][0-9]{0,2})$', description: '1-1000, default 200' })) }, { additionalProperties: false });

const InviteResultReply = Type.Object({
  userSourcedId: Type.String(),
  status: Type.Union([Type.Literal('sent'), Type.Literal('failed'), Type.Literal('skipped'), Type.Literal('throttled')]),
  message: Type.String(),
  inviteId: Type.Optional(Type.Integer()),
  email: Type.Optional(Type.String()),
  retryAfterSeconds: Type.Optional(Type.Integer()),
});
const SendReply = Type.Object({
  results: Type.Array(InviteResultReply, { description: 'one per distinct sourcedId, in the order asked' }),
  sent: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Integer(),
  throttled: Type.Integer(),
});
const InviteListReply = Type.Object({
  invites: Type.Array(
    Type.Object({
      id: Type.Integer(),
      userSourcedId: Type.String(),
      name: Nullable(Type.String()),
      email: Type.String(),
      status: Type.String({ description: 'sending, sent or failed' }),
      error: Nullable(Type.String()),
      sentBy: Type.String(),
      createdAt: Nullable(Type.String({ format: 'date-time' })),
      sentAt: Nullable(Type.String({ format: 'date-time' })),
      acceptedAt: Nullable(Type.String({ format: 'date-time' })),
    }),
    { description: 'newest first' },
  ),
});

export type InviteStatus = 'sent' | 'failed' | 'skipped' | 'throttled';
export interface InviteResult {
  userSourcedId: string;
  status: InviteStatus;
  message: string;
  inviteId?: number;
  email?: string;
  retryAfterSeconds?: number;
}

const hourlyCap = (d: District) => {
  const v = (d.settings as Record<string, unknown>)?.invitesPerHour;
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_INVITES_PER_HOUR;
};

export function inviteMail(p: { districtName: string; givenName: string; inviter: string; link: string }) {
  const text = `Hello ${p.givenName},

${p.inviter} invited you to Gradient for ${p.districtName}. Sign in with your ClassLink account:

${p.link}

The link takes you to your district's ClassLink sign-in; use it any time.
`;
  const htmlBody = `<p>Hello ${escapeHtml(p.givenName)},</p>
<p>${escapeHtml(p.inviter)} invited you to Gradient for ${escapeHtml(p.districtName)}. Sign in with your ClassLink account:</p>
<p><a href="${escapeHtml(p.link)}">Sign in to Gradient with ClassLink</a></p>
<p>The link takes you to your district's ClassLink sign-in; use it any time.</p>`;
  return { subject: `Sign in to Gradient with ClassLink – ${p.districtName}`, text, html: htmlBody };
}

/** Runs fn over items, at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

export const inviteRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, config } = app.deps;
  let mailer: Mailer | undefined;
  app.addHook('onClose', async () => mailer?.close());

  app.post('/api/districts/:id/invites', { schema: { params: DistrictIdParams, body: InviteBody, response: { 200: SendReply, ...errorReplies(...AUTHED_ERRORS, 404, 409, 429, 503) } } }, async (req, reply) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    if (!district.sso_issuer || !district.sso_client_id || !district.sso_secret_enc) {
      throw new HttpError(409, 'sso_not_configured', `district "${district.id}" has no ClassLink sign-in yet: Gradient Support sets it with PUT /api/districts/${district.id}/sso`);
    }
    if (!config.smtpUrl) throw new HttpError(503, 'smtp_not_configured', 'no mail server is configured: set SMTP_URL (npm run dev starts a local catcher)');
    mailer ??= createMailer(config.smtpUrl, config.mailFrom);
    const actor = req.principal!;
    const ids = [...new Set(req.body.userSourcedIds)];
    const cap = hourlyCap(district);

    const results = new Map<string, InviteResult>();
    const toSend: { sourcedId: string; email: string; givenName: string; inviteId?: number }[] = [];
    // Decide and record under a per-district lock, so two requests cannot both slip under the caps.
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`invites:${district.id}`}))`.execute(trx);
      const recent = await trx
        .selectFrom('login_invites')
        .select(['user_sourced_id', 'created_at'])
        .where('district_id', '=', district.id)
        .where('status', '!=', 'failed')
        .where('created_at', '>', sql<Date>`now() - interval '1 hour'`)
        .execute();
      const lastByUser = new Map<string, number>();
      for (const r of recent) lastByUser.set(r.user_sourced_id, Math.max(lastByUser.get(r.user_sourced_id) ?? 0, new Date(r.created_at).getTime()));
      for (const sourcedId of ids) {
        const person = await getPerson(trx, district.id, sourcedId);
        const skip = (message: string) => results.set(sourcedId, { userSourcedId: sourcedId, status: 'skipped', message });
        if (!person) skip(`not in the roster of ${district.name}`);
        else if (!person.active) skip('deactivated in the roster');
        else if (kindOf(person.role) !== 'staff') skip(`a ${person.role}: invites are for staff`);
        else if (!person.email) skip('has no email address in the roster');
        else {
          const last = lastByUser.get(sourcedId);
          const wait = last ? last + INVITE_RESEND_AFTER_MS - Date.now() : 0;
          if (wait > 0) {
            const retryAfterSeconds = Math.ceil(wait / 1000);
            results.set(sourcedId, { userSourcedId: sourcedId, status: 'throttled', email: person.email, retryAfterSeconds, message: `invited less than 10 minutes ago: resend after ${Math.ceil(retryAfterSeconds / 60)} min` });
          } else {
            toSend.push({ sourcedId, email: person.email, givenName: person.name.split(' ')[0] ?? person.name });
          }
        }
      }
      if (toSend.length && recent.length + toSend.length > cap) {
        const left = Math.max(0, cap - recent.length);
        throw new HttpError(429, 'invite_limit', `${district.name} may send ${cap} invites an hour and has sent ${recent.length} in the last hour: ${left ? `send at most ${left} now, or ` : ''}try again later`);
      }
      for (const s of toSend) {
        const row = await trx
          .insertInto('login_invites')
          .values({ district_id: district.id, user_sourced_id: s.sourcedId, email: s.email, status: 'sending', sent_by: actor.id })
          .returning('id')
          .executeTakeFirstOrThrow();
        s.inviteId = row.id;
      }
    });

    if (!toSend.length && [...results.values()].every((r) => r.status === 'throttled')) {
      const wait = Math.min(...[...results.values()].map((r) => r.retryAfterSeconds ?? 600));
      void reply.header('retry-after', String(wait));
      throw new HttpError(429, 'invite_throttled', `${ids.length === 1 ? 'this person was' : 'everyone asked for was'} invited less than 10 minutes ago: resend after ${Math.ceil(wait / 60)} min`);
    }

    const link = `${config.api.publicUrl}/sso/${district.id}/login`;
    await pool(toSend, SEND_CONCURRENCY, async (s) => {
      const mail = inviteMail({ districtName: district.name, givenName: s.givenName, inviter: actor.kind === 'support' ? 'Gradient Support' : actor.name, link: `${link}?login_hint=${encodeURIComponent(s.email)}` });
      try {
        const { messageId } = await mailer!.send({ to: s.email, ...mail });
        await db.updateTable('login_invites').set({ status: 'sent', message_id: messageId, sent_at: new Date() }).where('id', '=', s.inviteId!).execute();
        results.set(s.sourcedId, { userSourcedId: s.sourcedId, status: 'sent', inviteId: s.inviteId, email: s.email, message: `sent to ${s.email}` });
      } catch (err) {
        const reason = ((err as Error).message || 'the mail server refused it').slice(0, 500);
        await db.updateTable('login_invites').set({ status: 'failed', error: reason }).where('id', '=', s.inviteId!).execute();
        req.log.warn({ districtId: district.id, inviteId: s.inviteId }, 'invite delivery failed');
        results.set(s.sourcedId, { userSourcedId: s.sourcedId, status: 'failed', inviteId: s.inviteId, email: s.email, message: `not delivered: ${reason}; try again` });
      }
    });

    const all = ids.map((id) => results.get(id)!);
    const count = (s: InviteStatus) => all.filter((r) => r.status === s).length;
    return { results: all, sent: count('sent'), failed: count('failed'), skipped: count('skipped'), throttled: count('throttled') };
  });

  app.get('/api/districts/:id/invites', { schema: { params: DistrictIdParams, querystring: ListQuery, response: { 200: InviteListReply, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const district = await getDistrict(db, req.params.id);
    if (!district) throw notFound(`district "${req.params.id}"`);
    const rows = await db
      .selectFrom('login_invites as i')
      .leftJoin('users as u', (j) => j.onRef('u.district_id', '=', 'i.district_id').onRef('u.sourced_id', '=', 'i.user_sourced_id'))
      .select(['i.id', 'i.user_sourced_id', 'i.email', 'i.status', 'i.error', 'i.sent_by', 'i.created_at', 'i.sent_at', 'i.accepted_at', 'u.data'])
      .where('i.district_id', '=', district.id)
      .orderBy('i.created_at', 'desc')
      .orderBy('i.id', 'desc')
      .limit(Number(req.query.limit ?? 200))
      .execute();
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      invites: rows.map((r) => {
        const d = (r.data ?? {}) as Record<string, unknown>;
        return {
          id: r.id,
          userSourcedId: r.user_sourced_id,
          name: [d.givenName, d.familyName].filter(Boolean).join(' ') || null,
          email: r.email,
          status: r.status,
          error: r.error,
          sentBy: r.sent_by,
          createdAt: iso(r.created_at),
          sentAt: iso(r.sent_at),
          acceptedAt: iso(r.accepted_at),
        };
      }),
    };
  });
};
