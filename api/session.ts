// Server-side sessions behind a signed, httpOnly, SameSite=Lax cookie. The cookie holds a random
// id; the database holds only its hash, the subject and the CSRF token, so logout and
// disabling an account end a session at once.
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { Config } from '../config/index.js';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const SESSION_COOKIE = 'cls_session';
/** Double-submit token for the support login form (there is no session yet to hold one). */
export const LOGIN_CSRF_COOKIE = 'cls_login_csrf';
export const SSO_FLOW_COOKIE = 'cls_sso';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SSO_FLOW_TTL_MS = 10 * 60 * 1000;

export type SessionSubject = { kind: 'support'; supportAccountId: number } | { kind: 'district_user'; districtId: string; sourcedId: string };

export interface SessionRecord {
  idHash: string;
  subject: SessionSubject;
  csrfToken: string;
  expiresAt: Date;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** The cookie-signing key, derived from the secrets key so deployments need no second secret. */
export function cookieSecret(config: Config): string {
  return Buffer.from(hkdfSync('sha256', config.secretsKey, 'classlink-sync', 'session cookie signing', 32)).toString('base64');
}

/** Secure outside dev/test, or whenever the public URL is https. */
export function secureCookies(config: Config): boolean {
  return config.env === 'production' || config.api.publicUrl.startsWith('https:');
}

export function cookieOptions(config: Config, maxAgeMs: number, path = '/'): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'lax', secure: secureCookies(config), path, signed: true, maxAge: Math.floor(maxAgeMs / 1000) };
}

export async function createSession(db: Db, subject: SessionSubject, ttlMs = SESSION_TTL_MS): Promise<{ id: string; record: SessionRecord }> {
  const id = randomToken();
  const csrfToken = randomToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  // Expired rows are swept here rather than by a timer: sign-ins are rare enough.
  await db.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now()`).execute();
  await db
    .insertInto('sessions')
    .values({
      id_hash: sha256(id),
      kind: subject.kind,
      support_account_id: subject.kind === 'support' ? subject.supportAccountId : null,
      district_id: subject.kind === 'district_user' ? subject.districtId : null,
      user_sourced_id: subject.kind === 'district_user' ? subject.sourcedId : null,
      csrf_token: csrfToken,
      expires_at: expiresAt,
    })
    .execute();
  return { id, record: { idHash: sha256(id), subject, csrfToken, expiresAt } };
}

export async function loadSession(db: Db, id: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', sha256(id)).where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
  if (!row) return undefined;
  const subject: SessionSubject =
    row.kind === 'support' ? { kind: 'support', supportAccountId: Number(row.support_account_id) } : { kind: 'district_user', districtId: row.district_id!, sourcedId: row.user_sourced_id! };
  return { idHash: row.id_hash, subject, csrfToken: row.csrf_token, expiresAt: new Date(row.expires_at) };
}

export async function destroySession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

export interface PendingLogin {
  districtId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Remembers an SSO sign-in in flight; the browser gets only a random flow id in a signed cookie. */
export async function savePendingLogin(db: Db, login: PendingLogin): Promise<string> {
  const flowId = randomToken();
  await db.deleteFrom('sso_pending_logins').where('expires_at', '<', sql<Date>`now()`).execute();
  await db
    .insertInto('sso_pending_logins')
    .values({
      id_hash: sha256(flowId),
      district_id: login.districtId,
      state: login.state,
      nonce: login.nonce,
      code_verifier: login.codeVerifier,
      expires_at: new Date(Date.now() + SSO_FLOW_TTL_MS),
    })
    .execute();
  return flowId;
}

/** Single use: the row is deleted as it is read, so a replayed callback finds nothing. */
export async function takePendingLogin(db: Db, flowId: string): Promise<PendingLogin | undefined> {
  const row = await db.deleteFrom('sso_pending_logins').where('id_hash', '=', sha256(flowId)).returningAll().executeTakeFirst();
  if (!row || new Date(row.expires_at).getTime() < Date.now()) return undefined;
  return { districtId: row.district_id, state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier };
}
