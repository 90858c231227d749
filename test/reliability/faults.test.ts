// Faults: every kind of trouble the sandbox tenant can inject, each against its own tenant and a
// district that already holds yesterday's roster. Transient trouble is retried to success; trouble
// that does not go away ends in a failed run whose reason names it, with the live roster untouched
// (not a single row rewritten). Scenarios run side by side: the failing ones mostly wait out
// Temporal's activity retries.
import { createOneRosterClient } from '../../oneroster/client.js';
import { OneRosterError } from '../../oneroster/errors.js';
import type { Faults } from '../../sandbox/faults.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { Tenants } from './support/districts.js';
import { recordFigures } from './support/figures.js';
import { sql } from 'kysely';
import { LIVE_TABLE } from '../../roster/entities.js';
import { compareLive, describeDifferences, runRow, startRun, rowVersions } from './support/rig.js';

interface Scenario {
  name: string;
  faults: Faults;
  /** 'retried': the run succeeds and the roster is exactly the tenant's; otherwise the run fails with a reason matching this. */
  expect: 'retried' | RegExp;
  /** Least fetch time the retries must have taken (e.g. Retry-After honoured). */
  minFetchMs?: number;
}

const SCENARIOS: Scenario[] = [
  { name: '500 burst', faults: { burst: { status: 500, count: 3 } }, expect: 'retried' },
  { name: '502 burst', faults: { burst: { status: 502, count: 3 } }, expect: 'retried' },
  { name: '503 burst with Retry-After', faults: { burst: { status: 503, count: 3, retryAfterSeconds: 1 } }, expect: 'retried', minFetchMs: 2_500 },
  { name: '429 with Retry-After', faults: { rateLimit: { count: 3, retryAfterSeconds: 1 } }, expect: 'retried', minFetchMs: 2_500 },
  { name: 'random 500/502/503 (30%)', faults: { errorRate: { 500: 0.1, 502: 0.1, 503: 0.1 }, seed: 7 }, expect: 'retried' },
  { name: 'slow responses (400 ms each)', faults: { slowMs: 400 }, expect: 'retried' },
  { name: '503 on every request', faults: { errorRate: { 503: 1 } }, expect: /503/ },
  { name: 'truncated page', faults: { truncatePage: { collection: 'enrollments', offset: 200 } }, expect: /enrollments.*offset 200|truncated page/ },
  { name: 'X-Total-Count too high', faults: { wrongTotalCount: { collection: 'users', delta: 7 } }, expect: /X-Total-Count/ },
  { name: 'X-Total-Count too low', faults: { wrongTotalCount: { collection: 'users', delta: -7 } }, expect: /count header is wrong|X-Total-Count/ },
  { name: 'auth revoked mid-run', faults: { revokeAuthAfterRequests: 6 }, expect: /401|credentials|revoked|rejected/i },
  { name: 'credentials rejected', faults: { authFailure: true }, expect: /401|credentials|rejected/i },
  { name: 'missing collection key', faults: { missingCollectionKey: { collection: 'classes' } }, expect: /classes/ },
];

let sys: TestSystem;
const tenants = new Tenants(() => sys);

beforeAll(async () => {
  sys = await startTestSystem();
  await recordLiveWrites();
});

/**
 * Every write to a live row of this file's districts, with the statement and transaction that made
 * it: should a run that fails in fetch ever leave a row rewritten, the failure names the writer.
 */
async function recordLiveWrites(): Promise<void> {
  const db = sys.database.db;
  await sql`create table live_writes (tbl text, district_id text, sourced_id text, op text, txid bigint, xact_start timestamptz, at timestamptz, query text)`.execute(db);
  await sql`create function record_live_write() returns trigger language plpgsql as $$
    begin
      insert into live_writes values (tg_table_name, new.district_id, new.sourced_id, tg_op, txid_current(), now(), clock_timestamp(), left(current_query(), 300));
      return new;
    end $$`.execute(db);
  for (const table of Object.values(LIVE_TABLE)) {
    await sql`create trigger record_live_write after insert or update on ${sql.table(table)} for each row execute function record_live_write()`.execute(db);
  }
}

afterAll(async () => {
  await tenants.close();
  await sys?.stop();
});

interface Outcome {
  name: string;
  problems: string[];
  rowsLost: number;
  detail: string;
}

