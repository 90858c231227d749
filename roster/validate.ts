// Record-level validation in SQL over staging. The declarative rules (rules.ts) compile to SQL
// predicates; one scan per collection evaluates every local and reference rule, then cascades
// quarantine what depends on a quarantined record (parents before children, to a fixpoint for
// self-references such as a term's parent term). Every problem becomes a run issue.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { LIVE_TABLE, perCollection, zeroPerCollection } from './entities.js';
import { RECORD_RULES, type Check, type RecordRule } from './rules.js';

export interface ValidateContext {
  runId: string;
  districtId: string;
  /** A delta feed holds only changed records: references may also point at live records. */
  delta: boolean;
}

export interface ValidateResult {
  /** Issues stored with severity error (one record can have several). */
  errors: number;
  quarantined: Record<Collection, number>;
  skipped: Record<Collection, number>;
}

const IDENT = /^[A-Za-z_]+$/;
/**
 * Scans read each record's fields once through jsonb_to_record into this alias: repeating
 * `data->'field'` in every predicate costs a jsonb lookup each time (seconds per 100,000 records).
 */
const REC = 'rec';
const WORD = /^[A-Za-z-]+$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`rule field "${name}" is not a plain identifier`);
  return name;
}

function textArray(values: readonly string[]): string {
  for (const v of values) if (!WORD.test(v)) throw new Error(`rule value "${v}" is not a plain word`);
  return `array[${values.map((v) => `'${v}'`).join(',')}]::text[]`;
}

/** SQL building blocks over a staging row aliased `a`; every value interpolated is checked above. */
export class Sql {
  constructor(
    private readonly ctx: ValidateContext,
    private readonly quote: (v: string) => string,
  ) {}

  /** A field of the record at alias `a`; REC is the one-pass jsonb_to_record expansion used by scans. */
  v(a: string, field: string): string {
    return a === REC ? `${REC}."${ident(field)}"` : `${a}.data->'${ident(field)}'`;
  }

  static row(a: string): string {
    return a === REC ? 's' : a;
  }

  static present(v: string): string {
    return `(jsonb_typeof(${v}) is not null and jsonb_typeof(${v}) <> 'null' and not (jsonb_typeof(${v}) = 'string' and btrim(${v} #>> '{}') = ''))`;
  }

  /**
   * A real date written YYYY-MM-DD. pg_input_is_valid, not the plpgsql try_date: that one catches the
   * cast's error in a subtransaction per call, the costliest part of validating 400,000 enrollments.
   */
  static isDate(text: string): string {
    return `(${text} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and pg_input_is_valid(${text}, 'date'))`;
  }

  static asDate(text: string): string {
    return `(case when ${Sql.isDate(text)} then (${text})::date end)`;
  }

  static asArray(v: string): string {
    return `(case when jsonb_typeof(${v}) = 'array' then ${v} else '[]'::jsonb end)`;
  }

  static refOk(e: string): string {
    return `(jsonb_typeof(${e}) = 'object' and jsonb_typeof(${e}->'sourcedId') = 'string' and btrim(${e}->>'sourcedId') <> '')`;
  }

  static refId(v: string): string {
    return `(case when ${Sql.refOk(v)} then ${v}->>'sourcedId' end)`;
  }

  /**
   * The referenced record exists: in this run's staging (not skipped), or, when the feed is a delta,
   * live and either active or deleted by ClassLink (tobedeleted), as a full feed would still serve it.
   * Written as `id in (uncorrelated subquery)` so Postgres hashes the ids once per statement instead
   * of probing an index per record (several times faster over 400,000 enrollments).
   */
  exists(target: Collection, id: string): string {
    const staged = `${id} in (select t.sourced_id from staging_records t where t.run_id = ${this.quote(this.ctx.runId)} and t.entity = '${target}' and t.sourced_id is not null and t.skip_reason is null)`;
    if (!this.ctx.delta) return `(${staged})`;
    const live = `${id} in (select l.sourced_id from ${LIVE_TABLE[target]} l where l.district_id = ${this.quote(this.ctx.districtId)} and (l.deleted_at is null or l.status = 'tobedeleted'))`;
    return `(${staged} or ${live})`;
  }

