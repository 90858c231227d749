// Full or delta: nightly runs ask only for what changed since the last successful run (minus a
// safety margin), except on the weekly full run and after a run that did not succeed. A delta never
// removes records that are merely absent, so the full run is what catches silent disappearances.
import type { Kysely } from 'kysely';
import type { Database, RunKind } from '../db/schema.js';
import type { SyncSettings } from './settings.js';

export interface ModeDecision {
  mode: 'full' | 'delta';
  /** For a delta: ask for records modified after this time (margin already subtracted). */
  deltaSince: Date | null;
  /** In words, stored in the run's summary. */
  why: string;
}

const DAY_MS = 86_400_000;

export async function chooseMode(db: Kysely<Database>, districtId: string, kind: RunKind, now: Date, settings: SyncSettings): Promise<ModeDecision> {
  if (kind === 'review') return { mode: 'full', deltaSince: null, why: 'a review reads the whole roster' };
  if (kind === 'manual') return { mode: 'full', deltaSince: null, why: 'a manual sync reads the whole roster' };
  if (kind === 'initial') return { mode: 'full', deltaSince: null, why: 'the first sync after approval reads the whole roster' };
  const previous = await db
    .selectFrom('sync_runs')
    .select(['id', 'status', 'mode', 'started_at'])
    .where('district_id', '=', districtId)
    .where('dry_run', '=', false)
    .where('status', 'in', ['succeeded', 'failed', 'discarded'])
    .orderBy('started_at', 'desc')
    .limit(50)
    .execute();
  const last = previous[0];
  if (!last) return { mode: 'full', deltaSince: null, why: 'no earlier sync of this district' };
  if (last.status !== 'succeeded') return { mode: 'full', deltaSince: null, why: `the last run (${last.id}) ${last.status}` };
  const lastFull = previous.find((r) => r.status === 'succeeded' && r.mode === 'full');
  if (!lastFull) return { mode: 'full', deltaSince: null, why: 'no successful full sync among recent runs' };
  const age = now.getTime() - new Date(lastFull.started_at).getTime();
  if (age >= settings.fullSyncEveryDays * DAY_MS) {
    return { mode: 'full', deltaSince: null, why: `the last full sync is ${Math.floor(age / DAY_MS)} days old (full every ${settings.fullSyncEveryDays} days)` };
  }
  const since = new Date(new Date(last.started_at).getTime() - settings.deltaSafetyMarginMinutes * 60_000);
  return { mode: 'delta', deltaSince: since, why: `changes since the last successful run ${last.id} (minus ${settings.deltaSafetyMarginMinutes} minutes)` };
}
