// Login invites end to end: a leader signed in with ClassLink invites staff; the mail arrives on a
// real local SMTP server; the teacher follows its link into SSO and lands signed in. Delivery
// results are stored and listed; resends are allowed, floods are not.
import { sql } from 'kysely';
import { startSmtpCatcher, type SmtpCatcher } from '../../mail/catcher.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import type { UserRecord } from '../../sandbox/types.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { Browser, csrfOf, insertDistrict, loadRoster, startApi, walkSso, type RunningApi } from './sso-support.js';

let database: TestDatabase;
let sandbox: RunningSandbox;
let api: RunningApi;
let smtp: SmtpCatcher;
let leader: Browser;
let csrf: string;

const staff = () => [...sandbox.generator.records('users')].filter((u) => (u.role === 'teacher' || u.role === 'aide') && u.status === 'active' && u.enabledUser === 'true');
let rejected: UserRecord;

beforeAll(async () => {
  const port = await freePort();
  database = await createTestDatabase();
  sandbox = await startSandbox({ size: 'xs', seed: 4, oidcClients: [{ client_id: 'rp', client_secret: 'rp-secret', redirect_uris: [`http://127.0.0.1:${port}/sso/d1/callback`] }] });
  rejected = staff()[5]!;
  smtp = await startSmtpCatcher({ rejectRecipient: (a) => a === rejected.email });
  api = await startApi(database.db, port, { SMTP_URL: smtp.smtpUrl, MAIL_FROM: 'Gradient <invites@gradient.example>' });
  await insertDistrict(database.db, api.secrets, { id: 'd1', name: 'Invite ISD', sso: { issuer: sandbox.oidcIssuer, clientId: 'rp', clientSecret: 'rp-secret', tenantId: sandbox.generator.tenantId } });
  await loadRoster(database.db, 'd1', sandbox.generator);
  const admin = [...sandbox.generator.records('users')].find((u) => u.role === 'administrator' && u.status === 'active')!;
  await database.db.insertInto('district_leaders').values({ district_id: 'd1', user_sourced_id: admin.sourcedId, title: 'system_admin', assigned_by: 'test' }).execute();
  leader = new Browser();
  const landed = (await walkSso(leader, api.url, 'd1', admin.email)) as Response;
  expect(new URL(landed.url).pathname).toBe('/admin/districts/d1/year'); // /admin sends a leader on to their Admin Mode
  csrf = await csrfOf(leader, api.url);
});

afterAll(async () => {
  await api?.close();
  await smtp?.close();
  await sandbox?.close();
  await database?.destroy();
});

const invite = (ids: string[]) =>
  leader.go(`${api.url}/api/districts/d1/invites`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ userSourcedIds: ids }) });

