// End to end on real parts: support → API → workflow update → child workflows → activities →
// Postgres, against the sandbox tenant over HTTP.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { COLLECTIONS } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { nightlyWorkflowId, onboardingWorkflowId } from '../../workflows/messages.js';
import { nightlyMinute } from '../../workflows/onboarding-clock.js';
import { initialLoadFinished } from '../support/onboard.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});

afterAll(async () => {
  await sys?.stop();
});

async function runFinished(districtId: string, runId: string) {
  return waitFor(`run ${runId} to finish`, async () => {
    const { json } = await sys.api('GET', `/api/districts/${districtId}/runs/${runId}`);
    return json?.status && json.status !== 'running' ? json : null;
  });
}

test('register → review → approve (applies the roster) → start year → sync now: live tables hold exactly the sandbox roster', async () => {
  const register = await sys.api('POST', '/api/districts', {
    id: 'demo',
    name: 'Demo ISD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
  });
  expect(register.status).toBe(201);
  expect(JSON.stringify(register.json)).not.toContain(sys.sandbox.clientSecret);

  // Approval before any review is refused with the reason.
  const early = await sys.api('POST', '/api/districts/demo/approve', { note: 'too soon' });
  expect(early.status).toBe(409);
  expect(early.json.message).toMatch(/review/);

  const review = await sys.api('POST', '/api/districts/demo/review', {});
  expect(review.status).toBe(202);
  const reviewRun = await runFinished('demo', review.json.runId);
  expect(reviewRun.status).toBe('succeeded');
  expect(reviewRun.kind).toBe('review');
  expect(reviewRun.counts.users.fetched).toBe(sys.sandbox.generator.count('users'));
  for (const c of COLLECTIONS) {
    const { n } = (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(LIVE_TABLE[c])}`.execute(sys.database.db)).rows[0]!;
    expect(n).toBe(0); // a review applies nothing
  }

  await waitFor('the review to reach the workflow state', async () => (await sys.api('GET', '/api/districts/demo')).json.review?.status === 'succeeded');
  const approve = await sys.api('POST', '/api/districts/demo/approve', { note: 'looks right' });
  expect(approve.status).toBe(200);
  expect(approve.json.phase).toBe('awaiting_year_start');
  // Approval applies the approved roster at once (the district's leaders can then sign in).
  expect(approve.json.initialLoad).toMatchObject({ status: 'running', workflowId: `district/demo/initial/${approve.json.initialLoad.runId}` });
  const initial = await initialLoadFinished(sys, 'demo');
  expect(initial).toMatchObject({ id: approve.json.initialLoad.runId, kind: 'initial', status: 'succeeded', dryRun: false });
  expect(initial.temporal.url).toContain(encodeURIComponent('district/demo/initial/'));
  await expectLiveIsSandbox(initial);

  const badYear = await sys.api('POST', '/api/districts/demo/academic-year', { schoolYear: '2027', startDate: '2027-06-05', endDate: '2026-08-15' });
  expect(badYear.status).toBe(409);
  const sy = sys.sandbox.generator.schoolYear;
  const year = await sys.api('POST', '/api/districts/demo/academic-year', { schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-05` });
  expect(year.status).toBe(200);
  expect(year.json.phase).toBe('syncing');

  // The nightly cron child exists on the real server, at the district's spread minute (23:45..23:54 Chicago).
  const nightly = await waitFor('the nightly child', () => sys.env.client.workflow.getHandle(nightlyWorkflowId('demo')).describe().catch(() => null));
  expect(nightly.status.name).toBe('RUNNING');
  const { events } = await sys.env.client.workflow.getHandle(nightlyWorkflowId('demo')).fetchHistory();
  const started = events![0]!.workflowExecutionStartedEventAttributes!;
  const minute = nightlyMinute('demo');
  expect(minute).toBeGreaterThanOrEqual(45);
  expect(minute).toBeLessThanOrEqual(54);
  expect(started.cronSchedule).toBe(`CRON_TZ=America/Chicago ${minute} 23 * * *`);
  const backoffSeconds = Number(started.firstWorkflowTaskBackoff?.seconds ?? 0);
  const firstFiring = new Date(Number(events![0]!.eventTime!.seconds) * 1000 + backoffSeconds * 1000);
  const chicago = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(firstFiring);
  expect(chicago).toBe(`23:${minute}`);

  const syncNow = await sys.api('POST', '/api/districts/demo/sync-now', {});
  expect(syncNow.status).toBe(202);
  const run = await runFinished('demo', syncNow.json.runId);
  expect(run.status).toBe('succeeded');
  expect(run.temporal.url).toContain(encodeURIComponent('district/demo/manual/'));
  // The roster was live already: the second full run writes nothing new.
  for (const c of COLLECTIONS) expect({ c, inserted: run.counts[c].inserted, updated: run.counts[c].updated }).toEqual({ c, inserted: 0, updated: 0 });
  await expectLiveIsSandbox(initial);

  // The district is one filter away: both workflows carry DistrictId.
  const state = await sys.api('GET', '/api/districts/demo');
  expect(state.json.temporalUiUrl).toContain(encodeURIComponent(onboardingWorkflowId('demo')));
  // The run tells the onboarding workflow after its row says succeeded (a signal): the state follows.
  await waitFor('the sync-now run to reach the workflow state', async () => {
    const s = (await sys.api('GET', '/api/districts/demo')).json;
    return (s.lastRun?.runId ?? s.lastRunRecord?.id) === syncNow.json.runId;
  }, 30_000);
});

