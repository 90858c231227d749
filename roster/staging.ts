// Pages stream from OneRoster into staging_records, one transaction per page, so a retried fetch
// resumes after the last committed page (staging_pages is the bookmark). Two writers: COPY (the
// default when a pg pool is at hand: measured faster, see bench/staging-write.ts) and batched
// INSERT (no raw connection needed).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../db/schema.js';
import type { Collection, Page } from '../oneroster/types.js';
import { perCollection } from './entities.js';
import { checkRecord } from './record-checks.js';
import { RULES_VERSION } from './rules.js';
import { contentHash, stagingForm, stagingId } from './storable.js';

export interface StagingWriter {
  readonly method: 'copy' | 'insert';
  /**
   * Replaces whatever an earlier attempt committed for this page. `live`: content hashes of the
   * active live rows of this page's ids; a record whose hash equals its live row's is staged in
   * staging_unchanged (its id at its position in the page) instead of staging_records.
   */
  writePage(runId: string, page: Page, live?: ReadonlyMap<string, string>): Promise<void>;
}

interface StagedRecord {
  ordinal: number;
  sourcedId: string | null;
  json: string;
  hash: string;
  /** The local rules' verdict (roster/record-checks.ts), for records staged in full. */
  skip: string | null;
  faults: string | null;
}

/**
 * A page's records as staged: changed ones with their JSON and the local rules' verdict, unchanged
 * ones (see writePage) apart: they passed the same rules when they were applied.
 */
function splitPage(page: Page, live?: ReadonlyMap<string, string>): { changed: StagedRecord[]; unchanged: StagedRecord[] } {
  const changed: StagedRecord[] = [];
  const unchanged: StagedRecord[] = [];
  page.records.forEach((record, ordinal) => {
    const { json, value } = stagingForm(record);
    const r: StagedRecord = { ordinal, sourcedId: stagingId(record), json, hash: contentHash(json), skip: null, faults: null };
    if (r.sourcedId !== null && live?.get(r.sourcedId) === r.hash) return void unchanged.push(r);
    const verdict = checkRecord(page.collection, value);
    r.skip = verdict.skip;
    r.faults = verdict.faults && JSON.stringify(verdict.faults);
    changed.push(r);
  });
  return { changed, unchanged };
}

export function insertWriter(db: Kysely<Database>): StagingWriter {
  return {
    method: 'insert',
    async writePage(runId, page, live) {
      const { changed, unchanged } = splitPage(page, live);
      await db.transaction().execute(async (trx) => {
        for (const table of ['staging_records', 'staging_unchanged'] as const) {
          await trx.deleteFrom(table).where('run_id', '=', runId).where('entity', '=', page.collection).where('page_offset', '=', page.offset).execute();
        }
        const at = { run_id: runId, entity: page.collection, page_offset: page.offset };
        // Postgres takes at most 65535 parameters per statement: 10 per row.
        for (let i = 0; i < changed.length; i += 5000) {
          await trx
            .insertInto('staging_records')
            .values(changed.slice(i, i + 5000).map((r) => ({ ...at, ordinal: r.ordinal, sourced_id: r.sourcedId, data: r.json, content_hash: r.hash, quarantine_rule: null, skip_reason: r.skip, faults: r.faults })))
            .execute();
        }
        if (unchanged.length > 0) {
          await trx.insertInto('staging_unchanged').values({ ...at, ids: unchangedIds(page, unchanged), records: unchanged.length }).execute();
        }
        await trx
          .insertInto('staging_pages')
          .values({ run_id: runId, entity: page.collection, page_offset: page.offset, record_count: page.records.length, total_count: page.totalCount, rules_version: RULES_VERSION })
          .onConflict((oc) => oc.columns(['run_id', 'entity', 'page_offset']).doUpdateSet({ record_count: page.records.length, total_count: page.totalCount, rules_version: RULES_VERSION }))
          .execute();
      });
    },
  };
}

/** The page's ids by position, null where the record is staged in full (staging_unchanged.ids). */
function unchangedIds(page: Page, unchanged: StagedRecord[]): (string | null)[] {
  const ids: (string | null)[] = new Array<string | null>(page.records.length).fill(null);
  for (const r of unchanged) ids[r.ordinal] = r.sourcedId;
  return ids;
}

/** A Postgres array literal of text: every element quoted, quotes and backslashes escaped. */
function textArrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A field of COPY's text format: backslash, tab and line breaks escaped, null as \N. Not CSV: CSV
 * doubles every quote, and a record's JSON is mostly quotes; JSON text itself holds no raw tab or
 * line break and backslashes only in escapes, so most records go through untouched.
 */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}

async function copyRows(client: pg.PoolClient, statement: string, body: string): Promise<void> {
  if (body.length === 0) return;
  // One page (about a megabyte at most) is sent as one chunk: fewer stream round trips.
  await pipeline(Readable.from([body]), client.query(copyFrom(statement)));
}