  quarantined(target: Collection, id: string): string {
    return `(${id} in (select t.sourced_id from staging_records t where t.run_id = ${this.quote(this.ctx.runId)} and t.entity = '${target}' and t.sourced_id is not null and t.quarantine_rule is not null and t.skip_reason is null))`;
  }

  /** True when the record at alias `a` breaks the check. */
  bad(check: Check, a: string, field: string, entity: Collection): string {
    const v = this.v(a, field);
    const P = Sql.present(v);
    const text = `(${v} #>> '{}')`;
    switch (check.t) {
      case 'required':
        return `(not ${P} or (jsonb_typeof(${v}) = 'array' and jsonb_array_length(${v}) = 0))`;
      case 'string':
        return `(${P} and jsonb_typeof(${v}) <> 'string')`;
      case 'enum':
        return `(${P} and (jsonb_typeof(${v}) <> 'string' or not (${text} = any(${textArray(check.values)}))))`;
      case 'date':
        return `(${P} and (jsonb_typeof(${v}) <> 'string' or not ${Sql.isDate(text)}))`;
      case 'datetime':
        return `(${P} and (jsonb_typeof(${v}) <> 'string' or ${text} !~ '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?$' or not pg_input_is_valid(${text}, 'timestamptz')))`;
      case 'year':
        return `(${P} and not (jsonb_typeof(${v}) in ('string', 'number') and ${text} ~ '^\\d{4}$'))`;
      case 'flag':
        return `(${P} and not (${v} in ('true'::jsonb, 'false'::jsonb, '"true"'::jsonb, '"false"'::jsonb)))`;
      case 'strings':
        return `(${P} and (jsonb_typeof(${v}) <> 'array' or exists (select 1 from jsonb_array_elements(${Sql.asArray(v)}) e where jsonb_typeof(e) <> 'string')))`;
      case 'refShape':
        return check.many
          ? `(${P} and (jsonb_typeof(${v}) <> 'array' or exists (select 1 from jsonb_array_elements(${Sql.asArray(v)}) e where not ${Sql.refOk('e')})))`
          : `(${P} and not ${Sql.refOk(v)})`;
      case 'dateOrder': {
        const s = Sql.asDate(`(${this.v(a, check.start)} #>> '{}')`);
        const e = Sql.asDate(`(${this.v(a, check.end)} #>> '{}')`);
        return `(${s} is not null and ${e} is not null and ${s} > ${e})`;
      }
      case 'unique':
        return `(${Sql.row(a)}.sourced_id in (select sourced_id from dups))`;
      case 'ref':
        return check.many
          ? `exists (select 1 from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and not ${this.exists(check.target, `(e->>'sourcedId')`)})`
          : `(${Sql.refId(v)} is not null and not ${this.exists(check.target, Sql.refId(v))})`;
      case 'cascade':
        return check.many
          ? `exists (select 1 from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and ${this.quarantined(check.target, `(e->>'sourcedId')`)})`
          : `(${Sql.refId(v)} is not null and ${this.quarantined(check.target, Sql.refId(v))})`;
      case 'skipWhen':
        return `(${text} = any(${textArray(check.values)}))`;
      case 'maxLength':
        return `(${P} and jsonb_typeof(${v}) = 'string' and length(${text}) > ${Math.floor(check.max)})`;
      case 'absent':
        return `(jsonb_typeof(${v}) is not null)`;
    }
    throw new Error(`rule check ${(check as Check).t} of ${entity} has no SQL`);
  }

  /** The offending value, for the issue's message (computed only for failing records). */
  detail(check: Check, a: string, field: string): string {
    const v = this.v(a, field);
    switch (check.t) {
      case 'required':
        return `null`;
      case 'maxLength':
        return `length(${v} #>> '{}') || ' characters, starting ' || left(${v} #>> '{}', 40)`;
      case 'unique':
        return `'sourcedId ' || ${a}.sourced_id`;
      case 'dateOrder':
        return `${this.v(a, check.start)} #>> '{}' || ' to ' || (${this.v(a, check.end)} #>> '{}')`;
      case 'ref':
        return check.many
          ? `(select 'no ' || '${check.target}' || ' ' || string_agg(e->>'sourcedId', ', ') from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and not ${this.exists(check.target, `(e->>'sourcedId')`)})`
          : `'no ${check.target} ' || ${Sql.refId(v)}`;
      case 'cascade':
        return check.many
          ? `(select string_agg(e->>'sourcedId', ', ') || ' quarantined' from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and ${this.quarantined(check.target, `(e->>'sourcedId')`)})`
          : `${Sql.refId(v)} || ' is quarantined'`;
      default:
        return `'got ' || left(coalesce((${v})::text, 'nothing'), 80)`;
    }
  }
}

