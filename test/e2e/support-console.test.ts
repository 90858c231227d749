// Support's console in a real browser: sign in, find the district, test its tenant connection,
// run the review, read and filter the report, click "Data approved". Names full of markup must
// show as text (and never run).
import { createSupportAccount } from '../../api/accounts.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { launch, newPage, scenario, screenshots, see } from './browser.js';
import type { Browser } from 'playwright-core';

const EMAIL = 'support@gradient.test';
const PASSWORD = 'correct horse battery staple 42';
const NASTY = `<img src=x onerror="alert('xss')"> O'Brien & "Sons" ISD`;

// Code passed to page.evaluate runs in the browser; the project compiles without DOM types.
declare const document: any;
declare const location: any;

let sys: TestSystem;
let browser: Browser;

beforeAll(async () => {
  [sys, browser] = await Promise.all([startTestSystem({ listen: true }), launch()]);
  await createSupportAccount(sys.database.db, EMAIL, PASSWORD);
  const register = await sys.api('POST', '/api/districts', {
    id: 'demo',
    name: 'Demo ISD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
  });
  expect(register.status).toBe(201);
  expect((await sys.api('POST', '/api/districts', { id: 'nasty', name: NASTY })).status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

test('support signs in, reviews demo, reads the report and clicks Data approved', async () => {
  const shot = screenshots('support');
  const { page, problems, context } = await newPage(browser);
  await scenario(page, 'support', async () => {
    const base = sys.url!;

    // Not signed in: the console sends the browser to the support sign-in, which brings it back.
    const first = await page.goto(`${base}/admin`);
    expect(first!.status()).toBe(200);
    expect((await first!.request().redirectedFrom()!.response())!.status()).toBe(303);
    expect(page.url()).toBe(`${base}/support/login?next=%2Fadmin`);
    await see.exactText(page.getByRole('heading', { level: 1 }), 'Gradient Support sign-in');
    await shot(page, 'not-signed-in');
    // District people are pointed to ClassLink; the way back to this sign-in keeps where it leads.
    await page.getByRole('link', { name: 'how to sign in' }).click();
    await see.exactText(page.getByRole('heading', { level: 1 }), 'Sign in to Gradient');
    await page.getByLabel('Your district’s id').fill('no-such-district');
    await page.getByRole('button', { name: 'Continue to ClassLink' }).click();
    await see.text(page.getByRole('alert'), 'There is no district “no-such-district”');
    await see.value(page.getByLabel('Your district’s id'), 'no-such-district');
    await shot(page, 'sign-in-help');
    await page.getByRole('link', { name: 'Sign in with your Gradient Support account' }).click();
    await see.url(page, /\/support\/login\?next=%2Fadmin$/);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('wrong password entirely');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see.text(page.getByRole('alert'), 'wrong');
    await see.value(page.getByLabel('Email'), EMAIL); // what was typed is kept
    await shot(page, 'sign-in-refused');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Back on the page asked for. Districts list: phase badges, and the nasty name is text, not markup.
    await page.waitForURL(`${base}/admin`);
    await see.exactText(page.getByRole('heading', { level: 1 }), 'Districts');
    const rows = page.locator('tbody tr');
    await see.count(rows, 2);
    await see.visible(page.getByRole('link', { name: NASTY }));
    expect(await page.locator('main img').count()).toBe(0);
    await see.text(page.locator('tbody tr', { hasText: 'Demo ISD' }), 'Registered');
    await shot(page, 'districts');

    // Search and filter by phase.
    await page.getByLabel('Search by name or id').fill('demo');
    await page.getByRole('button', { name: 'Search' }).click();
    await see.count(rows, 1);
    await page.getByLabel('Search by name or id').fill('');
    await page.getByLabel('Phase').selectOption('syncing');
    await page.getByRole('button', { name: 'Search' }).click();
    await see.text(page.locator('main'), 'No district matches this search.');
    await shot(page, 'districts-filtered-empty');
    await page.getByRole('link', { name: 'Clear' }).click();

    // The district page: connection test with a result per collection.
    await page.getByRole('link', { name: 'Demo ISD' }).click();
    await see.exactText(page.getByRole('heading', { level: 1 }), 'Demo ISD');
    await page.getByRole('button', { name: 'Test connection' }).click();
    const conn = page.getByRole('table', { name: 'Connection test per collection' });
    await see.count(conn.locator('tbody tr'), 6);
    await see.text(conn, 'users');
    await see.text(page.locator('#connection'), 'ClassLink answered for every collection');
    await shot(page, 'connection-tested');

    // Start the review; the page follows it until the report is there.
    await page.getByRole('button', { name: 'Start review' }).click();
    await see.text(page.getByRole('status').first(), 'Review started');
    await shot(page, 'review-started');
    await page.getByRole('button', { name: 'Data approved' }).waitFor({ timeout: 90_000 });
    const report = page.locator('#review');
    await see.text(report.getByRole('table', { name: /Records per entity/ }), 'Users');
    const users = sys.sandbox.generator.count('users');
    await see.text(report.getByRole('table', { name: /Records per entity/ }).locator('tr', { hasText: 'Users' }), users.toLocaleString('en-US'));
    await see.text(report.locator('#issues'), 'Issues by rule');
    await shot(page, 'review-report');

    // Issues filter: warnings only (the sandbox roster has some, e.g. a class without a teacher).
    const ruleCount = await report.locator('#issues .rule').count();
    expect(ruleCount).toBeGreaterThan(0);
    await page.locator('#issues-severity').selectOption('warning');
    await page.locator('#issues').getByRole('button', { name: 'Filter' }).click();
    await see.url(page, /severity=warning/);
    const warningRules = page.locator('#issues .rule');
    expect(await warningRules.count()).toBeGreaterThan(0);
    for (const r of await warningRules.all()) await see.text(r, 'warning');
    await see.attr(warningRules.first().getByRole('link', { name: 'What this rule means' }), 'href', /\/requirements#rule-/);
    await shot(page, 'review-issues-filtered');

    // The run page, with its Temporal link.
    await page.locator('#review').getByRole('link', { name: 'Open the full report' }).click();
    await see.text(page.getByRole('heading', { level: 1 }), 'Review of Demo ISD');
    await see.attr(page.getByRole('link', { name: /Open this run in Temporal UI/ }), 'href', /district%2Fdemo%2Freview%2F/);
    await shot(page, 'review-run');
    await page.goBack();

    // Data approved, with a note.
    await page.locator('#approve-note').fill('Roster looks right: counts match the SIS.');
    await page.getByRole('button', { name: 'Data approved' }).click();
    await see.text(page.getByRole('status').first(), 'Data approved');
    await see.exactText(page.locator('h1 + .badge'), 'Awaiting year start');
    await see.text(page.locator('#audit'), 'data approved');
    await see.text(page.locator('#audit'), 'Roster looks right');
    await see.text(page.locator('#audit'), `support:${EMAIL}`);
    await shot(page, 'approved');

    const state = await sys.api('GET', '/api/districts/demo');
    expect(state.json.phase).toBe('awaiting_year_start');
    expect(state.json.approval.by).toBe(`support:${EMAIL}`);
    // Approval started the initial load that applies the approved roster.
    expect(state.json.initialLoad).toMatchObject({ status: expect.stringMatching(/^(running|succeeded)$/) });
    await see.text(page.locator('#audit'), 'initial sync started');
    // The page says so, and (it refreshes while a run goes) that the leaders can sign in once it is live.
    await see.text(page.locator('#main'), 'The approved roster is live', 90_000);
    await see.visible(page.getByRole('link', { name: 'initial load' }));
    await shot(page, 'initial-load');

    // The requirements page the report links to.
    await page.goto(`${base}/requirements#rule-users.role.skipped`);
    await see.visible(page.locator('#rule-users\\.role\\.skipped'));
    await shot(page, 'requirements');

    // A tablet sees the same district page without sideways scrolling of the page itself.
    const tablet = await newPage(browser, { viewport: { width: 820, height: 1180 } });
    await tablet.context.addCookies(await context.cookies());
    await tablet.page.goto(`${base}/admin/districts/demo`);
    const overflow = await tablet.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshots('support-tablet')(tablet.page, 'district');
    await tablet.context.close();

  });
  expect(problems).toEqual([]);
  await context.close();
});

test('a refused approval keeps the note and says why, next to the form', async () => {
  // The nasty district was never reviewed: approving it is refused with the reason, inline.
  const { page, context, problems } = await newPage(browser);
  await scenario(page, 'support-2', async () => {
    const shot = screenshots('support-refused');
    await page.goto(`${sys.url}/support/login`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${sys.url}/admin`);
    await page.goto(`${sys.url}/admin/districts/nasty`);
    await see.exactText(page.getByRole('heading', { level: 1 }), NASTY);
    await see.count(page.getByRole('button', { name: 'Data approved' }), 0);
    // Post the approve form anyway, as a stale page would: the API refuses and the page explains.
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = location.pathname + '/do/approve';
      const token = document.querySelector('input[name=_csrf]').value;
      form.innerHTML = `<input name="_csrf" value="${token}"><input name="note" value="typed by hand">`;
      document.body.append(form);
      form.submit();
    });
    await page.waitForURL(/\/do\/approve$/);
    await see.text(page.getByRole('alert'), /review/);
    await see.value(page.locator('#approve-note'), 'typed by hand');
    await shot(page, 'approve-refused');

    // A district that does not exist: a page that says so, not JSON.
    const missing = await page.goto(`${sys.url}/admin/districts/no-such-district`);
    expect(missing!.status()).toBe(404);
    await see.text(page.getByRole('alert'), 'district “no-such-district”');
    await shot(page, 'not-found');
  });
  expect(problems).toEqual([]);
  await context.close();
});
