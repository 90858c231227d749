// Record-level validation over staging. Rules that need only the record were checked by the worker
// as it staged the page (roster/record-checks.ts: skip_reason and faults). Here the rules that look
// across records (duplicate ids, references) compile to SQL predicates; one scan per collection
// evaluates them, joins them with the stored faults and quarantines each bad record under the first
// rule it breaks in registry order; then cascades quarantine what depends on a quarantined record
// (parents before children, to a fixpoint for self-references such as a term's parent term). Every
// problem becomes a run issue.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { LIVE_TABLE, perCollection } from './entities.js';
import { isLocalRule, STAGED_CHECKS_VERSION, STAGED_REF_FIELDS } from './record-checks.js';
import { batched, inParallelBatches } from './batch.js';
import { skippedCounts, stagedCounts } from './staging.js';
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

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`rule field "${name}" is not a plain identifier`);
  return name;
}

/** SQL building blocks over a staging row aliased `a`; every value interpolated is checked above. */
export class Sql {
  constructor(
    private readonly ctx: ValidateContext,
    private readonly quote: (v: string) => string,
  ) {}

  /**
   * The id a single reference of the record at alias `a` points at, or null. The scan reads it from
   * staging_records.refs, which the worker extracted with the same meaning (stagedRefs).
   */
  refIdOf(a: string, field: string, entity: Collection): string {
    const k = STAGED_REF_FIELDS[entity].indexOf(field);
    return a === REC && k >= 0 ? `${Sql.row(a)}.refs[${k + 1}]` : Sql.refId(this.v(a, field));
  }

  /** A field of the record at alias `a`; REC is the one-pass jsonb_to_record expansion used by scans. */
  v(a: string, field: string): string {
    return a === REC ? `${REC}."${ident(field)}"` : `${a}.data->'${ident(field)}'`;
  }

