// Gradient Support's console: the districts list and a district's page (next step, held runs,
// review report, run history with live progress, tenant connection, leaders, audit trail), and a
// run's own page. Pure rendering: the routes fetch the JSON and hand it here.
import {
  alert,
  badge,
  buttonForm,
  cronWords,
  csrf,
  duration,
  empty,
  field,
  fmtNumber,
  html,
  PHASE_NAMES,
  phaseBadge,
  phaseLabel,
  progressBar,
  select,
  statusBadge,
  table,
  textarea,
  when,
  type FieldErrors,
  type Html,
} from './components.js';
import { countsTable, guardsList, issuesSection, type IssueFilter } from './report.js';

export interface FormState {
  form: string;
  values: Record<string, string>;
  errors: FieldErrors;
  /** A refusal that belongs to the form as a whole. */
  message?: string;
}

export const DONE_MESSAGES: Record<string, string> = {
  review: 'Review started. Its progress shows under Runs; the report appears here when it finishes.',
  approve: 'Data approved. The district’s leader can now start the academic year in Admin Mode.',
  'request-changes': 'Changes requested. The district fixes its data, then you start the review again.',
  pause: 'Syncing paused: the nightly sync is stopped until you resume.',
  resume: 'Syncing resumed: the nightly sync is scheduled again.',
  'sync-now': 'Sync started. Follow it under Runs.',
  'held-approve': 'Held run approved: it is being applied now.',
  'held-discard': 'Held run discarded: nothing was applied; the next sync tries again.',
  'leader-assigned': 'Leader assigned.',
  'leader-removed': 'Leader removed.',
};

const runTotal = (run: any) => Object.values((run?.counts ?? {}) as Record<string, { fetched?: number }>).reduce((n, c) => n + (c?.fetched ?? 0), 0);

function lastRunCell(run: any): Html {
  if (!run) return html`<span class="muted">No runs yet</span>`;
  return html`${statusBadge(run.status)} ${run.kind} · ${when(run.finishedAt ?? run.startedAt)}<br><span class="muted small">${fmtNumber(runTotal(run))} records fetched</span>`;
}

export function districtsListBody(districts: any[], filter: { q?: string; phase?: string }): Html {
  const q = filter.q?.trim().toLowerCase() ?? '';
  const shown = districts.filter((d) => (!filter.phase || d.phase === filter.phase) && (!q || String(d.name).toLowerCase().includes(q) || String(d.id).includes(q)));
  const counts = new Map<string, number>();
  for (const d of districts) counts.set(d.phase, (counts.get(d.phase) ?? 0) + 1);
  return html`<h1>Districts</h1>
<p class="muted">${fmtNumber(districts.length)} district${districts.length === 1 ? '' : 's'}${[...counts.entries()].length ? html` · ${[...counts.entries()].map(([p, n], i) => html`${i ? ', ' : ''}${n} ${phaseLabel(p).toLowerCase()}`)}` : ''}</p>
<form method="get" action="/admin" class="card inline-fields" role="search" aria-label="Find districts">
<div class="field"><label for="q">Search by name or id</label><input id="q" type="search" name="q" value="${filter.q ?? ''}"></div>
${select({ name: 'phase', label: 'Phase', value: filter.phase ?? '', options: [['', 'All phases'], ...PHASE_NAMES.map((p): [string, string] => [p, phaseLabel(p)])] })}
<div class="field"><button type="submit">Search</button>${q || filter.phase ? html` <a href="/admin">Clear</a>` : ''}</div>
</form>
${table(
  shown,
  [
    { head: 'District', cell: (d) => html`<a href="/admin/districts/${d.id}"><strong>${d.name}</strong></a><br><span class="muted small mono">${d.id}</span>` },
    { head: 'Phase', cell: (d) => phaseBadge(d.phase) },
    { head: 'Last run', cell: (d) => lastRunCell(d.lastRun) },
    { head: 'Time zone', cell: (d) => d.timezone },
  ],
  {
    caption: filter.phase || q ? `${shown.length} of ${districts.length} districts` : 'All districts',
    empty: districts.length ? 'No district matches this search.' : html`No districts yet. Register one with <code>POST /api/districts</code> (see the API documentation).`,
  },
)}`;
}

export interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  note: string | null;
  details?: unknown;
}

/** The onboarding state's part of the trail: its newest entries, and how many audit_events holds. */
export interface StateTrail {
  audit?: { seq: number; at: string; actor: string; action: string; note?: string; details?: unknown }[];
  auditRecordedSeq?: number;
}

/**
 * The audit trail as audit_events holds it (newest first), plus the workflow's entries it has not
 * recorded yet: the workflow writes them in the background, so the page loaded right after an
 * action would otherwise miss it until a reload. An entry recorded between the two reads is shown once.
 */
export function auditTrail(recorded: AuditEvent[], state: StateTrail): AuditEvent[] {
  const seen = new Set(recorded.map((e) => `${e.at}|${e.action}|${e.actor}`));
  const pending = (state.audit ?? [])
    .filter((e) => e.seq > (state.auditRecordedSeq ?? Number.POSITIVE_INFINITY) && !seen.has(`${new Date(e.at).toISOString()}|${e.action}|${e.actor}`))
    .map((e) => ({ at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, note: e.note ?? null, details: e.details }));
  return [...pending, ...recorded].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/**
 * Support's decision on a held run, from the audit trail: it is recorded the moment support
 * clicks, while the run itself stays "held" until its workflow has applied or discarded it.
 */
export function heldDecision(audit: AuditEvent[] | null | undefined, runId: string): AuditEvent | null {
  return audit?.find((e) => (e.action === 'held run approved' || e.action === 'held run discarded') && (e.details as { runId?: unknown } | null)?.runId === runId) ?? null;
}

export interface DistrictView {
  d: any;
  runs: any[];
  leaders: any[] | null;
  leadersError?: string | null;
  /** The whole trail (GET /api/districts/:id/audit); null falls back to the state's newest entries. */
  audit?: AuditEvent[] | null;
  /** Active administrators in the roster, offered when assigning a leader. */
  administrators?: { sourcedId: string; name: string; email: string | null }[];
  review: any | null;
  connection?: { result?: any; error?: string } | null;
  form?: FormState | null;
  done?: string | null;
  filter: IssueFilter;
  csrfToken: string | null;
}

function noteForm(v: DistrictView, action: string, label: string, opts: { tone?: 'good' | 'danger' | 'secondary'; hint?: string; noteLabel?: string; confirm?: string; title?: string } = {}): Html {
  const base = `/admin/districts/${v.d.id}`;
  const state = v.form?.form === action ? v.form : null;
  return html`<form method="post" action="${base}/do/${action}" aria-label="${opts.title ?? label}">${csrf(v.csrfToken)}
${opts.title ? html`<h3 style="margin-top:0">${opts.title}</h3>` : ''}
${state?.message ? html`<p class="field-error" role="alert">${state.message}</p>` : ''}
${textarea({ name: 'note', label: opts.noteLabel ?? 'Note (optional)', idPrefix: action, value: state?.values.note ?? '', errors: state?.errors, hint: opts.hint })}
<button type="submit"${opts.tone ? html` class="${opts.tone}"` : ''}${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}>${label}</button></form>`;
}

const ACTION_LABELS: Record<string, string> = { review: 'Start review', approve: 'Data approved', 'request-changes': 'Needs changes', pause: 'Pause syncing', resume: 'Resume syncing', 'sync-now': 'Sync now' };

/**
 * A run in progress (not the review, which has its own report below), shown live. The workflow
 * knows of a run a moment before its row exists (the run's first activity writes it, after waiting
 * for any other run of the district): such a run is shown as starting, and its bar polls the run's
 * address until the row is there, so the page follows the run from the click on.
 */
export function activeRunNotice(d: { id: string; activeRun?: { runId: string; kind: string } | null }, runs: { id: string; kind: string; status: string; progress?: Record<string, unknown> | null }[], audit?: AuditEvent[] | null): Html | null {
  if (!d.activeRun || d.activeRun.kind === 'review') return null;
  const pollUrl = `/api/districts/${d.id}/runs/${d.activeRun.runId}`;
  const run = runs.find((r) => r.id === d.activeRun!.runId);
  if (!run) {
    return html`<div class="alert info" role="status"><p>A ${d.activeRun.kind} sync is starting (it waits for any other run of the district to finish first). This page follows it.</p>${progressBar({ id: d.activeRun.runId, status: 'running', progress: { phase: 'starting' } }, pollUrl)}</div>`;
  }
  if (run.status === 'held') {
    return heldDecision(audit, run.id)
      ? html`<div class="alert info" role="status"><p>A held ${run.kind} sync was decided and is being finished: see <a href="#held">Held runs</a>. New runs can start when it is done.</p></div>`
      : html`<div class="alert warn" role="status"><p>A ${run.kind} sync is held and waits for your decision: see <a href="#held">Held runs</a>. New runs start after it is decided.</p></div>`;
  }
  return html`<div class="alert info" role="status"><p>A ${run.kind} sync is in progress (<a href="/admin/districts/${d.id}/runs/${run.id}">details</a>). New runs can start when it finishes.</p>${run.status === 'running' ? progressBar(run, pollUrl) : ''}</div>`;
}

function nextStep(v: DistrictView): Html {
  const { d } = v;
  const review = d.review as { runId: string; status: string; summary?: any } | null;
  const reviewRunning = review?.status === 'running';
  const parts: Html[] = [];
  let lead: Html | string = '';
  const active = activeRunNotice(d, v.runs, v.audit);
  switch (d.phase) {
    case 'registered':
      lead = 'Registered. Start a review: a dry run that reads the whole roster and reports what it finds, applying nothing.';
      parts.push(noteForm(v, 'review', 'Start review'));
      break;
    case 'in_review':
      if (reviewRunning) {
        // The run record finishes a moment before the workflow hears of it: reload shortly.
        lead =
          v.review && v.review.status !== 'running'
            ? html`<span data-reload-after="1500">The review has finished; its verdict is on its way. This page reloads in a moment.</span>`
            : 'The review is running. Its report appears below when it finishes.';
      } else {
        const blocking = review?.summary?.blockingErrors ?? 0;
        lead =
          review?.status === 'succeeded'
            ? blocking
              ? html`The review found <strong>${fmtNumber(blocking)} blocking error(s)</strong>. Ask the district to fix them (the report links each rule to how to fix it), then start the review again.`
              : 'Read the review report below. If the data is right, approve it; otherwise tell the district what to change.'
            : html`The last review ${review?.status ?? 'did not run'}. Fix the cause and start the review again.`;
        parts.push(noteForm(v, 'approve', 'Data approved', { title: 'Approve the data', tone: 'good', hint: 'Recorded in the audit trail with your name.' }));
        parts.push(noteForm(v, 'request-changes', 'Needs changes', { title: 'Ask for changes', tone: 'danger', noteLabel: 'What the district should change', hint: 'Recorded in the audit trail; tell the district too.' }));
        parts.push(noteForm(v, 'review', 'Start review again', { title: 'Review again', tone: 'secondary', hint: 'After the district changed its data.' }));
      }
      break;
    case 'needs_changes': {
      // What was asked, so whoever opens the page next knows what the district is fixing.
      const asked = (v.audit ?? d.audit ?? []).find((e: AuditEvent) => e.action === 'changes requested') as AuditEvent | undefined;
      lead = asked
        ? html`Changes were requested by <span class="mono small">${asked.actor}</span> ${when(asked.at)}${asked.note ? html`: “${asked.note}”` : ''}. When the district says its data is fixed, start the review again.`
        : 'Changes were requested. When the district says its data is fixed, start the review again.';
      parts.push(noteForm(v, 'review', 'Start review again'));
      break;
    }
    case 'awaiting_year_start': {
      // Approval applies the approved roster (the initial load): only then can the leaders sign in.
      const load = d.initialLoad as { runId: string; status: string; reason?: string } | null | undefined;
      const run = load ? html`<a href="/admin/districts/${d.id}/runs/${load.runId}">initial load</a>` : '';
      const loading = !load
        ? ''
        : load.status === 'succeeded'
          ? html` The approved roster is live (${run}): its administrators can be made <a href="#leaders">leaders</a>, who then sign in with ClassLink.`
          : load.status === 'running'
            ? html` <span data-reload-after="2000">Loading the approved roster (${run}): the leaders can sign in once it is done. This page updates when it is.</span>`
            : load.status === 'held'
              ? html` The ${run} is held for your decision: approve or discard it on its page.`
              : html` The ${run} ${load.status}${load.reason ? html`: ${load.reason}` : ''}. Until a sync applies the roster, the leaders cannot sign in.`;
      lead = html`Data approved.${loading} Waiting for the district’s leader to start the academic year in <a href="/admin/districts/${d.id}/year">Admin Mode</a>.`;
      if (!active && load && (load.status === 'failed' || load.status === 'discarded')) {
        parts.push(noteForm(v, 'sync-now', 'Sync now', { title: 'Load the roster', hint: 'Applies the approved roster now, so the district’s leaders can sign in.' }));
      }
      break;
    }
    case 'syncing':
      lead = `Syncing ${cronWords(d.nightly?.cronSchedule)}.`;
      if (active) break;
      parts.push(noteForm(v, 'sync-now', 'Sync now', { title: 'Sync now', hint: 'Runs a sync at once instead of waiting for tonight.' }));
      parts.push(noteForm(v, 'pause', 'Pause syncing', { title: 'Pause', tone: 'danger', noteLabel: 'Why (shown to everyone who looks)', confirm: 'Pause the nightly sync of this district?' }));
      break;
    case 'paused':
      // The workflow words the reason "paused by <who>: <note>"; said once, not "Paused: paused by".
      lead = html`${d.pausedReason ? html`<em>${String(d.pausedReason).replace(/^paused\b/i, 'Paused')}</em>` : 'Paused'}. The nightly sync does not run until you resume.`;
      parts.push(noteForm(v, 'resume', 'Resume syncing', { title: 'Resume', tone: 'good' }));
      if (!active) parts.push(noteForm(v, 'sync-now', 'Sync now', { title: 'Sync once', tone: 'secondary', hint: 'Runs one sync while staying paused.' }));
      break;
    default:
      lead = `Phase ${phaseLabel(d.phase)}.`;
  }
  // A refused action whose form this phase does not offer (a stale page) still shows its reason and the typed note.
  const f = v.form;
  if (f && ACTION_LABELS[f.form] && !parts.some((p) => p.value.includes(`/do/${f.form}"`))) {
    parts.unshift(noteForm(v, f.form, ACTION_LABELS[f.form]!, { title: `${ACTION_LABELS[f.form]} was refused` }));
  }
  return html`<section class="card" aria-labelledby="next-h" id="next"><h2 id="next-h">Next step</h2><p>${lead}</p>
${active ?? ''}
${parts.length ? html`<div class="actions">${parts}</div>` : ''}</section>`;
}

function runsSection(v: DistrictView): Html {
  const base = `/admin/districts/${v.d.id}`;
  return html`<section class="card" aria-labelledby="runs-h" id="runs"><h2 id="runs-h">Runs</h2>
${table(
  v.runs,
  [
    { head: 'Started', cell: (r) => html`<a href="${base}/runs/${r.id}">${when(r.startedAt)}</a>` },
    { head: 'Kind', cell: (r) => html`${r.kind}${r.dryRun ? html` <span class="muted small">(dry run)</span>` : ''}` },
    { head: 'Status', cell: (r) => (r.status === 'running' ? html`${statusBadge('running')} ${progressBar(r, `/api/districts/${v.d.id}/runs/${r.id}`)}` : statusBadge(r.status)) },
    { head: 'Mode', cell: (r) => r.mode },
    { head: 'Fetched', num: true, cell: (r) => (r.status === 'running' ? '–' : fmtNumber(runTotal(r))) },
    { head: 'Took', cell: (r) => html`<span class="nowrap">${duration(r.startedAt, r.finishedAt)}</span>` },
    { head: 'Links', cell: (r) => html`<a href="${base}/runs/${r.id}">Report</a>${r.temporal?.url ? html` · <a href="${r.temporal.url}" target="_blank" rel="noopener">Temporal UI<span class="skip"> (opens in a new tab)</span></a>` : ''}` },
  ],
  { caption: 'Run history, newest first', hiddenCaption: true, empty: 'No runs yet. Start a review above.' },
)}</section>`;
}

export function heldRunBlock(run: any, districtId: string, csrfToken: string | null, form: FormState | null | undefined, decided: AuditEvent | null = null): Html {
  const action = (what: 'approve' | 'discard') => `/admin/districts/${districtId}/runs/${run.id}/${what}`;
  const state = form?.form === `held-${run.id}` ? form : null;
  if (decided) {
    // Decided, not finished yet: no second decision to offer; the page looks again shortly.
    const approved = decided.action === 'held run approved';
    return html`<div class="alert info" role="status" data-reload-after="2000"><p><strong>${approved ? 'Approved' : 'Discarded'}</strong> by ${decided.actor} ${when(decided.at)}${decided.note ? html` – “${decided.note}”` : ''}. ${approved ? 'The run is being applied now.' : 'The run is being closed; nothing is applied.'} This page updates when it is done.</p></div>
${guardsList(run)}
${countsTable(run)}`;
  }
  return html`<div class="alert warn" role="status"><p><strong>Run held</strong> (${run.kind}, started ${when(run.startedAt)}). Yesterday’s roster stays in place until you decide.</p>${run.summary?.guards?.length ? '' : html`<p>${run.reason ?? 'No reason recorded.'}</p>`}</div>
${guardsList(run)}
${countsTable(run)}
<form method="post" action="${action('approve')}" aria-label="Decide the held run">${csrf(csrfToken)}
${state?.message ? html`<p class="field-error" role="alert">${state.message}</p>` : ''}
${textarea({ name: 'note', label: 'Note (why you decide this way)', idPrefix: `held-${run.id.slice(0, 8)}`, value: state?.values.note ?? '' })}
<div class="row"><button type="submit" class="good" data-confirm="Apply this held run to the live roster?">Approve and apply</button>
<button type="submit" formaction="${action('discard')}" class="danger" data-confirm="Discard this run? Nothing is applied.">Discard</button></div></form>`;
}

function connectionSection(v: DistrictView): Html {
  const { d } = v;
  const c = v.connection;
  const result = c?.result;
  const resultBlock = c?.error
    ? alert('bad', html`<p><strong>Connection test failed.</strong> ${c.error}</p>`)
    : result
      ? html`${alert(result.ok ? 'ok' : 'bad', result.ok ? 'ClassLink answered for every collection.' : html`<p><strong>Some checks failed.</strong> ${result.auth?.ok ? '' : html`Authentication: ${result.auth?.error ?? 'failed'}`}</p>`)}
${table(result.collections ?? [], [
  { head: 'Collection', cell: (x: any) => html`<code>${x.collection}</code>` },
  { head: 'Result', cell: (x: any) => (x.ok ? badge('ok', 'ok') : badge('failed', 'bad')) },
  { head: 'Records', num: true, cell: (x: any) => (x.ok ? fmtNumber(x.count) : '–') },
  { head: 'Error', cell: (x: any) => x.error ?? '' },
], { caption: 'Connection test per collection' })}`
      : '';
  return html`<section class="card" aria-labelledby="conn-h" id="connection"><h2 id="conn-h">Tenant connection</h2>
${d.oneroster?.baseUrl
  ? html`<dl class="facts"><dt>OneRoster URL</dt><dd class="mono">${d.oneroster.baseUrl}</dd><dt>Authentication</dt><dd>${d.oneroster.authKind}${d.oneroster.clientId ? html` · client <span class="mono">${d.oneroster.clientId}</span>` : ''}</dd>
<dt>ClassLink sign-in</dt><dd>${d.sso?.configured ? html`${badge('configured', 'ok')} <span class="mono small">${d.sso.issuer}</span>` : badge('not set up', 'warn')}</dd></dl>
${buttonForm(`/admin/districts/${d.id}/do/test-connection`, v.csrfToken, 'Test connection', { tone: 'secondary' })}
${resultBlock}`
  : empty('This district uses ClassLink sign-in only: it has no OneRoster connection.')}
</section>`;
}

function leadersSection(v: DistrictView): Html {
  const base = `/admin/districts/${v.d.id}`;
  const state = v.form?.form === 'leader' ? v.form : null;
  const admins = v.administrators ?? [];
  const list = v.leaders
    ? table(
        v.leaders,
        [
          { head: 'Name', cell: (l: any) => l.name ?? html`<span class="muted">not in the roster</span>` },
          { head: 'Email', cell: (l: any) => l.email ?? '' },
          { head: 'Title', cell: (l: any) => (l.title === 'roster_lead' ? 'Roster Lead' : 'System Admin') },
          { head: 'Roster id', cell: (l: any) => html`<span class="mono">${l.sourcedId}</span>${l.activeInRoster ? '' : html` ${badge('inactive', 'warn')}`}` },
          { head: 'Assigned', cell: (l: any) => html`${when(l.assignedAt)}<br><span class="muted small">${l.assignedBy}</span>` },
          { head: 'Action', cell: (l: any) => buttonForm(`${base}/leaders/${encodeURIComponent(l.sourcedId)}/remove`, v.csrfToken, 'Remove', { tone: 'secondary', confirm: `Remove ${l.name ?? l.sourcedId} as a leader?` }) },
        ],
        { caption: 'Leaders of this district', hiddenCaption: true, empty: 'No leaders yet. Assign the district’s System Admin or Roster Lead so they can start the year.' },
      )
    : alert('bad', v.leadersError ?? 'Could not load the leaders.');
  return html`<section class="card" aria-labelledby="leaders-h" id="leaders"><h2 id="leaders-h">Leaders</h2>
<p class="muted">Leaders are roster administrators who may use Admin Mode: start the academic year, check terms and schedules, send login invites.</p>
${list}
<h3>Assign a leader</h3>
<form method="post" action="${base}/leaders" class="inline-fields" aria-label="Assign a leader">${csrf(v.csrfToken)}
${field({ name: 'sourcedId', label: 'Administrator’s roster id (sourcedId)', idPrefix: 'leader', value: state?.values.sourcedId ?? '', errors: state?.errors, required: true, list: admins.length ? 'leader-admins' : undefined, hint: admins.length ? `${admins.length} administrator${admins.length === 1 ? '' : 's'} in the roster: start typing a name or id.` : 'No administrators in the live roster yet: leaders can be assigned after the first sync.' })}
${admins.length ? html`<datalist id="leader-admins">${admins.map((a) => html`<option value="${a.sourcedId}">${a.name}${a.email ? ` (${a.email})` : ''}</option>`)}</datalist>` : ''}
${select({ name: 'title', label: 'Title', idPrefix: 'leader', value: state?.values.title ?? 'system_admin', options: [['system_admin', 'System Admin'], ['roster_lead', 'Roster Lead']], errors: state?.errors })}
<div class="field"><button type="submit">Assign</button></div>
</form>
${state?.message ? html`<p class="field-error" role="alert">${state.message}</p>` : ''}
</section>`;
}

function auditSection(v: DistrictView): Html {
  // Newest first: the table's whole trail, else the workflow state's newest entries.
  const events = (v.audit ?? v.d.audit ?? v.d.auditEvents ?? []) as { at: string; actor: string; action: string; note?: string | null }[];
  return html`<section class="card" aria-labelledby="audit-h" id="audit"><h2 id="audit-h">Audit trail</h2>
${table(events, [
  { head: 'When', cell: (e) => when(e.at) },
  { head: 'Who', cell: (e) => html`<span class="mono small">${e.actor}</span>` },
  { head: 'What', cell: (e) => e.action },
  { head: 'Note', cell: (e) => e.note ?? '' },
], { caption: 'Audit trail, newest first', hiddenCaption: true, empty: 'Nothing recorded yet.' })}</section>`;
}

function reviewSection(v: DistrictView): Html {
  const { d, review } = v;
  const base = `/admin/districts/${d.id}`;
  if (!d.review) return html`<section class="card" aria-labelledby="review-h" id="review"><h2 id="review-h">Review report</h2>${empty('No review yet.')}</section>`;
  if (!review) return html`<section class="card" aria-labelledby="review-h" id="review"><h2 id="review-h">Review report</h2>${alert('bad', 'The review run could not be loaded.')}</section>`;
  const s = d.review.summary;
  if (!['registered', 'in_review', 'needs_changes'].includes(d.phase) && !v.filter.entity && !v.filter.severity && !v.filter.q) {
    return html`<section class="card" aria-labelledby="review-h" id="review"><h2 id="review-h">Review report</h2>
<p>${statusBadge(review.status)} The review of ${when(review.startedAt)} was approved${d.approval ? html` by ${d.approval.by}` : ''}. <a href="${base}/runs/${review.id}">Open it</a> · <a href="/requirements">Roster requirements</a></p></section>`;
  }
  return html`<section class="card" aria-labelledby="review-h" id="review"><h2 id="review-h">Review report</h2>
<p>${statusBadge(review.status)} Review started ${when(review.startedAt)}${review.finishedAt ? html`, finished ${when(review.finishedAt)}` : ''}.
${s ? html` <strong>${fmtNumber(s.blockingErrors)}</strong> blocking error(s), <strong>${fmtNumber(s.warnings)}</strong> warning(s).` : ''}
<a href="${base}/runs/${review.id}">Open the full report</a> · <a href="/requirements">Roster requirements</a></p>
${review.status === 'running' ? progressBar(review, `/api/districts/${d.id}/runs/${review.id}`) : ''}
${countsTable(review)}
${guardsList(review)}
${issuesSection(review, v.filter, base)}
</section>`;
}

export function districtBody(v: DistrictView): Html {
  const { d } = v;
  const held = v.runs.filter((r) => r.status === 'held');
  const done = v.done ? DONE_MESSAGES[v.done] : null;
  // Before approval the review report is the point of the page; afterwards the runs are.
  const reviewFirst = ['registered', 'in_review', 'needs_changes'].includes(d.phase);
  return html`<div class="row"><h1>${d.name}</h1>${phaseBadge(d.phase)}</div>
${done ? alert('ok', done) : ''}
<dl class="facts">
<dt>District id</dt><dd class="mono">${d.id}</dd>
<dt>Academic year</dt><dd>${d.academicYear ? `${d.academicYear.schoolYear}: ${d.academicYear.startDate} to ${d.academicYear.endDate}` : 'not started'}</dd>
<dt>Nightly sync</dt><dd>${d.nightly?.running ? badge('running', 'ok') : badge('not running', 'idle')} <span class="muted small">${d.nightly?.running ? cronWords(d.nightly?.cronSchedule) : d.phase === 'paused' ? 'paused' : 'starts when the academic year starts'}</span>${d.nightly?.running && d.nightly?.nextRunAt ? html` <span class="muted small">· next ${when(d.nightly.nextRunAt)}</span>` : ''}</dd>
<dt>Approval</dt><dd>${d.approval ? html`approved by ${d.approval.by} ${when(d.approval.at)}${d.approval.note ? html` – “${d.approval.note}”` : ''}` : 'not approved'}</dd>
<dt>Links</dt><dd>${d.temporalUiUrl ? html`<a href="${d.temporalUiUrl}" target="_blank" rel="noopener">Onboarding workflow in Temporal UI<span class="skip"> (opens in a new tab)</span></a> · ` : ''}<a href="/admin/districts/${d.id}/year">Admin Mode</a></dd>
</dl>
<nav aria-label="On this page" class="toc"><ul><li><a href="#next">Next step</a></li>${held.length ? html`<li><a href="#held">Held runs (${held.length})</a></li>` : ''}${reviewFirst ? html`<li><a href="#review">Review report</a></li><li><a href="#runs">Runs</a></li>` : html`<li><a href="#runs">Runs</a></li><li><a href="#review">Review report</a></li>`}<li><a href="#connection">Tenant connection</a></li><li><a href="#leaders">Leaders</a></li><li><a href="#audit">Audit trail</a></li></ul></nav>
${nextStep(v)}
${held.length ? html`<section class="card" aria-labelledby="held-h" id="held"><h2 id="held-h">Held runs</h2>${held.map((r) => heldRunBlock(r, d.id, v.csrfToken, v.form, heldDecision(v.audit, r.id)))}</section>` : ''}
${reviewFirst ? html`${reviewSection(v)}${runsSection(v)}` : html`${runsSection(v)}${reviewSection(v)}`}
${connectionSection(v)}
${leadersSection(v)}
${auditSection(v)}`;
}

/** Who decided a held run, when and why: kept on the run once it is applied or discarded. */
function decisionFact(decision: { action?: string; by?: string; at?: string; note?: string | null } | null | undefined): Html | string {
  if (!decision?.action) return '';
  return html`<dt>Decision</dt><dd>Held, then ${decision.action} by <span class="mono small">${decision.by ?? 'unknown'}</span> ${when(decision.at)}${decision.note ? html` – “${decision.note}”` : ''}</dd>`;
}

interface FetchSummary {
  method?: string;
  recognisedPages?: number;
  resumes?: Array<{ collection?: string; offset?: number; attempt?: number | null }>;
}

/**
 * How the run read ClassLink: how its pages were staged, how many an unchanged night recognised by
 * their memo (not parsed), and where a fetch retried after a worker died picked up again.
 */
export function fetchFact(fetch: FetchSummary | null | undefined): Html | string {
  if (!fetch?.method) return '';
  const resumes = fetch.resumes ?? [];
  return html`<dt>Fetch</dt><dd>pages staged by ${fetch.method === 'copy' ? 'COPY' : 'batched INSERT'}${
    fetch.recognisedPages !== undefined ? html` · ${fmtNumber(fetch.recognisedPages)} page${fetch.recognisedPages === 1 ? '' : 's'} recognised unchanged (not parsed)` : ''
  }${resumes.map((r) => html` · resumed at ${r.collection ?? '?'} offset ${fmtNumber(r.offset ?? 0)}${r.attempt ? html` (attempt ${r.attempt})` : ''}`)}</dd>`;
}

export function runBody(d: any, run: any, filter: IssueFilter, csrfToken: string | null, form: FormState | null, done: string | null, decided: AuditEvent | null = null): Html {
  const base = `/admin/districts/${d.id}`;
  const timings = Object.entries((run.timings ?? {}) as Record<string, number>);
  return html`<div class="row"><h1>${run.kind === 'review' ? 'Review' : run.kind === 'nightly' ? 'Nightly sync' : run.kind === 'initial' ? 'Initial load' : 'Manual sync'} of ${d.name}</h1>${statusBadge(run.status)}</div>
${done && DONE_MESSAGES[done] ? alert('ok', DONE_MESSAGES[done]!) : ''}
<dl class="facts">
<dt>Run id</dt><dd class="mono">${run.id}</dd>
<dt>Started</dt><dd>${when(run.startedAt)}</dd>
<dt>Finished</dt><dd>${when(run.finishedAt)} <span class="muted">(${duration(run.startedAt, run.finishedAt)})</span></dd>
<dt>Mode</dt><dd>${run.mode}${run.dryRun ? ' · dry run (applies nothing)' : ''}${run.summary?.mode?.why ? html` <span class="muted">– ${run.summary.mode.why}</span>` : ''}</dd>
${timings.length ? html`<dt>Timings</dt><dd>${timings.map(([k, ms], i) => html`${i ? ' · ' : ''}${k.replace(/_ms$/, '')} ${fmtNumber(ms)} ms`)}</dd>` : ''}
${fetchFact(run.summary?.fetch)}
${decisionFact(run.summary?.decision)}
<dt>Temporal</dt><dd>${run.temporal?.url ? html`<a href="${run.temporal.url}" target="_blank" rel="noopener">Open this run in Temporal UI<span class="skip"> (opens in a new tab)</span></a>` : 'no workflow recorded'}</dd>
</dl>
${run.status === 'running' ? html`<section class="card" aria-label="Progress">${progressBar(run, `/api/districts/${d.id}/runs/${run.id}`)}</section>` : ''}
${run.status === 'held' ? html`<section class="card" aria-labelledby="held-h" id="held"><h2 id="held-h">${decided ? 'Held run, decided' : 'Decide this held run'}</h2>${heldRunBlock(run, d.id, csrfToken, form, decided)}</section>` : ''}
${run.reason && run.status !== 'held' ? alert(run.status === 'failed' ? 'bad' : 'info', html`<p>${run.reason}</p>`) : ''}
<section class="card" aria-labelledby="counts-h"><h2 id="counts-h">Report</h2>
${run.status === 'held' ? '' : countsTable(run)}
${run.status === 'held' ? '' : guardsList(run)}
${issuesSection(run, filter, `${base}/runs/${run.id}`)}
</section>`;
}
