// Lookups that sign-in, schedules and invites make on the live roster: a user's enrollments, a
// class's enrollments, a user by email. Expressions match the queries in roster/schedules.ts
// and api/identity.ts exactly, or the planner will not use them.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists enrollments_by_user on enrollments (district_id, (data->'user'->>'sourcedId'))`.execute(db);
  await sql`create index if not exists enrollments_by_class on enrollments (district_id, (data->'class'->>'sourcedId'))`.execute(db);
  await sql`create index if not exists users_by_email on users (district_id, lower(data->>'email'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of ['enrollments_by_user', 'enrollments_by_class', 'users_by_email']) await sql`drop index if exists ${sql.id(name)}`.execute(db);
}
