// The words of the emails: held/failed run notices for support and the leaders' daily summary.
// Pure functions of stored rows, so they are tested without SMTP.
import type { SyncRun } from '../db/schema.js';

export interface Links {
  /** The API (and Admin page) address of this deployment, e.g. https://sync.example.org */
  publicUrl: string;
  /** Temporal Web UI base and namespace, to link the run's workflow. */
  temporalUiUrl: string;
  namespace: string;
}

export interface Mail {
  subject: string;
  text: string;
}

type EntityCounts = Partial<Record<'fetched' | 'inserted' | 'updated' | 'unchanged' | 'deleted' | 'quarantined', number>>;

export function runUrl(links: Links, districtId: string, runId: string): string {
  return `${links.publicUrl}/api/districts/${encodeURIComponent(districtId)}/runs/${encodeURIComponent(runId)}`;
}

export function temporalRunUrl(links: Links, run: Pick<SyncRun, 'workflow_id' | 'temporal_run_id'>): string | null {
  if (!run.workflow_id) return null;
  const base = `${links.temporalUiUrl}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(run.workflow_id)}`;
  return run.temporal_run_id ? `${base}/${run.temporal_run_id}/history` : base;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** A plain-text table of counts per entity (fixed width: it is read in mail clients). */
export function countsTable(counts: Record<string, unknown>): string {
  const cols = ['fetched', 'inserted', 'updated', 'unchanged', 'deleted', 'quarantined'] as const;
  const rows = Object.entries(counts).filter(([, c]) => typeof c === 'object' && c !== null) as [string, EntityCounts][];
  if (rows.length === 0) return '(no counts recorded)';
  const width = Math.max(6, ...rows.map(([e]) => e.length));
  const header = pad('entity', width) + cols.map((c) => padLeft(c, 12)).join('');
  const lines = rows.map(([e, c]) => pad(e, width) + cols.map((k) => padLeft(c[k] === undefined ? '-' : String(c[k]), 12)).join(''));
  return [header, ...lines].join('\n');
}

export function runNotice(run: SyncRun, district: { id: string; name: string }, links: Links, issues: { errors: number; warnings: number }): Mail {
  const held = run.status === 'held';
  const what = held ? 'is held for review' : 'failed';
  const subject = `[classlink-sync] ${district.name}: ${run.kind} sync ${what}`;
  const temporal = temporalRunUrl(links, run);
  const next = held
    ? 'Nothing was applied: yesterday\'s roster is untouched. Review the run, then approve it to apply it, or discard it (the next night tries again).'
    : 'Nothing from this run was applied. Fix the cause above (often the district\'s ClassLink credentials or an outage), then run a sync now or wait for tonight.';
  const text = [
    `The ${run.kind} sync of ${district.name} (${district.id}) ${what}.`,
    '',
    `Reason: ${run.reason ?? 'no reason was recorded'}`,
    '',
    next,
    '',
    `Run:       ${runUrl(links, district.id, run.id)}`,
    ...(temporal ? [`Temporal:  ${temporal}`] : []),
    `Started:   ${new Date(run.started_at).toISOString()}`,
    `Issues:    ${issues.errors} blocking, ${issues.warnings} warnings`,
    '',
    countsTable(run.counts as Record<string, unknown>),
  ].join('\n');
  return { subject, text };
}

export function dailySummary(district: { id: string; name: string }, runs: SyncRun[], day: string, links: Links): Mail {
  const subject = `[classlink-sync] ${district.name}: sync summary for ${day}`;
  if (runs.length === 0) {
    return {
      subject,
      text: `No sync of ${district.name} ran on ${day}. If syncing should be on, check that the academic year is started and syncing is not paused.`,
    };
  }
  const blocks = runs.map((run) => {
    const totals = { inserted: 0, updated: 0, deleted: 0, quarantined: 0 };
    for (const c of Object.values(run.counts as Record<string, EntityCounts | null>)) {
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += c?.[k] ?? 0;
    }
    return [
      `- ${run.kind} run ${run.status} at ${new Date(run.started_at).toISOString()}: ${totals.inserted} added, ${totals.updated} changed, ${totals.deleted} removed, ${totals.quarantined} quarantined`,
      ...(run.reason ? [`  reason: ${run.reason}`] : []),
      `  ${runUrl(links, district.id, run.id)}`,
    ].join('\n');
  });
  return { subject, text: [`Syncs of ${district.name} on ${day}:`, '', ...blocks, '', 'You receive this because you opted in to the daily summary.'].join('\n') };
}