export function copyWriter(pool: pg.Pool): StagingWriter {
  return {
    method: 'copy',
    async writePage(runId, page, live) {
      const { changed, unchanged } = splitPage(page, live);
      const client = await pool.connect();
      let ok = false;
      try {
        await client.query('begin');
        // Records and their page row commit together, so a page row that did not exist before means
        // no records of this page exist either. Only a page re-written by a retried attempt needs the
        // deletes, which, run for every page, were the costliest statement of a size-l sync (Postgres
        // probed them through the (run_id, entity, sourced_id) index, a scan growing with every page).
        const { rows } = await client.query<{ fresh: boolean }>(
          `insert into staging_pages (run_id, entity, page_offset, record_count, total_count, rules_version) values ($1, $2, $3, $4, $5, $6)
           on conflict (run_id, entity, page_offset) do update
             set record_count = excluded.record_count, total_count = excluded.total_count, rules_version = excluded.rules_version
           returning (xmax = 0) as fresh`,
          [runId, page.collection, page.offset, page.records.length, page.totalCount, RULES_VERSION],
        );
        if (!rows[0]?.fresh) {
          for (const table of ['staging_records', 'staging_unchanged']) {
            await client.query(`delete from ${table} where run_id = $1 and entity = $2 and page_offset = $3`, [runId, page.collection, page.offset]);
          }
        }
        const prefix = `${copyField(runId)}\t${copyField(page.collection)}\t${page.offset}\t`;
        await copyRows(
          client,
          'copy staging_records (run_id, entity, page_offset, ordinal, sourced_id, data, content_hash, skip_reason, faults) from stdin',
          changed.map((r) => `${prefix}${r.ordinal}\t${copyField(r.sourcedId)}\t${copyField(r.json)}\t${r.hash}\t${copyField(r.skip)}\t${copyField(r.faults)}\n`).join(''),
        );
        if (unchanged.length > 0) {
          await copyRows(
            client,
            'copy staging_unchanged (run_id, entity, page_offset, ids, records) from stdin',
            `${prefix}${copyField(textArrayLiteral(unchangedIds(page, unchanged)))}\t${unchanged.length}\n`,
          );
        }
        await client.query('commit');
        ok = true;
      } finally {
        if (!ok) await client.query('rollback').catch(() => undefined);
        client.release(!ok);
      }
    },
  };
}

export interface CollectionBookmark {
  /** The collection's last page was committed: nothing left to fetch. */
  complete: boolean;
  /** Where a (re)started fetch picks up: just past the last committed page. */
  nextOffset: number;
  pagesDone: number;
  recordsDone: number;
}

export async function bookmark(db: Kysely<Database>, runId: string, collection: Collection): Promise<CollectionBookmark> {
  const row = await db
    .selectFrom('staging_pages')
    .select([
      sql<number>`coalesce(max(page_offset + record_count), 0)`.as('next'),
      sql<boolean>`coalesce(bool_or(complete), false)`.as('complete'),
      sql<number>`count(*)`.as('pages'),
      sql<number>`coalesce(sum(record_count), 0)`.as('records'),
    ])
    .where('run_id', '=', runId)
    .where('entity', '=', collection)
    .executeTakeFirst();
  return { nextOffset: Number(row?.next ?? 0), complete: Boolean(row?.complete), pagesDone: Number(row?.pages ?? 0), recordsDone: Number(row?.records ?? 0) };
}

/** Kept for callers of the walking skeleton's API. */
export async function resumeOffset(db: Kysely<Database>, runId: string, collection: Collection): Promise<number> {
  return (await bookmark(db, runId, collection)).nextOffset;
}

export async function markCollectionComplete(db: Kysely<Database>, runId: string, collection: Collection): Promise<void> {
  await sql`update staging_pages set complete = true
            where run_id = ${runId} and entity = ${collection}
              and page_offset = (select max(page_offset) from staging_pages where run_id = ${runId} and entity = ${collection})`.execute(db);
}

/**
 * Records staged per collection, unchanged ones included: the sum of the pages' record counts (a
 * page and its records commit together), not a count over hundreds of thousands of staged rows.
 */
export async function stagedCounts(db: Kysely<Database>, runId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('staging_pages')
    .select(['entity', (eb) => eb.fn.sum<number>('record_count').as('n')])
    .where('run_id', '=', runId)
    .groupBy('entity')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.entity, Number(r.n)]));
}

/** Records skipped by the skip rules (guardians, parents) as they were staged, per collection. */
export async function skippedCounts(db: Kysely<Database>, runId: string): Promise<Record<Collection, number>> {
  const rows = await db
    .selectFrom('staging_records')
    .select(['entity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .where('skip_reason', 'is not', null)
    .groupBy('entity')
    .execute();
  return perCollection(rows);
}

export async function dropStaging(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('staging_records').where('run_id', '=', runId).execute();
  await db.deleteFrom('staging_unchanged').where('run_id', '=', runId).execute();
  await db.deleteFrom('staging_pages').where('run_id', '=', runId).execute();
}

/** Staging kept for held or failed runs is dropped once they are resolved (decided, or superseded by a success). */
export async function dropResolvedStaging(db: Kysely<Database>, districtId: string): Promise<string[]> {
  const resolved = await db
    .selectFrom('sync_runs')
    .select('id')
    .where('district_id', '=', districtId)
    .where('status', 'in', ['succeeded', 'failed', 'discarded'])
    .where((eb) => eb.exists(eb.selectFrom('staging_pages').select(sql`1`.as('x')).whereRef('staging_pages.run_id', '=', 'sync_runs.id')))
    .execute();
  for (const { id } of resolved) await dropStaging(db, id);
  return resolved.map((r) => r.id);
}

/**
 * Vacuums the staging tables once a run's rows are deleted. Every later scan of staging (validation
 * reads whole collections) otherwise reads through the dead rows until autovacuum gets there: three
 * size-l full syncs in a row validated in 8.8, 10.9 and 13.5 s. skip_locked: when another run's
 * vacuum holds a table, that one does the work.
 */
export async function reclaimStaging(db: Kysely<Database>): Promise<void> {
  await sql`vacuum (skip_locked) staging_records, staging_unchanged, staging_pages`.execute(db);
}