async function play(s: Scenario, i: number): Promise<Outcome> {
  const districtId = `fault-${i}`;
  const db = sys.database.db;
  const { sandbox, before } = await tenants.withRoster(districtId, { seed: 11, settings: { pageSize: 100 } });
  const problems: string[] = [];

  sandbox.setFaults(s.faults);
  const run = await startRun(sys.env.client, districtId, sys.config.temporal.taskQueue);
  const outcome = await run.result.then(
    (summary) => ({ status: summary.status, reason: summary.reason ?? null }),
    async () => ({ status: 'failed-workflow', reason: null }),
  );
  sandbox.clearFaults();
  const row = (await runRow(db, run.runId))!;
  const after = await rowVersions(db, districtId);
  const rewritten = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
  const { differences, rowsLost } = await compareLive(db, districtId, sandbox.generator);
  if (rewritten.length) {
    const detail = await db.selectFrom('sync_runs').select(['id', 'kind', 'status', 'started_at', 'finished_at', 'counts', 'timings']).where('district_id', '=', districtId).orderBy('started_at').execute();
    const ids = rewritten.map((k) => k.slice(k.indexOf('/') + 1));
    const writes = await sql`select * from live_writes where district_id = ${districtId} and sourced_id = any(${ids}::text[]) order by at desc limit 6`.execute(db);
    problems.push(
      `live rows were rewritten: ${rewritten.length}, e.g. ${rewritten.slice(0, 3).map((k) => `${k} ${before[k]} -> ${after[k]}`).join(', ')}; ` +
        `writes: ${JSON.stringify(writes.rows)}; runs: ${JSON.stringify(detail)}`,
    );
  }
  problems.push(...describeDifferences(differences));
  if (s.expect === 'retried') {
    if (row.status !== 'succeeded') problems.push(`expected the run to succeed after retries, it is ${row.status}: ${row.reason}`);
    if (s.minFetchMs && Number(row.timings.fetch_ms) < s.minFetchMs) problems.push(`fetch took ${row.timings.fetch_ms} ms: Retry-After was not waited out`);
  } else {
    if (row.status !== 'failed') problems.push(`expected a failed run, got ${row.status} (${outcome.status})`);
    if (!row.reason || !s.expect.test(row.reason)) problems.push(`the reason does not say what went wrong: ${JSON.stringify(row.reason)}`);
  }
  const detail = row.status === 'succeeded' ? `retried to success (fetch ${row.timings.fetch_ms} ms)` : `failed: ${String(row.reason).slice(0, 140)}`;
  return { name: s.name, problems, rowsLost, detail };
}

test(`each of ${SCENARIOS.length} sandbox faults ends right: retried to success, or failed with a clear reason and the live roster untouched`, async () => {
  const outcomes = await Promise.all(SCENARIOS.map((s, i) => play(s, i)));
  expect(outcomes.filter((o) => o.problems.length).map((o) => `${o.name}: ${o.problems.join('; ')}`)).toEqual([]);
  const rowsLost = outcomes.reduce((n, o) => n + o.rowsLost, 0);
  expect(rowsLost).toBe(0);
  recordFigures('faults', { faultsHandled: outcomes.length, rowsLost }, [
    `${outcomes.length} sandbox faults, each after a clean baseline sync of its own district:`,
    ...outcomes.map((o) => `  ${o.name}: ${o.detail}`),
  ]);
}, 600_000);

test('a OneRoster server slower than the client timeout: a retryable timeout that names the page, then a clear error', async () => {
  const sandbox = await tenants.tenant(11);
  sandbox.setFaults({ slowMs: 1_000 });
  const client = createOneRosterClient({
    baseUrl: sandbox.onerosterBaseUrl,
    auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl },
    timeoutMs: 200,
    maxAttempts: 2,
    districtId: 'timeout-isd',
  });
  const error = await (async () => {
    for await (const _page of client.pages('orgs')) return null;
    return null;
  })().catch((err: unknown) => err);
  expect(error).toBeInstanceOf(OneRosterError);
  const e = error as OneRosterError;
  expect(e.code).toBe('timeout');
  expect(e.retryable).toBe(true);
  expect(e.message).toMatch(/200 ms|timed out|timeout/i);
  recordFigures('faults', { faultsHandled: 1 }, [`  request timeout (1 s responses, 200 ms client timeout): ${e.message.slice(0, 140)}`]);
});
