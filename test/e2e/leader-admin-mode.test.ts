// A district leader's Admin Mode in a real browser: signs in through the sandbox's ClassLink
// (OIDC) login, starts the academic year (prefilled from the feed; errors next to the fields),
// sees the nightly child running, checks terms, spot-checks a student, sends a login invite.
import type { Browser } from 'playwright-core';
import { startSmtpCatcher, type SmtpCatcher } from '../../mail/catcher.js';
import { todayIn } from '../../roster/terms.js';
import type { UserRecord } from '../../sandbox/types.js';
import { nightlyWorkflowId } from '../../workflows/messages.js';
import { initialLoadFinished } from '../support/onboard.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';
import { eventually, launch, newPage, scenario, screenshots, see } from './browser.js';

const SSO_CLIENT = { client_id: 'gradient-e2e', client_secret: 'gradient-e2e-secret' };

// Code passed to page.evaluate runs in the browser; the project compiles without DOM types.
declare const document: any;

let sys: TestSystem;
let smtp: SmtpCatcher;
let browser: Browser;
let leader: UserRecord;

async function runFinished(runId: string) {
  return waitFor(`run ${runId}`, async () => {
    const { json } = await sys.api('GET', `/api/districts/demo/runs/${runId}`);
    return json?.status && json.status !== 'running' ? json : null;
  }, 90_000);
}

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  [sys, browser] = await Promise.all([
    startTestSystem({
      listen: true,
      env: { SMTP_URL: smtp.smtpUrl },
      sandbox: (apiUrl) => ({ oidcClients: [{ ...SSO_CLIENT, redirect_uris: [`${apiUrl}/sso/demo/callback`] }] }),
    }),
    launch(),
  ]);
  const g = sys.sandbox.generator;
  const register = await sys.api('POST', '/api/districts', {
    id: 'demo',
    name: 'Demo ISD',
    oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl } },
    sso: { issuer: sys.sandbox.oidcIssuer, clientId: SSO_CLIENT.client_id, clientSecret: SSO_CLIENT.client_secret },
  });
  expect(register.status).toBe(201);
  // Support's part (tested in support-console.test.ts): review and approve. Approval applies the
  // approved roster at once, so the leader is a live user to sign in as; support marks them.
  const review = await sys.api('POST', '/api/districts/demo/review', {});
  expect((await runFinished(review.json.runId)).status).toBe('succeeded');
  await waitFor('the review verdict', async () => (await sys.api('GET', '/api/districts/demo')).json.review?.status === 'succeeded');
  expect((await sys.api('POST', '/api/districts/demo/approve', { note: 'ok' })).status).toBe(200);
  expect((await initialLoadFinished(sys, 'demo', 90_000)).status).toBe('succeeded');
  leader = [...g.records('users')].find((u) => u.role === 'administrator' && u.status === 'active' && u.enabledUser === 'true')!;
  expect((await sys.api('PUT', `/api/districts/demo/leaders/${leader.sourcedId}`, { title: 'roster_lead' })).status).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  await smtp?.close();
});

