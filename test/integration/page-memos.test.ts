// Page memos (roster/page-memo.ts) through the sync activities, the real OneRoster client and the
// sandbox tenant over HTTP, on a real Postgres: a district's second unchanged full run recognises
// its pages by digest instead of parsing them, a page whose live rows changed underneath is parsed
// again, and a night of changes ends exactly as it does for a district read without memos.
import { sql } from 'kysely';
import { createActivities } from '../../activities/index.js';
import { createOneRosterClient } from '../../oneroster/client.js';
import { COLLECTIONS, type Collection, type OneRosterClient } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { PAGE_MEMO_VERSION } from '../../roster/page-memo.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { compareWithSandbox } from '../support/roster-compare.js';
import { ensureDistrict } from '../unit/roster-support.js';

let t: TestDatabase;
let sandbox: RunningSandbox;
let acts: ReturnType<typeof createActivities>;
let seq = 0;
const PAGE = 100;

/** The same tenant read without recognisingPages: every page parsed, no memo written. */
const withoutMemos = (c: OneRosterClient): OneRosterClient => ({ getPage: c.getPage, pages: c.pages, testConnection: c.testConnection });

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await startSandbox({ size: 'xs', seed: 11, port: 0 });
  const client = createOneRosterClient({
    baseUrl: sandbox.onerosterBaseUrl,
    districtId: 'memos',
    auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl },
    pageSize: PAGE,
  });
  acts = createActivities({
    db: t.db,
    pool: t.pool,
    oneroster: (district) => (district.id === 'no-memos' ? withoutMemos(client) : client),
    clock: () => new Date('2027-01-12T15:00:00Z'),
  });
  for (const d of ['memos', 'no-memos']) await ensureDistrict(t.db, d);
});

afterAll(async () => {
  await sandbox?.close();
  await t?.destroy();
});

async function run(districtId: string) {
  const runId = `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  await acts.beginRun({ districtId, runId, kind: 'manual', dryRun: false, workflowId: `wf-${runId}`, temporalRunId: `r-${runId}` });
  await acts.fetchRoster({ districtId, runId });
  const pages = await t.db.selectFrom('staging_pages').select(['entity', 'digest']).where('run_id', '=', runId).execute();
  const verdict = await acts.validateRun({ districtId, runId });
  expect(verdict.held).toBe(false);
  await acts.applyRun({ districtId, runId });
  const row = await t.db.selectFrom('sync_runs').select(['counts', 'summary']).where('id', '=', runId).executeTakeFirstOrThrow();
  await acts.finishRun({ districtId, runId });
  const summary = row.summary as Record<string, any>;
  return { runId, pages, counts: row.counts as Record<Collection, Record<string, number>>, summary, recognised: summary.fetch?.recognisedPages as number | undefined };
}

async function liveVersions(districtId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of COLLECTIONS) {
    const r = await sql<{ id: string; h: string; x: string }>`
      select sourced_id as id, content_hash as h, ctid::text as x from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(t.db);
    for (const row of r.rows) out[`${c}/${row.id}`] = `${row.h}@${row.x}`;
  }
  return out;
}

const memoDigests = async (districtId: string) =>
  (await t.db.selectFrom('page_memos').select(['entity', 'digest']).where('district_id', '=', districtId).execute()).map((m) => `${m.entity} ${m.digest}`).sort();

test('an unchanged full run recognises its pages by digest and writes nothing', async () => {
  const first = await run('memos');
  // The first load has nothing to recognise against, but remembers every page it parsed.
  expect(first.recognised).toBeUndefined();
  expect(first.pages.length).toBeGreaterThan(COLLECTIONS.length);
  expect(first.pages.every((p) => /^[0-9a-f]{64}$/.test(p.digest ?? ''))).toBe(true);
  expect(await memoDigests('memos')).toEqual(first.pages.map((p) => `${p.entity} v${PAGE_MEMO_VERSION}:${p.digest}`).sort());
  const before = await liveVersions('memos');

  const second = await run('memos');
  expect(second.summary.nothingChanged).toBe(true);
  // Pages holding a record that is never applied (guardians are skipped) cannot be all unchanged.
  const withSkipped = await pagesHoldingSkippedRecords();
  expect(withSkipped).toBeGreaterThan(0);
  expect(second.recognised).toBe(second.pages.length - withSkipped);
  expect(second.pages.map((p) => p.digest)).toEqual(first.pages.map((p) => p.digest));
  expect(await liveVersions('memos')).toEqual(before);
  for (const c of COLLECTIONS) expect(second.counts[c]).toMatchObject({ fetched: first.counts[c]!.fetched, inserted: 0, updated: 0, deleted: 0 });
});

/** Pages (of PAGE records, in served order) holding at least one record the sync skips. */
async function pagesHoldingSkippedRecords(): Promise<number> {
  const { isSkippedBySync } = await import('../support/roster-compare.js');
  let n = 0;
  for (const c of COLLECTIONS) {
    const records = [...sandbox.generator.records(c)] as unknown as Record<string, unknown>[];
    for (let i = 0; i < records.length; i += PAGE) if (records.slice(i, i + PAGE).some((r) => isSkippedBySync(c, r))) n++;
  }
  return n;
}

test('a page whose live row changed underneath its memo is parsed and staged again', async () => {
  const victim = (await t.db.selectFrom('enrollments').select('sourced_id').where('district_id', '=', 'memos').orderBy('sourced_id').limit(1).executeTakeFirstOrThrow()).sourced_id;
  // As if something other than this record's page had written the row: its hash no longer matches.
  await sql`update enrollments set content_hash = 'tampered', data = data || '{"note": "tampered"}' where district_id = 'memos' and sourced_id = ${victim}`.execute(t.db);
  const before = (await run('memos')).pages.length;
  const third = await t.db.selectFrom('sync_runs').select('summary').where('district_id', '=', 'memos').orderBy('started_at', 'desc').limit(1).executeTakeFirstOrThrow();
  const summary = third.summary as Record<string, any>;
  expect(summary.nothingChanged).toBeUndefined();
  expect(summary.fetch.recognisedPages).toBe(before - (await pagesHoldingSkippedRecords()) - 1);
  expect(await compareWithSandbox(t.db, 'memos', sandbox.generator)).toEqual([]);
});

test('a night of changes ends exactly as for a district read without memos, and old memos go', async () => {
  await run('no-memos');
  expect(await memoDigests('no-memos')).toEqual([]);
  sandbox.advanceNight();
  const a = await run('memos');
  const b = await run('no-memos');
  expect(a.recognised).toBeGreaterThan(0);
  expect(a.recognised).toBeLessThan(a.pages.length);
  expect(b.recognised).toBeUndefined();
  expect(a.counts).toEqual(b.counts);
  const issues = async (runId: string) =>
    (await t.db.selectFrom('run_issues').select(['entity', 'sourced_id', 'rule']).where('run_id', '=', runId).execute()).map((i) => `${i.rule} ${i.entity}/${i.sourced_id}`).sort();
  expect(await issues(a.runId)).toEqual(await issues(b.runId));
  expect(await compareWithSandbox(t.db, 'memos', sandbox.generator)).toEqual([]);
  expect(await compareWithSandbox(t.db, 'no-memos', sandbox.generator)).toEqual([]);
  // Only the memos of the pages served tonight are kept.
  expect(await memoDigests('memos')).toEqual(a.pages.map((p) => `${p.entity} v${PAGE_MEMO_VERSION}:${p.digest}`).sort());
});
