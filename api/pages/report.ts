// The review report of a run: counts per entity, what applying would change (with samples), the
// feed-level guards, and the issues grouped by rule with their offending records, filterable.
// Every rule links to its entry on the Roster requirements page.
import { COLLECTIONS } from '../../oneroster/types.js';
import { ruleById } from '../../roster/rules.js';
import { badge, empty, fmtNumber, html, select, severityBadge, table, type Html } from './components.js';
import { ruleAnchor } from './requirements.js';

export interface IssueFilter {
  entity?: string;
  severity?: string;
  q?: string;
}

interface Issue {
  entity: string;
  sourced_id: string | null;
  rule: string;
  severity: string;
  message: string;
}

const ENTITY_LABEL: Record<string, string> = { orgs: 'Orgs (schools)', academicSessions: 'Academic sessions', courses: 'Courses', classes: 'Classes', users: 'Users', enrollments: 'Enrollments' };
export const entityLabel = (e: string) => ENTITY_LABEL[e] ?? e;

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const n = (v: unknown) => (typeof v === 'number' ? v : 0);

function samples(list: unknown, label: string): Html | string {
  const ids = Array.isArray(list) ? (list as string[]) : [];
  if (!ids.length) return '';
  return html`<details><summary>${label} (${ids.length} shown)</summary><ul class="ids">${ids.map((id) => html`<li>${id}</li>`)}</ul></details>`;
}

export function countsTable(run: any): Html {
  const counts = (run.counts ?? {}) as Record<string, Record<string, unknown>>;
  const change = (run.summary?.wouldChange ?? {}) as Record<string, Record<string, any>>;
  const applied = Boolean(run.summary?.applied);
  const rows = COLLECTIONS.filter((c) => counts[c] || change[c]);
  if (!rows.length) return empty(run.status === 'running' ? 'Counts appear once the records are fetched.' : 'This run recorded no counts.');
  const cols = [
    { head: 'Entity', cell: (c: string) => entityLabel(c) },
    { head: 'Fetched', num: true, cell: (c: string) => fmtNumber(counts[c]?.fetched) },
    { head: 'Quarantined', num: true, cell: (c: string) => (n(counts[c]?.quarantined) ? html`<strong>${fmtNumber(counts[c]?.quarantined)}</strong>` : '0') },
    { head: 'Skipped', num: true, cell: (c: string) => fmtNumber(counts[c]?.skipped ?? 0) },
    ...(applied
      ? [
          { head: 'Inserted', num: true, cell: (c: string) => fmtNumber(counts[c]?.inserted) },
          { head: 'Updated', num: true, cell: (c: string) => fmtNumber(counts[c]?.updated) },
          { head: 'Deleted', num: true, cell: (c: string) => fmtNumber(counts[c]?.deleted) },
          { head: 'Unchanged', num: true, cell: (c: string) => fmtNumber(counts[c]?.unchanged) },
        ]
      : [
          { head: 'Would insert', num: true, cell: (c: string) => fmtNumber(change[c]?.insert) },
          { head: 'Would update', num: true, cell: (c: string) => fmtNumber(change[c]?.update) },
          { head: 'Would delete', num: true, cell: (c: string) => (n(change[c]?.delete) ? html`<strong>${fmtNumber(change[c]?.delete)}</strong>` : fmtNumber(change[c]?.delete)) },
          { head: 'Unchanged', num: true, cell: (c: string) => fmtNumber(change[c]?.unchanged) },
        ]),
  ];
  const sampleBlocks = rows
    .map((c) => {
      const s = change[c]?.samples ?? {};
      const parts = [samples(s.insert, 'would insert'), samples(s.update, 'would update'), samples(s.delete, 'would delete'), samples(s.quarantine, 'quarantined')].filter((p) => p !== '');
      return parts.length ? html`<div><h4 class="small">${entityLabel(c)}</h4>${parts as Html[]}</div>` : null;
    })
    .filter((x): x is Html => x !== null);
  return html`${table(rows, cols, { caption: applied ? 'Records per entity (applied)' : 'Records per entity, and what applying would change' })}
${sampleBlocks.length ? html`<details><summary>Sample records per change</summary><div class="grid2">${sampleBlocks}</div></details>` : ''}`;
}

