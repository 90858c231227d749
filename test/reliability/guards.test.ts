// Guards: an empty users feed and a mass drop of students each hold the run. While held, not one
// live row is written (row versions unchanged); support's decision over the API then applies it exactly
// as staged, or discards it with nothing applied.
import type { RunningSandbox } from '../../sandbox/server.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { Tenants } from './support/districts.js';
import { recordFigures } from './support/figures.js';
import { runRow, startRun, waitUntil, rowVersions, type RunRow } from './support/rig.js';

let sys: TestSystem;
const tenants = new Tenants(() => sys);

beforeAll(async () => {
  sys = await startTestSystem();
});

afterAll(async () => {
  await tenants.close();
  await sys?.stop();
});

async function liveUsers(districtId: string): Promise<{ active: number; deleted: number }> {
  const rows = await sys.database.db.selectFrom('users').select(['deleted_at']).where('district_id', '=', districtId).execute();
  return { active: rows.filter((r) => r.deleted_at === null).length, deleted: rows.filter((r) => r.deleted_at !== null).length };
}

/** A district with yesterday's roster, then a run against a tenant with `faults` that must be held. */
async function heldRun(districtId: string, faults: Parameters<RunningSandbox['setFaults']>[0]) {
  const { sandbox, before } = await tenants.withRoster(districtId, { seed: 31 });
  const usersBefore = await liveUsers(districtId);
  sandbox.setFaults(faults);
  const run = await startRun(sys.env.client, districtId, sys.config.temporal.taskQueue);
  const held = await waitUntil<RunRow>(`run of ${districtId} to be held`, async () => {
    const row = await runRow(sys.database.db, run.runId);
    if (row && row.status !== 'running' && row.status !== 'held') throw new Error(`run is ${row.status}: ${row.reason}`);
    return row?.status === 'held' ? row : null;
  });
  // Held for a while: still nothing written.
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await rowVersions(sys.database.db, districtId)).toEqual(before);
  return { sandbox, run, held, before, usersBefore };
}

test('an empty users feed is held, writes nothing while held, and removes the users only once approved', async () => {
  const { run, held, usersBefore } = await heldRun('guard-empty', { emptyUsers: true });
  expect(held.reason).toMatch(/users/i);
  expect(usersBefore.active).toBeGreaterThan(100);

  const approve = await sys.api('POST', `/api/districts/guard-empty/runs/${run.runId}/approve`, { note: 'the district really did clear its users' });
  expect(approve.status).toBe(202);
  await expect(run.result).resolves.toMatchObject({ status: 'succeeded' });
  const after = await liveUsers('guard-empty');
  expect(after.active).toBe(0);
  expect(after.deleted).toBe(usersBefore.active + usersBefore.deleted);
  recordFigures('guards', { guardHolds: 1 }, [`empty users feed: held (${held.reason}); 0 rows written while held; approval soft-deleted all ${usersBefore.active} active users, nothing hard-deleted`]);
});

test('a mass drop of students is held, writes nothing while held, and a discard leaves the roster untouched', async () => {
  const { run, held, before } = await heldRun('guard-drop', { massDropStudentsPercent: 40 });
  expect(held.reason).toMatch(/remov|drop|threshold|%/i);

  const discard = await sys.api('POST', `/api/districts/guard-drop/runs/${run.runId}/discard`, { note: 'SIS export was cut short' });
  expect(discard.status).toBe(202);
  await expect(run.result).resolves.toMatchObject({ status: 'discarded' });
  expect(await rowVersions(sys.database.db, 'guard-drop')).toEqual(before);
  recordFigures('guards', { guardHolds: 1, rowsLost: 0 }, [`40% student drop: held (${held.reason}); discarded with 0 of ${Object.keys(before).length} live rows written`]);
});
