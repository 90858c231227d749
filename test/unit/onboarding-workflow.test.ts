// Time-skipping tests on the real Temporal test server (pinned binary): every transition of
// DistrictOnboarding through its Updates, and every refusal with its reason.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  academicYearStartedUpdate,
  approveHeldRunUpdate,
  dataApprovedUpdate,
  nightlyWorkflowId,
  pauseUpdate,
  requestChangesUpdate,
  resumeUpdate,
  startReviewUpdate,
  syncNowUpdate,
} from '../../workflows/messages.js';
import {
  dormantCron,
  FakeWorld,
  feedFor,
  gate,
  initialLoadFinished,
  LEADER as leader,
  nightlyChildren,
  nightlyWaiting,
  schoolYearAt,
  stateOf,
  SUPPORT as support,
  timeSkippingSuite,
  waitFor,
  withDistrict,
  yearFor,
} from './onboarding-fakes.js';

const suite = timeSkippingSuite();
// Nothing here moves the server's clock: it is the real one.
const sy = schoolYearAt(Date.now());

/** The reason an Update was refused with (fails the test if it was accepted). */
async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

async function reviewFinished(handle: WorkflowHandle, runId: string) {
  return waitFor(`review ${runId} to finish`, async () => {
    const s = await stateOf(handle);
    return s.review?.runId === runId && s.review.status !== 'running' && s.activeRun === null ? s : null;
  });
}

async function runReview(handle: WorkflowHandle, note?: string) {
  const runId = randomUUID();
  const res = await handle.executeUpdate(startReviewUpdate, { args: [{ ...support, note, runId }] });
  expect(res.runId).toBe(runId);
  return reviewFinished(handle, runId);
}

