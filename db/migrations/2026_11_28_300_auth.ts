// Sign-in and authorization: support accounts (scrypt hashes), hashed revocable API tokens,
// server-side sessions and pending SSO logins, district leaders, login invites, and the SSO
// settings ClassLink needs beyond issuer/client (tenant id, user-info URL).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('districts')
    // ClassLink is one issuer for every tenant: the tenant id is what keeps another district's users out.
    .addColumn('sso_tenant_id', 'text')
    .addColumn('sso_userinfo_url', 'text')
    .execute();

  await db.schema
    .createTable('support_accounts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('password_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('last_login_at', 'timestamptz')
    .addCheckConstraint('support_accounts_email_lower', sql`email = lower(email)`)
    .execute();

  await db.schema
    .createTable('api_tokens')
    // The public half of a token ("clst_<id>_<secret>"): shown in lists and used to revoke.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('support_account_id', 'bigint', (c) => c.references('support_accounts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('support', 'district_user')`))
    .addColumn('support_account_id', 'bigint', (c) => c.references('support_accounts.id').onDelete('cascade'))
    .addColumn('district_id', 'text', (c) => c.references('districts.id').onDelete('cascade'))
    .addColumn('user_sourced_id', 'text')
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint(
      'sessions_subject',
      sql`(kind = 'support' and support_account_id is not null) or (kind = 'district_user' and district_id is not null and user_sourced_id is not null)`,
    )
    .execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  // state, nonce and PKCE verifier of a sign-in in flight; single use, minutes long.
  await db.schema
    .createTable('sso_pending_logins')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('district_id', 'text', (c) => c.notNull().references('districts.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('district_leaders')
    .addColumn('district_id', 'text', (c) => c.notNull().references('districts.id').onDelete('cascade'))
    .addColumn('user_sourced_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull().check(sql`title in ('system_admin', 'roster_lead')`))
    .addColumn('assigned_by', 'text', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('district_leaders_pk', ['district_id', 'user_sourced_id'])
    .execute();

  await db.schema
    .createTable('login_invites')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('district_id', 'text', (c) => c.notNull().references('districts.id').onDelete('cascade'))
    .addColumn('user_sourced_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('sending', 'sent', 'failed')`))
    .addColumn('error', 'text')
    .addColumn('message_id', 'text')
    .addColumn('sent_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('accepted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('login_invites_district_created').on('login_invites').columns(['district_id', 'created_at']).execute();
  await db.schema.createIndex('login_invites_user').on('login_invites').columns(['district_id', 'user_sourced_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['login_invites', 'district_leaders', 'sso_pending_logins', 'sessions', 'api_tokens', 'support_accounts']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  await db.schema.alterTable('districts').dropColumn('sso_tenant_id').dropColumn('sso_userinfo_url').execute();
}
