// Support watches a sync in the browser: a live progress bar while it fetches, the run held by a
// feed-level guard (half the students vanished upstream), its reason, and a discard with a note;
// another held run approved and applied. Pause and resume, and "Needs changes" on a review.
// Then the district's leaders: assign an administrator, be refused a teacher, remove.
// Each click is checked on the page and in what it changed: live rows, runs, workflows.
import type { Browser, Page } from 'playwright-core';
import { createSupportAccount } from '../../api/accounts.js';
import { nightlyWorkflowId, onboardingWorkflowId } from '../../workflows/messages.js';
import { rowVersions } from '../reliability/support/rig.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';
import { eventually, launch, newPage, scenario, screenshots, see } from './browser.js';

const EMAIL = 'ops@gradient.test';
const PASSWORD = 'another long passphrase 77';

let sys: TestSystem;
let browser: Browser;

async function runFinished(runId: string, districtId = 'springfield') {
  return waitFor(`run ${runId}`, async () => {
    const { json } = await sys.api('GET', `/api/districts/${districtId}/runs/${runId}`);
    return json?.status && json.status !== 'running' ? json : null;
  }, 90_000);
}

const idle = (districtId = 'springfield') => waitFor(`no active run of ${districtId}`, async () => (await sys.api('GET', `/api/districts/${districtId}`)).json.activeRun === null);
const newestRun = async () => (await sys.api('GET', '/api/districts/springfield/runs')).json.runs[0];
const workflowStatus = async (workflowId: string) => (await sys.env.client.workflow.getHandle(workflowId).describe()).status.name;

beforeAll(async () => {
  [sys, browser] = await Promise.all([startTestSystem({ listen: true }), launch()]);
  await createSupportAccount(sys.database.db, EMAIL, PASSWORD);
  const g = sys.sandbox.generator;
  // Small pages, so a sync takes many requests and its progress can be watched.
  expect((await sys.api('POST', '/api/districts', {
    id: 'springfield',
    name: 'Springfield USD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, pageSize: 50, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
  })).status).toBe(201);
  const review = await sys.api('POST', '/api/districts/springfield/review', {});
  expect((await runFinished(review.json.runId)).status).toBe('succeeded');
  await idle();
  expect((await sys.api('POST', '/api/districts/springfield/approve', {})).status).toBe(200);
  await waitFor('the initial load approval started', async () => (await sys.api('GET', '/api/districts/springfield')).json.initialLoad?.status === 'succeeded', 90_000);
  expect((await sys.api('POST', '/api/districts/springfield/academic-year', { schoolYear: String(g.schoolYear), startDate: `${g.schoolYear - 1}-08-15`, endDate: `${g.schoolYear}-06-05` })).status).toBe(200);
  const first = await sys.api('POST', '/api/districts/springfield/sync-now', {});
  expect((await runFinished(first.json.runId)).status).toBe('succeeded');
  await idle();
  // A second district, reviewed and waiting for support's verdict.
  expect((await sys.api('POST', '/api/districts', {
    id: 'shelbyville',
    name: 'Shelbyville USD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
  })).status).toBe(201);
  const shelbyReview = await sys.api('POST', '/api/districts/shelbyville/review', {});
  expect((await runFinished(shelbyReview.json.runId, 'shelbyville')).status).toBe('succeeded');
  await idle('shelbyville');
});

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

