// The help article end to end, through the HTTP API only, on the real dev server, Postgres and the
// sandbox tenant: register, review, request changes, review, approve (which applies the roster),
// start the year, a run, pause, resume, the next year — then the Temporal UI's search by
// DistrictId finds the district.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readTemporalToolPaths } from '../../config/tools.js';
import { nightlyWorkflowId, onboardingWorkflowId } from '../../workflows/messages.js';
import { nextFirings, nightlyCron, nightlyMinute, wallTimeAt } from '../../workflows/onboarding-clock.js';
import { initialLoadFinished } from '../support/onboard.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';

const run = promisify(execFile);
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});

afterAll(async () => {
  await sys?.stop();
});

const get = async () => (await sys.api('GET', '/api/districts/demo')).json;

async function runFinished(runId: string) {
  return waitFor(`run ${runId} to finish`, async () => {
    const { json } = await sys.api('GET', `/api/districts/demo/runs/${runId}`);
    return json?.status && json.status !== 'running' ? json : null;
  });
}

async function review() {
  const res = await sys.api('POST', '/api/districts/demo/review', { note: 'checking the feed' });
  expect(res.status).toBe(202);
  expect((await runFinished(res.json.runId)).status).toBe('succeeded');
  return waitFor('the review in the state', async () => {
    const s = await get();
    return s.review?.runId === res.json.runId && s.review.status === 'succeeded' && s.activeRun === null ? s : null;
  });
}

/** The nightly chain's runs the server knows, newest first. */
async function nightlyRuns() {
  const runs: { runId: string; status: string }[] = [];
  for await (const w of sys.env.client.workflow.list({ query: `WorkflowId='${nightlyWorkflowId('demo')}'` })) runs.push({ runId: w.runId, status: w.status.name });
  return runs;
}

