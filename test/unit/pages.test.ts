// The page layer's pure parts: escaping, the requirements page generated from the rule registry,
// the run progress arithmetic, the year form's checks and the school-year pick.
import { html } from '../../api/html.js';
import { validateYear } from '../../api/pages/admin-mode.js';
import { field, progressOf, table } from '../../api/pages/components.js';
import { layout } from '../../api/pages/layout.js';
import { fieldSummaries, requirementsBody } from '../../api/pages/requirements.js';
import { activeRunNotice, auditTrail, districtsListBody, fetchFact, heldDecision, heldRunBlock } from '../../api/pages/support.js';
import { pickSchoolYear } from '../../api/routes/admin-mode.js';
import { COLLECTIONS } from '../../oneroster/types.js';
import { RULES } from '../../roster/rules.js';

const NASTY = `<script>alert(1)</script><img src=x onerror=alert(2)> " ' &amp;`;

test('every interpolation is escaped: text, attributes, tables, fields, the layout title', () => {
  const out = [
    html`<p title="${NASTY}">${NASTY}</p>`.value,
    table([{ name: NASTY }], [{ head: 'Name', cell: (r) => r.name }]).value,
    field({ name: 'q', label: NASTY, value: NASTY, errors: { q: NASTY } }).value,
    layout({ title: NASTY, principal: null, body: html`${NASTY}` }),
    districtsListBody([{ id: 'x', name: NASTY, phase: 'registered', timezone: NASTY, lastRun: null }], { q: NASTY }).value,
  ].join('\n');
  expect(out).not.toContain('<script>alert');
  expect(out).not.toContain('<img src=x');
  expect(out).not.toMatch(/="[^"]*"[^ >]*onerror/);
  expect(out).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  expect(out).toContain('&#38;amp;'); // already-escaped text is escaped again, never trusted
});

