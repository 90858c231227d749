// Repository for the academic year in force per district. The onboarding workflow records it when a
// leader starts (or rolls over to) a year; every sync run reads it here, because the nightly cron
// child outlives a rollover and anything passed in its input would be last year's.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AcademicYearDates } from './guards.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Idempotent: the workflow may record the same year again (a retry, or after continue-as-new). */
export async function recordAcademicYear(db: Db, districtId: string, year: AcademicYearDates): Promise<void> {
  await db
    .insertInto('district_academic_years')
    .values({ district_id: districtId, school_year: year.schoolYear, start_date: year.startDate, end_date: year.endDate })
    .onConflict((oc) =>
      oc.column('district_id').doUpdateSet({
        school_year: (eb) => eb.ref('excluded.school_year'),
        start_date: (eb) => eb.ref('excluded.start_date'),
        end_date: (eb) => eb.ref('excluded.end_date'),
        recorded_at: sql`now()`,
      }),
    )
    .execute();
}

/** The year a leader started last, or null before the first one. */
export async function currentAcademicYear(db: Db, districtId: string): Promise<AcademicYearDates | null> {
  const row = await db
    .selectFrom('district_academic_years')
    .select([
      'school_year',
      sql<string>`to_char(start_date, 'YYYY-MM-DD')`.as('start_date'),
      sql<string>`to_char(end_date, 'YYYY-MM-DD')`.as('end_date'),
    ])
    .where('district_id', '=', districtId)
    .executeTakeFirst();
  return row ? { schoolYear: row.school_year, startDate: row.start_date, endDate: row.end_date } : null;
}