test('a district through the whole article, by the HTTP API only', async () => {
  const sy = sys.sandbox.generator.schoolYear;
  const register = await sys.api('POST', '/api/districts', {
    id: 'demo',
    name: 'Demo ISD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
  });
  expect(register.status).toBe(201);

  // Review: the report carries the feed's terms (ids, types, dates).
  const first = await review();
  expect(first.phase).toBe('in_review');
  const feedSessions = [...sys.sandbox.generator.records('academicSessions')] as unknown as { sourcedId: string; type: string; startDate: string; endDate: string }[];
  expect(first.review.summary.terms.map((t: { sourcedId: string }) => t.sourcedId).sort()).toEqual(feedSessions.map((s) => s.sourcedId).sort());
  expect(first.review.summary.terms).toContainEqual(expect.objectContaining({ sourcedId: `as-${sy}-1`, type: 'semester', startDate: `${sy - 1}-08-15`, endDate: `${sy - 1}-12-19` }));

  // Request changes, and approval is refused until the district is reviewed again.
  const changes = await sys.api('POST', '/api/districts/demo/request-changes', { note: 'two schools are missing' });
  expect(changes.status).toBe(200);
  expect(changes.json.phase).toBe('needs_changes');
  const early = await sys.api('POST', '/api/districts/demo/approve', {});
  expect(early.status).toBe(409);
  expect(early.json).toEqual({ error: 'refused', message: expect.stringMatching(/changes were requested after the last review/) });
  expect((await review()).phase).toBe('in_review');
  const approve = await sys.api('POST', '/api/districts/demo/approve', { note: 'looks right' });
  expect(approve.status).toBe(200);
  expect(approve.json.phase).toBe('awaiting_year_start');
  // The approved roster is applied at once, in a run of its own.
  expect(approve.json.activeRun).toMatchObject({ kind: 'initial', runId: approve.json.initialLoad.runId });
  expect((await initialLoadFinished(sys, 'demo')).status).toBe('succeeded');

  // The year must be real dates, in order, and cover a term of the feed.
  const bad = await sys.api('POST', '/api/districts/demo/academic-year', { schoolYear: String(sy), startDate: `${sy - 1}-02-30`, endDate: `${sy}-06-05` });
  expect(bad.status).toBe(409);
  expect(bad.json.message).toMatch(/is not a real date/);
  const wrongYear = await sys.api('POST', '/api/districts/demo/academic-year', { schoolYear: String(sy + 1), startDate: `${sy}-08-15`, endDate: `${sy + 1}-06-05` });
  expect(wrongYear.status).toBe(409);
  expect(wrongYear.json.message).toMatch(new RegExp(`^the year ${sy}-08-15\\.\\.${sy + 1}-06-05 covers none of the feed's terms \\(.*Fall Semester ${sy - 1}.*\\): check the dates$`));
  const year = await sys.api('POST', '/api/districts/demo/academic-year', { schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-05`, note: 'first day confirmed' });
  expect(year.status).toBe(200);
  expect(year.json).toMatchObject({ phase: 'syncing', academicYear: { schoolYear: String(sy) }, nightly: { running: true } });

  // The nightly child on the real server first fires at the district's 23:4x in Chicago, exactly
  // when the pure schedule function says.
  const cron = nightlyCron('demo', 'America/Chicago');
  const child = sys.env.client.workflow.getHandle(nightlyWorkflowId('demo'));
  const { events } = await child.fetchHistory();
  const started = events![0]!.workflowExecutionStartedEventAttributes!;
  expect(started.cronSchedule).toBe(cron);
  const startedAt = Number(events![0]!.eventTime!.seconds) * 1000 + Math.floor((events![0]!.eventTime!.nanos ?? 0) / 1e6);
  const backoffMs = Number(started.firstWorkflowTaskBackoff?.seconds ?? 0) * 1000 + Math.floor((started.firstWorkflowTaskBackoff?.nanos ?? 0) / 1e6);
  const firstFiring = startedAt + backoffMs;
  expect(wallTimeAt(firstFiring, 'America/Chicago')).toMatchObject({ hour: 23, minute: nightlyMinute('demo') });
  expect(Math.abs(firstFiring - nextFirings(cron, startedAt, 1)[0]!)).toBeLessThan(1000);
  const described = await child.describe();
  expect(described.memo).toEqual({ districtName: 'Demo ISD' });
  expect(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual([['DistrictId', 'demo']]);

  // A run (sync now: the nightly one fires at night), which never overlaps another.
  const syncNow = await sys.api('POST', '/api/districts/demo/sync-now', {});
  expect(syncNow.status).toBe(202);
  const overlapping = await sys.api('POST', '/api/districts/demo/sync-now', {});
  expect(overlapping.status).toBe(409);
  expect(overlapping.json.message).toMatch(/still in progress|has been running since/);
  expect((await runFinished(syncNow.json.runId)).status).toBe('succeeded');
  await waitFor('the run in the state', async () => (await get()).lastRun?.runId === syncNow.json.runId);

  // Pause stops the nightly chain at once; resume starts a new one; a second pause leaves none.
  const pause = await sys.api('POST', '/api/districts/demo/pause', { note: 'district asked' });
  expect(pause.status).toBe(200);
  expect(pause.json).toMatchObject({ phase: 'paused', nightly: { running: false } });
  expect((await child.describe()).status.name).toBe('TERMINATED');
  const resume = await sys.api('POST', '/api/districts/demo/resume', {});
  expect(resume.json).toMatchObject({ phase: 'syncing', nightly: { running: true } });
  const resumedRun = await child.describe();
  expect(resumedRun.status.name).toBe('RUNNING');
  expect(resumedRun.runId).not.toBe(described.runId);

  // Next year: the SIS rolls over, and the leader starts the new year while syncing. The running
  // nightly chain is kept (not restarted), the dates switch.
  sys.sandbox.rollover();
  const next = await sys.api('POST', '/api/districts/demo/academic-year', { schoolYear: String(sy + 1), startDate: `${sy}-08-15`, endDate: `${sy + 1}-06-05` });
  expect(next.status).toBe(200);
  expect(next.json).toMatchObject({ phase: 'syncing', academicYear: { schoolYear: String(sy + 1) }, feedTerms: { source: 'oneroster' } });
  expect((await child.describe()).runId).toBe(resumedRun.runId);
  await waitFor('exactly one nightly run open', async () => {
    const runs = await nightlyRuns();
    return runs.filter((r) => r.status === 'RUNNING').length === 1 && runs.length === 2;
  });

  // GET shows the whole state, with the audit trail (who, when, note) also in audit_events.
  const state = await waitFor('the audit rows', async () => {
    const s = await get();
    return s.auditRecordedSeq === s.auditSeq ? s : null;
  });
  expect(state).toMatchObject({
    id: 'demo',
    name: 'Demo ISD',
    phase: 'syncing',
    approval: { by: 'support-token', note: 'looks right' },
    nightly: { workflowId: nightlyWorkflowId('demo'), schedule: cron, paused: false, running: true, temporalUiUrl: expect.stringContaining(encodeURIComponent(nightlyWorkflowId('demo'))) },
    temporalUiUrl: expect.stringContaining(encodeURIComponent(onboardingWorkflowId('demo'))),
  });
  expect(Date.parse(state.nightly.nextRunAt)).toBeGreaterThan(Date.now());
  const actions = [...state.audit].reverse().map((a: { action: string }) => a.action);
  expect(actions).toEqual([
    'district registered',
    'review started',
    'changes requested',
    'review started',
    'data approved',
    'initial sync started',
    `academic year ${sy} started`,
    'manual sync started',
    'sync paused',
    'sync resumed',
    `academic year rolled over to ${sy + 1}`,
  ]);
  const rows = await sys.database.db.selectFrom('audit_events').selectAll().where('district_id', '=', 'demo').orderBy('id').execute();
  expect(rows.map((r) => [r.actor, r.action, r.note])).toEqual(
    [...state.audit].reverse().map((a: { actor: string; action: string; note?: string }) => [a.actor, a.action, a.note ?? null]),
  );
  expect(rows.find((r) => r.action === 'changes requested')).toMatchObject({ actor: 'support-token', note: 'two schools are missing' });

  // The district is one filter away: the SDK's list and the CLI both find both workflows.
  const ids = await waitFor('visibility to catch up', async () => {
    const found: string[] = [];
    for await (const w of sys.env.client.workflow.list({ query: "DistrictId='demo'" })) found.push(w.workflowId);
    return found.includes(onboardingWorkflowId('demo')) && found.includes(nightlyWorkflowId('demo')) ? found : null;
  });
  expect(ids.filter((id) => id.startsWith('district/demo/review/'))).toHaveLength(2);
  const byPhase: string[] = [];
  for await (const w of sys.env.client.workflow.list({ query: "DistrictId='demo' AND OnboardingPhase='syncing'" })) byPhase.push(w.workflowId);
  expect(byPhase).toEqual([onboardingWorkflowId('demo')]);

  const { stdout } = await run(readTemporalToolPaths().temporalCli, ['workflow', 'list', '--address', sys.env.address, '--query', "DistrictId='demo'", '--output', 'json']);
  // The CLI prints one JSON array (or, in some versions, one object per line).
  const text = stdout.trim();
  const listed = (text.startsWith('[') ? JSON.parse(text) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l))) as { execution: { workflowId: string } }[];
  const cliIds = listed.map((w) => w.execution.workflowId);
  expect(cliIds).toEqual(expect.arrayContaining([onboardingWorkflowId('demo'), nightlyWorkflowId('demo')]));
});
