// Small building blocks shared by the admin pages: badges, tables, form fields with inline errors,
// alerts, times and the run progress bar. Everything goes through the escaping `html` tag.
import { html, Html } from '../html.js';

export { html, Html };

type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'idle';

export const badge = (text: string, tone: Tone) => html`<span class="badge ${tone}">${text}</span>`;

const PHASES: Record<string, [string, Tone]> = {
  registered: ['Registered', 'idle'],
  in_review: ['In review', 'info'],
  needs_changes: ['Needs changes', 'warn'],
  awaiting_year_start: ['Awaiting year start', 'info'],
  syncing: ['Syncing', 'ok'],
  paused: ['Paused', 'warn'],
  year_ended: ['Year ended', 'idle'],
  unknown: ['Unknown', 'bad'],
};
export const PHASE_NAMES = Object.keys(PHASES).filter((p) => p !== 'unknown');
export const phaseLabel = (phase: string) => PHASES[phase]?.[0] ?? phase.replace(/_/g, ' ');
export const phaseBadge = (phase: string) => badge(phaseLabel(phase), PHASES[phase]?.[1] ?? 'idle');

const STATUS_TONE: Record<string, Tone> = { running: 'info', succeeded: 'ok', held: 'warn', failed: 'bad', discarded: 'idle', sent: 'ok', sending: 'info', skipped: 'idle', throttled: 'warn' };
export const statusBadge = (status: string) => badge(status, STATUS_TONE[status] ?? 'idle');
export const severityBadge = (s: string) => badge(s, s === 'error' ? 'bad' : s === 'warning' ? 'warn' : s === 'hold' ? 'warn' : 'idle');

export const alert = (tone: Tone, body: Html | string, role: 'alert' | 'status' = tone === 'bad' ? 'alert' : 'status') =>
  html`<div class="alert ${tone}" role="${role}">${typeof body === 'string' ? html`<p>${body}</p>` : body}</div>`;

export const empty = (text: Html | string) => html`<p class="empty">${text}</p>`;

/** "CRON_TZ=America/Chicago 45 23 * * *" as "every night at 23:45 (America/Chicago)". */
export function cronWords(cron: string | undefined | null): string {
  const m = /^(?:CRON_TZ=(\S+)\s+)?(\d+)\s+(\d+)\s+\*\s+\*\s+\*$/.exec(cron ?? '');
  return m ? `every night at ${m[3]!.padStart(2, '0')}:${m[2]!.padStart(2, '0')}${m[1] ? ` (${m[1]})` : ''}` : (cron ?? 'not scheduled');
}

export const fmtNumber = (n: unknown) => (typeof n === 'number' ? n.toLocaleString('en-US') : n == null ? '–' : String(n));

/** A timestamp as readable UTC text, with the machine value for assistive tech and scripts. */
export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">–</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  const text = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${d.toISOString()}" title="${ago(d)}">${text}</time>`;
}

/** A timestamp as the district's wall-clock time, e.g. "Nov 28, 23:49 (America/Chicago)". */
export function whenIn(iso: string | null | undefined, timeZone: string): Html {
  if (!iso) return html`<span class="muted">–</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  const text = new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return html`<time datetime="${d.toISOString()}">${text} (${timeZone})</time>`;
}

