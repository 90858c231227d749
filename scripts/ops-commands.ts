// Operator commands where the Temporal CLI does not already do the job; scripts/ops.ts is the entry.
// Each returns the text to print, so tests run them against a real database and Temporal.
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { countsTable } from '../notify/messages.js';
import { dailySummarySubscribers, EMAIL_PATTERN, setDailySummary } from '../notify/subscriptions.js';
import { onboardingWorkflowId, stateQuery } from '../workflows/messages.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run ops -- <command>
  districts                          every district with its phase and last run
  run <runId> [--limit N]            a run's counts per entity and its issues (first N, default 50)
  daily-summary <districtId> <email> [--off]
                                     opt a leader in to (or out of) the daily sync summary email
  schedule-daily-summary [--hour H] [--minute M] [--tz Area/City]
                                     create or update the Temporal Schedule that sends daily summaries`;

/** A fixed-width text table; long cells are cut with an ellipsis so rows stay on one line. */
export function table(columns: string[], rows: (string | number | null | undefined)[][], maxWidth = 60): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined || v === '' ? '-' : String(v).replace(/\s+/g, ' ');
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const body = rows.map((r) => r.map(cell));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString().replace('.000Z', 'Z') : null);

export async function districtsCommand(db: Kysely<Database>, temporal: Client | null): Promise<string> {
  const districts = await db.selectFrom('districts').select(['id', 'name']).orderBy('id').execute();
  if (districts.length === 0) return 'no districts registered yet (POST /api/districts)';
  const lastRuns = await db.selectFrom('sync_runs').distinctOn('district_id').select(['district_id', 'id', 'kind', 'status', 'started_at']).orderBy('district_id').orderBy('started_at', 'desc').execute();
  const rows = await Promise.all(
    districts.map(async (d) => {
      let phase = 'unknown';
      if (temporal) {
        try {
          phase = (await temporal.workflow.getHandle(onboardingWorkflowId(d.id)).query(stateQuery)).phase;
        } catch (err) {
          phase = `unknown (${(err as Error).name === 'WorkflowNotFoundError' ? 'no workflow' : 'Temporal unreachable'})`;
        }
      }
      const last = lastRuns.find((r) => r.district_id === d.id);
      return [d.id, d.name, phase, last ? `${last.kind} ${last.status}` : null, last ? iso(last.started_at) : null, last?.id];
    }),
  );
  return table(['district', 'name', 'phase', 'last run', 'started', 'run id'], rows);
}

export async function runCommand(db: Kysely<Database>, runId: string, limit = 50): Promise<string> {
  const run = await db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!run) throw new UsageError(`run "${runId}" does not exist: list runs with GET /api/districts/<id>/runs or \`npm run ops -- districts\``);
  const issues = await db.selectFrom('run_issues').select(['entity', 'sourced_id', 'rule', 'severity', 'message']).where('run_id', '=', runId).orderBy('id').limit(limit).execute();
  const total = await db.selectFrom('run_issues').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow();
  const header = [
    `run       ${run.id}`,
    `district  ${run.district_id}`,
    `kind      ${run.kind}${run.dry_run ? ' (dry run)' : ''}, ${run.mode} feed`,
    `status    ${run.status}${run.reason ? `: ${run.reason}` : ''}`,
    `started   ${iso(run.started_at)}`,
    `finished  ${iso(run.finished_at) ?? '-'}`,
    `workflow  ${run.workflow_id ?? '-'} (Temporal run ${run.temporal_run_id ?? '-'})`,
  ].join('\n');
  const counts = countsTable(run.counts as Record<string, unknown>);
  const n = Number(total.n);
  const issueText = n === 0 ? 'no issues' : `${n} issue(s)${n > issues.length ? `, first ${issues.length} shown (--limit N for more)` : ''}:\n` + table(['severity', 'entity', 'sourcedId', 'rule', 'message'], issues.map((i) => [i.severity, i.entity, i.sourced_id, i.rule, i.message]), 80);
  return `${header}\n\n${counts}\n\n${issueText}`;
}

export async function dailySummaryCommand(db: Kysely<Database>, districtId: string, email: string, enabled: boolean): Promise<string> {
  if (!(await db.selectFrom('districts').select('id').where('id', '=', districtId).executeTakeFirst())) throw new UsageError(`district "${districtId}" is not registered`);
  if (!EMAIL_PATTERN.test(email)) throw new UsageError(`"${email}" is not an email address`);
  await setDailySummary(db, districtId, email, enabled, 'ops-cli');
  const now = await dailySummarySubscribers(db, districtId);
  return `${email} ${enabled ? 'receives' : 'no longer receives'} the daily summary of ${districtId}; subscribers now: ${now.map((s) => s.email).join(', ') || 'none'}`;
}

export const DAILY_SUMMARY_SCHEDULE_ID = 'classlink-sync/daily-summary';

export async function scheduleDailySummaryCommand(temporal: Client, taskQueue: string, opts: { hour: number; minute: number; timezone: string }): Promise<string> {
  if (!Number.isInteger(opts.hour) || opts.hour < 0 || opts.hour > 23) throw new UsageError('--hour must be 0-23');
  if (!Number.isInteger(opts.minute) || opts.minute < 0 || opts.minute > 59) throw new UsageError('--minute must be 0-59');
  const spec = { calendars: [{ hour: opts.hour, minute: opts.minute }], timezone: opts.timezone };
  const action = { type: 'startWorkflow' as const, workflowType: 'dailySummary', taskQueue, args: [{}] };
  try {
    await temporal.schedule.create({ scheduleId: DAILY_SUMMARY_SCHEDULE_ID, spec, action });
    return `created schedule ${DAILY_SUMMARY_SCHEDULE_ID}: daily at ${String(opts.hour).padStart(2, '0')}:${String(opts.minute).padStart(2, '0')} ${opts.timezone}`;
  } catch (err) {
    if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
    await temporal.schedule.getHandle(DAILY_SUMMARY_SCHEDULE_ID).update((prev) => ({ ...prev, spec, action }));
    return `updated schedule ${DAILY_SUMMARY_SCHEDULE_ID}: daily at ${String(opts.hour).padStart(2, '0')}:${String(opts.minute).padStart(2, '0')} ${opts.timezone}`;
  }
}