test('the requirements page has an entry, with its fix, for every rule the sync runs', () => {
  const page = requirementsBody().value;
  for (const rule of RULES) {
    expect(page).toContain(`id="rule-${rule.id}"`);
  }
  expect(page.match(/id="rule-/g)!.length).toBe(RULES.length);
  // Required fields come from the registry's `required` checks.
  for (const c of COLLECTIONS) {
    const required = new Set(RULES.filter((r) => r.entity === c && 'check' in r && r.check.t === 'required').map((r) => r.field));
    expect(new Set(fieldSummaries(c).filter((f) => f.required).map((f) => f.field))).toEqual(required);
  }
  expect(fieldSummaries('users').find((f) => f.field === 'role')!.accepted.join()).toContain('teacher');
});

test('run progress: fetch spans 2–80% across collections and pages, then fixed phases, 100% when finished', () => {
  expect(progressOf('running', { phase: 'starting' }).pct).toBe(2);
  const first = progressOf('running', { phase: 'fetch', collection: 'orgs', collectionIndex: 1, collections: 6, pagesDone: 0, pagesTotal: 2 });
  const mid = progressOf('running', { phase: 'fetch', collection: 'classes', collectionIndex: 4, collections: 6, pagesDone: 1, pagesTotal: 2 });
  const last = progressOf('running', { phase: 'fetch', collection: 'enrollments', collectionIndex: 6, collections: 6, pagesDone: 30, pagesTotal: 30 });
  expect(first.pct).toBe(2);
  expect(mid.pct).toBe(Math.round(2 + (3.5 / 6) * 78));
  expect(mid.label).toBe('fetching classes (4/6, page 1 of 2)');
  expect(last.pct).toBe(80);
  expect(progressOf('running', { phase: 'validate' }).pct).toBeGreaterThan(last.pct);
  expect(progressOf('running', { phase: 'apply' }).pct).toBeGreaterThan(progressOf('running', { phase: 'plan' }).pct);
  expect(progressOf('held', { phase: 'held' })).toEqual({ pct: 100, label: 'held: waiting for a decision' });
  expect(progressOf('succeeded', null).pct).toBe(100);
});

test('the year form names every problem next to its field', () => {
  expect(validateYear({ schoolYear: '2027', startDate: '2026-08-15', endDate: '2027-06-05', note: '' })).toEqual({});
  const e = validateYear({ schoolYear: 'soon', startDate: '2026-02-30', endDate: '', note: '' });
  expect(Object.keys(e).sort()).toEqual(['endDate', 'schoolYear', 'startDate']);
  expect(e.startDate).toContain('not a date');
  expect(validateYear({ schoolYear: '2026-2027', startDate: '2027-06-05', endDate: '2026-08-15', note: '' }).endDate).toContain('June 5, 2027');
});

test('the school year to prefill: the one running today, else the next, else the latest', () => {
  const y = (sourcedId: string, startDate: string, endDate: string) => ({ sourcedId, title: sourcedId, schoolYear: endDate.slice(0, 4), startDate, endDate });
  const years = [y('sy26', '2025-08-15', '2026-06-05'), y('sy27', '2026-08-15', '2027-06-05'), y('sy28', '2027-08-15', '2028-06-05')];
  expect(pickSchoolYear(years, '2026-11-28')?.sourcedId).toBe('sy27');
  expect(pickSchoolYear(years, '2026-07-01')?.sourcedId).toBe('sy27'); // summer: the coming year
  expect(pickSchoolYear(years, '2029-01-01')?.sourcedId).toBe('sy28');
  expect(pickSchoolYear([], '2026-11-28')).toBeNull();
});

test('a held run already decided offers no second decision and looks again shortly; undecided, it offers both', () => {
  const run = { id: 'run-1', kind: 'manual', status: 'held', startedAt: '2026-11-28T10:00:00Z', counts: {}, summary: {} };
  const audit = [
    { at: '2026-11-28T10:05:00Z', actor: 'support:ada@example.test', action: 'held run approved', note: NASTY, details: { runId: 'run-1' } },
    { at: '2026-11-28T09:00:00Z', actor: 'support:ada@example.test', action: 'held run discarded', note: null, details: { runId: 'run-0' } },
  ];
  expect(heldDecision(audit, 'run-1')).toBe(audit[0]);
  expect(heldDecision(audit, 'run-2')).toBeNull();
  expect(heldDecision(null, 'run-1')).toBeNull();

  const decided = heldRunBlock(run, 'd1', 'csrf', null, heldDecision(audit, 'run-1')).value;
  expect(decided).not.toContain('<form');
  expect(decided).toContain('data-reload-after');
  expect(decided).toMatch(/Approved<\/strong> by support:ada@example.test/);
  expect(decided).toContain('being applied now');
  expect(decided).not.toContain('<script>alert');

  const open = heldRunBlock(run, 'd1', 'csrf', null).value;
  expect(open).toContain('action="/admin/districts/d1/runs/run-1/approve"');
  expect(open).toContain('formaction="/admin/districts/d1/runs/run-1/discard"');
  expect(open).not.toContain('data-reload-after');
});

test('a run the workflow has started before its row exists is shown as starting, and its bar polls the run until the row is there', () => {
  const d = { id: 'd1', activeRun: { runId: 'run-9', kind: 'manual' } };
  const starting = activeRunNotice(d, [])!.value;
  expect(starting).toContain('A manual sync is starting');
  expect(starting).toContain('data-run-poll="/api/districts/d1/runs/run-9"');
  const running = activeRunNotice(d, [{ id: 'run-9', kind: 'manual', status: 'running', progress: { phase: 'validate' } }])!.value;
  expect(running).toContain('A manual sync is in progress');
  expect(running).toContain('data-run-poll="/api/districts/d1/runs/run-9"');
  expect(running).toContain('validating');
  expect(activeRunNotice(d, [{ id: 'run-9', kind: 'manual', status: 'held' }])!.value).toContain('waits for your decision');
  expect(activeRunNotice({ id: 'd1', activeRun: { runId: 'r', kind: 'review' } }, [])).toBeNull();
  expect(activeRunNotice({ id: 'd1', activeRun: null }, [])).toBeNull();
});

test("a run's fetch fact: the staging method, pages recognised unchanged, and each resume after a worker died", () => {
  const text = (h: ReturnType<typeof fetchFact>) => (typeof h === 'string' ? h : h.value).replace(/<[^>]+>/g, '');
  expect(fetchFact(undefined)).toBe('');
  expect(text(fetchFact({ method: 'copy', resumes: [] }))).toBe('Fetchpages staged by COPY');
  expect(text(fetchFact({ method: 'copy', recognisedPages: 1, resumes: [] }))).toBe('Fetchpages staged by COPY · 1 page recognised unchanged (not parsed)');
  const resumed = fetchFact({ method: 'insert', recognisedPages: 429, resumes: [{ collection: 'users', offset: 2000, attempt: 2 }, { collection: NASTY, offset: 0 }] });
  expect(text(resumed)).toMatch(/^Fetchpages staged by batched INSERT · 429 pages recognised unchanged \(not parsed\) · resumed at users offset 2,000 \(attempt 2\) · resumed at .* offset 0$/);
  expect(typeof resumed === 'string' ? resumed : resumed.value).not.toContain('<script>');
});

test("the audit trail shows the workflow's entries audit_events has not recorded yet, newest first, each once", () => {
  const recorded = [
    { at: '2026-11-29T10:00:01.000Z', actor: 'leader@d', action: 'academic year started', note: null },
    { at: '2026-11-29T09:00:00.000Z', actor: 'support@g', action: 'data approved', note: 'ok' },
  ];
  const state = {
    auditRecordedSeq: 3,
    audit: [
      { seq: 2, at: '2026-11-29T09:00:00.000Z', actor: 'support@g', action: 'data approved', note: 'ok' },
      { seq: 3, at: '2026-11-29T10:00:01.000Z', actor: 'leader@d', action: 'academic year started' },
      // Recorded a moment ago, after the state was read: already in audit_events.
      { seq: 4, at: '2026-11-29T10:00:01.000Z', actor: 'leader@d', action: 'academic year started' },
      { seq: 5, at: '2026-11-29T11:30:00.000Z', actor: 'support@g', action: 'sync paused', note: 'district asked' },
    ],
  };
  expect(auditTrail(recorded, state).map((e) => [e.action, e.note])).toEqual([
    ['sync paused', 'district asked'],
    ['academic year started', null],
    ['data approved', 'ok'],
  ]);
  // Everything recorded: the trail as audit_events holds it.
  expect(auditTrail(recorded, { ...state, auditRecordedSeq: 5 })).toEqual(recorded);
});
