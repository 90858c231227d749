// Notifications through a real SMTP server (smtp-server catcher) and a real database, and the
// operator CLI run as a process (`tsx scripts/ops.ts`) against the same database.
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createNotifyActivities, type NotifySettings } from '../../activities/notify.js';
import { projectRoot } from '../../config/tools.js';
import { createMailer } from '../../mail/mailer.js';
import { setDailySummary } from '../../notify/subscriptions.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

interface Caught {
  to: string[];
  raw: string;
}

let database: TestDatabase;
let smtp: SMTPServer;
let smtpUrl: string;
const caught: Caught[] = [];

const settings: NotifySettings = { supportEmail: 'support@gradient.test', publicUrl: 'https://sync.example.org', temporalUiUrl: 'https://temporal.example.org', namespace: 'default' };

beforeAll(async () => {
  database = await createTestDatabase();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        caught.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  const db = database.db;
  await db.insertInto('districts').values({ id: 'notice-isd', name: 'Notice ISD', timezone: 'America/Chicago', settings: '{}', oneroster_base_url: null, oneroster_auth_kind: null, oneroster_client_id: null, oneroster_secret_enc: null, oneroster_token_url: null, oneroster_signature_method: null, sso_issuer: null, sso_client_id: null, sso_secret_enc: null }).execute();
  const base = { district_id: 'notice-isd', kind: 'nightly' as const, mode: 'full', dry_run: false, workflow_id: 'district/notice-isd/nightly', temporal_run_id: 'tr-1', timings: '{}', progress: '{}', delta_since: null };
  await db.insertInto('sync_runs').values([
    { ...base, id: 'run-held', status: 'held', started_at: '2027-03-02T05:45:00Z', finished_at: null, reason: '14% of active users would be removed (threshold 10%)', counts: JSON.stringify({ users: { fetched: 900, quarantined: 3 } }), summary: '{}' },
    { ...base, id: 'run-ok', status: 'succeeded', started_at: '2027-03-01T05:45:00Z', finished_at: '2027-03-01T05:47:00Z', reason: null, counts: JSON.stringify({ users: { fetched: 1000, inserted: 12, updated: 4, unchanged: 984, deleted: 2, quarantined: 1 } }), summary: JSON.stringify({ applied: true }) },
  ]).execute();
  await db.insertInto('run_issues').values([
    { run_id: 'run-held', district_id: 'notice-isd', entity: 'users', sourced_id: 'usr-7', rule: 'required.email', severity: 'error', message: 'teacher has no email' },
    { run_id: 'run-held', district_id: 'notice-isd', entity: 'users', sourced_id: 'usr-9', rule: 'enum.role', severity: 'warning', message: 'unknown role "coach"' },
  ]).execute();
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await database.destroy();
});

test('a held run emails support once, with the reason and a link to the run', async () => {
  const mailer = createMailer(smtpUrl, 'Gradient <no-reply@gradient.test>');
  const notify = createNotifyActivities({ db: database.db, mailer, settings });
  const first = await notify.notifyRunOutcome({ districtId: 'notice-isd', runId: 'run-held' });
  expect(first).toMatchObject({ sent: true, to: 'support@gradient.test' });
  expect(caught).toHaveLength(1);
  const mail = caught[0]!;
  expect(mail.to).toEqual(['support@gradient.test']);
  const text = mail.raw.replace(/=\r?\n/g, '');
  expect(text).toMatch(/Subject: \[classlink-sync\] Notice ISD: nightly sync is held for review/);
  expect(text).toContain('14% of active users would be removed (threshold 10%)');
  expect(text).toContain('https://sync.example.org/api/districts/notice-isd/runs/run-held');
  expect(text).toContain('Issues:    1 blocking, 1 warnings');
  // A retried activity does not email twice; a succeeded run is not a notice.
  expect(await notify.notifyRunOutcome({ districtId: 'notice-isd', runId: 'run-held' })).toEqual({ sent: false, reason: 'already sent' });
  expect((await notify.notifyRunOutcome({ districtId: 'notice-isd', runId: 'run-ok' })).sent).toBe(false);
  expect(caught).toHaveLength(1);
  // Without SUPPORT_EMAIL nothing is sent, and the result says why.
  const unconfigured = createNotifyActivities({ db: database.db, mailer, settings: { ...settings, supportEmail: null } });
  expect(await unconfigured.notifyRunOutcome({ districtId: 'notice-isd', runId: 'run-held' })).toEqual({ sent: false, reason: 'SUPPORT_EMAIL is not set' });
  mailer.close();
});

