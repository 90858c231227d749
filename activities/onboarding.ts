// Activities of the DistrictOnboarding workflow: its audit trail, the feed's terms the academic year
// is checked against, the year in force, whether a run is going on, and stopping the nightly cron child.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database, District } from '../db/schema.js';
import type { OneRosterClient } from '../oneroster/types.js';
import { recordAcademicYear } from '../roster/academic-years.js';
import { requireDistrict } from '../roster/districts.js';
import { mergeRunJson, requireRun } from '../roster/runs.js';
import type { AcademicYear, AuditEntry, RunKind, TermInfo } from '../workflows/messages.js';
import { releaseAbandonedRun } from './abandoned-runs.js';

export interface OnboardingActivityDeps {
  db: Kysely<Database>;
  /** Stopping the nightly child needs terminate, which a workflow cannot do. */
  temporal: Client;
  oneroster: (district: District) => OneRosterClient;
}

/** The academicSessions fields the workflow needs, from a raw OneRoster record. */
export function termOf(record: Record<string, unknown>): TermInfo | null {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (record.status === 'tobedeleted' || typeof record.sourcedId !== 'string') return null;
  return {
    sourcedId: record.sourcedId,
    title: str(record.title) || record.sourcedId,
    type: str(record.type),
    startDate: str(record.startDate).slice(0, 10),
    endDate: str(record.endDate).slice(0, 10),
  };
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* called outside an activity (unit tests) */
  }
}

function sortTerms(terms: TermInfo[]): TermInfo[] {
  return terms.sort((a, b) => a.startDate.localeCompare(b.startDate) || a.endDate.localeCompare(b.endDate) || a.sourcedId.localeCompare(b.sourcedId));
}

export function createOnboardingActivities(deps: OnboardingActivityDeps) {
  const { db, temporal } = deps;

  /** The feed's academicSessions as ClassLink serves them right now (one small collection). */
  async function readFeedTerms(districtId: string): Promise<TermInfo[]> {
    const client = deps.oneroster(await requireDistrict(db, districtId));
    const terms: TermInfo[] = [];
    for await (const page of client.pages('academicSessions')) {
      for (const record of page.records) {
        const term = termOf(record);
        if (term) terms.push(term);
      }
    }
    return sortTerms(terms);
  }

  return {
    /** Writes workflow audit entries; keyed by chain and sequence, so a retry inserts nothing twice. */
    async recordAuditEvents(input: { districtId: string; chainId: string; entries: AuditEntry[] }): Promise<{ recorded: number }> {
      if (input.entries.length === 0) return { recorded: 0 };
      const result = await db
        .insertInto('audit_events')
        .values(
          input.entries.map((e) => ({
            district_id: input.districtId,
            at: e.at,
            actor: e.actor,
            action: e.action,
            note: e.note ?? null,
            details: JSON.stringify({ ...(e.details ?? {}), seq: e.seq }),
            event_key: `${input.chainId}/${e.seq}`,
          })),
        )
        .onConflict((oc) => oc.column('event_key').doNothing())
        .executeTakeFirst();
      return { recorded: Number(result.numInsertedOrUpdatedRows ?? 0) };
    },

    /**
     * The terms a finished review found. The sync pipeline may record them in the run's summary;
     * otherwise they are read from the feed now (the review ran moments ago) and recorded there.
     */
    async reviewTerms(input: { districtId: string; runId: string }): Promise<TermInfo[]> {
      const run = await requireRun(db, input.runId);
      const recorded = (run.summary as { terms?: unknown }).terms;
      if (Array.isArray(recorded)) {
        return sortTerms(recorded.map((r) => termOf(r as Record<string, unknown>)).filter((t): t is TermInfo => t !== null));
      }
      const terms = await readFeedTerms(input.districtId);
      await mergeRunJson(db, input.runId, 'summary', { terms });
      return terms;
    },

    /** The feed's terms now, for checking a new academic year's dates. */
    async feedTerms(input: { districtId: string }): Promise<TermInfo[]> {
      return readFeedTerms(input.districtId);
    },

    /** Records the year a leader started, which every sync run's term guard reads (roster/academic-years.ts). */
    async recordAcademicYear(input: { districtId: string; year: AcademicYear }): Promise<void> {
      await recordAcademicYear(db, input.districtId, input.year);
    },

    /** The district's run in progress, if any (nightly runs are invisible to the parent until they finish). */
    async runningRun(input: { districtId: string }): Promise<{ runId: string; kind: RunKind; startedAt: string } | null> {
      // A run whose workflow was terminated would refuse sync-now forever: fail it first.
      await releaseAbandonedRun(db, temporal, input.districtId);
      const row = await db
        .selectFrom('sync_runs')
        .select(['id', 'kind', 'started_at'])
        .where('district_id', '=', input.districtId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return row ? { runId: row.id, kind: row.kind, startedAt: new Date(row.started_at).toISOString() } : null;
    },

    /**
     * Stops the nightly cron chain and returns once no run of it is open. A run waiting for its
     * firing does not see a cancel until it fires (the server delays its first workflow task), so
     * it is terminated: nothing is in progress. A run in the middle of a sync is cancelled so it can
     * end cleanly; if that run completes anyway, the cron would schedule the next one, which is
     * then terminated while it waits.
     */
    async stopNightly(input: { workflowId: string; reason: string }): Promise<{ outcome: 'terminated' | 'cancelled' | 'not running' }> {
      let outcome: 'terminated' | 'cancelled' | 'not running' = 'not running';
      const cancelled = new Set<string>();
      for (let polls = 0; ; polls++) {
        let d;
        try {
          d = await temporal.workflow.getHandle(input.workflowId).describe();
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return { outcome };
          throw err;
        }
        if (d.status.name !== 'RUNNING') return { outcome };
        const run = temporal.workflow.getHandle(input.workflowId, d.runId);
        try {
          if (d.historyLength <= 2) {
            await run.terminate(input.reason);
            outcome = outcome === 'not running' ? 'terminated' : outcome;
            continue;
          }
          if (!cancelled.has(d.runId)) {
            await run.cancel();
            cancelled.add(d.runId);
            outcome = 'cancelled';
          }
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // closed meanwhile: look again
        }
        heartbeat({ polls, runId: d.runId });
        if (polls > 600) throw new Error(`nightly run ${d.runId} is still open after being cancelled: it is retried`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createOnboardingActivities>;