/** Opens a console page signed out: the sign-in comes first and leads back to it. */
async function signIn(page: Page, path = '/admin/districts/springfield') {
  await page.goto(`${sys.url}${path}`);
  expect(page.url()).toBe(`${sys.url}/support/login?next=${encodeURIComponent(path)}`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${sys.url}${path}`);
}

test('a sync shows live progress, is held by the removal guard, and support discards it with a note', async () => {
  const shot = screenshots('runs');
  const { page, problems, context } = await newPage(browser);
  const live = await rowVersions(sys.database.db, 'springfield');
  await scenario(page, 'runs', async () => {
    await signIn(page);
    // Upstream trouble: half the students vanish, and every request is slow.
    sys.sandbox.setFaults({ massDropStudentsPercent: 50, slowMs: 150 });

    await page.locator('#sync-now-note').fill('checking the new export');
    await page.getByRole('button', { name: 'Sync now' }).click();
    await see.text(page.getByRole('status').first(), 'Sync started');
    const bar = page.locator('#runs [data-run-poll] progress');
    await see.visible(bar);
    const label = page.locator('#runs [data-run-poll] .progress-label');
    const firstLabel = await label.innerText();
    // The script polls the run's JSON route and moves the bar without a reload.
    await eventually(async () => expect(await label.innerText()).not.toBe(firstLabel), 30_000);
    await see.text(label, /fetching|validating|planning|applying/);
    expect(Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    await shot(page, 'sync-progress');

    // Held: the page reloads itself and shows the reason with the decision form.
    await page.locator('#held').waitFor({ state: 'visible', timeout: 60_000 });
    await see.text(page.locator('#held'), 'Run held');
    await see.text(page.locator('#held'), /remove/i);
    await see.text(page.locator('tr', { hasText: 'manual' }).first(), 'held');
    await shot(page, 'held');

    await page.locator('#held textarea').fill('export was cut short; the SIS team reruns it tonight');
    await page.getByRole('button', { name: 'Discard' }).click();
    await see.text(page.getByRole('status').first(), 'Held run discarded');
    // No second decision is offered, and the page updates itself once the run is closed.
    await see.count(page.getByRole('button', { name: 'Discard' }), 0);
    await see.text(page.locator('h1 + .badge'), 'discarded', 30_000);
    await see.text(page.locator('.facts'), `Held, then discarded by support:${EMAIL}`);
    await see.text(page.locator('main'), 'export was cut short');
    await shot(page, 'discarded');
  });
  sys.sandbox.clearFaults();
  const runs = (await sys.api('GET', '/api/districts/springfield/runs')).json.runs;
  expect(runs[0].status).toBe('discarded');
  expect(runs[0].summary.decision).toMatchObject({ action: 'discarded', by: `support:${EMAIL}`, note: 'export was cut short; the SIS team reruns it tonight' });
  // Nothing applied: not one live row was written. The run's workflow is over, the district free.
  expect(await rowVersions(sys.database.db, 'springfield')).toEqual(live);
  expect(await workflowStatus(runs[0].temporal.workflowId)).toBe('COMPLETED');
  await idle();
  expect(problems).toEqual([]);
  await context.close();
});

test('support assigns a leader, is refused a teacher next to the field, and removes the leader', async () => {
  const shot = screenshots('leaders');
  const { page, problems, context } = await newPage(browser);
  const users = [...sys.sandbox.generator.records('users')].filter((u) => u.status === 'active' && u.enabledUser === 'true');
  const admin = users.find((u) => u.role === 'administrator')!;
  const teacher = users.find((u) => u.role === 'teacher')!;
  await scenario(page, 'leaders', async () => {
    await signIn(page);
    const leaders = page.locator('#leaders');
    await page.getByLabel('Administrator’s roster id (sourcedId)').fill(teacher.sourcedId);
    await leaders.getByRole('button', { name: 'Assign' }).click();
    await see.text(page.locator('#leader-sourcedId-error'), 'only administrators');
    await see.value(page.getByLabel('Administrator’s roster id (sourcedId)'), teacher.sourcedId);
    await shot(page, 'refused');

    await page.getByLabel('Administrator’s roster id (sourcedId)').fill(admin.sourcedId);
    await page.getByLabel('Title').selectOption('roster_lead');
    await leaders.getByRole('button', { name: 'Assign' }).click();
    await see.text(page.getByRole('status').first(), 'Leader assigned');
    const row = leaders.locator('tbody tr', { hasText: admin.sourcedId });
    await see.text(row, `${admin.givenName} ${admin.familyName}`);
    await see.text(row, 'Roster Lead');
    await shot(page, 'assigned');

    await row.getByRole('button', { name: 'Remove' }).click();
    await see.text(page.getByRole('status').first(), 'Leader removed');
    await see.count(leaders.locator('tbody tr'), 0);
    await see.text(page.locator('#audit'), 'leader removed');
  });
  expect((await sys.api('GET', '/api/districts/springfield/leaders')).json.leaders).toEqual([]);
  expect(problems).toEqual([]);
  await context.close();
});

test('a held run approved in the browser is applied: the students the feed dropped are soft-deleted', async () => {
  await idle();
  const deletedUsers = async () =>
    Number((await sys.database.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('district_id', '=', 'springfield').where('deleted_at', 'is not', null).executeTakeFirstOrThrow()).n);
  const before = await deletedUsers();
  const shot = screenshots('held-approve');
  const { page, problems, context } = await newPage(browser);
  let runId = '';
  await scenario(page, 'held-approve', async () => {
    await signIn(page);
    sys.sandbox.setFaults({ massDropStudentsPercent: 50 });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await see.text(page.getByRole('status').first(), 'Sync started');
    await page.locator('#held').waitFor({ state: 'visible', timeout: 60_000 });
    const held = await newestRun();
    expect(held.status).toBe('held');
    runId = held.id;
    await see.text(page.locator('#held'), 'Yesterday’s roster stays in place until you decide');
    await shot(page, 'held');

    await page.locator('#held textarea').fill('the district withdrew these students; approved with their registrar');
    await page.getByRole('button', { name: 'Approve and apply' }).click();
    await see.text(page.getByRole('status').first(), 'Held run approved');
    await see.count(page.getByRole('button', { name: 'Approve and apply' }), 0);
    await shot(page, 'approved');
    // The run's page follows the apply by itself and shows the outcome.
    await see.text(page.locator('h1 + .badge'), 'succeeded', 60_000);
    await see.text(page.locator('main'), 'Records per entity (applied)');
    await see.text(page.locator('.facts'), `Held, then approved by support:${EMAIL}`);
    await see.text(page.locator('.facts'), 'approved with their registrar');
    await shot(page, 'applied');
  });
  sys.sandbox.clearFaults();
  const run = (await sys.api('GET', `/api/districts/springfield/runs/${runId}`)).json;
  expect(run.status).toBe('succeeded');
  expect(run.summary.decision).toMatchObject({ action: 'approved', by: `support:${EMAIL}`, note: 'the district withdrew these students; approved with their registrar' });
  // Applied: the users the feed no longer has are soft-deleted (never removed), as many as the run counted.
  expect(run.counts.users.deleted).toBeGreaterThan(0);
  expect((await deletedUsers()) - before).toBe(run.counts.users.deleted);
  expect(await workflowStatus(run.temporal.workflowId)).toBe('COMPLETED');
  await idle();
  expect(problems).toEqual([]);
  await context.close();
});

test('support pauses the district with a reason and resumes it: the page says so and the nightly workflow stops and starts', async () => {
  await idle();
  const shot = screenshots('pause-resume');
  const { page, problems, context } = await newPage(browser);
  const nightly = nightlyWorkflowId('springfield');
  expect(await workflowStatus(nightly)).toBe('RUNNING');
  const firstChain = (await sys.env.client.workflow.getHandle(nightly).describe()).runId;
  await scenario(page, 'pause-resume', async () => {
    await signIn(page);
    await page.locator('#pause-note').fill('SIS migration this week <b>no syncs</b>');
    await page.getByRole('button', { name: 'Pause syncing' }).click();
    await see.text(page.getByRole('status').first(), 'Syncing paused');
    await see.exactText(page.locator('h1 + .badge'), 'Paused');
    // The reason is shown as typed (text, not markup), with who paused.
    await see.text(page.locator('#next'), `Paused by support:${EMAIL}: SIS migration this week <b>no syncs</b>. The nightly sync does not run`);
    await see.text(page.locator('.facts dt:has-text("Nightly sync") + dd'), /^not running/);
    await see.count(page.getByRole('button', { name: 'Pause syncing' }), 0);
    // The workflow writes its audit rows in the background (a bookkeeping activity); the page loaded
    // right after the click shows the pause from the workflow's state all the same.
    expect(await page.locator('#audit').innerText()).toContain('sync paused');
    await shot(page, 'paused');
  });
  const paused = (await sys.api('GET', '/api/districts/springfield')).json;
  expect(paused).toMatchObject({ phase: 'paused', nightly: { running: false } });
  expect(await workflowStatus(nightly)).not.toBe('RUNNING');

  await scenario(page, 'pause-resume', async () => {
    await page.locator('#resume-note').fill('migration done');
    await page.getByRole('button', { name: 'Resume syncing' }).click();
    await see.text(page.getByRole('status').first(), 'Syncing resumed');
    await see.exactText(page.locator('h1 + .badge'), 'Syncing');
    await see.text(page.locator('.facts dt:has-text("Nightly sync") + dd'), /^running/);
    await see.visible(page.getByRole('button', { name: 'Pause syncing' }));
    await see.text(page.locator('#audit'), 'sync resumed');
    await see.text(page.locator('#audit'), 'migration done');
    await shot(page, 'resumed');
  });
  const resumed = (await sys.api('GET', '/api/districts/springfield')).json;
  expect(resumed).toMatchObject({ phase: 'syncing', pausedReason: null, nightly: { running: true } });
  const chain = await sys.env.client.workflow.getHandle(nightly).describe();
  expect(chain.status.name).toBe('RUNNING');
  expect(chain.runId).not.toBe(firstChain);
  expect(problems).toEqual([]);
  await context.close();
});

test('“Needs changes” on a review records the note, moves the district back, and offers a new review', async () => {
  const shot = screenshots('needs-changes');
  const { page, problems, context } = await newPage(browser);
  const note = 'Lincoln Elementary’s teachers have no email addresses & two classes have no teacher';
  await scenario(page, 'needs-changes', async () => {
    await signIn(page, '/admin/districts/shelbyville');
    await see.exactText(page.locator('h1 + .badge'), 'In review');
    await page.locator('#request-changes-note').fill(note);
    await page.getByRole('button', { name: 'Needs changes' }).click();
    await see.text(page.getByRole('status').first(), 'Changes requested');
    await see.exactText(page.locator('h1 + .badge'), 'Needs changes');
    await see.count(page.getByRole('button', { name: 'Data approved' }), 0);
    await see.visible(page.getByRole('button', { name: 'Start review again' }));
    await see.text(page.locator('#next'), `Changes were requested by support:${EMAIL}`);
    await see.text(page.locator('#next'), note);
    await see.text(page.locator('#audit tbody tr').first(), 'changes requested');
    await see.text(page.locator('#audit tbody tr').first(), note);
    await shot(page, 'requested');
  });
  const state = (await sys.api('GET', '/api/districts/shelbyville')).json;
  expect(state.phase).toBe('needs_changes');
  expect(state.audit[0]).toMatchObject({ action: 'changes requested', actor: `support:${EMAIL}`, note });
  const described = await sys.env.client.workflow.getHandle(onboardingWorkflowId('shelbyville')).describe();
  expect(described.typedSearchAttributes.getAll().find((p) => p.key.name === 'OnboardingPhase')?.value).toBe('needs_changes');
  expect(problems).toEqual([]);
  await context.close();
});
