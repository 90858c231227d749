// After onboarding on the real dev server, Postgres and the sandbox: approval applies the roster so
// a leader signs in and starts the year with no sync-now; a run whose workflow was terminated no
// longer blocks the district; and a nightly run's term guard checks the year in force now, after
// a rollover, not the one its long-lived cron child was started under.
import { randomUUID } from 'node:crypto';
import { nightlyWorkflowId, type AcademicYear } from '../../workflows/messages.js';
import { decideHeldRun } from '../../api/held-run-decision.js';
import { createOnboardingActivities } from '../../activities/onboarding.js';
import { dateIn } from '../../roster/guards.js';
import { initialLoadFinished, runFinished } from '../support/onboard.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';
import { Browser, csrfOf, walkSso } from './sso-support.js';
import { registerDistrict, startRun, waitForStatus } from './sync-support.js';

const SSO_CLIENT = { client_id: 'gradient-first-roster', client_secret: 'first-roster-secret' };
const DISTRICT = 'lincoln';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({
    listen: true,
    sandbox: (apiUrl) => ({ oidcClients: [{ ...SSO_CLIENT, redirect_uris: [`${apiUrl}/sso/${DISTRICT}/callback`] }] }),
  });
});

afterAll(async () => {
  await sys?.stop();
});

const stateOf = async (id: string) => (await sys.api('GET', `/api/districts/${id}`)).json;
const rowOf = (runId: string) => sys.database.db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();

/** Signs in through the sandbox's ClassLink (OIDC) login; returns where our callback sent the browser. */
async function signIn(browser: Browser, login: string): Promise<{ status: number; location: string | null }> {
  const callback = await walkSso(browser, sys.url!, DISTRICT, login, { stopAtCallback: true });
  if (!(callback instanceof URL)) throw new Error(`the sign-in stopped before our callback (${callback.status})`);
  const res = await browser.go(callback);
  return { status: res.status, location: res.headers.get('location') };
}