test('a leader invites staff: per-user results, the mail arrives, its link signs the teacher in with ClassLink', async () => {
  const [t1, t2] = staff();
  const student = [...sandbox.generator.records('users')].find((u) => u.role === 'student' && u.status === 'active')!;
  const res = await invite([t1!.sourcedId, t2!.sourcedId, student.sourcedId, 'usr-does-not-exist', rejected.sourcedId, t1!.sourcedId]);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { results: { userSourcedId: string; status: string; message: string }[]; sent: number; failed: number; skipped: number };
  const by = Object.fromEntries(body.results.map((r) => [r.userSourcedId, r]));
  expect(body.results).toHaveLength(5); // the duplicate counts once
  expect(by[t1!.sourcedId]!.status).toBe('sent');
  expect(by[t2!.sourcedId]!.status).toBe('sent');
  expect(by[student.sourcedId]).toMatchObject({ status: 'skipped', message: expect.stringMatching(/staff/) });
  expect(by['usr-does-not-exist']).toMatchObject({ status: 'skipped', message: expect.stringMatching(/not in the roster/) });
  expect(by[rejected.sourcedId]).toMatchObject({ status: 'failed', message: expect.stringMatching(/550|unavailable/) });
  expect([body.sent, body.failed, body.skipped]).toEqual([2, 1, 2]);

  const mail = await smtp.waitFor((m) => m.to.includes(t1!.email));
  expect(mail.from).toBe('invites@gradient.example');
  expect(mail.subject).toBe('Sign in to Gradient with ClassLink – Invite ISD');
  expect(mail.text).toContain(t1!.givenName);
  expect(mail.html).toContain('href=');
  expect(smtp.messages().filter((m) => m.to.includes(rejected.email))).toEqual([]);

  // The teacher, in their own browser, follows the link.
  const link = /(http:\/\/\S+\/sso\/d1\/login\S*)/.exec(mail.text)![1]!;
  expect(new URL(link).searchParams.get('login_hint')).toBe(t1!.email);
  const teacher = new Browser();
  const page = await teacher.open(link);
  const form = /<form method="post" action="([^"]+)"/.exec(await (page as Response).text())![1]!;
  const target = new URL(form, (page as Response).url);
  const posted = await teacher.go(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ login: t1!.email, password: 'sandbox' }).toString() });
  const landed = (await teacher.follow(posted, target)) as Response;
  expect(landed.status).toBe(200);
  expect(new URL(landed.url).pathname).toBe('/me');
  expect(await (await teacher.go(`${api.url}/api/me`)).json()).toMatchObject({ role: 'teacher', sourcedId: t1!.sourcedId, districtId: 'd1' });

  // Delivery results are stored and shown, and the accepted invite says so.
  const list = (await (await leader.go(`${api.url}/api/districts/d1/invites`)).json()) as { invites: Record<string, any>[] };
  const shown = Object.fromEntries(list.invites.map((i) => [i.userSourcedId, i]));
  expect(shown[t1!.sourcedId]).toMatchObject({ status: 'sent', email: t1!.email, sentBy: expect.stringMatching(/^leader:d1\//), acceptedAt: expect.any(String), sentAt: expect.any(String) });
  expect(shown[t2!.sourcedId]).toMatchObject({ status: 'sent', acceptedAt: null });
  expect(shown[rejected.sourcedId]).toMatchObject({ status: 'failed', error: expect.stringMatching(/550|unavailable/) });
});

test('a resend within 10 minutes is refused with a clear 429; after that it goes out', async () => {
  const [t1, , t3] = staff();
  const again = await invite([t1!.sourcedId]);
  expect(again.status).toBe(429);
  expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await again.json()).toMatchObject({ error: 'invite_throttled', message: expect.stringMatching(/10 minutes/) });

  // Mixed: the fresh one goes, the recent one is reported, not sent.
  const mixed = await invite([t1!.sourcedId, t3!.sourcedId]);
  expect(mixed.status).toBe(200);
  const results = ((await mixed.json()) as { results: { userSourcedId: string; status: string }[] }).results;
  expect(results.map((r) => r.status)).toEqual(['throttled', 'sent']);

  // A failed delivery does not hold back a retry.
  expect((await invite([rejected.sourcedId])).status).toBe(200);

  await database.db.updateTable('login_invites').set({ created_at: sql<Date>`created_at - interval '11 minutes'` }).where('user_sourced_id', '=', t1!.sourcedId).execute();
  const before = smtp.messages().filter((m) => m.to.includes(t1!.email)).length;
  const resend = await invite([t1!.sourcedId]);
  expect(resend.status).toBe(200);
  await smtp.waitFor(() => smtp.messages().filter((m) => m.to.includes(t1!.email)).length === before + 1);
});

test('the district’s hourly cap refuses the request that would pass it, saying how many are left', async () => {
  const sentLastHour = (await database.db.selectFrom('login_invites').select(sql<number>`count(*)`.as('n')).where('status', '!=', 'failed').executeTakeFirstOrThrow()).n;
  await database.db.updateTable('districts').set({ settings: JSON.stringify({ invitesPerHour: sentLastHour + 1 }) }).where('id', '=', 'd1').execute();
  const [, , , t4, t5] = staff();
  const over = await invite([t4!.sourcedId, t5!.sourcedId]);
  expect(over.status).toBe(429);
  expect(await over.json()).toMatchObject({ error: 'invite_limit', message: expect.stringMatching(/send at most 1 now/) });
  expect(await database.db.selectFrom('login_invites').select('id').where('user_sourced_id', 'in', [t4!.sourcedId, t5!.sourcedId]).execute()).toEqual([]);
  expect((await invite([t4!.sourcedId])).status).toBe(200);
});

test('without the CSRF token a leader’s invite is refused', async () => {
  const res = await leader.go(`${api.url}/api/districts/d1/invites`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userSourcedIds: [staff()[6]!.sourcedId] }) });
  expect(res.status).toBe(403);
  expect(((await res.json()) as { error: string }).error).toBe('csrf');
});
