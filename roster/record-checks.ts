// The record rules that need nothing but the record itself (shape, types, enums, dates, lengths,
// skips), evaluated in the worker while a fetched page is staged: the record is parsed there anyway,
// and these checks over 400,000 records cost seconds of jsonb access in SQL. Rules that look across
// records (duplicate ids, references, cascades) stay in SQL (validate.ts), which also turns the
// faults stored here into run issues and picks each record's quarantine rule in registry order.
//
// The semantics are those of the staged jsonb, which is what validation used to read: a field is
// present when its key exists with a non-null value that is not a blank string (blank meaning only
// spaces, as Postgres' btrim sees it); dates and date-times are valid when Postgres would accept them
// (test/unit/record-checks.test.ts compares with pg_input_is_valid).
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { RECORD_RULES, RULES_VERSION, type Check, type RecordRule } from './rules.js';

/** A failed rule and its message for the run's issues, as stored in staging_records.faults. */
export type Fault = [ruleId: string, message: string];

export interface RecordVerdict {
  /** The skip rule the record matches (guardians, parents): fetched and counted, never applied. */
  skip: string | null;
  /** Every local error rule the record breaks, in registry order; null when it breaks none. */
  faults: Fault[] | null;
}

/** Check kinds that look beyond the record; validate.ts evaluates them over the whole staging. */
const ACROSS_RECORDS = new Set<Check['t']>(['unique', 'ref', 'cascade']);

export const isLocalRule = (r: RecordRule): boolean => !ACROSS_RECORDS.has(r.check.t);

/**
 * What a staged page's records were checked and extracted against: the rules, and the form staging
 * gives them (`refs`, below). Validation refuses records staged under another (a worker of another
 * release fetched them), instead of trusting checks or columns that were never made.
 */
export const STAGED_CHECKS_VERSION = `${RULES_VERSION}+refs`;

const SKIP_RULES = perEntity((r) => r.severity === 'skip');
const LOCAL_ERROR_RULES = perEntity((r) => r.severity === 'error' && isLocalRule(r));

