// The onboarding state machine on its own: every transition, every refusal and its reason.
import type { RunSummary, TermInfo } from '../../workflows/messages.js';
import { AUDIT_IN_STATE, checkYearCoversTerms, initialState, OnboardingMachine, termsCoveredBy } from '../../workflows/onboarding-machine.js';

const NOW = '2026-11-28T12:00:00.000Z';
const NOW_MS = Date.parse(NOW);
const support = { actor: 'support@gradient', note: 'checked' };
const YEAR = { schoolYear: '2027', startDate: '2026-08-15', endDate: '2027-06-05' };

function machine() {
  return new OnboardingMachine(initialState('demo', 'Demo ISD', 'America/Chicago', 'district/demo/nightly', 'CRON_TZ=America/Chicago 45 23 * * *'));
}

function review(runId: string, extra: Partial<RunSummary> = {}): RunSummary {
  return { runId, kind: 'review', status: 'succeeded', blockingErrors: 0, warnings: 0, recordsFetched: 100, finishedAt: NOW, ...extra };
}

function reviewed(m = machine(), extra: Partial<RunSummary> = {}) {
  m.startReview(NOW, { ...support, runId: 'r1' }, 'district/demo/review/r1');
  m.runFinished(review('r1', extra));
  return m;
}

function syncing() {
  const m = reviewed();
  m.approve(NOW, support);
  m.startAcademicYear(NOW, { ...support, ...YEAR });
  return m;
}

const term = (sourcedId: string, type: string, startDate: string, endDate: string, title = sourcedId): TermInfo => ({ sourcedId, title, type, startDate, endDate });
const FEED_2026_27 = [
  term('as-2027-0', 'schoolYear', '2026-08-15', '2027-06-05', '2026-2027 School Year'),
  term('as-2027-1', 'semester', '2026-08-15', '2026-12-19', 'Fall Semester 2026'),
  term('as-2027-2', 'semester', '2027-01-06', '2027-06-05', 'Spring Semester 2027'),
];

