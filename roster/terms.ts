// Terms of a district from the live academic_sessions table. "Current" = the term whose dates
// contain today in the district's time zone (DESIGN §5); where several do (school year,
// semester, grading period), the shortest one is the current term.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Term {
  sourcedId: string;
  title: string;
  type: string;
  startDate: string | null;
  endDate: string | null;
  schoolYear: string | null;
  parentSourcedId: string | null;
  /** Its dates contain the date asked about. */
  inProgress: boolean;
  /** The one current term. */
  current: boolean;
}

export const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The calendar date (YYYY-MM-DD) it is now in a time zone. */
/** YYYY-MM-DD that names a real calendar day (the pattern alone lets 4900-30-70 through). */
export function isRealDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function todayIn(timeZone: string, now: Date = new Date()): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const days = (t: Term) => (t.startDate && t.endDate ? Date.parse(t.endDate) - Date.parse(t.startDate) : Infinity);

export async function listTerms(db: Db, districtId: string, date: string): Promise<{ terms: Term[]; current: Term | null }> {
  const rows = await db
    .selectFrom('academic_sessions')
    .select(['sourced_id', 'data'])
    .where('district_id', '=', districtId)
    .where('deleted_at', 'is', null)
    .orderBy(sql`try_date(data->>'startDate')`)
    .orderBy(sql`try_date(data->>'endDate')`, 'desc')
    .orderBy('sourced_id')
    .execute();
  const terms: Term[] = rows.map((r) => {
    const d = r.data as Record<string, unknown>;
    const startDate = str(d.startDate);
    const endDate = str(d.endDate);
    const valid = startDate && endDate && DATE.test(startDate) && DATE.test(endDate);
    return {
      sourcedId: r.sourced_id,
      title: str(d.title) ?? r.sourced_id,
      type: str(d.type) ?? 'term',
      startDate,
      endDate,
      schoolYear: str(d.schoolYear),
      parentSourcedId: str((d.parent as { sourcedId?: unknown } | undefined)?.sourcedId),
      inProgress: Boolean(valid && startDate! <= date && date <= endDate!),
      current: false,
    };
  });
  const running = terms.filter((t) => t.inProgress);
  // A school year is the current term only when nothing finer is running.
  const finer = running.filter((t) => t.type !== 'schoolYear');
  const current = (finer.length ? finer : running).reduce<Term | null>((best, t) => (!best || days(t) < days(best) ? t : best), null);
  if (current) current.current = true;
  return { terms, current };
}
