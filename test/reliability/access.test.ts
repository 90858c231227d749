// Access, beyond the authorization matrix and SSO tamper tests (test/integration/sso-matrix and
// sso-tamper run in this suite too, see scripts/reliability.mjs):
// - session fixation: a session id planted before a sign-in is never the one that signs in;
// - CSRF: every state-changing route refuses a cookie session without the token;
// - secrets (OneRoster and SSO client secrets, the support token, API tokens, OAuth access tokens,
//   passwords, session cookies) never appear in an API response or a log line of the API or of
//   the worker process, through registration, a review sync, sign-ins and failures.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { createSupportAccount } from '../../api/accounts.js';
import { buildApp } from '../../api/app.js';
import { createSession } from '../../api/session.js';
import { createApiToken } from '../../api/tokens.js';
import { loadConfig } from '../../config/index.js';
import { createSecretBox } from '../../db/secrets.js';
import { createLogger } from '../../lib/log.js';
import { TokenStore } from '../../sandbox/auth.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { Browser, form, loadRoster, walkSso } from '../integration/sso-support.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { devServerEnv } from '../support/temporal.js';
import { recordFigures } from './support/figures.js';
import { waitUntil } from './support/rig.js';
import { removeWorkflowBundle, spawnWorker, workflowBundle, type WorkerProcess } from './support/worker-process.js';

const SUPPORT_TOKEN = 'support-token-c0ffee-4c1d-1f00-secret';
const ONEROSTER_SECRET = 'oneroster-secret-7f3a9b2c5d8e';
const WRONG_SECRET = 'wrong-oneroster-secret-91a8b7c6';
const SSO_SECRET = 'sso-client-secret-5e6f7a8b9c0d';
const PASSWORD = 'support password: tr0ub4dor & 3';
const ATTACKER_PASSWORD = 'attacker password: hunter2hunter2';
const taskQueue = `reliability-access-${process.pid}-${Date.now()}`;

let database: TestDatabase;
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let worker: WorkerProcess;
let app: FastifyInstance;
let apiUrl: string;
const apiLog: string[] = [];
const responses: { what: string; text: string }[] = [];
const issuedTokens: string[] = [];
const secrets = new Set<string>([SUPPORT_TOKEN, ONEROSTER_SECRET, WRONG_SECRET, SSO_SECRET, PASSWORD, ATTACKER_PASSWORD]);
const realFetch = globalThis.fetch;
const realIssue = TokenStore.prototype.issue;

beforeAll(async () => {
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  // Every OAuth access token the tenant hands out is a secret too.
  TokenStore.prototype.issue = function issue(this: TokenStore) {
    const t = realIssue.call(this);
    issuedTokens.push(t.access_token);
    return t;
  };
  let bundlePath: string;
  [database, env, sandbox, bundlePath] = await Promise.all([
    createTestDatabase(),
    devServerEnv(),
    startSandbox({ size: 'xs', seed: 41, clientSecret: ONEROSTER_SECRET, oidcClients: [{ client_id: 'gradient-rp', client_secret: SSO_SECRET, redirect_uris: [`${apiUrl}/sso/acc/callback`] }] }),
    workflowBundle(),
  ]);
  worker = spawnWorker({ databaseUrl: database.url, temporalAddress: env.address, taskQueue, bundlePath, logLevel: 'debug' });
  const config = loadConfig({ NODE_ENV: 'test', SUPPORT_API_TOKEN: SUPPORT_TOKEN, TEMPORAL_TASK_QUEUE: taskQueue, PORT: String(port), PUBLIC_URL: apiUrl });
  const logger = createLogger({ name: 'api', level: 'debug', destination: { write: (line: string) => void apiLog.push(line) } });
  app = await buildApp({ db: database.db, temporal: env.client, config, secrets: createSecretBox(config.secretsKey) }, { logger });
  await app.listen({ host: '127.0.0.1', port });
  // Record every answer of the API (its Set-Cookie aside, which must carry the session).
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await realFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(apiUrl)) {
      const headers = [...res.headers].filter(([k]) => k !== 'set-cookie').map(([k, v]) => `${k}: ${v}`).join('\n');
      responses.push({ what: `${init?.method ?? 'GET'} ${url.slice(apiUrl.length)} → ${res.status}`, text: `${headers}\n\n${await res.clone().text()}` });
    }
    return res;
  };
}, 180_000);

afterAll(async () => {
  await removeWorkflowBundle();
  globalThis.fetch = realFetch;
  TokenStore.prototype.issue = realIssue;
  await worker?.kill('SIGKILL');
  await app?.close();
  await Promise.allSettled([env?.teardown(), sandbox?.close()]);
  await database?.destroy();
});

