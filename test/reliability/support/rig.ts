// The parts a reliability test drives by hand: a database, the sandbox tenant, districts pointing
// at it, sync runs started as their own workflows on a chosen task queue, and what the live tables
// hold afterwards. Unlike test/support/system.ts it starts no worker: each test decides where its
// workers run (in process, or as processes it can kill) and which Postgres and Temporal they use.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import { loadConfig, type Config } from '../../../config/index.js';
import type { Database } from '../../../db/schema.js';
import { createSecretBox, type SecretBox } from '../../../db/secrets.js';
import { COLLECTIONS, type Collection } from '../../../oneroster/types.js';
import { LIVE_TABLE } from '../../../roster/entities.js';
import { RECORD_RULES } from '../../../roster/rules.js';
import { waitFor } from '../../support/system.js';
import type { RunKind, RunSummary } from '../../../workflows/messages.js';
import { compareWithSandbox, type RosterDifference } from '../../support/roster-compare.js';
import type { SandboxGenerator } from '../../../sandbox/generator.js';

export const SUPPORT_TOKEN = 'reliability-support-token-0123456789';

export function testConfig(taskQueue = 'reliability-unused'): Config {
  return loadConfig({ NODE_ENV: 'test', SUPPORT_API_TOKEN: SUPPORT_TOKEN, TEMPORAL_TASK_QUEUE: taskQueue });
}

export function secretBox(): SecretBox {
  return createSecretBox(testConfig().secretsKey);
}

export interface Tenant {
  onerosterBaseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

/** `secrets`: the box of the worker that will read the connection (default: the test config's). */
export async function registerDistrict(db: Kysely<Database>, id: string, tenant: Tenant, settings: Record<string, unknown> = {}, secrets: SecretBox = secretBox()): Promise<void> {
  await db
    .insertInto('districts')
    .values({
      id,
      name: `${id} ISD`,
      timezone: 'America/Chicago',
      oneroster_base_url: tenant.onerosterBaseUrl,
      oneroster_auth_kind: 'oauth2',
      oneroster_client_id: tenant.clientId,
      oneroster_secret_enc: secrets.seal(tenant.clientSecret),
      oneroster_token_url: tenant.tokenUrl,
      settings: JSON.stringify(settings),
    })
    .execute();
}

export interface StartedRun {
  runId: string;
  workflowId: string;
  result: Promise<RunSummary>;
}

/** A manual sync run as its own workflow, as DistrictOnboarding starts one-off runs. */
export async function startRun(client: Client, districtId: string, taskQueue: string, kind: RunKind = 'manual'): Promise<StartedRun> {
  const runId = randomUUID();
  const workflowId = `reliability/${districtId}/${kind}/${runId}`;
  const handle = await client.workflow.start('syncRun', { taskQueue, workflowId, args: [{ districtId, kind, runId, dryRun: false }] });
  const result = handle.result() as Promise<RunSummary>;
  result.catch(() => undefined);
  return { runId, workflowId, result };
}

export interface RunRow {
  status: string;
  reason: string | null;
  progress: Record<string, any>;
  counts: Record<string, any>;
  summary: Record<string, any>;
  timings: Record<string, any>;
}

export async function runRow(db: Kysely<Database>, runId: string): Promise<RunRow | undefined> {
  return (await db.selectFrom('sync_runs').select(['status', 'reason', 'progress', 'counts', 'summary', 'timings']).where('id', '=', runId).executeTakeFirst()) as RunRow | undefined;
}

/** sourcedId → content hash (+ " deleted") of every live row: equal maps mean equal rosters. */
export async function liveContent(db: Kysely<Database>, districtId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of COLLECTIONS) {
    const rows = await sql<{ s: string; h: string; d: boolean }>`
      select sourced_id as s, content_hash as h, deleted_at is not null as d from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(db);
    for (const r of rows.rows) out[`${c}/${r.s}`] = `${r.h}${r.d ? ' deleted' : ''}`;
  }
  return out;
}

/**
 * (sourcedId → ctid) of every live row: equal snapshots mean no row was written at all, since an
 * update always leaves a new row version at a new ctid (xmin would do as well: freezing keeps it).
 */
export async function rowVersions(db: Kysely<Database>, districtId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of COLLECTIONS) {
    const rows = await sql<{ s: string; v: string }>`select sourced_id as s, ctid::text as v from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(db);
    for (const r of rows.rows) out[`${c}/${r.s}`] = r.v;
  }
  return out;
}

/** Live rows per collection whose sourcedId appears more than once (must be none). */
export async function duplicateRows(db: Kysely<Database>, districtId: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of COLLECTIONS) {
    const rows = await sql<{ s: string; n: number }>`
      select sourced_id as s, count(*)::int as n from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId} group by sourced_id having count(*) > 1`.execute(db);
    out.push(...rows.rows.map((r) => `${c}/${r.s} ×${r.n}`));
  }
  return out;
}

const SKIPPED_ROLES = new Set((RECORD_RULES.find((r) => r.id === 'users.role.skipped')!.check as { values: readonly string[] }).values);

/** Guardians and parents are counted, never applied: leave them out of the comparison. */
export const notSynced = (collection: Collection, record: Record<string, unknown>): boolean => collection === 'users' && SKIPPED_ROLES.has(String(record.role));

/** Differences between the live tables and the tenant's roster; rows lost = served records missing or with the wrong deletion state. */
export async function compareLive(db: Kysely<Database>, districtId: string, generator: SandboxGenerator): Promise<{ differences: RosterDifference[]; rowsLost: number }> {
  const differences = await compareWithSandbox(db, districtId, generator, notSynced);
  const rowsLost = differences.reduce((n, d) => n + d.missing.length + d.wrongDeletion.length, 0);
  return { differences, rowsLost };
}

/** A short, readable form of differences for a failed assertion. */
export function describeDifferences(differences: RosterDifference[]): string[] {
  return differences.map(
    (d) => `${d.collection}: ${d.missing.length} missing (${d.missing.slice(0, 3).join(', ')}), ${d.unexpected.length} unexpected, ${d.different.length} different, ${d.wrongDeletion.length} wrongly deleted`,
  );
}

/** waitFor with the suite's longer default patience (kills and restarts take a while to heal). */
export function waitUntil<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  return waitFor(what, fn, timeoutMs, everyMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