test('every transition: review, changes, review, approve, year, sync now, pause, resume, rollover; audited in state and table', async () => {
  const { client } = suite;
  const world = new FakeWorld(client);
  world.feed = feedFor(sy);
  const cron = dormantCron(Date.now());
  await withDistrict(suite, world, { cronSchedule: cron }, async (handle, { districtId, firstRunId }) => {
    expect((await stateOf(handle)).phase).toBe('registered');

    // registered → in_review; the review is a dry run and carries the feed's terms.
    world.nextSummary = { blockingErrors: 2 };
    const first = await runReview(handle, 'first look');
    expect(first.phase).toBe('in_review');
    expect(first.review).toMatchObject({ status: 'succeeded', summary: { blockingErrors: 2, terms: feedFor(sy) } });
    expect(world.calls.filter((c) => c.name === 'applyRun')).toHaveLength(0);

    // in_review → needs_changes → in_review again
    const changes = await handle.executeUpdate(requestChangesUpdate, { args: [{ ...support, note: 'two teachers have no email' }] });
    expect(changes.phase).toBe('needs_changes');
    const second = await runReview(handle);
    expect(second.phase).toBe('in_review');
    expect(second.review?.summary?.blockingErrors).toBe(0);

    // in_review → awaiting_year_start, and the approved roster is applied at once (not a dry run),
    // so the district's leaders exist to sign in and start the year.
    const approved = await handle.executeUpdate(dataApprovedUpdate, { args: [{ ...support, note: 'looks right' }] });
    expect(approved).toMatchObject({ phase: 'awaiting_year_start', approval: { by: 'support@gradient', note: 'looks right' }, initialLoad: { status: 'running' } });
    const initialId = approved.initialLoad!.runId;
    expect(approved.activeRun).toEqual({ runId: initialId, kind: 'initial', workflowId: `district/${districtId}/initial/${initialId}` });
    const loaded = await initialLoadFinished(handle);
    expect(loaded.initialLoad).toMatchObject({ runId: initialId, status: 'succeeded', finishedAt: expect.any(String) });
    expect(loaded.lastRun).toMatchObject({ runId: initialId, status: 'succeeded' });
    expect(world.runsOf('initial')).toEqual([initialId]);
    expect(world.calls.filter((c) => c.runId === initialId).map((c) => c.name)).toEqual(['beginRun', 'fetchRoster', 'validateRun', 'applyRun', 'finishRun']);
    await expect(client.workflow.getHandle(nightlyWorkflowId(districtId)).describe()).rejects.toThrow();
    expect(world.academicYears.has(districtId)).toBe(false);

    // awaiting_year_start → syncing: the nightly child runs when the update answers.
    const started = await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...leader, ...yearFor(sy) }] });
    expect(started).toMatchObject({ phase: 'syncing', academicYear: yearFor(sy), nightly: { running: true, cronSchedule: cron } });
    expect(started.feedTerms).toMatchObject({ source: 'oneroster', terms: feedFor(sy) });
    // Recorded for the sync runs' term guard before the update answers.
    expect(world.academicYears.get(districtId)).toEqual(yearFor(sy));
    await nightlyWaiting(client, districtId);
    const { events } = await handle.fetchHistory();
    const childStart = events!.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === nightlyWorkflowId(districtId))!.startChildWorkflowExecutionInitiatedEventAttributes!;
    expect(childStart.cronSchedule).toBe(cron);
    expect(childStart.parentClosePolicy).toBe(2); // ABANDON: survives the parent's continue-as-new
    // The chain's first run as the parent started it (the test server drops them on cron runs after it).
    const [chain] = await nightlyChildren(client, districtId, firstRunId);
    const child = await client.workflow.getHandle(nightlyWorkflowId(districtId), chain!.runId).describe();
    expect(child.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual([['DistrictId', districtId]]);
    expect(child.memo).toEqual({ districtName: 'Test ISD' });
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['RUNNING']);

    // Sync now: a one-off manual run while syncing.
    const manualId = randomUUID();
    await handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: manualId }] });
    await waitFor('the manual run', async () => (await stateOf(handle)).lastRun?.runId === manualId);
    expect(world.runsOf('manual')).toEqual([manualId]);

    // syncing → paused: the nightly child is gone when the update answers; → syncing: a new one runs.
    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ ...support, note: 'district asked' }] });
    expect(paused).toMatchObject({ phase: 'paused', pausedReason: 'paused by support@gradient: district asked', nightly: { running: false } });
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['TERMINATED']);
    const resumed = await handle.executeUpdate(resumeUpdate, { args: [support] });
    expect(resumed).toMatchObject({ phase: 'syncing', pausedReason: null, nightly: { running: true } });
    await nightlyWaiting(client, districtId);
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['TERMINATED', 'RUNNING']);

    // A new year while syncing rolls over: same nightly child, new dates.
    world.feed = [...feedFor(sy), ...feedFor(sy + 1)];
    const rolled = await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...leader, ...yearFor(sy + 1) }] });
    expect(rolled).toMatchObject({ phase: 'syncing', academicYear: yearFor(sy + 1) });
    // The kept nightly child's runs read the new year from there.
    expect(world.academicYears.get(districtId)).toEqual(yearFor(sy + 1));
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['TERMINATED', 'RUNNING']);

    // The phase is a search attribute kept current.
    const described = await handle.describe();
    expect(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['DistrictId', districtId],
        ['OnboardingPhase', 'syncing'],
      ]),
    );

    // The audit trail: who, when, note — in the state and, through the activity, in the table.
    const state = await waitFor('the audit rows', async () => {
      const s = await stateOf(handle);
      return s.auditRecordedSeq === s.auditSeq ? s : null;
    });
    expect(state.audit.map((a) => [a.actor, a.action, a.note])).toEqual([
      ['support@test', 'district registered', undefined],
      ['support@gradient', 'review started', 'first look'],
      ['support@gradient', 'changes requested', 'two teachers have no email'],
      ['support@gradient', 'review started', undefined],
      ['support@gradient', 'data approved', 'looks right'],
      ['support@gradient', 'initial sync started', undefined],
      ['leader@district', `academic year ${sy} started`, undefined],
      ['support@gradient', 'manual sync started', undefined],
      ['support@gradient', 'sync paused', 'district asked'],
      ['support@gradient', 'sync resumed', undefined],
      ['leader@district', `academic year rolled over to ${sy + 1}`, undefined],
    ]);
    for (const a of state.audit) expect(Number.isNaN(Date.parse(a.at))).toBe(false);
    expect([...world.auditRows.values()].map(({ districtId: _d, ...e }) => e)).toEqual(state.audit);
  });
});