const bearer = (token = SUPPORT_TOKEN) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = bearer()) {
  const res = await fetch(`${apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The raw session id inside a signed cookie value ("<id>.<signature>", URL-encoded). */
const sessionIdOf = (cookieValue: string) => decodeURIComponent(cookieValue).replace(/\.[^.]+$/, '');

/** Support sign-in through the form; `plant` runs between loading the form and posting it. */
async function supportSignIn(browser: Browser, email: string, password: string, plant: () => void = () => undefined) {
  const page = await browser.go(`${apiUrl}/support/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  plant();
  return browser.go(`${apiUrl}/support/login`, form({ email, password, _csrf: csrf }));
}

async function whoIs(cookieValue: string): Promise<{ status: number; email?: string | null; sourcedId?: string | null }> {
  const res = await realFetch(`${apiUrl}/api/me`, { headers: { cookie: `cls_session=${cookieValue}` } });
  const json = (await res.json()) as { email?: string | null; sourcedId?: string | null };
  return { status: res.status, email: json.email, sourcedId: json.sourcedId };
}

let denied = 0;
let csrfDenied = 0;

test('a district is registered, reviewed and refused with wrong credentials: the responses carry no secret', async () => {
  const reg = await api('POST', '/api/districts', {
    id: 'acc',
    name: 'Access ISD',
    oneroster: { baseUrl: sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: ONEROSTER_SECRET, tokenUrl: sandbox.tokenUrl } },
    sso: { issuer: sandbox.oidcIssuer, clientId: 'gradient-rp', clientSecret: SSO_SECRET },
  });
  expect(reg.status).toBe(201);
  const wrong = await api('POST', '/api/districts', {
    id: 'acc-wrong',
    name: 'Wrong ISD',
    oneroster: { baseUrl: sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: WRONG_SECRET, tokenUrl: sandbox.tokenUrl } },
  });
  expect(wrong.status).toBeGreaterThanOrEqual(400);
  expect(wrong.status).toBeLessThan(500);
  expect((await api('POST', '/api/districts/acc/test-connection', {})).status).toBe(200);
  for (const path of ['/api/districts', '/api/districts/acc', '/api/districts/acc/sso', '/api/districts/acc/runs']) expect((await api('GET', path)).status).toBe(200);

  const review = await api('POST', '/api/districts/acc/review', {});
  expect(review.status).toBe(202);
  const run = await waitUntil('the review to finish', async () => {
    const r = await api('GET', `/api/districts/acc/runs/${review.json.runId}`);
    return r.json?.status && r.json.status !== 'running' ? r.json : null;
  }, 180_000, 500);
  expect(run.status).toBe('succeeded');

  // An API token works and is shown once; afterwards it is a secret like any other.
  const { token } = await createApiToken(database.db, 'reliability');
  secrets.add(token);
  expect((await api('GET', '/api/districts/acc', undefined, bearer(token))).status).toBe(200);
  // A wrong token is refused without echoing it.
  expect((await api('GET', '/api/districts/acc', undefined, bearer(`${token}x`))).status).toBe(401);
  denied++;
}, 240_000);

test('session fixation: a session id planted before support sign-in is not the one signed in, and gains nothing', async () => {
  await createSupportAccount(database.db, 'ada@gradient.example', PASSWORD);
  const attacker = await createSupportAccount(database.db, 'mallory@gradient.example', ATTACKER_PASSWORD);
  const planted = await createSession(database.db, { kind: 'support', supportAccountId: attacker.id });
  const plantedCookie = encodeURIComponent(app.signCookie(planted.id));
  const forged = encodeURIComponent(app.signCookie('attacker-chosen-session-id'));
  for (const cookie of [plantedCookie, forged, 'not-even-signed']) {
    const victim = new Browser();
    const res = await supportSignIn(victim, 'ada@gradient.example', PASSWORD, () =>
      victim.cookies.push({ name: 'cls_session', value: cookie, host: '127.0.0.1', path: '/', httpOnly: true, secure: false, sameSite: 'Lax', maxAge: null }),
    );
    expect(res.status).toBe(303);
    const now = victim.cookie('cls_session')!.value;
    expect(sessionIdOf(now)).not.toBe(sessionIdOf(cookie));
    secrets.add(sessionIdOf(now));
    expect(await whoIs(now)).toMatchObject({ status: 200, email: 'ada@gradient.example' });
    // Whatever the planted cookie was, it is not Ada's session.
    const after = await whoIs(cookie);
    expect(after.email ?? null).not.toBe('ada@gradient.example');
    expect(after.status).toBe(401);
    denied++;
  }
  secrets.add(planted.id);
});