test('a leader signs in with ClassLink, starts the year, sees the nightly sync, spot-checks a student and sends an invite', async () => {
  const shot = screenshots('leader');
  const { page, problems, context } = await newPage(browser);
  await scenario(page, 'leader', async () => {
    const base = sys.url!;
    const g = sys.sandbox.generator;

    // ClassLink sign-in (the sandbox's OIDC provider), by email with the sandbox password.
    await page.goto(`${base}/sso/demo/login`);
    await page.locator('#login').fill(leader.email);
    await page.locator('#password').fill('sandbox');
    await shot(page, 'classlink-login');
    await page.locator('#submit').click();
    await page.waitForURL(`${base}/admin/districts/demo/year`);
    await see.text(page.locator('.who'), `${leader.givenName} ${leader.familyName}`);
    await see.text(page.locator('.who'), 'Roster Lead');

    // The form is prefilled from the feed's school-year session.
    const sy = g.schoolYear;
    await see.value(page.getByLabel('School year'), String(sy));
    await see.value(page.getByLabel('First day of school'), `${sy - 1}-08-15`);
    await see.value(page.getByLabel('Last day of school'), `${sy}-06-05`);
    await see.text(page.locator('main'), 'Prefilled from the school-year session');
    await see.text(page.locator('#nightly-status'), 'Not running');
    await shot(page, 'year-prefilled');

    // Mistakes are shown next to their fields, and what was typed stays.
    await page.getByLabel('School year').fill('next year');
    await page.getByLabel('Last day of school').fill(`${sy - 1}-06-05`);
    await page.getByLabel('Note (optional)').fill('Dates from the board calendar');
    await page.getByRole('button', { name: /Start the academic year/ }).click();
    await see.text(page.locator('#schoolYear-error'), 'not a school year');
    await see.text(page.locator('#endDate-error'), 'must come after the first day');
    await see.attr(page.getByLabel('School year'), 'aria-invalid', 'true');
    await see.value(page.getByLabel('School year'), 'next year');
    await see.value(page.getByLabel('Last day of school'), `${sy - 1}-06-05`);
    await see.value(page.getByLabel('Note (optional)'), 'Dates from the board calendar');
    await shot(page, 'year-errors');

    await page.getByLabel('School year').fill(String(sy));
    await page.getByLabel('Last day of school').fill(`${sy}-06-05`);
    await page.getByRole('button', { name: /Start the academic year/ }).click();
    await see.text(page.getByRole('status').first(), 'The academic year has started');
    // The nightly child starts right after the update: reload until the page shows it running.
    await eventually(async () => {
      await page.reload();
      await see.text(page.locator('#nightly-status'), 'Running', 1000);
    }, 30_000);
    // The minute is spread per district (onboarding); the page says the child's own schedule.
    const cron = (await sys.api('GET', '/api/districts/demo')).json.nightly.cronSchedule as string;
    const [, minute, hour] = /^CRON_TZ=America\/Chicago (\d+) (\d+) \* \* \*$/.exec(cron)!;
    await see.text(page.locator('#nightly-status'), `every night at ${hour!.padStart(2, '0')}:${minute!.padStart(2, '0')} (America/Chicago)`);
    await see.text(page.locator('#nightly-status'), /next run \w+ \d+, \d\d:\d\d \(America\/Chicago\)/);
    await shot(page, 'year-started');
    const nightly = await sys.env.client.workflow.getHandle(nightlyWorkflowId('demo')).describe();
    expect(nightly.status.name).toBe('RUNNING');
    const state = await sys.api('GET', '/api/districts/demo');
    expect(state.json.academicYear).toEqual({ schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-05` });
    const audit = (await sys.api('GET', '/api/districts/demo/audit')).json.events as { actor: string; action: string; note: string | null }[];
    expect(audit.find((e) => /academic year .*started/.test(e.action))).toMatchObject({ actor: `leader:demo/${leader.sourcedId}`, note: 'Dates from the board calendar' });

    // The console is support's: a leader is refused there.
    const refused = await page.goto(`${base}/admin/districts/demo`);
    expect(refused!.status()).toBe(403);

    // The roster the checks below read is the one applied at approval (the nightly run is tonight's).
    // Terms, the current one marked.
    await page.goto(`${base}/admin/districts/demo/terms`);
    const today = todayIn('America/Chicago');
    const sessions = [...g.records('academicSessions')].filter((s) => s.status === 'active');
    await see.count(page.locator('tbody tr'), sessions.length);
    const current = page.locator('tbody tr.current');
    await see.count(current, 1);
    await see.text(current, 'Current');
    const inProgress = sessions.filter((s) => s.startDate <= today && today <= s.endDate && s.type !== 'schoolYear');
    expect(inProgress.length).toBeGreaterThan(0);
    await see.text(current, inProgress.sort((a, b) => Date.parse(a.endDate) - Date.parse(a.startDate) - (Date.parse(b.endDate) - Date.parse(b.startDate)))[0]!.title);
    await shot(page, 'terms');

    // Spot check: a student with classes this term, found by name; their schedule matches the roster.
    const classes = new Map([...g.records('classes')].filter((c) => c.status === 'active').map((c) => [c.sourcedId, c]));
    const byId = new Map(sessions.map((s) => [s.sourcedId, s]));
    const scheduleOf = (sourcedId: string) => {
      const out = new Set<string>();
      for (const e of g.records('enrollments')) {
        if (e.status !== 'active' || e.user.sourcedId !== sourcedId) continue;
        const c = classes.get(e.class.sourcedId);
        if (c?.terms.some((t) => byId.get(t.sourcedId) && byId.get(t.sourcedId)!.startDate <= today && today <= byId.get(t.sourcedId)!.endDate)) out.add(c.sourcedId);
      }
      return [...out];
    };
    const student = [...g.records('users')].find((u) => u.role === 'student' && u.status === 'active' && u.enabledUser === 'true' && scheduleOf(u.sourcedId).length >= 2)!;
    const expected = scheduleOf(student.sourcedId);
    await page.getByRole('link', { name: 'Spot checks' }).click();
    await page.getByLabel('Name, email or id').fill(`${student.givenName} ${student.familyName}`);
    await page.getByLabel('Looking for').selectOption('student');
    await page.getByRole('button', { name: 'Find' }).click();
    await see.visible(page.getByRole('table', { name: /Matches for/ }));
    await shot(page, 'spot-check-search');
    await page.locator(`a[href$="/students/${student.sourcedId}"]`).first().click();
    await see.exactText(page.getByRole('heading', { level: 1 }), `${student.givenName} ${student.familyName}`);
    const schedule = page.getByRole('table', { name: /Classes in progress/ });
    await see.count(schedule.locator('tbody tr'), expected.length);
    for (const id of expected) await see.text(schedule, classes.get(id)!.title);
    await shot(page, 'spot-check-student');

    // Login invites: filter, select a whole school, then send to one teacher and see it delivered.
    await page.getByRole('link', { name: 'Login invites' }).click();
    await see.visible(page.locator('[data-staff-picker]'));
    const firstSchool = page.locator('fieldset.school').first();
    const inSchool = await firstSchool.locator('input[name="userSourcedIds"]:not([disabled])').count();
    expect(inSchool).toBeGreaterThan(1);
    await firstSchool.locator('[data-selectall]').check();
    await see.text(page.locator('[data-selected-count]'), `${inSchool} selected`);
    await shot(page, 'invites-school-selected');
    await firstSchool.locator('[data-selectall]').uncheck();
    await see.text(page.locator('[data-selected-count]'), '0 selected');
    const teacher = [...g.records('users')].find((u) => u.role === 'teacher' && u.status === 'active' && u.enabledUser === 'true' && u.email)!;
    await page.getByLabel('Name or email').fill(teacher.familyName);
    // The list narrows as you type: only matching people stay visible.
    await eventually(async () => {
      const visible = await page.locator('.people li:not([hidden])').evaluateAll((els) => els.map((e) => e.getAttribute('data-search') ?? ''));
      expect(visible.length).toBeGreaterThan(0);
      expect(visible.length).toBeLessThan(await page.locator('.people li').count());
      for (const text of visible) expect(text).toContain(teacher.familyName.toLowerCase());
    });
    await page.locator(`#p-${teacher.sourcedId}`).check();
    await see.text(page.locator('[data-selected-count]'), '1 selected');
    await page.getByRole('button', { name: 'Send invites' }).click();
    const results = page.getByRole('table', { name: 'Result per person' });
    await see.text(results, 'sent');
    await see.text(results, `${teacher.givenName} ${teacher.familyName}`);
    const mail = await smtp.waitFor((m) => m.to.includes(teacher.email), 10_000);
    expect(mail.text).toContain(`${base}/sso/demo/login`);
    const delivery = page.getByRole('table', { name: 'Invites, newest first' });
    await see.text(delivery.locator('tbody tr').first(), teacher.email);
    await see.text(delivery.locator('tbody tr').first(), 'sent');
    await shot(page, 'invites-sent');

    // Tablet: the schedule page reads without the page scrolling sideways.
    const tablet = await newPage(browser, { viewport: { width: 820, height: 1180 } });
    await tablet.context.addCookies(await context.cookies());
    await tablet.page.goto(`${base}/admin/districts/demo/year`);
    const overflow = await tablet.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshots('leader-tablet')(tablet.page, 'year');
    await tablet.context.close();

  });
  expect(problems).toEqual([]);
  await context.close();
});
