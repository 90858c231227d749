// Guards: feed-level anomalies that hold the whole run and leave yesterday's roster untouched until
// support approves or discards it. evaluateGuards is pure (facts in, verdict out); gatherTermFacts
// reads what it needs from staging/live. Metadata (messages, how to fix) lives in rules.ts.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { removals, type Plan } from './plan.js';
import { ruleById } from './rules.js';
import type { SyncSettings } from './settings.js';
import { projected } from './warnings.js';

export interface AcademicYearDates {
  schoolYear: string;
  startDate: string;
  endDate: string;
}

export interface GuardFacts {
  mode: 'full' | 'delta';
  plan: Plan;
  /** Staged records per collection that are not skipped (guardians do not count as users). */
  staged: Record<Collection, number>;
  /** Set when the academic year is known and today is inside it. */
  terms: { today: string; year: AcademicYearDates; covered: boolean } | null;
}

export interface GuardHit {
  rule: string;
  /** In words, with the numbers, for support. */
  message: string;
  fix: string;
}

export interface GuardVerdict {
  held: boolean;
  hits: GuardHit[];
  /** One paragraph for sync_runs.reason. */
  reason: string | null;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function hit(rule: string, detail: string): GuardHit {
  const r = ruleById(rule);
  return { rule, message: `${r?.message ?? rule}: ${detail}`, fix: r?.fix ?? '' };
}

export function evaluateGuards(f: GuardFacts, settings: SyncSettings): GuardVerdict {
  const hits: GuardHit[] = [];
  if (f.mode === 'full') {
    for (const c of ['users', 'enrollments'] as const) {
      const live = f.plan[c].liveActive;
      const staged = f.staged[c];
      if (staged === 0) {
        hits.push(hit(`feed.${c}.empty`, `ClassLink sent no ${c}${live > 0 ? ` while ${fmt(live)} are live today` : ''}`));
      } else if (live > 0 && staged * 100 < live * settings.feedMinPercent) {
        hits.push(hit(`feed.${c}.short`, `ClassLink sent ${fmt(staged)} ${c} where ${fmt(live)} are live today (under ${settings.feedMinPercent}%)`));
      }
    }
  }
  const over: string[] = [];
  for (const c of COLLECTIONS) {
    const live = f.plan[c].liveActive;
    const gone = removals(f.plan[c]);
    if (live > 0 && gone * 100 > live * settings.removalThresholdPercent) {
      const sample = [...(f.plan[c].samples.remove ?? []), ...(f.plan[c].samples.missing ?? [])].slice(0, 5);
      over.push(`${fmt(gone)} of ${fmt(live)} active ${c} (${((gone * 100) / live).toFixed(1)}%, e.g. ${sample.join(', ')})`);
    }
  }
  if (over.length > 0) hits.push(hit('feed.removals.threshold', `would remove ${over.join('; ')}; the threshold is ${settings.removalThresholdPercent}%`));
  if (f.terms && !f.terms.covered) {
    hits.push(
      hit(
        'feed.terms.noneCurrent',
        `today (${f.terms.today}) is inside school year ${f.terms.year.schoolYear} (${f.terms.year.startDate} to ${f.terms.year.endDate}) but no active term, semester or grading period covers it (within ${settings.termBreakDays} days)`,
      ),
    );
  }
  const reason = hits.length === 0 ? null : `Held for support: ${hits.map((h) => h.message).join('. ')}. Approve to apply it as staged, or discard it (nothing is applied; the next night tries again).`;
  return { held: hits.length > 0, hits, reason };
}

/** Whether some active term of the roster-to-be covers today, allowing breaks between terms. */
export async function gatherTermFacts(
  db: Kysely<Database>,
  ctx: { runId: string; districtId: string; delta: boolean; today: string },
  year: AcademicYearDates | undefined,
  settings: SyncSettings,
): Promise<GuardFacts['terms']> {
  if (!year || ctx.today < year.startDate || ctx.today > year.endDate) return null;
  const r = await sql<{ covered: boolean }>`
    select exists (
      select 1 from (${projected(ctx, 'academicSessions')}) t
      where t.data->>'type' <> 'schoolYear'
        and try_date(t.data->>'startDate') - ${settings.termBreakDays}::int <= ${ctx.today}::date
        and try_date(t.data->>'endDate') + ${settings.termBreakDays}::int >= ${ctx.today}::date
    ) as covered`.execute(db);
  return { today: ctx.today, year, covered: Boolean(r.rows[0]?.covered) };
}

/** YYYY-MM-DD of `now` in an IANA time zone. */
export function dateIn(timeZone: string, now: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}