describe('transitions', () => {
  test('registered → in_review → needs_changes → in_review → awaiting_year_start → syncing', () => {
    const m = machine();
    expect(m.state.phase).toBe('registered');
    m.startReview(NOW, { ...support, runId: 'r1' }, 'w1');
    expect(m.state).toMatchObject({ phase: 'in_review', review: { runId: 'r1', status: 'running' }, activeRun: { runId: 'r1', kind: 'review' } });
    m.runFinished(review('r1', { blockingErrors: 3 }));
    expect(m.state.activeRun).toBeNull();
    m.requestChanges(NOW, { actor: 'support@gradient', note: 'fix teacher emails' });
    expect(m.state.phase).toBe('needs_changes');
    expect(m.checkStartReview()).toBeNull();
    m.startReview(NOW, { ...support, runId: 'r2' }, 'w2');
    m.runFinished(review('r2'));
    expect(m.state.review).toMatchObject({ runId: 'r2', status: 'succeeded' });
    m.approve(NOW, support);
    expect(m.state).toMatchObject({ phase: 'awaiting_year_start', approval: { by: 'support@gradient', at: NOW, note: 'checked' } });
    m.startAcademicYear(NOW, { actor: 'leader@district', ...YEAR });
    expect(m.state).toMatchObject({ phase: 'syncing', academicYear: YEAR, yearEndsAt: '2027-06-06T05:00:00.000Z', yearEnded: false });
    expect(m.nightlyWanted).toBe(true);
    expect(m.state.audit.map((a) => a.action)).toEqual(['review started', 'changes requested', 'review started', 'data approved', 'academic year 2027 started']);
    expect(m.state.audit.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(m.state.audit[1]).toMatchObject({ actor: 'support@gradient', at: NOW, note: 'fix teacher emails' });
  });

  test('syncing ↔ paused; the nightly child is wanted only while syncing', () => {
    const m = syncing();
    m.pause(NOW, { actor: 'support@gradient', note: 'district asked' });
    expect(m.state).toMatchObject({ phase: 'paused', pausedReason: 'paused by support@gradient: district asked' });
    expect(m.nightlyWanted).toBe(false);
    m.resume(NOW, support);
    expect(m.state).toMatchObject({ phase: 'syncing', pausedReason: null });
    expect(m.nightlyWanted).toBe(true);
  });

  test('a new year while syncing rolls over: new dates, still syncing, recorded as a rollover', () => {
    const m = syncing();
    m.startAcademicYear(NOW, { actor: 'leader', schoolYear: '2028', startDate: '2027-08-16', endDate: '2028-06-02' });
    expect(m.state).toMatchObject({ phase: 'syncing', academicYear: { schoolYear: '2028' }, yearEndsAt: '2028-06-03T05:00:00.000Z' });
    expect(m.state.audit.at(-1)).toMatchObject({ action: 'academic year rolled over to 2028', details: { previousSchoolYear: '2027' } });
  });

  test('year end: due after the last day in the zone; pauses once; resume does not pause again; next year re-arms', () => {
    const m = syncing();
    const end = Date.parse('2027-06-06T05:00:00Z');
    expect(m.msUntilYearEnd(NOW_MS)).toBe(end - NOW_MS);
    expect(m.yearEndDue(end - 1)).toBe(false);
    expect(m.yearEndDue(end)).toBe(true);
    m.endYear('2027-06-06T05:00:00.000Z');
    expect(m.state).toMatchObject({ phase: 'paused', pausedReason: 'school year ended', yearEnded: true });
    expect(m.state.audit.at(-1)).toMatchObject({ actor: 'system', action: 'school year ended' });
    expect(m.yearEndDue(end + 1)).toBe(false);
    expect(m.msUntilYearEnd(end + 1)).toBeNull();
    m.resume('2027-06-07T00:00:00.000Z', support);
    expect(m.state.phase).toBe('syncing');
    expect(m.yearEndDue(end + 86_400_000)).toBe(false);
    m.startAcademicYear('2027-08-01T00:00:00.000Z', { actor: 'leader', schoolYear: '2028', startDate: '2027-08-16', endDate: '2028-06-02' });
    expect(m.state.yearEnded).toBe(false);
    expect(m.msUntilYearEnd(Date.parse('2027-08-01T00:00:00Z'))).toBeGreaterThan(0);
  });

  test('the year ending while paused by support still marks it ended', () => {
    const m = syncing();
    m.pause(NOW, support);
    expect(m.yearEndDue(Date.parse('2027-06-06T05:00:00Z'))).toBe(true);
    m.endYear('2027-06-06T05:00:00.000Z');
    expect(m.state).toMatchObject({ phase: 'paused', pausedReason: 'school year ended' });
  });

  test('runs: a one-off run blocks another until it finishes; nightly results become lastRun', () => {
    const m = syncing();
    m.startOneOffRun(NOW, { ...support, runId: 'm1' }, 'manual', 'w');
    expect(m.checkSyncNow()).toMatch(/manual run \(m1\) is still in progress/);
    m.runFinished({ ...review('m1'), kind: 'manual' });
    expect(m.checkSyncNow()).toBeNull();
    m.runFinished({ ...review('n1'), kind: 'nightly', status: 'held' });
    expect(m.state.lastRun).toMatchObject({ runId: 'n1', status: 'held' });
  });

  test('the initial load: shown from start to end; held keeps it active; other runs do not touch it', () => {
    const m = reviewed();
    m.approve(NOW, support);
    m.startOneOffRun(NOW, { actor: 'support@gradient', runId: 'i1' }, 'initial', 'district/demo/initial/i1');
    expect(m.state.initialLoad).toEqual({ runId: 'i1', workflowId: 'district/demo/initial/i1', status: 'running', startedAt: NOW });
    expect(m.checkSyncNow()).toBe('an initial run (i1) is still in progress: wait for it to finish');
    m.runFinished({ ...review('i1'), kind: 'initial', status: 'held', reason: 'Held for support: ClassLink sent no users' });
    expect(m.state.initialLoad).toEqual({ runId: 'i1', workflowId: 'district/demo/initial/i1', status: 'held', startedAt: NOW, reason: 'Held for support: ClassLink sent no users' });
    expect(m.state.activeRun).toMatchObject({ runId: 'i1' });
    expect(m.checkSyncNow()).toMatch(/an initial run \(i1\) is still in progress/);
    m.runFinished({ ...review('x9'), kind: 'manual', status: 'failed' });
    expect(m.state.initialLoad?.status).toBe('held');
    m.runFinished({ ...review('i1'), kind: 'initial', finishedAt: '2026-11-28T12:05:00.000Z' });
    expect(m.state.initialLoad).toEqual({ runId: 'i1', workflowId: 'district/demo/initial/i1', status: 'succeeded', startedAt: NOW, finishedAt: '2026-11-28T12:05:00.000Z' });
    expect(m.state.activeRun).toBeNull();
    expect(m.state.lastRun).toMatchObject({ runId: 'i1', kind: 'initial', status: 'succeeded' });
    expect(m.state.audit.map((a) => a.action).slice(-2)).toEqual(['data approved', 'initial sync started']);
  });

  test('a duplicate review report keeps the terms already attached', () => {
    const m = machine();
    m.startReview(NOW, { ...support, runId: 'r1' }, 'w');
    m.runFinished(review('r1', { terms: FEED_2026_27 }));
    m.runFinished(review('r1'));
    expect(m.state.review?.summary?.terms).toHaveLength(3);
  });

  test('the audit trail in the state keeps the newest entries once audit_events holds the rest', () => {
    const m = syncing();
    for (let i = 0; i < AUDIT_IN_STATE + 50; i++) {
      if (i % 2 === 0) m.pause(NOW, support);
      else m.resume(NOW, support);
    }
    // review, approval and year first: nothing recorded in audit_events yet, so nothing dropped.
    expect(m.state.audit.length).toBe(3 + AUDIT_IN_STATE + 50);
    m.auditRecorded(m.state.auditSeq);
    m.pause(NOW, support);
    expect(m.state.audit.length).toBe(AUDIT_IN_STATE);
    expect(m.unrecordedAudit().map((e) => e.seq)).toEqual([m.state.auditSeq]);
  });
});

describe('refusals say why', () => {
  test('review', () => {
    const m = machine();
    m.startReview(NOW, { ...support, runId: 'r1' }, 'w');
    expect(m.checkStartReview()).toMatch(/review run \(r1\) is still in progress: wait/);
    expect(syncing().checkStartReview()).toMatch(/already approved \(phase is syncing\)/);
  });

  test('approve', () => {
    expect(machine().checkApprove()).toMatch(/no review has been run yet: start a review first/);
    const running = machine();
    running.startReview(NOW, { ...support, runId: 'r1' }, 'w');
    expect(running.checkApprove()).toMatch(/still running/);
    expect(reviewed(machine(), { blockingErrors: 4 }).checkApprove()).toMatch(/found 4 blocking error\(s\)/);
    expect(reviewed(machine(), { status: 'failed', reason: 'ClassLink rejected the key' }).checkApprove()).toMatch(/the last review failed \(ClassLink rejected the key\): fix the cause/);
    const changes = reviewed();
    changes.requestChanges(NOW, support);
    expect(changes.checkApprove()).toMatch(/changes were requested/);
    expect(syncing().checkApprove()).toMatch(/already approved \(phase is syncing\)/);
    expect(reviewed().checkApprove()).toBeNull();
  });

  test('request changes', () => {
    expect(machine().checkRequestChanges()).toMatch(/under review \(phase is registered\)/);
    const running = machine();
    running.startReview(NOW, { ...support, runId: 'r1' }, 'w');
    expect(running.checkRequestChanges()).toMatch(/still running/);
    expect(syncing().checkRequestChanges()).toMatch(/phase is syncing/);
  });

  test('academic year: phase, shape, real dates, order, not already over', () => {
    expect(reviewed().checkAcademicYear(YEAR, NOW_MS)).toMatch(/once support has approved the data \(phase is in_review\)/);
    const m = reviewed();
    m.approve(NOW, support);
    expect(m.checkAcademicYear(YEAR, NOW_MS)).toBeNull();
    expect(m.checkAcademicYear({ ...YEAR, schoolYear: 'next' }, NOW_MS)).toMatch(/schoolYear must look like/);
    expect(m.checkAcademicYear({ ...YEAR, startDate: '2026-02-30' }, NOW_MS)).toMatch(/startDate "2026-02-30" is not a real date/);
    expect(m.checkAcademicYear({ ...YEAR, endDate: '2027-13-01' }, NOW_MS)).toMatch(/endDate "2027-13-01" is not a real date/);
    expect(m.checkAcademicYear({ ...YEAR, startDate: '2027-06-05', endDate: '2026-08-15' }, NOW_MS)).toMatch(/first day \(2027-06-05\) must be before the last day \(2026-08-15\)/);
    expect(m.checkAcademicYear({ ...YEAR, startDate: '2027-06-05' }, NOW_MS)).toMatch(/must be before/);
    expect(m.checkAcademicYear({ schoolYear: '2026', startDate: '2025-08-15', endDate: '2026-06-05' }, NOW_MS)).toMatch(/last day \(2026-06-05\) has already passed in America\/Chicago/);
  });

  test('sync now, pause, resume', () => {
    expect(reviewed().checkSyncNow()).toMatch(/syncing starts once support has approved the data \(phase is in_review\)/);
    expect(syncing().checkSyncNow()).toBeNull();
    // Approved, year not started: how support retries a failed initial load.
    const approved = reviewed();
    approved.approve(NOW, support);
    expect(approved.checkSyncNow()).toBeNull();
    expect(reviewed().checkPause()).toMatch(/only a syncing district can be paused \(phase is in_review\)/);
    expect(syncing().checkResume()).toMatch(/only a paused district can be resumed \(phase is syncing\)/);
    const paused = syncing();
    paused.pause(NOW, support);
    expect(paused.checkPause()).toMatch(/phase is paused/);
    expect(paused.checkSyncNow()).toBeNull();
    expect(paused.checkResume()).toBeNull();
  });
});

describe('the year must cover a term of the feed', () => {
  test('a year over the feed terms passes; a few days off still does', () => {
    expect(checkYearCoversTerms(YEAR, FEED_2026_27)).toBeNull();
    expect(termsCoveredBy({ ...YEAR, startDate: '2026-08-20', endDate: '2027-05-29' }, FEED_2026_27).map((t) => t.sourcedId)).toEqual(['as-2027-1', 'as-2027-2']);
  });

  test("next year's dates against this year's feed are refused, naming the feed's terms", () => {
    const reason = checkYearCoversTerms({ schoolYear: '2028', startDate: '2027-08-15', endDate: '2028-06-05' }, FEED_2026_27);
    expect(reason).toBe(
      "the year 2027-08-15..2028-06-05 covers none of the feed's terms (2026-2027 School Year [schoolYear as-2027-0] 2026-08-15..2027-06-05, Fall Semester 2026 [semester as-2027-1] 2026-08-15..2026-12-19, Spring Semester 2027 [semester as-2027-2] 2027-01-06..2027-06-05): check the dates",
    );
  });

  test('brushing the edge of a term is not covering it', () => {
    // Overlaps the spring semester by one week only.
    expect(checkYearCoversTerms({ schoolYear: '2028', startDate: '2027-05-29', endDate: '2028-05-01' }, FEED_2026_27)).toMatch(/covers none/);
  });

  test('a feed with only school-year sessions is checked against those; an empty feed is refused', () => {
    expect(checkYearCoversTerms(YEAR, [FEED_2026_27[0]!])).toBeNull();
    expect(checkYearCoversTerms(YEAR, [])).toMatch(/no academicSessions/);
    expect(checkYearCoversTerms(YEAR, [term('bad', 'term', 'soon', 'later')])).toMatch(/covers none/);
  });
});
