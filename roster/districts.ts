// Repository for districts and their tenant connection.
import type { Kysely, Transaction } from 'kysely';
import type { Database, District } from '../db/schema.js';
import type { SecretBox } from '../db/secrets.js';
import type { OneRosterAuth } from '../oneroster/types.js';

type Db = Kysely<Database> | Transaction<Database>;

export class DistrictNotFoundError extends Error {
  override name = 'DistrictNotFoundError';
  constructor(id: string) {
    super(`district "${id}" is not registered`);
  }
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export async function getDistrict(db: Db, id: string): Promise<District | undefined> {
  return db.selectFrom('districts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function requireDistrict(db: Db, id: string): Promise<District> {
  const d = await getDistrict(db, id);
  if (!d) throw new DistrictNotFoundError(id);
  return d;
}

export function oneRosterConnection(district: District, secrets: SecretBox): { baseUrl: string; auth: OneRosterAuth; pageSize?: number } {
  const { oneroster_base_url: baseUrl, oneroster_auth_kind: kind, oneroster_client_id: clientId, oneroster_secret_enc: enc } = district;
  if (!baseUrl || !kind || !enc) throw new ConfigurationError(`district "${district.id}" has no OneRoster connection: register its ClassLink tenant first`);
  const secret = secrets.open(enc);
  const pageSize = typeof district.settings?.pageSize === 'number' ? (district.settings.pageSize as number) : undefined;
  if (kind === 'bearer') return { baseUrl, auth: { kind, token: secret }, pageSize };
  if (!clientId) throw new ConfigurationError(`district "${district.id}" has no OneRoster client id`);
  if (kind === 'oauth2') return { baseUrl, auth: { kind, clientId, clientSecret: secret, tokenUrl: district.oneroster_token_url ?? undefined }, pageSize };
  const signatureMethod = district.oneroster_signature_method === 'HMAC-SHA1' ? 'HMAC-SHA1' : 'HMAC-SHA256';
  return { baseUrl, auth: { kind: 'oauth1', clientId, clientSecret: secret, signatureMethod }, pageSize };
}
