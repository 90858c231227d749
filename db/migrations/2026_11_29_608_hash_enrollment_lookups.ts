// A class's enrollments and a user's enrollments are looked up by equality only (roster/schedules.ts),
// so hash indexes serve them: a first load's insert of 360,000 enrollments takes 2.9 s with them
// against 3.7 s with the btree pair (`npx tsx bench/apply-indexes.ts --size l`, 2 rounds). They
// hold the id alone (a hash index takes one column); the queries keep `district_id = …` as a filter,
// and ClassLink's sourcedIds are GUIDs, so an id seldom matches in another district. Expressions
// match the queries exactly, or the planner will not use them.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists enrollments_by_user`.execute(db);
  await sql`drop index if exists enrollments_by_class`.execute(db);
  await sql`create index if not exists enrollments_by_user on enrollments using hash ((data->'user'->>'sourcedId'))`.execute(db);
  await sql`create index if not exists enrollments_by_class on enrollments using hash ((data->'class'->>'sourcedId'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists enrollments_by_user`.execute(db);
  await sql`drop index if exists enrollments_by_class`.execute(db);
  await sql`create index if not exists enrollments_by_user on enrollments (district_id, (data->'user'->>'sourcedId'))`.execute(db);
  await sql`create index if not exists enrollments_by_class on enrollments (district_id, (data->'class'->>'sourcedId'))`.execute(db);
}