/** Clears what an earlier attempt of this validation left, so a retry does not double anything. */
export async function resetValidation(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('run_issues').where('run_id', '=', runId).execute();
  await sql`update staging_records set quarantine_rule = null, skip_reason = null
            where run_id = ${runId} and (quarantine_rule is not null or skip_reason is not null)`.execute(db);
}

/** Marks records fetched but deliberately not synced (guardians, parents); counts per collection. */
export async function applySkipRules(db: Kysely<Database>, ctx: ValidateContext): Promise<Record<Collection, number>> {
  const q = sqlBuilder(ctx);
  const skipped = zeroPerCollection();
  for (const rule of RECORD_RULES.filter((r) => r.severity === 'skip')) {
    const res = await sql<{ n: number }>`
      with s as (
        update staging_records a set skip_reason = ${rule.id}
        where a.run_id = ${ctx.runId} and a.entity = ${rule.entity} and ${sql.raw(q.bad(rule.check, 'a', rule.field, rule.entity))}
        returning 1
      ) select count(*)::int as n from s`.execute(db);
    skipped[rule.entity] += res.rows[0]?.n ?? 0;
  }
  return skipped;
}

export async function validateStaging(db: Kysely<Database>, ctx: ValidateContext): Promise<ValidateResult> {
  const q = sqlBuilder(ctx);
  const skipped = await applySkipRules(db, ctx);
  let errors = 0;

  const errorRules = RECORD_RULES.filter((r) => r.severity === 'error');
  for (const entity of COLLECTIONS) {
    const scan = errorRules.filter((r) => r.entity === entity && r.check.t !== 'cascade');
    if (scan.length > 0) errors += await scanCollection(db, q, ctx, entity, scan);
  }
  // Cascades in registry order (parents first); self-references repeat until nothing new is caught.
  for (const rule of errorRules.filter((r) => r.check.t === 'cascade')) {
    if (rule.check.t !== 'cascade') continue;
    const selfRef = rule.check.target === rule.entity;
    // Most nights quarantine nothing: then no record can depend on a quarantined one, and the scan
    // of every enrollment's references (seconds at size l) is skipped.
    if (!(await anyQuarantined(db, ctx.runId, rule.check.target))) continue;
    for (let pass = 0; pass < 20; pass++) {
      const n = await cascadeRule(db, q, ctx, rule);
      errors += n;
      if (n === 0 || !selfRef) break;
    }
  }

  const rows = await db
    .selectFrom('staging_records')
    .select(['entity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', ctx.runId)
    .where('quarantine_rule', 'is not', null)
    .groupBy('entity')
    .execute();
  return { errors, quarantined: perCollection(rows), skipped };
}

/**
 * The SQL of a scan: `failing` is the array of indexes (into `rules`) a record breaks, over the
 * columns of jsonb_to_record(s.data) as rec(`columns`). Exported for benchmarks.
 */
export function scanExpressions(q: Sql, entity: Collection, rules: readonly RecordRule[]): { failing: string; columns: string } {
  // One array per record. (Not a lateral VALUES list: Postgres re-initialises VALUES expressions
  // holding subqueries for every row, which costs a hundred times the checks themselves.)
  const failing = `array_remove(array[${rules.map((r, i) => `case when ${q.bad(r.check, REC, r.field, entity)} then ${i} end`).join(',\n')}]::int[], null)`;
  const fields = new Set<string>();
  for (const r of rules) {
    fields.add(r.field);
    if (r.check.t === 'dateOrder') fields.add(r.check.start).add(r.check.end);
  }
  return { failing, columns: [...fields].map((f) => `"${ident(f)}" jsonb`).join(', ') };
}

export function sqlBuilder(ctx: ValidateContext): Sql {
  return new Sql(ctx, (v) => `'${v.replace(/'/g, "''")}'`);
}

/** One pass over a collection's staged records evaluating every non-cascade rule at once. */
async function scanCollection(db: Kysely<Database>, q: Sql, ctx: ValidateContext, entity: Collection, rules: RecordRule[]): Promise<number> {
  const { failing, columns } = scanExpressions(q, entity, rules);
  const messages = rules
    .map((r, i) => `when ${i} then '${r.message.replace(/'/g, "''")}' || coalesce(': ' || (${q.detail(r.check, 'h', r.field)}), '')`)
    .join('\n');
  const ids = rules.map((r) => r.id);
  const res = await sql<{ n: number }>`
    with dups as (
      select d.sourced_id from staging_records d
      where d.run_id = ${ctx.runId} and d.entity = ${entity} and d.skip_reason is null and d.sourced_id is not null
      group by d.sourced_id having count(*) > 1
    ), checked as (
      select s.page_offset, s.ordinal, s.sourced_id, s.data, ${sql.raw(failing)} as idxs
      from staging_records s
      -- A record that is not a JSON object (a bare string, number, array) has no fields: every
      -- required-field rule then quarantines it, instead of jsonb_to_record failing the whole run.
      cross join lateral jsonb_to_record(case when jsonb_typeof(s.data) = 'object' then s.data else '{}'::jsonb end) as ${sql.raw(REC)}(${sql.raw(columns)})
      where s.run_id = ${ctx.runId} and s.entity = ${entity} and s.skip_reason is null
    ), bad as (
      select * from checked where cardinality(idxs) > 0
    ), hits as (
      select b.page_offset, b.ordinal, b.sourced_id, b.data, u.idx from bad b cross join lateral unnest(b.idxs) as u(idx)
    ), marked as (
      update staging_records s set quarantine_rule = (${ids}::text[])[f.idxs[1] + 1]
      from bad f
      where s.run_id = ${ctx.runId} and s.entity = ${entity} and s.page_offset = f.page_offset and s.ordinal = f.ordinal
      returning 1
    ), issues as (
      insert into run_issues (run_id, district_id, entity, sourced_id, rule, severity, message)
      select ${ctx.runId}, ${ctx.districtId}, ${entity}, h.sourced_id, (${ids}::text[])[h.idx + 1], 'error',
             case h.idx ${sql.raw(messages)} end
      from hits h
      returning 1
    )
    select (select count(*) from issues)::int as n, (select count(*) from marked)::int as m`.execute(db);
  return res.rows[0]?.n ?? 0;
}

async function anyQuarantined(db: Kysely<Database>, runId: string, entity: Collection): Promise<boolean> {
  const r = await sql<{ any: boolean }>`
    select exists (select 1 from staging_records where run_id = ${runId} and entity = ${entity} and quarantine_rule is not null and skip_reason is null) as any`.execute(db);
  return Boolean(r.rows[0]?.any);
}

async function cascadeRule(db: Kysely<Database>, q: Sql, ctx: ValidateContext, rule: RecordRule): Promise<number> {
  const res = await sql<{ n: number }>`
    with hits as (
      update staging_records s set quarantine_rule = ${rule.id}
      where s.run_id = ${ctx.runId} and s.entity = ${rule.entity} and s.skip_reason is null and s.quarantine_rule is null
        and ${sql.raw(q.bad(rule.check, 's', rule.field, rule.entity))}
      returning s.sourced_id, s.data
    ), issues as (
      insert into run_issues (run_id, district_id, entity, sourced_id, rule, severity, message)
      select ${ctx.runId}, ${ctx.districtId}, ${rule.entity}, h.sourced_id, ${rule.id}, 'error',
             ${rule.message} || coalesce(': ' || (${sql.raw(q.detail(rule.check, 'h', rule.field))}), '')
      from hits h
      returning 1
    ) select count(*)::int as n from issues`.execute(db);
  return res.rows[0]?.n ?? 0;
}
