// Support watches a sync in the browser: a live progress bar while it fetches, the run held by a
// feed-level guard (half the students vanished upstream), its reason, and a discard with a note.
// Then the district's leaders: assign an administrator, be refused a teacher, remove.
import type { Browser } from 'playwright-core';
import { createSupportAccount } from '../../api/accounts.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';
import { eventually, launch, newPage, scenario, screenshots, see } from './browser.js';

const EMAIL = 'ops@gradient.test';
const PASSWORD = 'another long passphrase 77';

let sys: TestSystem;
let browser: Browser;

async function runFinished(runId: string) {
  return waitFor(`run ${runId}`, async () => {
    const { json } = await sys.api('GET', `/api/districts/springfield/runs/${runId}`);
    return json?.status && json.status !== 'running' ? json : null;
  }, 90_000);
}

const idle = () => waitFor('no active run', async () => (await sys.api('GET', '/api/districts/springfield')).json.activeRun === null);

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
});

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

async function signIn(page: import('playwright-core').Page) {
  await page.goto(`${sys.url}/support/login?next=/admin/districts/springfield`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${sys.url}/admin/districts/springfield`);
}

test('a sync shows live progress, is held by the removal guard, and support discards it with a note', async () => {
  const shot = screenshots('runs');
  const { page, problems, context } = await newPage(browser);
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
    await eventually(async () => {
      await page.reload();
      await see.text(page.locator('h1 + .badge'), 'discarded', 1000);
    }, 30_000);
    await see.text(page.locator('main'), 'export was cut short');
    await shot(page, 'discarded');
  });
  sys.sandbox.clearFaults();
  const runs = (await sys.api('GET', '/api/districts/springfield/runs')).json.runs;
  expect(runs[0].status).toBe('discarded');
  expect(runs[0].summary.decision).toMatchObject({ action: 'discarded', by: `support:${EMAIL}` });
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
