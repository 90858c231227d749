// Time-skipping tests of DistrictOnboarding's long life: rollover while a run is going,
// continue-as-new with exactly one nightly child, and pause → resume → pause leaving no stray run.
import { randomUUID } from 'node:crypto';
import { academicYearStartedUpdate, onboardingWorkflowId, pauseUpdate, resumeUpdate, syncNowUpdate } from '../../workflows/messages.js';
import {
  dormantCron,
  FakeWorld,
  feedFor,
  gate,
  LEADER as leader,
  nightlyChildren,
  nightlyWaiting,
  parentRuns,
  schoolYearAt,
  stateOf,
  SUPPORT as support,
  timeSkippingSuite,
  toSyncing,
  waitFor,
  withDistrict,
  yearFor,
} from './onboarding-fakes.js';

const suite = timeSkippingSuite();
let sy: number;

// Nothing in this file moves the server's clock, so it is the real one. (The environment's own
// connection is left alone after setup: see quietClient.)
beforeEach(() => {
  sy = schoolYearAt(Date.now());
});

test('a new year while a run is going: the run finishes first, then the year switches; one nightly child throughout', async () => {
  const { client } = suite;
  const world = new FakeWorld(client);
  world.feed = [...feedFor(sy), ...feedFor(sy + 1)];
  await withDistrict(suite, world, { cronSchedule: dormantCron(Date.now()) }, async (handle, { districtId, firstRunId }) => {
    await toSyncing(suite, handle, districtId, sy);
    world.fetchGate = gate();
    const manual = randomUUID();
    await handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: manual }] });
    const rollover = handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...leader, ...yearFor(sy + 1) }] });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stateOf(handle)).academicYear?.schoolYear).toBe(String(sy)); // still the old year
    world.fetchGate.open();
    const after = await rollover;
    expect(after).toMatchObject({ phase: 'syncing', academicYear: yearFor(sy + 1), lastRun: { runId: manual, status: 'succeeded' } });
    expect(world.calls.filter((c) => c.runId === manual).map((c) => c.name)).toEqual(['beginRun', 'fetchRoster', 'validateRun', 'applyRun', 'finishRun']);
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['RUNNING']);
  });
});

test('continue-as-new carries the state, waits for a run in progress, and keeps exactly one nightly child; pause → resume → pause leaves no stray run', async () => {
  const { client } = suite;
  const world = new FakeWorld(client);
  world.feed = feedFor(sy);
  await withDistrict(suite, world, { cronSchedule: dormantCron(Date.now()), maxHistoryEvents: 20 }, async (handle, { districtId, firstRunId }) => {
    await toSyncing(suite, handle, districtId, sy);
    // (The time-skipping server fires a plain cron child once as it starts: wait for that to pass.)
    const [nightly] = await waitFor('the nightly chain to wait for its next firing', async () => {
      const children = await nightlyChildren(client, districtId, firstRunId);
      return children.length === 1 && children[0]!.status === 'RUNNING' ? children : null;
    });

    // Grow the history with one-off runs until the workflow has continued as new past the run that
    // started the nightly child.
    const runsOf = () => parentRuns(client, onboardingWorkflowId(districtId), firstRunId);
    const continuedAfterChild = async () => {
      const runs = await runsOf();
      return runs.slice(runs.indexOf(nightly!.parentRunId) + 1);
    };
    for (let i = 0; i < 6 && (await continuedAfterChild()).length === 0; i++) {
      const runId = randomUUID();
      await handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId }] });
      await waitFor('the manual run', async () => (await stateOf(handle)).lastRun?.runId === runId);
    }
    const later = await waitFor('a continue-as-new after the child started', async () => ((await continuedAfterChild()).length > 0 ? continuedAfterChild() : null));
    const s = await stateOf(handle);
    expect(s).toMatchObject({ phase: 'syncing', approval: { by: 'support@gradient' }, academicYear: yearFor(sy), nightly: { running: true } });
    expect(s.generation).toBeGreaterThanOrEqual(1);
    expect(s.audit.slice(0, 5).map((a) => a.action)).toEqual(['district registered', 'review started', 'data approved', 'initial sync started', `academic year ${sy} started`]);

    // Exactly one nightly chain, the same one, never restarted by the later runs.
    expect(await nightlyChildren(client, districtId, firstRunId)).toEqual([nightly]);
    for (const runId of later) {
      const { events } = await client.workflow.getHandle(onboardingWorkflowId(districtId), runId).fetchHistory();
      expect(events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId?.endsWith('/nightly'))).toHaveLength(0);
    }
    const latest = await handle.describe();
    expect(latest.memo).toEqual({ districtName: 'Test ISD' });
    expect(latest.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(expect.arrayContaining([['DistrictId', districtId], ['OnboardingPhase', 'syncing']]));

    // A run in progress holds continue-as-new back however long the history grows.
    world.fetchGate = gate();
    const manual = randomUUID();
    await handle.executeUpdate(syncNowUpdate, { args: [{ ...support, runId: manual }] });
    const runsBefore = (await runsOf()).length;
    for (let i = 0; i < 4; i++) {
      await handle.executeUpdate(pauseUpdate, { args: [support] });
      await handle.executeUpdate(resumeUpdate, { args: [support] });
      await nightlyWaiting(client, districtId);
    }
    expect((await runsOf()).length).toBe(runsBefore);
    world.fetchGate.open();
    await waitFor('continue-as-new after the run', async () => (await runsOf()).length > runsBefore);
    // The run that waited saw the manual run complete before it handed over.
    const waited = (await runsOf())[runsBefore - 1]!;
    const { events: waitedEvents } = await client.workflow.getHandle(onboardingWorkflowId(districtId), waited).fetchHistory();
    expect(waitedEvents!.some((e) => e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId?.endsWith(`/manual/${manual}`))).toBe(true);
    expect(world.calls.filter((c) => c.runId === manual).map((c) => c.name)).toContain('finishRun');

    // pause → resume → pause: every chain stopped, none running, none left behind.
    await handle.executeUpdate(pauseUpdate, { args: [support] });
    await handle.executeUpdate(resumeUpdate, { args: [support] });
    await nightlyWaiting(client, districtId);
    await handle.executeUpdate(pauseUpdate, { args: [support] });
    const all = await nightlyChildren(client, districtId, firstRunId);
    expect(all.length).toBe(1 + 4 + 1); // the first chain, one per resume
    // Stopped while waiting for a firing → terminated; stopped mid-firing → cancelled. Never running.
    expect(all.filter((c) => c.status !== 'TERMINATED' && c.status !== 'CANCELLED')).toEqual([]);
    const final = await stateOf(handle);
    expect(final).toMatchObject({ phase: 'paused', nightly: { running: false }, activeRun: null });
    await waitFor('every audit entry in audit_events', async () => {
      const s = await stateOf(handle);
      return s.auditRecordedSeq === s.auditSeq;
    });
  });
});
