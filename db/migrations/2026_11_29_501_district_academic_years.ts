// The academic year a district's leader started last. The nightly cron child is kept across a
// rollover, so its input would go stale: each run reads the year in force here instead.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('district_academic_years')
    .addColumn('district_id', 'text', (c) => c.primaryKey().references('districts.id').onDelete('cascade'))
    .addColumn('school_year', 'text', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('end_date', 'date', (c) => c.notNull())
    // Who started it and when is in audit_events; this is only the year in force.
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('district_academic_years_dates', sql`start_date < end_date`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('district_academic_years').ifExists().execute();
}