test('session fixation: a session id planted before a ClassLink sign-in is not the one signed in', async () => {
  await loadRoster(database.db, 'acc', sandbox.generator);
  const teacher = [...sandbox.generator.records('users')].find((u) => u.role === 'teacher' && u.status === 'active' && u.enabledUser === 'true')!;
  const student = [...sandbox.generator.records('users')].find((u) => u.role === 'student' && u.status === 'active' && u.enabledUser === 'true')!;
  // The attacker signs in as a student, then plants that session in the teacher's browser.
  const attacker = new Browser();
  await walkSso(attacker, apiUrl, 'acc', student.email);
  const plantedValue = attacker.cookie('cls_session')!.value;
  secrets.add(sessionIdOf(plantedValue));
  const victim = new Browser();
  victim.cookies.push({ ...attacker.cookie('cls_session')! });
  await walkSso(victim, apiUrl, 'acc', teacher.email);
  const now = victim.cookie('cls_session')!.value;
  secrets.add(sessionIdOf(now));
  expect(sessionIdOf(now)).not.toBe(sessionIdOf(plantedValue));
  expect(await whoIs(now)).toMatchObject({ status: 200, sourcedId: teacher.sourcedId });
  const planted = await whoIs(plantedValue);
  expect(planted.sourcedId ?? null).not.toBe(teacher.sourcedId);
  denied++;
});

test('CSRF: every state-changing route refuses a signed-in session without the token', async () => {
  const browser = new Browser();
  expect((await supportSignIn(browser, 'ada@gradient.example', PASSWORD)).status).toBe(303);
  const cookie = browser.cookie('cls_session')!.value;
  secrets.add(sessionIdOf(cookie));
  const routes = app.routeAccess().filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
  expect(routes.length).toBeGreaterThan(15);
  const wrong: string[] = [];
  for (const { method, url } of routes) {
    const path = url.replace(':districtId', 'acc').replace(':id', 'acc').replace(':runId', 'no-such-run').replace(':sourcedId', 'usr-1');
    for (const token of [undefined, 'guessed-token']) {
      // The support login form has its own double-submit token (a form field); without the right one it answers 403 with a fresh form.
      const loginForm = url === '/support/login';
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { cookie: `cls_session=${cookie}`, 'content-type': loginForm ? 'application/x-www-form-urlencoded' : 'application/json', ...(token && !loginForm ? { 'x-csrf-token': token } : {}) },
        body: loginForm ? new URLSearchParams({ email: 'ada@gradient.example', password: PASSWORD, ...(token ? { _csrf: token } : {}) }).toString() : JSON.stringify({ note: 'csrf' }),
      });
      if (res.status !== 403) wrong.push(`${method} ${url} ${token ? 'with a guessed token' : 'without a token'}: ${res.status}`);
      else csrfDenied++;
    }
  }
  expect(wrong).toEqual([]);
  // The same session with its token gets through (so the 403s above were about CSRF).
  const me = (await (await realFetch(`${apiUrl}/api/me`, { headers: { cookie: `cls_session=${cookie}` } })).json()) as { csrfToken: string };
  const ok = await fetch(`${apiUrl}/api/districts/acc/request-changes`, { method: 'POST', headers: { cookie: `cls_session=${cookie}`, 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ note: 'fine' }) });
  expect(ok.status).not.toBe(403);
});

test('no secret appears in any API response or in any log line of the API or the worker process', async () => {
  for (const t of issuedTokens) secrets.add(t);
  expect(issuedTokens.length).toBeGreaterThan(0);
  const workerLines = worker.lines();
  // The logs are real: the worker logged the review, the API every request.
  expect(workerLines.length).toBeGreaterThan(5);
  expect(apiLog.length).toBeGreaterThan(20);
  const places = [
    ...responses.map((r) => ({ where: `response ${r.what}`, text: r.text })),
    ...apiLog.map((l, i) => ({ where: `API log line ${i}`, text: l })),
    ...workerLines.map((l, i) => ({ where: `worker log line ${i}`, text: l })),
  ];
  const leaks: string[] = [];
  for (const secret of secrets) {
    for (const p of places) if (p.text.includes(secret)) leaks.push(`${secret.slice(0, 6)}… in ${p.where}: ${p.text.slice(0, 200)}`);
  }
  expect(leaks).toEqual([]);
  recordFigures('access', { secretProbes: secrets.size * places.length, forbiddenDenied: denied + csrfDenied }, [
    `secrets: ${secrets.size} secrets (client secrets, support and API tokens, ${issuedTokens.length} OAuth access tokens, passwords, session ids) × ${places.length} places (${responses.length} responses, ${apiLog.length} API and ${workerLines.length} worker log lines): none found`,
    `refused: ${csrfDenied} state-changing cookie requests without or with a guessed CSRF token; ${denied} fixation attempts and bad bearer tokens (3 planted support cookies, 1 planted SSO session, 1 wrong API token)`,
  ]);
});