export function guardsList(run: any): Html | string {
  const guards = (run.summary?.guards ?? []) as { rule: string; message: string; fix: string }[];
  if (!guards.length) return '';
  // A review only reports them; a run still held waits on them; a decided run was held by them.
  const heading = run.dryRun ? 'Feed-level checks that would hold a sync' : run.status === 'held' ? 'Feed-level checks that hold the run' : 'Feed-level checks that held the run';
  return html`<h3>${heading}</h3><ul>${guards.map(
    (g) => html`<li><strong>${g.message}</strong><br><span class="muted">How to fix: ${g.fix}</span> <a href="${ruleAnchor(g.rule)}">About ${g.rule}</a></li>`,
  )}</ul>`;
}

/** Issues grouped by rule. `issueCounts` holds the full count per rule; `issues` up to the API's page of records. */
export function issuesSection(run: any, filter: IssueFilter, formAction: string): Html {
  const issues = (run.issues ?? []) as Issue[];
  const counts = (run.issueCounts ?? run.summary?.issues ?? {}) as Record<string, number>;
  const q = filter.q?.trim().toLowerCase() ?? '';
  const keep = (i: Issue) =>
    (!filter.entity || i.entity === filter.entity) &&
    (!filter.severity || i.severity === filter.severity) &&
    (!q || i.rule.toLowerCase().includes(q) || (i.sourced_id ?? '').toLowerCase().includes(q) || i.message.toLowerCase().includes(q));
  const shown = issues.filter(keep);
  const groups = new Map<string, Issue[]>();
  for (const i of shown) groups.set(i.rule, [...(groups.get(i.rule) ?? []), i]);
  // Rules counted but without a record in the page we got (beyond the first 500) still appear when unfiltered.
  if (!filter.entity && !filter.severity && !q) for (const rule of Object.keys(counts)) if (!groups.has(rule)) groups.set(rule, []);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const entities = [...new Set(issues.map((i) => i.entity))].sort();
  const filterForm = html`<form method="get" action="${formAction}#issues" class="inline-fields" role="search" aria-label="Filter issues">
${select({ name: 'entity', label: 'Entity', idPrefix: 'issues', value: filter.entity ?? '', options: [['', 'All entities'], ...entities.map((e): [string, string] => [e, entityLabel(e)])] })}
${select({ name: 'severity', label: 'Severity', idPrefix: 'issues', value: filter.severity ?? '', options: [['', 'All'], ['error', 'Errors (quarantined)'], ['warning', 'Warnings'], ['skip', 'Skipped']] })}
<div class="field"><label for="issues-q">Rule, record id or text</label><input id="issues-q" type="search" name="q" value="${filter.q ?? ''}"></div>
<div class="field"><button type="submit" class="secondary">Filter</button>${filter.entity || filter.severity || q ? html` <a href="${formAction}#issues">Clear</a>` : ''}</div>
</form>`;
  const body = groups.size
    ? html`${[...groups.entries()]
        .sort(([a], [b]) => (counts[b] ?? 0) - (counts[a] ?? 0) || a.localeCompare(b))
        .map(([rule, list]) => {
          const meta = ruleById(rule);
          const severity = list[0]?.severity ?? meta?.severity ?? 'error';
          const ids = list.map((i) => i.sourced_id ?? '(no sourcedId)');
          return html`<div class="rule">
<div class="row"><h3 class="small" style="margin:0"><code>${rule}</code></h3>${severityBadge(severity)}${badge(`${fmtNumber(counts[rule] ?? list.length)} record${(counts[rule] ?? list.length) === 1 ? '' : 's'}`, 'idle')}<a href="${ruleAnchor(rule)}">What this rule means</a></div>
<p>${cap(meta?.message ?? list[0]?.message ?? '')}${meta?.fix ? html`<br><span class="muted">How to fix: ${meta.fix}</span>` : ''}</p>
${ids.length ? html`<details${ids.length <= 12 ? html` open` : ''}><summary>Offending records (${ids.length}${counts[rule] && counts[rule] > ids.length ? ` of ${fmtNumber(counts[rule])}` : ''})</summary><ul class="ids">${ids.slice(0, 200).map((id) => html`<li>${id}</li>`)}</ul></details>` : html`<p class="muted small">Records of this rule are beyond the first ${issues.length} issues loaded.</p>`}
</div>`;
        })}`
    : empty(total ? 'No issue matches this filter.' : 'No issues: every record passed validation.');
  return html`<section aria-labelledby="issues-h" id="issues"><h3 id="issues-h">Issues by rule <span class="muted small">(${fmtNumber(total)} in all${issues.length < total ? `, first ${fmtNumber(issues.length)} records loaded` : ''})</span></h3>
${filterForm}
${body}</section>`;
}