test('register → review → approve, no sync-now: a leader signs in through ClassLink and starts the year', async () => {
  const g = sys.sandbox.generator;
  const register = await sys.api('POST', '/api/districts', {
    id: DISTRICT,
    name: 'Lincoln USD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
    sso: { issuer: sys.sandbox.oidcIssuer, clientId: SSO_CLIENT.client_id, clientSecret: SSO_CLIENT.client_secret },
  });
  expect(register.status).toBe(201);
  // Logins must carry the tenant's id, as a real ClassLink tenant's do.
  expect((await sys.api('PUT', `/api/districts/${DISTRICT}/sso`, { issuer: sys.sandbox.oidcIssuer, clientId: SSO_CLIENT.client_id, tenantId: g.tenantId })).status).toBe(200);
  const review = await sys.api('POST', `/api/districts/${DISTRICT}/review`, {});
  expect((await runFinished(sys, DISTRICT, review.json.runId)).status).toBe('succeeded');
  await waitFor('the review in the state', async () => (await stateOf(DISTRICT)).review?.status === 'succeeded');

  // The review was a dry run: the leader-to-be is in no live table, so ClassLink sign-in is refused.
  const leader = [...g.records('users')].find((u) => u.role === 'administrator' && u.status === 'active' && u.enabledUser === 'true')!;
  const before = await signIn(new Browser(), leader.email);
  expect(before.status).toBe(403);
  expect((await sys.api('PUT', `/api/districts/${DISTRICT}/leaders/${leader.sourcedId}`, { title: 'system_admin' })).status).toBe(404);

  // Data approved: the answer comes at once and shows the initial load it started.
  const approve = await sys.api('POST', `/api/districts/${DISTRICT}/approve`, { note: 'counts match the SIS' });
  expect(approve.status).toBe(200);
  expect(approve.json).toMatchObject({ phase: 'awaiting_year_start', initialLoad: { status: 'running' }, activeRun: { kind: 'initial' } });
  const initialId = approve.json.initialLoad.runId as string;
  const initial = await initialLoadFinished(sys, DISTRICT);
  expect(initial).toMatchObject({ id: initialId, kind: 'initial', dryRun: false, mode: 'full', status: 'succeeded', summary: { applied: true } });
  expect(initial.counts.users.inserted).toBeGreaterThan(0);
  expect(await stateOf(DISTRICT)).toMatchObject({ phase: 'awaiting_year_start', initialLoad: { runId: initialId, status: 'succeeded' }, lastRun: { runId: initialId, kind: 'initial' } });
  // Nothing else ran: no sync-now, no nightly child yet.
  expect((await sys.api('GET', `/api/districts/${DISTRICT}/runs`)).json.runs.map((r: { kind: string }) => r.kind).sort()).toEqual(['initial', 'review']);
  await expect(sys.env.client.workflow.getHandle(nightlyWorkflowId(DISTRICT)).describe()).rejects.toThrow();

  // Support makes the administrator the district's System Admin; they sign in with ClassLink.
  expect((await sys.api('PUT', `/api/districts/${DISTRICT}/leaders/${leader.sourcedId}`, { title: 'system_admin' })).status).toBe(200);
  const browser = new Browser();
  expect(await signIn(browser, leader.email)).toEqual({ status: 302, location: '/admin' });
  const me = await browser.go(`${sys.url}/api/me`);
  expect(await me.json()).toMatchObject({ role: 'leader', districtId: DISTRICT, sourcedId: leader.sourcedId });

  // …and start the academic year themselves.
  const sy = g.schoolYear;
  const year = { schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-05` };
  const csrf = await csrfOf(browser, sys.url!);
  const started = await browser.go(`${sys.url}/api/districts/${DISTRICT}/academic-year`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, origin: sys.url! },
    body: JSON.stringify({ ...year, note: 'board calendar' }),
  });
  expect(started.status).toBe(200);
  expect(await started.json()).toMatchObject({ phase: 'syncing', academicYear: year, nightly: { running: true } });
  const audit = await waitFor('the audit row', async () => {
    const rows = await sys.database.db.selectFrom('audit_events').select(['actor', 'action']).where('district_id', '=', DISTRICT).where('action', 'like', 'academic year%').execute();
    return rows.length > 0 ? rows : null;
  });
  expect(audit).toEqual([{ actor: `leader:${DISTRICT}/${leader.sourcedId}`, action: `academic year ${sy} started` }]);
  // The year every sync run's term guard reads, written by the workflow before it answered.
  const recorded = await sys.database.db.selectFrom('district_academic_years').select(['school_year']).where('district_id', '=', DISTRICT).execute();
  expect(recorded).toEqual([{ school_year: String(sy) }]);
});

test('a run whose workflow was terminated is failed with the reason, and the next run starts (beginRun)', async () => {
  await registerDistrict(sys, 'orphans');
  // Slow pages keep the first run in the middle of its fetch.
  sys.sandbox.setFaults({ slowMs: 400 });
  try {
    const first = await startRun(sys, 'orphans', { kind: 'manual' });
    await waitFor('the first run to be fetching', async () => {
      const row = await sys.database.db.selectFrom('sync_runs').select(['status', 'progress']).where('id', '=', first.runId).executeTakeFirst();
      return row?.status === 'running' && (row.progress as { phase?: string }).phase !== 'starting';
    });
    await sys.env.client.workflow.getHandle(first.workflowId).terminate('operator stopped it');
    sys.sandbox.clearFaults();

    const second = await startRun(sys, 'orphans', { kind: 'manual' });
    expect((await waitForStatus(sys, 'orphans', second.runId, 'succeeded')).status).toBe('succeeded');
    const orphan = await rowOf(first.runId);
    expect(orphan.status).toBe('failed');
    expect(orphan.reason).toBe('its workflow was terminated before it finished; nothing of it was applied. Later runs no longer wait for it');
    expect(orphan.finished_at).not.toBeNull();
    expect((orphan.summary as { applied?: boolean }).applied).toBeUndefined();
  } finally {
    sys.sandbox.clearFaults();
  }
});

test('support runs sync-now after the running sync’s workflow was terminated (the onboarding path)', async () => {
  expect((await stateOf(DISTRICT)).phase).toBe('syncing'); // from the first test
  sys.sandbox.setFaults({ slowMs: 400 });
  try {
    const first = await sys.api('POST', `/api/districts/${DISTRICT}/sync-now`, {});
    expect(first.status).toBe(202);
    await waitFor('the run to be fetching', async () => {
      const row = await sys.database.db.selectFrom('sync_runs').select(['status']).where('id', '=', first.json.runId).executeTakeFirst();
      return row?.status === 'running';
    });
    const row = await rowOf(first.json.runId);
    await sys.env.client.workflow.getHandle(row.workflow_id!).terminate('operator stopped it');
    sys.sandbox.clearFaults();
    // The onboarding workflow hears its child ended; sync_runs still says running until someone looks.
    await waitFor('the onboarding state to drop the run', async () => (await stateOf(DISTRICT)).activeRun === null);
    expect((await rowOf(first.json.runId)).status).toBe('running');

    const again = await sys.api('POST', `/api/districts/${DISTRICT}/sync-now`, {});
    expect(again.status).toBe(202);
    expect((await runFinished(sys, DISTRICT, again.json.runId)).status).toBe('succeeded');
    expect(await rowOf(first.json.runId)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^its workflow was terminated before it finished; nothing of it was applied/) });
  } finally {
    sys.sandbox.clearFaults();
  }
});

test("a nightly run's term guard checks the year in force after a rollover, not the one its child started under", async () => {
  const districtId = 'rollover';
  await registerDistrict(sys, districtId);
  const record = createOnboardingActivities({ db: sys.database.db, temporal: sys.env.client, oneroster: () => { throw new Error('not used'); } }).recordAcademicYear;
  // The SIS rolled over: the feed's terms are next year's, so no term covers today.
  sys.sandbox.rollover();
  const today = dateIn('America/Chicago', new Date());
  const day = (offset: number) => new Date(Date.parse(`${today}T12:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  const sy = sys.sandbox.generator.schoolYear;
  const before: AcademicYear = { schoolYear: String(sy - 1), startDate: day(-200), endDate: day(30) };
  const after: AcademicYear = { schoolYear: String(sy), startDate: day(-5), endDate: day(300) };

  /** One firing of the nightly child: the input it is given carries no year, as the real child's. */
  async function nightlyRun() {
    const workflowId = `test/${districtId}/nightly/${randomUUID()}`;
    await sys.env.client.workflow.start('nightlySync', { taskQueue: sys.config.temporal.taskQueue, workflowId, args: [{ districtId, kind: 'nightly', dryRun: false }] });
    const row = await waitFor('the nightly run to be held', async () => {
      const r = await sys.database.db.selectFrom('sync_runs').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
      if (r && r.status !== 'running' && r.status !== 'held') throw new Error(`the nightly run ${r.status}: ${r.reason}`);
      return r?.status === 'held' ? r : null;
    }, 120_000);
    // Nothing to learn from applying it: discard, so the district's next run can start.
    await decideHeldRun(sys.env.client.workflow.getHandle(workflowId), 'discard', { runId: row.id, actor: 'test' });
    await waitForStatus(sys, districtId, row.id, 'discarded');
    return row;
  }

  await record({ districtId, year: before });
  const first = await nightlyRun();
  expect((first.summary as { academicYear: AcademicYear }).academicYear).toEqual(before);
  expect(first.reason).toContain(`today (${today}) is inside school year ${before.schoolYear} (${before.startDate} to ${before.endDate}) but no active term`);

  // The leader rolls over (the workflow records the new year; the nightly child is kept as it was).
  await record({ districtId, year: after });
  const second = await nightlyRun();
  expect((second.summary as { academicYear: AcademicYear }).academicYear).toEqual(after);
  expect(second.reason).toContain(`today (${today}) is inside school year ${after.schoolYear} (${after.startDate} to ${after.endDate}) but no active term`);
});