/** Exactly the sandbox's records, content included; `first` is the run that inserted them. */
async function expectLiveIsSandbox(first: { counts: Record<string, { inserted: number; deleted: number }> }) {
  for (const c of COLLECTIONS) {
    const expected = new Map<string, string>();
    for (const r of sys.sandbox.generator.records(c)) {
      // Guardians are fetched and counted but never synced (skipped by rule users.role.skipped).
      if (c === 'users' && (r as { role?: string }).role === 'guardian') continue;
      expected.set(r.sourcedId, createHash('md5').update(JSON.stringify(r)).digest('hex'));
    }
    const rows = await sys.database.db.selectFrom(LIVE_TABLE[c]).select(['sourced_id', 'data', 'status', 'deleted_at']).where('district_id', '=', 'demo').execute();
    expect(rows.length).toBe(expected.size);
    expect(first.counts[c]!.inserted + first.counts[c]!.deleted).toBe(expected.size);
    for (const row of rows) {
      const want = expected.get(row.sourced_id);
      expect(want).toBeDefined();
      expect(row.deleted_at !== null).toBe((row.data as { status: string }).status === 'tobedeleted');
    }
    const original = [...sys.sandbox.generator.records(c)].slice(0, 3);
    for (const r of original) {
      const row = rows.find((x) => x.sourced_id === r.sourcedId)!;
      expect(row.data).toEqual(r);
    }
  }
}

test('bad input gets a 4xx that says what to fix', async () => {
  const cases: [string, string, unknown, number][] = [
    ['POST', '/api/districts', { id: 'Bad Id!', name: 'x' }, 400],
    ['POST', '/api/districts', { id: 'ok-id' }, 400],
    ['POST', '/api/districts', { id: 'ok-id', name: 'x', timezone: 'Mars/Olympus' }, 400],
    ['POST', '/api/districts', 'not json', 400],
    ['GET', '/api/districts/nope', undefined, 404],
    ['POST', '/api/districts/nope/approve', {}, 404],
    ['POST', '/api/districts/demo/academic-year', { schoolYear: 'soon' }, 400],
    ['GET', '/api/districts/demo/runs/does-not-exist', undefined, 404],
    ['GET', '/api/nothing-here', undefined, 404],
  ];
  for (const [method, url, body, status] of cases) {
    const res = await sys.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${sys.token}`, ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}) }, ...(body === undefined ? {} : { payload: body as string }) });
    expect({ url, status: res.statusCode }).toEqual({ url, status });
    const json = JSON.parse(res.body);
    expect(typeof json.error).toBe('string');
    expect(json.message.length).toBeGreaterThan(10);
  }
  const unauth = await sys.app.inject({ method: 'GET', url: '/api/districts' });
  expect(unauth.statusCode).toBe(401);
});
