// Gradient Support accounts (created by `npm run admin`) and their sign-in check.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { checkPasswordStrength, decoyHash, hashPassword, verifyPassword } from './passwords.js';

type Db = Kysely<Database> | Transaction<Database>;

export class AccountError extends Error {
  override name = 'AccountError';
}

export interface SupportAccount {
  id: number;
  email: string;
  createdAt: Date;
  disabledAt: Date | null;
  lastLoginAt: Date | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 254) throw new AccountError(`"${email}" is not an email address`);
  return e;
}

const view = (r: { id: number; email: string; created_at: Date; disabled_at: Date | null; last_login_at: Date | null }): SupportAccount => ({
  id: r.id,
  email: r.email,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
  lastLoginAt: r.last_login_at,
});

export async function createSupportAccount(db: Db, email: string, password: string): Promise<SupportAccount> {
  const e = normalizeEmail(email);
  checkPasswordStrength(password);
  const hash = await hashPassword(password);
  const row = await db
    .insertInto('support_accounts')
    .values({ email: e, password_hash: hash })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'email', 'created_at', 'disabled_at', 'last_login_at'])
    .executeTakeFirst();
  if (!row) throw new AccountError(`a support account for ${e} exists already: use set-password to change its password`);
  return view(row);
}

export async function setSupportPassword(db: Db, email: string, password: string): Promise<void> {
  const e = normalizeEmail(email);
  checkPasswordStrength(password);
  const hash = await hashPassword(password);
  const res = await db
    .updateTable('support_accounts')
    .set({ password_hash: hash, password_changed_at: sql`now()`, disabled_at: null })
    .where('email', '=', e)
    .returning('id')
    .executeTakeFirst();
  if (!res) throw new AccountError(`no support account for ${e}: create it with create-support`);
  // A new password ends every session signed in with the old one.
  await db.deleteFrom('sessions').where('support_account_id', '=', res.id).execute();
}

/** Disabling ends the account's sessions and revokes its API tokens at once. */
export async function disableSupportAccount(db: Db, email: string): Promise<void> {
  const e = normalizeEmail(email);
  const res = await db.updateTable('support_accounts').set({ disabled_at: sql`now()` }).where('email', '=', e).returning('id').executeTakeFirst();
  if (!res) throw new AccountError(`no support account for ${e}`);
  await db.deleteFrom('sessions').where('support_account_id', '=', res.id).execute();
  await db.updateTable('api_tokens').set({ revoked_at: sql`now()` }).where('support_account_id', '=', res.id).where('revoked_at', 'is', null).execute();
}

export async function listSupportAccounts(db: Db): Promise<SupportAccount[]> {
  const rows = await db.selectFrom('support_accounts').select(['id', 'email', 'created_at', 'disabled_at', 'last_login_at']).orderBy('email').execute();
  return rows.map(view);
}

export async function findSupportAccount(db: Db, email: string): Promise<SupportAccount | undefined> {
  const row = await db
    .selectFrom('support_accounts')
    .select(['id', 'email', 'created_at', 'disabled_at', 'last_login_at'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  return row ? view(row) : undefined;
}

/**
 * The account when email and password match an enabled account, else null. Unknown emails cost
 * the same scrypt work as known ones, so timing does not tell which emails have accounts.
 */
export async function verifySupportLogin(db: Db, email: string, password: string): Promise<SupportAccount | null> {
  const row = await db
    .selectFrom('support_accounts')
    .select(['id', 'email', 'password_hash', 'created_at', 'disabled_at', 'last_login_at'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
  if (!row || !ok || row.disabled_at) return null;
  await db.updateTable('support_accounts').set({ last_login_at: sql`now()` }).where('id', '=', row.id).execute();
  return view(row);
}
