// Thin activity functions built from injected dependencies; each delegates to roster/ or oneroster/.
// Inputs and outputs are ids and counts only: roster data never enters a workflow payload.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database, District, RunKind } from '../db/schema.js';
import { deltaFilter } from '../oneroster/delta.js';
import { OneRosterError } from '../oneroster/errors.js';
import { COLLECTIONS, type Collection, type OneRosterClient } from '../oneroster/types.js';
import { currentAcademicYear } from '../roster/academic-years.js';
import { zeroPerCollection } from '../roster/entities.js';
import { applyStaging, type ApplyOptions } from '../roster/apply.js';
import { allEnded, analyzeRewrittenTables, analyzeStaging, inBatch } from '../roster/batch.js';
import { requireDistrict } from '../roster/districts.js';
import { fetchIntoStaging } from '../roster/fetch.js';
import { recognisePage } from '../roster/page-memo.js';
import { dateIn, evaluateGuards, gatherTermFacts, type AcademicYearDates } from '../roster/guards.js';
import { chooseMode } from '../roster/mode.js';
import { computePlan, wouldChange } from '../roster/plan.js';
import {
  createRun,
  issueCounts,
  issueCountsByRule,
  mergeRunJson,
  RunConflictError,
  requireRun,
  resumeHeldRun,
  runSummary,
  setProgress,
  setRunStatus,
} from '../roster/runs.js';
import { RULES_VERSION } from '../roster/rules.js';
import { syncSettings } from '../roster/settings.js';
import { copyWriter, dropFinishedStaging, dropResolvedStaging, insertWriter, reclaimStaging, skippedCounts, stagedCounts } from '../roster/staging.js';
import {
  liveHashes,
  nothingChanged,
  reuseWarnings,
  stageUnchangedFully,
  unchangedCounts,
  unchangedPlan,
  unchangedRunCounts,
  unchangedShortcut,
} from '../roster/unchanged.js';
import { requireCurrentRecordChecks, RecordChecksOutdatedError, resetValidation, validateStaging } from '../roster/validate.js';
import { clearWarnings, findWarnings } from '../roster/warnings.js';
import type { RunSummary } from '../workflows/messages.js';
import { releaseAbandonedRun } from './abandoned-runs.js';

export interface ActivityDeps {
  db: Kysely<Database>;
  /** Raw pool for COPY into staging; without it pages are written with batched INSERTs. */
  pool?: pg.Pool;
  /** Force a staging writer (benchmarks); default COPY when a pool is given. */
  stagingMethod?: 'copy' | 'insert';
  /** Builds the district's OneRoster client from its stored (encrypted) connection. */
  oneroster: (district: District) => OneRosterClient;
  clock?: () => Date;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Lets beginRun see that a blocking run's workflow has ended (terminated, timed out); without it such a run blocks until closed by hand. */
  temporal?: Client;
}

interface RunRef {
  districtId: string;
  runId: string;
}

/** Who decided a held run, and why. */
export interface Decision {
  actor: string;
  note?: string;
}

function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

/**
 * Heartbeats `details()` every few seconds while `work` runs, so a long SQL statement or a slow page
 * does not look like a dead worker, while a killed worker is noticed within the heartbeat timeout.
 */
async function withHeartbeat<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  if (!inActivity()) return work();
  const ctx = Context.current();
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * A failure that retrying cannot fix stops the run at once: a OneRoster one (bad credentials, 403,
 * 404), or records checked under other rules than this worker's.
 */
function asActivityError(err: unknown): unknown {
  if (err instanceof OneRosterError && !err.retryable) {
    return ApplicationFailure.create({ type: `OneRoster.${err.code}`, message: err.message, nonRetryable: true });
  }
  if (err instanceof RecordChecksOutdatedError) return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
  return err;
}

function attempt(): number | undefined {
  return inActivity() ? Context.current().info.attempt : undefined;
}