test('every refusal answers with its reason and changes nothing', async () => {
  const { client } = suite;
  const world = new FakeWorld(client);
  world.feed = feedFor(sy);
  await withDistrict(suite, world, { cronSchedule: dormantCron(Date.now()) }, async (handle) => {
    const year = { ...leader, ...yearFor(sy) };
    // registered
    expect(await refusal(handle.executeUpdate(dataApprovedUpdate, { args: [support] }))).toMatch(/no review has been run yet: start a review first/);
    expect(await refusal(handle.executeUpdate(requestChangesUpdate, { args: [support] }))).toMatch(/under review \(phase is registered\)/);
    expect(await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [year] }))).toMatch(/once support has approved the data \(phase is registered\)/);
    expect(await refusal(handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toMatch(/syncing starts once support has approved the data \(phase is registered\)/);
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [support] }))).toMatch(/only a syncing district can be paused \(phase is registered\)/);
    expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [support] }))).toMatch(/only a paused district can be resumed/);

    // a review in progress
    world.fetchGate = gate();
    const runId = randomUUID();
    await handle.executeUpdate(startReviewUpdate, { args: [{ ...support, runId }] });
    expect(await refusal(handle.executeUpdate(startReviewUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toMatch(new RegExp(`review run \\(${runId}\\) is still in progress`));
    expect(await refusal(handle.executeUpdate(dataApprovedUpdate, { args: [support] }))).toMatch(/the review is still running: wait for its report/);
    expect(await refusal(handle.executeUpdate(requestChangesUpdate, { args: [support] }))).toMatch(/the review is still running/);
    world.fetchGate.open();
    world.fetchGate = null;
    await reviewFinished(handle, runId);

    // a failed review, then one with blocking errors
    world.failNext = 'ClassLink rejected the client credentials (401)';
    await runReview(handle);
    expect(await refusal(handle.executeUpdate(dataApprovedUpdate, { args: [support] }))).toMatch(/the last review failed \(ClassLink rejected the client credentials \(401\)\): fix the cause and review again/);
    world.nextSummary = { blockingErrors: 7 };
    await runReview(handle);
    expect(await refusal(handle.executeUpdate(dataApprovedUpdate, { args: [support] }))).toMatch(/the review found 7 blocking error\(s\)/);
    await handle.executeUpdate(requestChangesUpdate, { args: [support] });
    expect(await refusal(handle.executeUpdate(dataApprovedUpdate, { args: [support] }))).toMatch(/changes were requested after the last review/);
    await runReview(handle);
    // The initial load in progress: no other run may start.
    world.fetchGate = gate();
    const { initialLoad } = await handle.executeUpdate(dataApprovedUpdate, { args: [support] });
    expect(await refusal(handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toMatch(new RegExp(`an initial run \\(${initialLoad!.runId}\\) is still in progress`));
    world.fetchGate.open();
    world.fetchGate = null;
    await initialLoadFinished(handle);

    // awaiting_year_start: the year's dates
    expect(await refusal(handle.executeUpdate(startReviewUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toMatch(/already approved \(phase is awaiting_year_start\): reviews happen before approval/);
    expect(await refusal(handle.executeUpdate(dataApprovedUpdate, { args: [support] }))).toMatch(/already approved/);
    expect(await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...year, schoolYear: 'next' }] }))).toMatch(/schoolYear must look like 2027 or 2026-2027/);
    expect(await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...year, startDate: `${sy - 1}-02-30` }] }))).toMatch(/is not a real date/);
    expect(await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...year, startDate: year.endDate, endDate: year.startDate }] }))).toMatch(/must be before the last day/);
    expect(await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...year, ...yearFor(sy - 1) }] }))).toMatch(/has already passed in America\/Chicago: enter the coming year's dates/);
    const uncovered = await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...year, ...yearFor(sy + 1) }] }));
    expect(uncovered).toBe(
      `the year ${sy}-08-15..${sy + 1}-06-30 covers none of the feed's terms (${sy - 1}-${sy} School Year [schoolYear as-${sy}-0] ${sy - 1}-08-15..${sy}-06-30, Fall Semester ${sy - 1} [semester as-${sy}-1] ${sy - 1}-08-15..${sy - 1}-12-19, Spring Semester ${sy} [semester as-${sy}-2] ${sy}-01-06..${sy}-06-30): check the dates`,
    );
    // ClassLink down: checked against the terms seen before, still refused with the reason.
    world.feedDown = true;
    expect(await refusal(handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...year, ...yearFor(sy + 1) }] }))).toMatch(/covers none of the feed's terms/);
    expect((await stateOf(handle)).feedTerms?.source).toBe('cached');
    world.feedDown = false;
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [support] }))).toMatch(/phase is awaiting_year_start/);
    expect((await stateOf(handle)).phase).toBe('awaiting_year_start');

    // syncing: a nightly run in progress (only the run table knows) blocks sync-now
    await handle.executeUpdate(academicYearStartedUpdate, { args: [year] });
    await nightlyWaiting(client, (await stateOf(handle)).districtId);
    world.runningInDb = { runId: 'nightly-1', kind: 'nightly', startedAt: '2026-11-28T05:45:00.000Z' };
    expect(await refusal(handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toBe(
      'the nightly run nightly-1 has been running since 2026-11-28T05:45:00.000Z: wait for it to finish, then sync again',
    );
    world.runningInDb = null;
    world.fetchGate = gate();
    const manual = randomUUID();
    await handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: manual }] });
    expect(await refusal(handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toMatch(new RegExp(`manual run \\(${manual}\\) is still in progress`));
    world.fetchGate.open();
    world.fetchGate = null;
    expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [support] }))).toMatch(/phase is syncing/);
    expect(await refusal(handle.executeUpdate(requestChangesUpdate, { args: [support] }))).toMatch(/phase is syncing/);

    // Refused messages leave no trace in the audit trail.
    const s = await stateOf(handle);
    expect(s.audit.map((a) => a.action)).toEqual([
      'district registered',
      'review started',
      'review started',
      'review started',
      'changes requested',
      'review started',
      'data approved',
      'initial sync started',
      `academic year ${sy} started`,
      'manual sync started',
    ]);
  });
});

