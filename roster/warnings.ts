// Warnings: data that applies but must be seen, because silent data problems are what districts
// complain about most. Computed over the roster as it will be after this run (staging, plus for a
// delta the live records it does not touch), active records only. Metadata lives in rules.ts.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Collection } from '../oneroster/types.js';
import { inParallelBatches } from './batch.js';
import { LIVE_TABLE } from './entities.js';
import { WARNING_RULES } from './rules.js';

export interface WarningContext {
  runId: string;
  districtId: string;
  delta: boolean;
  /** YYYY-MM-DD in the district's time zone. */
  today: string;
}

/** Active records of a collection as they will be once the run applies: (sourced_id, data). */
export function projected(ctx: WarningContext, collection: Collection): RawBuilder<unknown> {
  const staged = sql`
    select s.sourced_id, s.data from staging_records s
    where s.run_id = ${ctx.runId} and s.entity = ${collection} and s.quarantine_rule is null and s.skip_reason is null
      and s.data->>'status' = 'active'`;
  if (!ctx.delta) return staged;
  return sql`${staged}
    union all
    select l.sourced_id, l.data from ${sql.table(LIVE_TABLE[collection])} l
    where l.district_id = ${ctx.districtId} and l.deleted_at is null
      and not exists (select 1 from staging_records s2 where s2.run_id = ${ctx.runId} and s2.entity = ${collection}
                      and s2.sourced_id = l.sourced_id and s2.quarantine_rule is null and s2.skip_reason is null)`;
}

type Finder = (ctx: WarningContext) => RawBuilder<unknown>;

/**
 * The projected enrollments' class, user and role, read from their JSON once for every finder:
 * findWarnings runs all finders in one statement with this as the CTE `enr` (four finders read
 * 400,000 enrollments at size l).
 */
const ENROLLMENTS = (ctx: WarningContext) => sql`
  select data->'class'->>'sourcedId' as cls, data->'user'->>'sourcedId' as usr, data->>'role' as role from (${projected(ctx, 'enrollments')}) e`;

const arr = (v: RawBuilder<unknown>) => sql`(case when jsonb_typeof(${v}) = 'array' then ${v} else '[]'::jsonb end)`;

/**
 * Each finder selects (sourced_id, detail) of the records the warning is about. These read the
 * projected enrollments (the CTE `enr`), the costliest part; the others below do not.
 */
const ENROLLMENT_FINDERS: Record<string, Finder> = {
  'classes.noTeacher': (ctx) => sql`
    select c.sourced_id, null::text as detail from (${projected(ctx, 'classes')}) c
    where c.sourced_id not in (select cls from enr where role = 'teacher' and cls is not null)`,

  'classes.noStudents': (ctx) => sql`
    select c.sourced_id, null::text as detail from (${projected(ctx, 'classes')}) c
    where c.sourced_id not in (select cls from enr where role = 'student' and cls is not null)`,

  'users.student.noClasses': (ctx) => sql`
    select u.sourced_id, null::text as detail from (${projected(ctx, 'users')}) u
    where u.data->>'role' = 'student' and u.sourced_id not in (select usr from enr where role = 'student' and usr is not null)`,

  'users.teacher.noStudentsThisTerm': (ctx) => sql`
    with cur_terms as materialized (
      select sourced_id from (${projected(ctx, 'academicSessions')}) t
      where t.data->>'type' <> 'schoolYear'
        and try_date(t.data->>'startDate') <= ${ctx.today}::date and try_date(t.data->>'endDate') >= ${ctx.today}::date
    ), cur_classes as materialized (
      select c.sourced_id from (${projected(ctx, 'classes')}) c
      where exists (select 1 from jsonb_array_elements(${arr(sql`c.data->'terms'`)}) e where e->>'sourcedId' in (select sourced_id from cur_terms))
    ), taught as (
      select distinct t.usr from enr t
      where t.role = 'teacher' and t.cls in (select sourced_id from cur_classes)
        and exists (select 1 from enr s where s.cls = t.cls and s.role = 'student')
    )
    select u.sourced_id, null::text as detail from (${projected(ctx, 'users')}) u
    where u.data->>'role' = 'teacher' and exists (select 1 from cur_terms) and u.sourced_id not in (select usr from taught where usr is not null)`,
};