  static row(a: string): string {
    return a === REC ? 's' : a;
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

  /** True when the record at alias `a` breaks the check (local checks run in the worker: record-checks.ts). */
  bad(check: Check, a: string, field: string, entity: Collection): string {
    const v = this.v(a, field);
    switch (check.t) {
      case 'unique':
        return `(${Sql.row(a)}.sourced_id in (select sourced_id from dups))`;
      case 'ref':
        return check.many
          ? `exists (select 1 from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and not ${this.exists(check.target, `(e->>'sourcedId')`)})`
          : `(${this.refIdOf(a, field, entity)} is not null and not ${this.exists(check.target, this.refIdOf(a, field, entity))})`;
      case 'cascade':
        return check.many
          ? `exists (select 1 from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and ${this.quarantined(check.target, `(e->>'sourcedId')`)})`
          : `(${this.refIdOf(a, field, entity)} is not null and ${this.quarantined(check.target, this.refIdOf(a, field, entity))})`;
      default:
        throw new Error(`rule check ${check.t} of ${entity} needs only the record: the worker checks it as it stages (roster/record-checks.ts)`);
    }
  }

  /** The offending value, for the issue's message (computed only for failing records). */
  detail(check: Check, a: string, field: string): string {
    const v = this.v(a, field);
    switch (check.t) {
      case 'unique':
        return `'sourcedId ' || ${a}.sourced_id`;
      case 'ref':
        return check.many
          ? `(select 'no ' || '${check.target}' || ' ' || string_agg(e->>'sourcedId', ', ') from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and not ${this.exists(check.target, `(e->>'sourcedId')`)})`
          : `'no ${check.target} ' || ${Sql.refId(v)}`;
      case 'cascade':
        return check.many
          ? `(select string_agg(e->>'sourcedId', ', ') || ' quarantined' from jsonb_array_elements(${Sql.asArray(v)}) e where ${Sql.refOk('e')} and ${this.quarantined(check.target, `(e->>'sourcedId')`)})`
          : `${Sql.refId(v)} || ' is quarantined'`;
      default:
        return `null`;
    }
  }
}

/**
 * Clears what an earlier attempt of this validation left, so a retry does not double anything. The
 * verdicts made at staging (skip_reason, faults) stay: they belong to the record.
 */
export async function resetValidation(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('run_issues').where('run_id', '=', runId).execute();
  await sql`update staging_records set quarantine_rule = null where run_id = ${runId} and quarantine_rule is not null`.execute(db);
}

export class RecordChecksOutdatedError extends Error {
  override name = 'RecordChecksOutdatedError';
}

/**
 * Refuses a run whose records were checked at staging under other rules than these (a worker of
 * another release fetched them): trusting them would apply records no one checked against today's rules.
 */
export async function requireCurrentRecordChecks(db: Kysely<Database>, runId: string): Promise<void> {
  const other = await db
    .selectFrom('staging_pages')
    .select('rules_version')
    .where('run_id', '=', runId)
    .where((eb) => eb.or([eb('rules_version', 'is', null), eb('rules_version', '<>', STAGED_CHECKS_VERSION)]))
    .limit(1)
    .executeTakeFirst();
  if (other) {
    throw new RecordChecksOutdatedError(
      `this run's records were fetched by a worker with other roster rules or staging (${other.rules_version ?? 'before rules were noted'}; now ${STAGED_CHECKS_VERSION}), probably across an upgrade: nothing was applied; sync again`,
    );
  }
}

export async function validateStaging(db: Kysely<Database>, ctx: ValidateContext): Promise<ValidateResult> {
  await requireCurrentRecordChecks(db, ctx.runId);
  const q = sqlBuilder(ctx);
  let errors = 0;

  const errorRules = RECORD_RULES.filter((r) => r.severity === 'error');
  // The collections' scans are independent: the largest first, two at a time.
  const staged = await stagedCounts(db, ctx.runId);
  const bySize = [...COLLECTIONS].sort((a, b) => (staged[b] ?? 0) - (staged[a] ?? 0));
  const found = await inParallelBatches(
    db,
    bySize.map((entity) => (trx: Kysely<Database>) => scanCollection(trx, q, ctx, entity, errorRules.filter((r) => r.entity === entity && r.check.t !== 'cascade'))),
  );
  errors += found.reduce((a, b) => a + b, 0);
  return batched(db, async (db) => {
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
    return { errors, quarantined: perCollection(rows), skipped: await skippedCounts(db, ctx.runId) };
  });
}


/**
 * The SQL of a scan: `failing` is the array of indexes (into `rules`, which must look across
 * records) a record breaks; `columns` the fields they read, for jsonb_to_record(s.data) as rec
 * (empty when none: duplicate ids need only the staged id).
 */
function scanExpressions(q: Sql, entity: Collection, rules: readonly RecordRule[]): { failing: string; columns: string } {
  // One array per record. (Not a lateral VALUES list: Postgres re-initialises VALUES expressions
  // holding subqueries for every row, which costs a hundred times the checks themselves.)
  const failing = `array_remove(array[${rules.map((r, i) => `case when ${q.bad(r.check, REC, r.field, entity)} then ${i} end`).join(',\n')}]::int[], null)`;
  // Single references are read from the staged refs column (Sql.refIdOf); only lists from the JSON.
  const fields = new Set(rules.filter((r) => r.check.t === 'ref' && r.check.many).map((r) => r.field));
  return { failing, columns: [...fields].map((f) => `"${ident(f)}" jsonb`).join(', ') };
}

/** staging_records.refs computed from the record's JSON (`data`), as stagedRefs does in the worker. */
export function stagedRefsSql(entity: Collection, data: string): string {
  const fields = STAGED_REF_FIELDS[entity];
  return fields.length === 0 ? 'null::text[]' : `array[${fields.map((f) => Sql.refId(`${data}->'${ident(f)}'`)).join(', ')}]::text[]`;
}

export function sqlBuilder(ctx: ValidateContext): Sql {
  return new Sql(ctx, (v) => `'${v.replace(/'/g, "''")}'`);
}

/**
 * One pass over a collection's staged records: evaluates the rules that look across records, joins
 * them with the faults found at staging, stores an issue per broken rule and quarantines each bad
 * record under the first rule it breaks in registry order (`rules`: the collection's non-cascade
 * error rules, in that order).
 */
async function scanCollection(db: Kysely<Database>, q: Sql, ctx: ValidateContext, entity: Collection, rules: RecordRule[]): Promise<number> {
  const across = rules.filter((r) => !isLocalRule(r));
  const { failing, columns } = scanExpressions(q, entity, across);
  const messages = across
    .map((r, i) => `when ${i} then '${r.message.replace(/'/g, "''")}' || coalesce(': ' || (${q.detail(r.check, 'h', r.field)}), '')`)
    .join('\n');
  const ids = across.map((r) => r.id);
  const order = rules.map((r) => r.id);
  // A record that is not a JSON object (a bare string, number, array) has no fields: its references
  // are absent (the worker quarantined it as missing its required fields), instead of
  // jsonb_to_record failing the whole run.
  const fields = columns
    ? `cross join lateral jsonb_to_record(case when jsonb_typeof(s.data) = 'object' then s.data else '{}'::jsonb end) as ${REC}(${columns})`
    : '';
  const res = await sql<{ n: number }>`
    with dups as (
      select d.sourced_id from staging_records d
      where d.run_id = ${ctx.runId} and d.entity = ${entity} and d.skip_reason is null and d.sourced_id is not null
      group by d.sourced_id having count(*) > 1
    ), checked as (
      select s.page_offset, s.ordinal, s.sourced_id, s.data, s.faults, ${sql.raw(failing)} as idxs
      from staging_records s ${sql.raw(fields)}
      where s.run_id = ${ctx.runId} and s.entity = ${entity} and s.skip_reason is null
    ), bad as (
      select * from checked where cardinality(idxs) > 0 or faults is not null
    ), hits as (
      select h.page_offset, h.ordinal, h.sourced_id, f.rule, f.message
      from bad h cross join lateral (
        select (${ids}::text[])[u.idx + 1] as rule, case u.idx ${sql.raw(messages)} end as message from unnest(h.idxs) as u(idx)
        union all
        select e->>0, e->>1 from jsonb_array_elements(coalesce(h.faults, '[]'::jsonb)) e
      ) f
    ), firsts as (
      select distinct on (page_offset, ordinal) page_offset, ordinal, rule
      from hits order by page_offset, ordinal, array_position(${order}::text[], rule)
    ), marked as (
      -- The uncorrelated exists becomes a one-time filter: with no bad record (most nights) the join
      -- below, which would hash every staged record of the collection, never runs.
      update staging_records s set quarantine_rule = f.rule
      from firsts f
      where exists (select 1 from firsts) and s.run_id = ${ctx.runId} and s.entity = ${entity} and s.page_offset = f.page_offset and s.ordinal = f.ordinal
      returning 1
    ), issues as (
      insert into run_issues (run_id, district_id, entity, sourced_id, rule, severity, message)
      select ${ctx.runId}, ${ctx.districtId}, ${entity}, h.sourced_id, h.rule, 'error', h.message
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