test('a failed initial load is shown and retried with sync-now before the year starts', async () => {
  const { client } = suite;
  const world = new FakeWorld(client);
  world.feed = feedFor(sy);
  await withDistrict(suite, world, { cronSchedule: dormantCron(Date.now()) }, async (handle) => {
    await runReview(handle);
    world.failNext = 'ClassLink answered 503 three times';
    const { initialLoad } = await handle.executeUpdate(dataApprovedUpdate, { args: [support] });
    const failed = await waitFor('the failed initial load', async () => {
      const s = await stateOf(handle);
      return s.initialLoad?.status === 'failed' && s.activeRun === null ? s : null;
    });
    expect(failed.initialLoad).toMatchObject({ runId: initialLoad!.runId, reason: 'ClassLink answered 503 three times' });
    expect(failed.phase).toBe('awaiting_year_start');
    expect(world.calls.filter((c) => c.runId === initialLoad!.runId).map((c) => c.name)).toEqual(['beginRun', 'fetchRoster', 'validateRun', 'failRun', 'notifyRunOutcome']);

    // Support retries before the year starts: a manual run applies the roster.
    const retry = randomUUID();
    await handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: retry }] });
    const after = await waitFor('the retry', async () => {
      const s = await stateOf(handle);
      return s.lastRun?.runId === retry && s.activeRun === null ? s : null;
    });
    expect(after).toMatchObject({ phase: 'awaiting_year_start', lastRun: { status: 'succeeded' }, initialLoad: { status: 'failed' } });
    expect(world.calls.filter((c) => c.runId === retry).map((c) => c.name)).toContain('applyRun');
  });
});

test('a held initial load shows as held, blocks other runs but not the year, and applies once support approves it', async () => {
  const { client } = suite;
  const world = new FakeWorld(client);
  world.feed = feedFor(sy);
  await withDistrict(suite, world, { cronSchedule: dormantCron(Date.now()) }, async (handle, { districtId }) => {
    await runReview(handle);
    world.holdNext = 'Held for support: ClassLink sent no users';
    const { initialLoad } = await handle.executeUpdate(dataApprovedUpdate, { args: [support] });
    const runId = initialLoad!.runId;
    const held = await waitFor('the held initial load', async () => {
      const s = await stateOf(handle);
      return s.initialLoad?.status === 'held' ? s : null;
    });
    expect(held.initialLoad).toMatchObject({ runId, reason: 'Held for support: ClassLink sent no users' });
    expect(held.initialLoad?.finishedAt).toBeUndefined();
    expect(held.activeRun).toMatchObject({ runId, kind: 'initial' });
    expect(await refusal(handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: randomUUID() }] }))).toMatch(/an initial run .* is still in progress/);

    // The year does not wait for support's decision (there is no old year to finish first).
    const year = await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...leader, ...yearFor(sy) }] });
    expect(year).toMatchObject({ phase: 'syncing', initialLoad: { status: 'held' } });
    await nightlyWaiting(client, districtId);

    // Support approves the held run on the run's own workflow (what POST /runs/:id/approve does).
    const decided = await client.workflow.getHandle(initialLoad!.workflowId).executeUpdate(approveHeldRunUpdate, { args: [{ ...support, runId }] });
    expect(decided).toEqual({ runId, decision: 'approved' });
    const done = await initialLoadFinished(handle);
    expect(done.initialLoad).toMatchObject({ runId, status: 'succeeded' });
    expect(done.initialLoad?.reason).toBeUndefined();
    expect(world.calls.filter((c) => c.runId === runId).map((c) => c.name)).toEqual(['beginRun', 'fetchRoster', 'validateRun', 'notifyRunOutcome', 'applyRun', 'finishRun']);
  });
});
