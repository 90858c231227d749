// The district leader's Admin Mode: start the academic year, terms, spot checks and login invites.
// Support sees the same pages for any district. Pure rendering over the JSON the routes fetched.
import { alert, badge, cronWords, whenIn, csrf, empty, field, fmtNumber, html, phaseBadge, select, statusBadge, table, textarea, when, type FieldErrors, type Html } from './components.js';
import type { FormState } from './support.js';

// ---- academic year --------------------------------------------------------------------------------

export interface YearValues {
  schoolYear: string;
  startDate: string;
  endDate: string;
  note: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** 2026-08-15 as "August 15, 2026": date inputs show the browser's format, so messages use words. */
export const longDate = (iso: string) => new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' });
const realDate = (s: string) => DATE.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/** Field-by-field checks, so every problem shows next to its field at once (the API checks again). */
export function validateYear(v: YearValues): FieldErrors {
  const e: FieldErrors = {};
  if (!v.schoolYear) e.schoolYear = 'Enter the school year, e.g. 2027 or 2026-2027.';
  else if (!/^\d{4}(-\d{4})?$/.test(v.schoolYear)) e.schoolYear = `“${v.schoolYear}” is not a school year: write it as 2027 or 2026-2027.`;
  if (!v.startDate) e.startDate = 'Enter the first day of school.';
  else if (!realDate(v.startDate)) e.startDate = `“${v.startDate}” is not a date: use YYYY-MM-DD.`;
  if (!v.endDate) e.endDate = 'Enter the last day of school.';
  else if (!realDate(v.endDate)) e.endDate = `“${v.endDate}” is not a date: use YYYY-MM-DD.`;
  if (!e.startDate && !e.endDate && v.startDate >= v.endDate) e.endDate = `The last day must come after the first day (${longDate(v.startDate)}).`;
  return e;
}

export function yearBody(o: { d: any; suggestion: any | null; form: FormState | null; done: string | null; csrfToken: string | null; isSupport: boolean }): Html {
  const { d, suggestion } = o;
  const s = suggestion?.session;
  const started = d.academicYear as { schoolYear: string; startDate: string; endDate: string } | null;
  const values: YearValues = o.form?.values
    ? (o.form.values as unknown as YearValues)
    : { schoolYear: s?.schoolYear ?? '', startDate: s?.startDate ?? '', endDate: s?.endDate ?? '', note: '' };
  const errors = o.form?.errors ?? {};
  const allowed = ['awaiting_year_start', 'syncing', 'paused'].includes(d.phase);
  const prefillNote = o.form
    ? ''
    : s
      ? html`<p class="muted">Prefilled from the school-year session <strong>${s.title ?? s.sourcedId}</strong> in your ${suggestion.source === 'roster' ? 'roster' : 'ClassLink feed'}. Check the dates before you start.</p>`
      : suggestion?.message
        ? html`<p class="muted">${suggestion.message}</p>`
        : '';
  const errorCount = Object.values(errors).filter(Boolean).length;
  const status = html`<section class="card" aria-labelledby="status-h"><h2 id="status-h">Status</h2>
<dl class="facts">
<dt>Phase</dt><dd>${phaseBadge(d.phase)}</dd>
<dt>Academic year</dt><dd>${started ? html`<strong>${started.schoolYear}</strong>: ${longDate(started.startDate)} to ${longDate(started.endDate)}` : 'not started yet'}</dd>
<dt>Nightly sync</dt><dd id="nightly-status">${d.nightly?.running ? badge('Running', 'ok') : badge('Not running', 'idle')} ${d.nightly?.running ? cronWords(d.nightly.cronSchedule) : d.phase === 'paused' ? `paused${d.pausedReason ? `: ${d.pausedReason}` : ''}` : 'starts when the academic year starts'}${d.nightly?.running && d.nightly?.nextRunAt ? html`; next run ${whenIn(d.nightly.nextRunAt, d.timezone ?? 'America/Chicago')}` : ''}${o.isSupport && d.nightly?.workflowId ? html` <span class="muted small mono">${d.nightly.workflowId}</span>` : ''}</dd>
${d.lastRun ? html`<dt>Last sync</dt><dd>${statusBadge(d.lastRun.status)} ${when(d.lastRun.finishedAt)}</dd>` : ''}
</dl></section>`;
  const form = allowed
    ? html`<form method="post" action="/admin/districts/${d.id}/year" novalidate aria-labelledby="year-h">${csrf(o.csrfToken)}
${errorCount || o.form?.message ? html`<div class="alert bad" role="alert" tabindex="-1" id="year-errors"><p><strong>The year was not started.</strong> ${o.form?.message ?? `Fix the ${errorCount === 1 ? 'field' : `${errorCount} fields`} marked below.`}</p></div>` : ''}
${field({ name: 'schoolYear', label: 'School year', hint: 'The year it ends, e.g. 2027, or both years, e.g. 2026-2027.', value: values.schoolYear, errors, required: true })}
<div class="grid2">
${field({ name: 'startDate', label: 'First day of school', type: 'date', value: values.startDate, errors, required: true })}
${field({ name: 'endDate', label: 'Last day of school', type: 'date', value: values.endDate, errors, required: true })}
</div>
${textarea({ name: 'note', label: 'Note (optional)', value: values.note, errors })}
<button type="submit">${started ? 'Start this academic year' : 'Start the academic year'}</button>
</form>`
    : alert('info', html`<p>The academic year can be started once Gradient Support has reviewed and approved your roster data (now: ${phaseBadge(d.phase)}).</p>`);
  const intro = html`<p>Starting the year tells Gradient which dates your school year runs and turns on the nightly sync from ClassLink.</p>
${prefillNote}
${form}`;
  // Once a year runs, starting one is a rare act (next year, or a correction): keep it folded away.
  const section = started
    ? html`<section class="card" aria-labelledby="year-h"><details${o.form ? html` open` : ''}><summary><h2 id="year-h" style="display:inline">Start a new academic year</h2></summary>
<p class="muted">For next year after the rollover, or to correct this year’s dates.</p>${intro}</details></section>`
    : html`<section class="card" aria-labelledby="year-h"><h2 id="year-h">Start the academic year</h2>${intro}</section>`;
  return html`<h1>Academic year</h1>
${o.done === 'year' ? alert('ok', html`<p><strong>The academic year has started.</strong> Gradient now syncs your roster from ClassLink every night.</p>`) : ''}
${status}
${section}`;
}

// ---- terms --------------------------------------------------------------------------------------

const SESSION_TYPES: Record<string, string> = { schoolYear: 'School year', semester: 'Semester', term: 'Term', gradingPeriod: 'Grading period' };

export function termsBody(t: any, date: string | null): Html {
  const terms = (t.terms ?? []) as any[];
  const current = terms.find((x) => x.current);
  return html`<h1>Terms</h1>
<p>${current ? html`Today (${t.date}, ${t.timezone}) is in <strong>${current.title}</strong>, ${current.startDate} to ${current.endDate}.` : t.message ?? ''}</p>
<form method="get" class="inline-fields card" aria-label="Check another date">
${field({ name: 'date', label: 'Show which term is current on', type: 'date', value: date ?? t.date })}
<div class="field"><button type="submit" class="secondary">Show</button>${date ? html` <a href="?">Today</a>` : ''}</div>
</form>
${table(terms, [
  { head: 'Term', cell: (x) => html`${x.title}${x.current ? html` ${badge('Current', 'ok')}` : x.inProgress ? html` <span class="muted small">(in progress)</span>` : ''}` },
  { head: 'Type', cell: (x) => SESSION_TYPES[x.type] ?? x.type },
  { head: 'First day', cell: (x) => x.startDate ?? '–' },
  { head: 'Last day', cell: (x) => x.endDate ?? '–' },
  { head: 'School year', cell: (x) => x.schoolYear ?? '–' },
  { head: 'Roster id', cell: (x) => html`<span class="mono small">${x.sourcedId}</span>` },
], { caption: `Terms in the roster; the current one on ${t.date} is marked`, rowClass: (x) => (x.current ? 'current' : null), empty: t.message ?? 'No terms in the roster yet.' })}`;
}

// ---- spot checks --------------------------------------------------------------------------------

const SEARCH_TYPES: [string, string][] = [['', 'Anyone or any class'], ['staff', 'Teachers and staff'], ['student', 'Students'], ['class', 'Classes']];
const kindPath = { staff: 'staff', student: 'students', class: 'classes' } as Record<string, string>;

export function spotSearchBody(o: { districtId: string; q: string; type: string; results: any[] | null; error: string | null }): Html {
  const base = `/admin/districts/${o.districtId}/spot-checks`;
  return html`<h1>Spot checks</h1>
<p>Find a teacher, a student or a class by name, email or roster id, and see their schedule for the current term.</p>
<form method="get" action="${base}" class="card inline-fields" role="search" aria-label="Find a person or class">
${field({ name: 'q', label: 'Name, email or id', type: 'search', value: o.q, errors: { q: o.error ?? undefined }, required: true })}
${select({ name: 'type', label: 'Looking for', value: o.type, options: SEARCH_TYPES })}
<div class="field"><button type="submit">Find</button></div>
</form>
${o.results === null
  ? ''
  : table(o.results, [
      { head: 'Name', cell: (r) => html`<a href="${base}/${kindPath[r.type]}/${encodeURIComponent(r.sourcedId)}">${r.name}</a>` },
      { head: 'Type', cell: (r) => (r.type === 'class' ? badge('class', 'info') : r.type === 'student' ? badge('student', 'idle') : badge('staff', 'ok')) },
      { head: 'Email or code', cell: (r) => r.detail ?? '' },
      { head: 'Roster id', cell: (r) => html`<span class="mono small">${r.sourcedId}</span>` },
    ], { caption: `Matches for “${o.q}”`, empty: `Nobody and no class matches “${o.q}”. Try part of a last name, an email or a roster id.` })}`;
}

function classesTable(classes: any[], opts: { termTitle: string | null; date: string }): Html {
  return table(classes, [
    { head: 'Period', cell: (c) => (c.periods?.length ? c.periods.join(', ') : '–') },
    { head: 'Class', cell: (c) => c.title },
    { head: 'Course', cell: (c) => c.course?.title ?? '–' },
    { head: 'Section', cell: (c) => html`<span class="mono small">${c.classCode ?? '–'}</span>` },
    { head: 'Teachers', cell: (c) => (c.teachers?.length ? c.teachers.map((t: any) => t.name).join(', ') : html`<span class="muted">none</span>`) },
    { head: 'Room', cell: (c) => c.location ?? '–' },
    { head: 'School', cell: (c) => c.school?.name ?? '–' },
    { head: 'Students', num: true, cell: (c) => fmtNumber(c.enrollment?.students) },
  ], { caption: `Classes in progress on ${opts.date}${opts.termTitle ? ` (${opts.termTitle})` : ''}`, empty: `No classes in progress on ${opts.date}.` });
}

export function personScheduleBody(s: any, districtId: string): Html {
  const p = s.person;
  return html`<p><a href="/admin/districts/${districtId}/spot-checks">← Find someone else</a></p>
<div class="row"><h1>${p.name}</h1>${badge(p.role, p.role === 'student' ? 'idle' : 'ok')}${p.active ? '' : badge('deactivated', 'bad')}</div>
<dl class="facts">
<dt>Email</dt><dd>${p.email ?? '–'}</dd>
<dt>Username</dt><dd>${p.username ?? '–'}</dd>
${p.grades?.length ? html`<dt>Grades</dt><dd>${p.grades.join(', ')}</dd>` : ''}
<dt>Schools</dt><dd>${p.schools?.length ? p.schools.map((x: any) => x.name ?? x.sourcedId).join(', ') : '–'}</dd>
<dt>Roster id</dt><dd class="mono">${p.sourcedId}</dd>
<dt>Current term</dt><dd>${s.currentTerm ? html`${s.currentTerm.title} <span class="muted">(${s.currentTerm.startDate} to ${s.currentTerm.endDate})</span>` : 'no term in progress'}</dd>
</dl>
<section class="card" aria-labelledby="sched-h"><h2 id="sched-h">Schedule</h2>${classesTable(s.classes ?? [], { termTitle: s.currentTerm?.title ?? null, date: s.date })}</section>`;
}

export function classScheduleBody(s: any, districtId: string): Html {
  const c = s.class;
  const base = `/admin/districts/${districtId}/spot-checks`;
  return html`<p><a href="${base}">← Find something else</a></p>
<div class="row"><h1>${c.title}</h1>${s.inProgress ? badge('in progress', 'ok') : badge('not in progress', 'idle')}</div>
<dl class="facts">
<dt>Course</dt><dd>${c.course?.title ?? '–'}</dd>
<dt>Section</dt><dd class="mono">${c.classCode ?? '–'}</dd>
<dt>Periods</dt><dd>${c.periods?.length ? c.periods.join(', ') : '–'}</dd>
<dt>Room</dt><dd>${c.location ?? '–'}</dd>
<dt>School</dt><dd>${c.school?.name ?? '–'}</dd>
<dt>Terms</dt><dd>${(c.terms ?? []).map((t: any) => `${t.title ?? t.sourcedId} (${t.startDate} to ${t.endDate})`).join('; ') || '–'}</dd>
<dt>Teachers</dt><dd>${c.teachers?.length ? c.teachers.map((t: any, i: number) => html`${i ? ', ' : ''}<a href="${base}/staff/${encodeURIComponent(t.sourcedId)}">${t.name}</a>`) : 'none'}</dd>
<dt>Enrollment</dt><dd>${fmtNumber(c.enrollment?.students)} students, ${fmtNumber(c.enrollment?.teachers)} teachers</dd>
</dl>
<section class="card" aria-labelledby="students-h"><h2 id="students-h">Students</h2>
${table((s.students ?? []) as any[], [
  { head: 'Name', cell: (x) => html`<a href="${base}/students/${encodeURIComponent(x.sourcedId)}">${x.name}</a>` },
  { head: 'Grade', cell: (x) => (x.grades ?? []).join(', ') },
  { head: 'Email', cell: (x) => x.email ?? '' },
], { caption: 'Students enrolled', hiddenCaption: true, empty: 'No students enrolled.' })}</section>`;
}

// ---- login invites ------------------------------------------------------------------------------

export interface InviteView {
  districtId: string;
  staff: any;
  invites: any[];
  ssoConfigured: boolean;
  filter: { q: string; school: string };
  selected: Set<string>;
  results: any[] | null;
  error: string | null;
  csrfToken: string | null;
}

export function invitesBody(v: InviteView): Html {
  const base = `/admin/districts/${v.districtId}/invites`;
  const schools = (v.staff.schools ?? []) as { sourcedId: string; name: string | null }[];
  const schoolName = new Map(schools.map((s) => [s.sourcedId, s.name ?? s.sourcedId]));
  const groups = new Map<string, any[]>();
  for (const p of v.staff.staff as any[]) {
    // One place per person: their first school (or first org), so nobody is listed twice.
    const home = (p.schools as any[]).find((s) => schoolName.has(s.sourcedId)) ?? p.schools[0];
    const key = home?.sourcedId ?? '';
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => (schoolName.get(a) ?? a ?? '').localeCompare(schoolName.get(b) ?? b ?? ''));
  const person = (p: any) => {
    const id = `p-${p.sourcedId}`;
    const last = p.lastInvite ? html` ${statusBadge(p.lastInvite.status)}` : '';
    return html`<li data-search="${`${p.name} ${p.email ?? ''} ${p.sourcedId}`.toLowerCase()}"><label for="${id}"><input type="checkbox" id="${id}" name="userSourcedIds" value="${p.sourcedId}"${v.selected.has(p.sourcedId) ? html` checked` : ''}${p.email ? '' : html` disabled`}>
<span>${p.name}${last}<br><span class="detail">${p.email ?? 'no email in the roster'} · ${p.role}</span></span></label></li>`;
  };
  const picker = v.staff.staff.length
    ? html`<form method="post" action="${base}" data-staff-picker id="staff-picker" aria-labelledby="pick-h">${csrf(v.csrfToken)}
<input type="hidden" name="q" value="${v.filter.q}"><input type="hidden" name="school" value="${v.filter.school}">
${v.error ? html`<p class="field-error" role="alert" id="invite-error">${v.error}</p>` : ''}
${ordered.map(([key, people], i) => html`<fieldset class="school"><legend>${key ? schoolName.get(key) ?? key : 'No school'} <span class="muted small">(${people.length})</span></legend>
<label class="selectall" hidden><input type="checkbox" data-selectall hidden aria-describedby="sa-${i}"> <span id="sa-${i}">Select everyone in ${key ? schoolName.get(key) ?? key : 'this group'}</span></label>
<ul class="people">${people.map(person)}</ul></fieldset>`)}
${v.staff.truncated ? alert('warn', 'Only the first staff are listed: narrow the list with the filter above.') : ''}
<div class="sticky-send"><button type="submit"${v.ssoConfigured ? '' : html` disabled`}>Send invites</button><span data-selected-count aria-live="polite" class="muted"></span>${v.ssoConfigured ? '' : html`<span class="field-error">ClassLink sign-in is not set up for this district yet: Gradient Support sets it up.</span>`}</div>
</form>`
    : empty(v.filter.q || v.filter.school ? 'No staff match this filter.' : 'No staff in the roster yet: invites can be sent after the first sync.');
  const results = v.results
    ? html`<section class="card" aria-labelledby="results-h" id="results"><h2 id="results-h">Sent just now</h2>
${table(v.results, [
  { head: 'Person', cell: (r) => r.name ?? r.userSourcedId },
  { head: 'Result', cell: (r) => statusBadge(r.status) },
  { head: 'Details', cell: (r) => r.message },
], { caption: 'Result per person', hiddenCaption: true })}</section>`
    : '';
  return html`<h1>Login invites</h1>
<p>Email staff a link that signs them in to Gradient with their ClassLink account.</p>
${results}
<section class="card" aria-labelledby="pick-h"><h2 id="pick-h">Choose staff</h2>
<form method="get" action="${base}" class="inline-fields" role="search" aria-label="Filter staff">
<div class="field"><label for="staff-q">Name or email</label><span class="hint" id="staff-q-hint">The list narrows as you type.</span><input id="staff-q" name="q" type="search" value="${v.filter.q}" data-filter aria-describedby="staff-q-hint" aria-controls="staff-picker"></div>
${select({ name: 'school', label: 'School', value: v.filter.school, options: [['', 'All schools'], ...schools.map((s): [string, string] => [s.sourcedId, s.name ?? s.sourcedId])] })}
<div class="field"><button type="submit" class="secondary">Show</button>${v.filter.q || v.filter.school ? html` <a href="${base}">Clear</a>` : ''}</div>
</form>
${picker}
</section>
<section class="card" aria-labelledby="status-h"><h2 id="status-h">Delivery status</h2>
${table(v.invites, [
  { head: 'Person', cell: (i) => i.name ?? i.userSourcedId },
  { head: 'Email', cell: (i) => i.email },
  { head: 'Status', cell: (i) => html`${statusBadge(i.status)}${i.acceptedAt ? html` ${badge('signed in', 'ok')}` : ''}` },
  { head: 'Sent', cell: (i) => when(i.sentAt ?? i.createdAt) },
  { head: 'Signed in', cell: (i) => when(i.acceptedAt) },
  { head: 'Problem', cell: (i) => i.error ?? '' },
], { caption: 'Invites, newest first', hiddenCaption: true, empty: 'No invites sent yet.' })}</section>`;
}