export function ago(d: Date, now = Date.now()): string {
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function duration(startIso: string | null, endIso: string | null): string {
  if (!startIso || !endIso) return '–';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!(ms >= 0)) return '–';
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

export interface Column<T> {
  head: string;
  cell: (row: T) => Html | string | number | null | undefined;
  num?: boolean;
}

/** A data table with a caption (visible or for screen readers) and a message when it is empty. */
export function table<T>(rows: T[], cols: Column<T>[], opts: { caption?: string; hiddenCaption?: boolean; empty?: Html | string; rowClass?: (row: T) => string | null } = {}): Html {
  if (!rows.length) return empty(opts.empty ?? 'Nothing to show yet.');
  const cell = (v: ReturnType<Column<T>['cell']>) => (v instanceof Html ? v : html`${typeof v === 'number' ? fmtNumber(v) : v}`);
  return html`<div class="table-wrap"><table>
${opts.caption ? html`<caption${opts.hiddenCaption ? html` class="skip"` : ''}>${opts.caption}</caption>` : ''}
<thead><tr>${cols.map((c) => html`<th scope="col"${c.num ? html` class="num"` : ''}>${c.head}</th>`)}</tr></thead>
<tbody>${rows.map((r) => {
    const cls = opts.rowClass?.(r);
    return html`<tr${cls ? html` class="${cls}"` : ''}>${cols.map((c) => html`<td${c.num ? html` class="num"` : ''}>${cell(c.cell(r))}</td>`)}</tr>`;
  })}</tbody></table></div>`;
}

export type FieldErrors = Record<string, string | undefined>;

interface FieldOpts {
  name: string;
  label: string;
  value?: string | null;
  type?: 'text' | 'date' | 'search' | 'email';
  hint?: string;
  errors?: FieldErrors;
  required?: boolean;
  placeholder?: string;
  autocomplete?: string;
  /** A form-unique prefix when the same field name appears in several forms on one page. */
  idPrefix?: string;
  pattern?: string;
  /** id of a <datalist> of suggestions. */
  list?: string;
}

const fieldId = (o: { name: string; idPrefix?: string }) => `${o.idPrefix ? `${o.idPrefix}-` : ''}${o.name}`;

/** A labelled input with its hint and its error right next to it (aria-describedby ties them). */
export function field(o: FieldOpts): Html {
  const id = fieldId(o);
  const error = o.errors?.[o.name];
  const described = [o.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' invalid' : ''}">
<label for="${id}">${o.label}</label>
${o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : ''}
<input id="${id}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${o.required ? html` required` : ''}${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.pattern ? html` pattern="${o.pattern}"` : ''}${o.list ? html` list="${o.list}"` : ''}${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ''}
</div>`;
}

export function textarea(o: Omit<FieldOpts, 'type' | 'pattern'>): Html {
  const id = fieldId(o);
  const error = o.errors?.[o.name];
  const described = [o.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' invalid' : ''}">
<label for="${id}">${o.label}</label>
${o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : ''}
<textarea id="${id}" name="${o.name}" rows="3"${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}>${o.value ?? ''}</textarea>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ''}
</div>`;
}

export function select(o: { name: string; label: string; options: [string, string][]; value?: string | null; errors?: FieldErrors; idPrefix?: string; hint?: string }): Html {
  const id = fieldId(o);
  const error = o.errors?.[o.name];
  return html`<div class="field${error ? ' invalid' : ''}">
<label for="${id}">${o.label}</label>
${o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : ''}
<select id="${id}" name="${o.name}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${o.options.map(([v, t]) => html`<option value="${v}"${v === (o.value ?? '') ? html` selected` : ''}>${t}</option>`)}</select>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ''}
</div>`;
}

export const csrf = (token: string | null | undefined) => (token ? html`<input type="hidden" name="_csrf" value="${token}">` : html``);

/** A form with one button (and optional hidden fields) that posts to a page route. */
export function buttonForm(action: string, token: string | null | undefined, label: string, opts: { tone?: 'secondary' | 'danger' | 'good'; confirm?: string; hidden?: Record<string, string> } = {}): Html {
  return html`<form method="post" action="${action}" class="compact">${csrf(token)}${Object.entries(opts.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit"${opts.tone ? html` class="${opts.tone}"` : ''}${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}>${label}</button></form>`;
}

/** Percent and words for a run's progress; the same arithmetic runs in static/app.js. */
export function progressOf(status: string, p: Record<string, unknown> | null | undefined): { pct: number; label: string } {
  const pr = (p ?? {}) as Record<string, any>;
  if (status !== 'running') return { pct: 100, label: status === 'held' ? 'held: waiting for a decision' : status };
  const phase = String(pr.phase ?? 'starting');
  if (phase === 'fetch') {
    const n = Number(pr.collections) || 6;
    const i = Math.max(1, Number(pr.collectionIndex) || 1);
    const part = pr.pagesTotal ? Math.min(1, (Number(pr.pagesDone) || 0) / Number(pr.pagesTotal)) : 0.5;
    const pages = pr.pagesTotal ? `, page ${pr.pagesDone ?? 0} of ${pr.pagesTotal}` : '';
    return { pct: Math.round(2 + ((i - 1 + part) / n) * 78), label: `fetching ${pr.collection ?? ''} (${i}/${n}${pages})` };
  }
  const fixed: Record<string, [number, string]> = { starting: [2, 'starting'], validate: [82, 'validating'], warnings: [86, 'checking warnings'], plan: [88, 'planning changes'], apply: [92, 'applying'], done: [100, 'done'] };
  const [pct, label] = fixed[phase] ?? [50, phase];
  return { pct, label };
}

/** A live progress bar: static/app.js polls `pollUrl` (the run's JSON route) while it runs. */
export function progressBar(run: { id: string; status: string; progress?: Record<string, unknown> | null }, pollUrl: string): Html {
  const { pct, label } = progressOf(run.status, run.progress);
  return html`<div class="progress" data-run-poll="${pollUrl}"><progress max="100" value="${pct}" aria-label="Progress of run ${run.id.slice(0, 8)}">${pct}%</progress><span class="progress-label" aria-live="polite">${pct}% · ${label}</span></div>`;
}

/** Turns a refusal message into a field error when it clearly names a field. */
export function errorsFromMessage(message: string, fields: string[]): FieldErrors {
  const hit = fields.find((f) => new RegExp(`\\b${f}\\b`, 'i').test(message));
  return hit ? { [hit]: message } : {};
}