export function createActivities(deps: ActivityDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const writer = deps.pool && deps.stagingMethod !== 'insert' ? copyWriter(deps.pool) : insertWriter(db);

  async function summarize(runId: string): Promise<RunSummary> {
    return runSummary(await requireRun(db, runId), await issueCounts(db, runId));
  }

  return {
    async beginRun(input: RunRef & { kind: RunKind; dryRun: boolean; workflowId: string; temporalRunId: string }): Promise<{ runId: string }> {
      const district = await requireDistrict(db, input.districtId);
      const { settings, ignored } = syncSettings(district);
      const existing = await db.selectFrom('sync_runs').select('id').where('id', '=', input.runId).executeTakeFirst();
      if (existing) return { runId: input.runId };
      const decision = input.dryRun ? { mode: 'full' as const, deltaSince: null, why: 'a review reads the whole roster' } : await chooseMode(db, input.districtId, input.kind, clock(), settings);
      // Throws RunConflictError while another run of the district is running or held: the workflow
      // retries with backoff, so this run waits for it instead of failing.
      const run = {
        id: input.runId,
        districtId: input.districtId,
        kind: input.kind,
        dryRun: input.dryRun,
        mode: decision.mode,
        deltaSince: decision.deltaSince,
        workflowId: input.workflowId,
        temporalRunId: input.temporalRunId,
      };
      await createRun(db, run).catch(async (err: unknown) => {
        // Unless the blocking run's workflow has ended without closing it: then it never will.
        if (!(err instanceof RunConflictError) || !deps.temporal || !(await releaseAbandonedRun(db, deps.temporal, input.districtId, deps.log))) throw err;
        await createRun(db, run);
      });
      await mergeRunJson(db, input.runId, 'summary', { mode: { mode: decision.mode, why: decision.why }, ...(ignored.length ? { settingsIgnored: ignored } : {}) });
      return { runId: input.runId };
    },

    async fetchRoster({ districtId, runId }: RunRef): Promise<{ fetched: Record<string, number> }> {
      const district = await requireDistrict(db, districtId);
      const run = await requireRun(db, runId);
      if (run.status !== 'running') return { fetched: await stagedCounts(db, runId) };
      const started = clock().getTime();
      let latest: unknown = { phase: 'fetch' };
      const shortcut = await unchangedShortcut(db, run);
      await mergeRunJson(db, runId, 'summary', { unchangedShortcut: shortcut });
      try {
        const result = await withHeartbeat(
          () => latest,
          () =>
            fetchIntoStaging({
              db,
              client: deps.oneroster(district),
              writer,
              runId,
              filter: run.mode === 'delta' && run.delta_since ? deltaFilter(new Date(run.delta_since), 0) : undefined,
              attempt: attempt(),
              ...(shortcut.use ? { liveHashes: (collection: Collection, ids: string[]) => liveHashes(db, districtId, collection, ids) } : {}),
              // Every applying full run remembers its pages; a run that may take the shortcut recognises them.
              ...(run.mode === 'full' && !run.dry_run
                ? { memos: { districtId, ...(shortcut.use ? { recognise: (c: Collection, digest: string) => recognisePage(db, districtId, c, digest) } : {}) } }
                : {}),
              onPage: (p) => {
                latest = { collection: p.collection, offset: p.offset };
              },
            }),
        );
        await mergeRunJson(db, runId, 'timings', { fetch_ms: clock().getTime() - started });
        return { fetched: result.fetched };
      } catch (err) {
        throw asActivityError(err);
      }
    },

    async validateRun({ districtId, runId, academicYear: given }: RunRef & { academicYear?: AcademicYearDates }): Promise<{ held: boolean; errors: number; warnings?: number; reason?: string }> {
      const district = await requireDistrict(db, districtId);
      // The year in force now (the nightly child's input would be stale after a rollover).
      const academicYear = given ?? (await currentAcademicYear(db, districtId)) ?? undefined;
      await mergeRunJson(db, runId, 'summary', { academicYear: academicYear ?? null });
      const run = await requireRun(db, runId);
      const { settings } = syncSettings(district);
      const started = clock().getTime();
      const delta = run.mode === 'delta';
      const today = dateIn(district.timezone, clock());
      let phase = 'validate';
      // Visible at once; the verdict (summary, counts, held) commits together at the end.
      await setProgress(db, runId, { phase: 'validate' });
      await requireCurrentRecordChecks(db, runId).catch((err: unknown) => Promise.reject(asActivityError(err)));
      const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
        const t = clock().getTime();
        const result = await fn();
        return [result, clock().getTime() - t];
      };
      // Validation commits in steps that a retry redoes from the start (resetValidation), so that
      // independent statements can run on two connections at once (roster/batch.ts inParallelBatches).
      return withHeartbeat(
        () => ({ phase }),
        async () => {
          // Records staged by id only (roster/unchanged.ts): if nothing changed there is nothing to
          // validate or apply, and the roster-to-be is the live one; else they are staged fully first.
          const { unchanged, liveActive } = await inBatch(db, async (trx) => {
            await resetValidation(trx, runId);
            const unchanged = await unchangedCounts(trx, runId);
            let liveActive: Record<Collection, number> | null = null;
            if (Object.values(unchanged).some((n) => n > 0)) {
              liveActive = await nothingChanged(trx, runId, districtId, unchanged);
              if (!liveActive) {
                phase = 'copy unchanged';
                await stageUnchangedFully(trx, runId, districtId);
              }
            }
            // The planner's row counts for the validation below (not needed when nothing changed).
            if (!liveActive) await analyzeStaging(trx);
            return { unchanged, liveActive };
          });
          const nothingNew = liveActive !== null;
          // With nothing new, a delta's view (staging over live) is exactly the live roster.
          const overLive = delta || nothingNew;
          const reused = nothingNew ? await inBatch(db, (trx) => reuseWarnings(trx, runId, districtId, today)) : null;
          // Both are waited for even when one fails: neither may still be writing when the activity ends.
          const warningsAndPlan = () =>
            allEnded([
              timed(async () => reused?.counts ?? (await findWarnings(db, { runId, districtId, delta: overLive, today }))),
              timed(async () => (liveActive ? unchangedPlan(unchanged, liveActive) : await inBatch(db, (trx) => computePlan(trx, { runId, districtId, fullFeed: !delta })))),
            ]);
          // Warnings and plan read the roster-to-be, which leaves out what the rules quarantine. Most
          // runs quarantine nothing, so they are computed beside the rules (whose largest scan keeps
          // one core busy alone) and computed again only if the rules did quarantine something.
          const early = nothingNew ? null : warningsAndPlan();
          // Awaited on every path below before the activity ends, so its failure is not unhandled.
          early?.catch(() => undefined);
          phase = 'validate';
          // Unchanged records were validated when applied (same rules: see unchangedShortcut).
          const [checked, rulesMs] = await timed(async () =>
            nothingNew ? { errors: 0, quarantined: zeroPerCollection(), skipped: await skippedCounts(db, runId) } : validateStaging(db, { runId, districtId, delta }),
          ).catch(async (err: unknown) => {
            await early?.catch(() => undefined);
            throw err;
          });
          phase = 'warnings and plan';
          const late = !early || Object.values(checked.quarantined).some((n) => n > 0);
          if (early && late) {
            await early.catch(() => undefined);
            await clearWarnings(db, runId);
          }
          const [[warningCounts, warningsMs], [plan, planMs]] = late ? await warningsAndPlan() : await early!;
          return inBatch(db, async (db) => {
            if (reused) await mergeRunJson(db, runId, 'summary', { warningsCopiedFrom: reused.from });
            const terms = await gatherTermFacts(db, { runId, districtId, delta: overLive, today }, academicYear, settings);
            const staged = await stagedCounts(db, runId);
            // Staged records that count for the guards: all but the skipped ones (with nothing new, the unchanged ones).
            const stagedForGuards = nothingNew ? unchanged : (Object.fromEntries(COLLECTIONS.map((c) => [c, (staged[c] ?? 0) - checked.skipped[c]])) as Record<Collection, number>);
            const verdict = evaluateGuards({ mode: delta ? 'delta' : 'full', plan, staged: stagedForGuards, terms }, settings);
            if (nothingNew) await mergeRunJson(db, runId, 'summary', { nothingChanged: true });
            await mergeRunJson(db, runId, 'summary', { planKinds: Object.fromEntries(COLLECTIONS.map((c) => [c, plan[c].kinds])) });
            const quarantinedSamples = await db
              .selectFrom('staging_records')
              .select(['entity', 'sourced_id', 'quarantine_rule'])
              .where('run_id', '=', runId)
              .where('quarantine_rule', 'is not', null)
              .orderBy('entity')
              .orderBy('sourced_id')
              .limit(200)
              .execute();
            const change = wouldChange(plan, checked.quarantined);
            for (const c of COLLECTIONS) {
              (change[c].samples as Record<string, unknown>).quarantine = quarantinedSamples.filter((q) => q.entity === c).slice(0, 10).map((q) => q.sourced_id);
            }
            const counts = Object.fromEntries(
              COLLECTIONS.map((c: Collection) => [c, { fetched: staged[c] ?? 0, quarantined: checked.quarantined[c], skipped: checked.skipped[c] }]),
            );
            const issues = await issueCountsByRule(db, runId);
            await mergeRunJson(db, runId, 'counts', counts);
            await mergeRunJson(db, runId, 'summary', {
              issues,
              warnings: warningCounts,
              skipped: checked.skipped,
              wouldChange: change,
              guards: verdict.hits,
              today,
            });
            await mergeRunJson(db, runId, 'timings', { validate_ms: clock().getTime() - started, validate_rules_ms: rulesMs, validate_warnings_ms: warningsMs, validate_plan_ms: planMs });
            const warnings = Object.values(warningCounts).reduce((a, b) => a + b, 0);
            if (verdict.held && !run.dry_run) {
              await setRunStatus(db, runId, 'held', verdict.reason);
              await setProgress(db, runId, { phase: 'held' });
            }
            return { held: verdict.held && !run.dry_run, errors: checked.errors, warnings, ...(verdict.reason ? { reason: verdict.reason } : {}) };
          });
        },
      );
    },

    async applyRun({ districtId, runId, approval }: RunRef & { approval?: Decision }): Promise<{ applied: boolean }> {
      const started = clock().getTime();
      const applied = await withHeartbeat(
        () => ({ phase: 'apply' }),
        () =>
          inBatch(db, async (trx) => {
            const run = await trx.selectFrom('sync_runs').select(['mode', 'status', 'summary', 'dry_run']).where('id', '=', runId).forUpdate().executeTakeFirstOrThrow();
            // An earlier attempt that died after its commit already applied this run.
            if ((run.summary as { applied?: boolean }).applied) return true;
            if (run.dry_run) throw ApplicationFailure.create({ type: 'RunStateError', message: `run ${runId} is a review (dry run): it never applies`, nonRetryable: true });
            if (run.status === 'held' && approval) await resumeHeldRun(trx, runId);
            else if (run.status !== 'running') {
              throw ApplicationFailure.create({ type: 'RunStateError', message: `run ${runId} is ${run.status}: nothing was applied`, nonRetryable: true });
            }
            await setProgress(trx, runId, { phase: 'apply' });
            // Validation found every record identical to the live roster: nothing to write.
            const counts = (run.summary as { nothingChanged?: boolean }).nothingChanged
              ? await unchangedRunCounts(trx, runId)
              : await applyStaging(trx, { runId, districtId, fullFeed: run.mode === 'full', planned: (run.summary as { planKinds?: ApplyOptions['planned'] }).planKinds });
            await mergeRunJson(trx, runId, 'counts', counts);
            await mergeRunJson(trx, runId, 'summary', {
              applied: true,
              rulesVersion: RULES_VERSION,
              ...(approval ? { decision: { action: 'approved', by: approval.actor, note: approval.note ?? null, at: clock().toISOString() } } : {}),
            });
            return true;
          }),
      );
      await analyzeRewrittenTables(db, runId);
      await mergeRunJson(db, runId, 'timings', { apply_ms: clock().getTime() - started });
      return { applied };
    },

    /** Closes a run: succeeded, or (with `discard`) discarded by support with nothing applied. */
    async finishRun({ districtId, runId, discard }: RunRef & { discard?: Decision }): Promise<RunSummary> {
      const run = await requireRun(db, runId);
      if (discard) {
        if (run.status === 'held') {
          const reason = `Discarded by ${discard.actor}${discard.note ? ` (${discard.note})` : ''}: nothing was applied; the next sync tries again. It was held because: ${run.reason ?? 'unknown'}`;
          await setRunStatus(db, runId, 'discarded', reason);
          await mergeRunJson(db, runId, 'summary', { decision: { action: 'discarded', by: discard.actor, note: discard.note ?? null, at: clock().toISOString() } });
          await setProgress(db, runId, { phase: 'discarded' });
        }
      } else if (run.status === 'running') {
        await setRunStatus(db, runId, 'succeeded');
        await setProgress(db, runId, { phase: 'done' });
      }
      const after = await requireRun(db, runId);
      if (after.status === 'succeeded' || after.status === 'discarded') {
        // Staging of this run, and of earlier failed or discarded ones it supersedes, is no longer needed.
        if ((await dropFinishedStaging(db, runId)) === 'deleted') {
          await dropResolvedStaging(db, districtId);
          await reclaimStaging(db);
        }
      }
      return summarize(runId);
    },

    /** Marks a run failed with the reason; its staging is kept until a later run resolves it. */
    async failRun({ runId, reason }: RunRef & { reason: string }): Promise<RunSummary> {
      const run = await requireRun(db, runId).catch(() => undefined);
      if (!run) {
        // beginRun never got to create it (e.g. the district vanished): nothing to record.
        return { runId, kind: 'manual', status: 'failed', blockingErrors: 0, warnings: 0, recordsFetched: 0, reason, finishedAt: clock().toISOString() };
      }
      if (run.status === 'running' || run.status === 'held') {
        await setRunStatus(db, runId, 'failed', reason);
        await setProgress(db, runId, { ...(run.progress as object), phase: 'failed' });
      }
      return summarize(runId);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
