// API tokens for support automation: shown once at creation, stored as a sha256 hash (they are
// 256-bit random, so a fast hash is enough), revocable by their public id.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const FORMAT = /^clst_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface ApiTokenInfo {
  id: string;
  name: string;
  supportAccountId: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export async function createApiToken(db: Db, name: string, supportAccountId: number | null = null): Promise<{ id: string; token: string }> {
  const label = name.trim();
  if (!label || label.length > 100) throw new TokenError('give the token a name of 1-100 characters (what uses it, e.g. "ci")');
  const id = randomBytes(6).toString('hex');
  const token = `clst_${id}_${randomBytes(32).toString('base64url')}`;
  await db.insertInto('api_tokens').values({ id, name: label, token_hash: hashToken(token), support_account_id: supportAccountId }).execute();
  return { id, token };
}

export async function revokeApiToken(db: Db, id: string): Promise<void> {
  const res = await db.updateTable('api_tokens').set({ revoked_at: sql`coalesce(revoked_at, now())` }).where('id', '=', id).returning('id').executeTakeFirst();
  if (!res) throw new TokenError(`no API token with id "${id}": list them with \`npm run admin -- token list\``);
}

export async function listApiTokens(db: Db): Promise<ApiTokenInfo[]> {
  const rows = await db.selectFrom('api_tokens').select(['id', 'name', 'support_account_id', 'created_at', 'last_used_at', 'revoked_at']).orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, supportAccountId: r.support_account_id, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
}

/** The live (unrevoked) token with this value, or undefined. */
export async function findApiToken(db: Db, token: string): Promise<{ id: string; name: string } | undefined> {
  if (!FORMAT.test(token)) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .leftJoin('support_accounts', 'support_accounts.id', 'api_tokens.support_account_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.last_used_at'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .where('api_tokens.revoked_at', 'is', null)
    .where('support_accounts.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  // Write at most once a minute: a busy script must not turn every read into a write.
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: sql`now()` }).where('id', '=', row.id).execute();
  }
  return { id: row.id, name: row.name };
}