test('leaders who opted in get the daily summary of their district for the day in its time zone', async () => {
  caught.length = 0;
  await setDailySummary(database.db, 'notice-isd', 'Leader@Notice.test', true, 'test');
  await setDailySummary(database.db, 'notice-isd', 'gone@notice.test', true, 'test');
  await setDailySummary(database.db, 'notice-isd', 'gone@notice.test', false, 'test');
  const mailer = createMailer(smtpUrl, 'Gradient <no-reply@gradient.test>');
  // 2027-03-01 05:45Z is Feb 28 in Chicago: the summary of Feb 28 holds run-ok only.
  const notify = createNotifyActivities({ db: database.db, mailer, settings, clock: () => new Date('2027-03-01T15:00:00Z') });
  expect(await notify.sendDailySummaries()).toEqual({ sent: 1 });
  expect(caught.map((c) => c.to)).toEqual([['leader@notice.test']]);
  const text = caught[0]!.raw.replace(/=\r?\n/g, '');
  expect(text).toContain('sync summary for 2027-02-28');
  expect(text).toContain('nightly run succeeded at 2027-03-01T05:45:00.000Z: 12 added, 4 changed, 2 removed, 1 quarantined');
  expect(text).not.toContain('run-held');
  expect(await notify.sendDailySummaries()).toEqual({ sent: 0 }); // once per day and address
  mailer.close();
});

function ops(...args: string[]) {
  return tsx('scripts/ops.ts', ...args);
}

function tsx(script: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_URL: database.url },
    encoding: 'utf8',
  });
}

test('npm run ops -- districts / run <id> print tables; bad input exits 2 with what to do', () => {
  const districts = ops('districts');
  expect(districts.status).toBe(0);
  const lines = districts.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^district\s+name\s+phase\s+last run\s+started\s+run id$/);
  // No TEMPORAL_ADDRESS: the phase is unknown rather than a crash.
  expect(lines[2]).toMatch(/^notice-isd\s+Notice ISD\s+unknown\s+nightly held\s+2027-03-02T05:45:00Z\s+run-held$/);

  const run = ops('run', 'run-held');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('status    held: 14% of active users would be removed (threshold 10%)');
  expect(run.stdout).toMatch(/^users\s+900\s+-\s+-\s+-\s+-\s+3$/m);
  expect(run.stdout).toMatch(/^2 issue\(s\):$/m);
  expect(run.stdout).toMatch(/^error\s+users\s+usr-7\s+required\.email\s+teacher has no email$/m);
  expect(run.stdout).toMatch(/^warning\s+users\s+usr-9\s+enum\.role\s+unknown role "coach"$/m);

  const limited = ops('run', 'run-held', '--limit', '1');
  expect(limited.stdout).toContain('2 issue(s), first 1 shown');

  const missing = ops('run', 'nope');
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/run "nope" does not exist/);
  const unknown = ops('frobnicate');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('unknown command "frobnicate"');

  const optIn = ops('daily-summary', 'notice-isd', 'second@notice.test');
  expect(optIn.status).toBe(0);
  expect(optIn.stdout).toContain('second@notice.test receives the daily summary of notice-isd');
  expect(ops('daily-summary', 'notice-isd', 'not-an-email').status).toBe(2);
});

test('npm run migrate applies nothing on an up-to-date database; --check says so', () => {
  const migrate = tsx('db/migrate-cli.ts');
  expect({ status: migrate.status, out: migrate.stdout.trim() }).toEqual({ status: 0, out: 'database is up to date: nothing to apply' });
  const check = tsx('db/migrate-cli.ts', '--check');
  expect({ status: check.status, out: check.stdout.trim() }).toEqual({ status: 0, out: 'database is up to date' });
});