function perEntity(keep: (r: RecordRule) => boolean): Record<Collection, RecordRule[]> {
  const out = Object.fromEntries(COLLECTIONS.map((c) => [c, [] as RecordRule[]])) as Record<Collection, RecordRule[]>;
  for (const r of RECORD_RULES) if (keep(r)) out[r.entity].push(r);
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The record's fields; a record that is not a JSON object has none (every required field is missing). */
function fieldsOf(record: unknown): Record<string, Json> {
  return record !== null && typeof record === 'object' && !Array.isArray(record) ? (record as Record<string, Json>) : {};
}

/** The field as jsonb holds it: undefined when the key is absent; a non-finite number was staged as null. */
function field(fields: Record<string, Json>, name: string): Json | undefined {
  if (!Object.hasOwn(fields, name)) return undefined;
  const v = fields[name]!;
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

const BLANK = /^ *$/;

function present(v: Json | undefined): boolean {
  return v !== undefined && v !== null && !(typeof v === 'string' && BLANK.test(v));
}

/** `v #>> '{}'`: a string's text, any other value's JSON text, null for JSON null or absent. */
function text(v: Json | undefined): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : jsonbText(v);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?$/;

function realDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

/** A real date written YYYY-MM-DD (Postgres refuses year 0000 and impossible days). */
export function isDate(s: string): boolean {
  const m = DATE.exec(s);
  return m !== null && realDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Round half to even, as C's rint: how Postgres rounds a fraction of a second to microseconds. */
function rint(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * An ISO 8601 date-time Postgres accepts as timestamptz: minutes up to 59, seconds up to 60 (a leap
 * second), the time of day (fraction rounded to microseconds) at most 24:00:00, offsets up to ±15:59.
 */
export function isDateTime(s: string): boolean {
  const m = DATETIME.exec(s);
  if (!m || !realDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  const micros = m[7] ? rint(Number(`0.${m[7]}`) * 1e6) : 0;
  if (minute > 59 || second > 60 || hour > 24) return false;
  if (((hour * 60 + minute) * 60 + second) * 1e6 + micros > 86_400e6) return false;
  if (m[9] && (Number(m[10]) > 15 || Number(m[11]) > 59)) return false;
  return true;
}

const refOk = (e: Json | undefined): boolean =>
  e !== null && typeof e === 'object' && !Array.isArray(e) && typeof e.sourcedId === 'string' && !BLANK.test(e.sourcedId);

/** True when the value breaks a local check (see rules.ts for what each kind means). */
function bad(check: Check, fields: Record<string, Json>, name: string): boolean {
  const v = field(fields, name);
  const P = present(v);
  switch (check.t) {
    case 'required':
      return !P || (Array.isArray(v) && v.length === 0);
    case 'string':
      return P && typeof v !== 'string';
    case 'enum':
      return P && (typeof v !== 'string' || !check.values.includes(v));
    case 'date':
      return P && (typeof v !== 'string' || !isDate(v));
    case 'datetime':
      return P && (typeof v !== 'string' || !isDateTime(v));
    case 'year':
      return P && !((typeof v === 'string' || typeof v === 'number') && /^\d{4}$/.test(text(v)!));
    case 'flag':
      return P && !(v === true || v === false || v === 'true' || v === 'false');
    case 'strings':
      return P && (!Array.isArray(v) || v.some((e) => typeof e !== 'string'));
    case 'refShape':
      return check.many ? P && (!Array.isArray(v) || !v.every(refOk)) : P && !refOk(v);
    case 'dateOrder': {
      const [s, e] = [text(field(fields, check.start)), text(field(fields, check.end))];
      return s !== null && e !== null && isDate(s) && isDate(e) && s > e;
    }
    case 'skipWhen': {
      const t = text(v);
      return t !== null && check.values.includes(t);
    }
    case 'maxLength':
      return P && typeof v === 'string' && v.length > check.max && codePoints(v) > check.max;
    case 'absent':
      // jsonb_to_record reads a JSON null as SQL null: only a real value counts.
      return v !== undefined && v !== null;
    case 'unique':
    case 'ref':
    case 'cascade':
      break;
  }
  throw new Error(`rule check ${check.t} looks beyond the record: validate.ts evaluates it`);
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The first `n` characters (code points), as Postgres' left(). */
function left(s: string, n: number): string {
  if (s.length <= n) return s;
  let out = '';
  let i = 0;
  for (const ch of s) {
    if (i++ === n) break;
    out += ch;
  }
  return out;
}

/** The offending value for the issue's message; null when the message says it all. */
function detail(check: Check, fields: Record<string, Json>, name: string): string | null {
  const v = field(fields, name);
  switch (check.t) {
    case 'required':
      return null;
    case 'maxLength':
      return `${codePoints(text(v)!)} characters, starting ${left(text(v)!, 40)}`;
    case 'dateOrder':
      return `${text(field(fields, check.start))} to ${text(field(fields, check.end))}`;
    default:
      return `got ${left(v === undefined ? 'nothing' : jsonbText(v), 80)}`;
  }
}

/** jsonb's text form: ", " and ": " separators, object keys ordered by length, then bytes. */
export function jsonbText(v: Json): string {
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? 'null' : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  const keys = Object.keys(v).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText(v[k]!)}`).join(', ')}}`;
}

/**
 * The fields holding a single reference that validation checks across records (`ref` rules that are
 * not lists), per collection in registry order: staged as staging_records.refs.
 */
const SINGLE_REF_RULES = perEntity((r) => r.check.t === 'ref' && !r.check.many);
export const STAGED_REF_FIELDS: Readonly<Record<Collection, readonly string[]>> = Object.fromEntries(
  COLLECTIONS.map((c) => [c, SINGLE_REF_RULES[c].map((r) => r.field)]),
) as Record<Collection, string[]>;

/**
 * The ids the record's single references point at, in STAGED_REF_FIELDS order: null where the field
 * is absent or not a reference with a non-blank string sourcedId (what Sql.refId reads from the
 * JSON). Extracted here, where the record is parsed anyway, so that validation's scan of 360,000
 * enrollments reads text columns instead of taking each record's JSON apart (1.5 s at size l).
 * Null for a collection without such fields.
 */
export function stagedRefs(entity: Collection, record: unknown): (string | null)[] | null {
  const names = STAGED_REF_FIELDS[entity];
  if (names.length === 0) return null;
  const fields = fieldsOf(record);
  return names.map((name) => {
    const v = field(fields, name);
    return refOk(v) ? (v as { sourcedId: string }).sourcedId : null;
  });
}

/** The local rules' verdict on one staged record (`record`: its value as staged). */
export function checkRecord(entity: Collection, record: unknown): RecordVerdict {
  const fields = fieldsOf(record);
  for (const rule of SKIP_RULES[entity]) {
    if (bad(rule.check, fields, rule.field)) return { skip: rule.id, faults: null };
  }
  let faults: Fault[] | null = null;
  for (const rule of LOCAL_ERROR_RULES[entity]) {
    if (!bad(rule.check, fields, rule.field)) continue;
    const d = detail(rule.check, fields, rule.field);
    (faults ??= []).push([rule.id, d === null ? rule.message : `${rule.message}: ${d}`]);
  }
  return { skip: null, faults };
}