const OTHER_FINDERS: Record<string, Finder> = {
  'orgs.school.noClasses': (ctx) => sql`
    with cls as materialized (select data->'school'->>'sourcedId' as school from (${projected(ctx, 'classes')}) c)
    select o.sourced_id, null::text as detail from (${projected(ctx, 'orgs')}) o
    where o.data->>'type' = 'school' and not exists (select 1 from cls where cls.school = o.sourced_id)`,

  'users.email.shared': (ctx) => shared(ctx, 'email'),
  'users.username.shared': (ctx) => shared(ctx, 'username'),

  'classes.terms.allPast': (ctx) => sql`
    with terms as materialized (select sourced_id, try_date(data->>'endDate') as ends from (${projected(ctx, 'academicSessions')}) t)
    select c.sourced_id, null::text as detail from (${projected(ctx, 'classes')}) c
    where exists (select 1 from jsonb_array_elements(${arr(sql`c.data->'terms'`)}) e join terms on terms.sourced_id = e->>'sourcedId')
      and not exists (select 1 from jsonb_array_elements(${arr(sql`c.data->'terms'`)}) e join terms on terms.sourced_id = e->>'sourcedId'
                      where terms.ends is null or terms.ends >= ${ctx.today}::date)`,
};

const FINDERS: Record<string, Finder> = { ...ENROLLMENT_FINDERS, ...OTHER_FINDERS };

function shared(ctx: WarningContext, field: 'email' | 'username'): RawBuilder<unknown> {
  return sql`
    with u as materialized (
      select sourced_id, lower(btrim(data->>${field})) as v from (${projected(ctx, 'users')}) x
      where jsonb_typeof(data->${field}) = 'string' and btrim(data->>${field}) <> ''
    ), n as (
      select v, count(*) as n, (array_agg(sourced_id order by sourced_id))[1:3] as ids from u group by v having count(*) > 1
    )
    select u.sourced_id, 'shared by ' || n.n || ' users, e.g. ' || array_to_string(n.ids, ', ') as detail
    from u join n using (v)`;
}

export function unimplementedWarnings(): string[] {
  return WARNING_RULES.filter((r) => !FINDERS[r.id]).map((r) => r.id);
}

/** Removes the warnings stored for a run (found over a roster-to-be that validation then changed). */
export async function clearWarnings(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('run_issues').where('run_id', '=', runId).where('severity', '=', 'warning').execute();
}

/** Stores the warnings of `rules` as run issues in one statement (one read of the enrollments); returns the count per rule. */
async function findWarningsOf(db: Kysely<Database>, ctx: WarningContext, rules: typeof WARNING_RULES): Promise<Record<string, number>> {
  const found = rules.map(
    (rule) => sql`select ${rule.id}::text as rule, ${rule.entity}::text as entity, f.sourced_id, ${rule.message} || coalesce(': ' || f.detail, '') as message from (${FINDERS[rule.id]!(ctx)}) f`,
  );
  const enr = rules.some((r) => r.id in ENROLLMENT_FINDERS) ? sql`enr as materialized (${ENROLLMENTS(ctx)}), ` : sql``;
  const res = await sql<{ rule: string; n: number }>`
    with ${enr}ins as (
      insert into run_issues (run_id, district_id, entity, sourced_id, rule, severity, message)
      select ${ctx.runId}, ${ctx.districtId}, w.entity, w.sourced_id, w.rule, 'warning', w.message
      from (${sql.join(found, sql` union all `)}) w
      returning rule
    ) select rule, count(*)::int as n from ins group by rule`.execute(db);
  const counts: Record<string, number> = Object.fromEntries(rules.map((r) => [r.id, 0]));
  for (const r of res.rows) counts[r.rule] = r.n;
  return counts;
}

/**
 * Stores every warning as a run issue; returns the count per rule. The finders over enrollments and
 * the others are two statements on two connections at once (one after the other inside a caller's
 * transaction): one statement runs on one core, and the enrollments' alone take most of the time.
 */
export async function findWarnings(db: Kysely<Database>, ctx: WarningContext): Promise<Record<string, number>> {
  const missing = unimplementedWarnings();
  if (missing.length) throw new Error(`warning ${missing.join(', ')} has no implementation`);
  const groups = [WARNING_RULES.filter((r) => r.id in ENROLLMENT_FINDERS), WARNING_RULES.filter((r) => !(r.id in ENROLLMENT_FINDERS))].filter((g) => g.length > 0);
  const counts = await inParallelBatches(db, groups.map((rules) => (trx: Kysely<Database>) => findWarningsOf(trx, ctx, rules)));
  return Object.assign({}, ...counts) as Record<string, number>;
}
