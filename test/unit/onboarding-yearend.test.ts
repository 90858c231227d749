// Time-skipping test of the year end: after the started year's last day (midnight in the district's
// zone) the workflow pauses itself on a durable timer and waits for the next year. One test per
// file: env.sleep talks over the environment's own connection, which the test server starts to
// refuse after a minute or so of keepalive pings.
import { academicYearStartedUpdate, pauseUpdate, resumeUpdate } from '../../workflows/messages.js';
import { yearEndsAt } from '../../workflows/onboarding-clock.js';
import {
  dormantCron,
  FakeWorld,
  feedFor,
  LEADER as leader,
  nightlyChildren,
  nightlyWaiting,
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

beforeEach(async () => {
  sy = schoolYearAt(await suite.env.currentTimeMs());
});

async function sleepUntil(ms: number) {
  const { env } = suite;
  const now = await env.currentTimeMs();
  if (ms > now) await env.sleep(ms - now);
}

test('after the last day the sync pauses itself; support resumes early; the next year starts from paused and re-arms', async () => {
  const { env, client } = suite;
  const world = new FakeWorld(client);
  world.feed = feedFor(sy);
  await withDistrict(suite, world, { cronSchedule: dormantCron(await env.currentTimeMs()) }, async (handle, { districtId, firstRunId }) => {
    const started = await toSyncing(suite, handle, districtId, sy);
    const endsAt = yearEndsAt(yearFor(sy).endDate, 'America/Chicago');
    expect(started.yearEndsAt).toBe(new Date(endsAt).toISOString());

    // The last day itself (until midnight Chicago) still syncs.
    await sleepUntil(endsAt - 60 * 60_000);
    expect((await stateOf(handle)).phase).toBe('syncing');

    await sleepUntil(endsAt + 60 * 60_000);
    const ended = await waitFor('the year-end pause', async () => {
      const s = await stateOf(handle);
      return s.phase === 'paused' && !s.nightly.running ? s : null;
    });
    expect(ended).toMatchObject({ pausedReason: 'school year ended', yearEnded: true });
    expect(ended.audit.at(-1)).toMatchObject({ actor: 'system', action: 'school year ended', details: { schoolYear: String(sy) } });
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['TERMINATED']);
    // The pause came from a timer in the workflow, not from polling.
    const { events } = await handle.fetchHistory();
    expect(events!.some((e) => e.timerStartedEventAttributes && Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds) > 30 * 86_400)).toBe(true);

    // Support resumes early: syncing again, and days later it has not paused itself again.
    await handle.executeUpdate(resumeUpdate, { args: [{ ...support, note: 'summer school' }] });
    await nightlyWaiting(client, districtId);
    await env.sleep('3 days');
    const summer = await stateOf(handle);
    expect(summer).toMatchObject({ phase: 'syncing', nightly: { running: true } });
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['TERMINATED', 'RUNNING']);

    // Paused again, the leader starts the next year: syncing with a fresh year-end timer.
    await handle.executeUpdate(pauseUpdate, { args: [support] });
    world.feed = feedFor(sy + 1);
    const next = await handle.executeUpdate(academicYearStartedUpdate, { args: [{ ...leader, ...yearFor(sy + 1) }] });
    expect(next).toMatchObject({ phase: 'syncing', yearEnded: false, academicYear: yearFor(sy + 1), nightly: { running: true } });
    await nightlyWaiting(client, districtId);
    expect((await nightlyChildren(client, districtId, firstRunId)).map((c) => c.status)).toEqual(['TERMINATED', 'TERMINATED', 'RUNNING']);
    await sleepUntil(yearEndsAt(yearFor(sy + 1).endDate, 'America/Chicago') + 60_000);
    await waitFor('the second year-end pause', async () => (await stateOf(handle)).pausedReason === 'school year ended');
  });
});
