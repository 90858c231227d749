// Pages stream from OneRoster into staging_records, one transaction per page, so a retried fetch
// resumes after the last committed page (staging_pages is the bookmark). Two writers: COPY (the
// default when a pg pool is at hand: measured faster, see bench/staging-write.ts) and batched
// INSERT (no raw connection needed).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../db/schema.js';
import type { Collection, KnownPage, Page } from '../oneroster/types.js';
import { memoRow, unchangedFromMemo, type MemoRow } from './page-memo.js';
import { perCollection } from './entities.js';
import { checkRecord, STAGED_CHECKS_VERSION, stagedRefs } from './record-checks.js';
import { contentHash, stagingForm, stagingId } from './storable.js';

export interface StagingWriter {
  readonly method: 'copy' | 'insert';
  /**
   * Replaces whatever an earlier attempt committed for this page. `live`: content hashes of the
   * active live rows of this page's ids; a record whose hash equals its live row's is staged in
   * staging_unchanged (its id at its position in the page) instead of staging_records.
   */
  writePage(runId: string, page: Page, live?: ReadonlyMap<string, string>, memo?: MemoTarget): Promise<void>;
  /**
   * Stages a page recognised by its memo (roster/page-memo.ts) by id, when all its records are
   * unchanged. False: one is not, nothing was written, and the page must be parsed and written.
   */
  writeKnownPage(runId: string, page: KnownPage, memo: MemoTarget): Promise<boolean>;
}

/** Whose page memos a page with a digest is remembered in (roster/page-memo.ts). */
export interface MemoTarget {
  districtId: string;
}

/** The memo of a parsed page: its ids and hashes by position (none when a record has no storable id). */
function memoOf(page: Page, staged: StagedRecord[], memo: MemoTarget | undefined): MemoRow | null {
  if (!memo || !page.digest || staged.length !== page.records.length) return null;
  const ids = new Array<string | null>(staged.length);
  const hashes = new Array<string>(staged.length);
  for (const r of staged) {
    ids[r.ordinal] = r.sourcedId;
    hashes[r.ordinal] = r.hash;
  }
  return memoRow(memo.districtId, page.collection, page.digest, ids, hashes);
}

interface StagedRecord {
  ordinal: number;
  sourcedId: string | null;
  json: string;
  hash: string;
  /** The local rules' verdict (roster/record-checks.ts), for records staged in full. */
  skip: string | null;
  faults: string | null;
  /** The ids of its single references (stagedRefs), for records staged in full. */
  refs: (string | null)[] | null;
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
    const r: StagedRecord = { ordinal, sourcedId: stagingId(record), json, hash: contentHash(json), skip: null, faults: null, refs: null };
    if (r.sourcedId !== null && live?.get(r.sourcedId) === r.hash) return void unchanged.push(r);
    const verdict = checkRecord(page.collection, value);
    r.skip = verdict.skip;
    r.faults = verdict.faults && JSON.stringify(verdict.faults);
    if (!r.skip) r.refs = stagedRefs(page.collection, value);
    changed.push(r);
  });
  return { changed, unchanged };
}

export function insertWriter(db: Kysely<Database>): StagingWriter {
  return {
    method: 'insert',
    async writePage(runId, page, live, memo) {
      const { changed, unchanged } = splitPage(page, live);
      const remembered = memoOf(page, [...changed, ...unchanged], memo);
      await db.transaction().execute(async (trx) => {
        for (const table of ['staging_records', 'staging_unchanged'] as const) {
          await trx.deleteFrom(table).where('run_id', '=', runId).where('entity', '=', page.collection).where('page_offset', '=', page.offset).execute();
        }
        const at = { run_id: runId, entity: page.collection, page_offset: page.offset };
        // Postgres takes at most 65535 parameters per statement: 11 per row.
        for (let i = 0; i < changed.length; i += 5000) {
          await trx
            .insertInto('staging_records')
            .values(changed.slice(i, i + 5000).map((r) => ({ ...at, ordinal: r.ordinal, sourced_id: r.sourcedId, data: r.json, content_hash: r.hash, quarantine_rule: null, skip_reason: r.skip, faults: r.faults, refs: r.refs })))
            .execute();
        }
        if (unchanged.length > 0) {
          await trx.insertInto('staging_unchanged').values({ ...at, ids: unchangedIds(page, unchanged), records: unchanged.length }).execute();
        }
        if (remembered) await trx.insertInto('page_memos').values(remembered).onConflict((oc) => oc.doNothing()).execute();
        await insertPageRow(trx, runId, page, page.records.length);
      });
    },
    async writeKnownPage(runId, page, memo) {
      return db.transaction().execute(async (trx) => {
        for (const table of ['staging_records', 'staging_unchanged'] as const) {
          await trx.deleteFrom(table).where('run_id', '=', runId).where('entity', '=', page.collection).where('page_offset', '=', page.offset).execute();
        }
        const q = unchangedFromMemo(runId, page, memo.districtId);
        if (Number((await trx.executeQuery(CompiledQuery.raw(q.text, q.values))).numAffectedRows ?? 0) !== 1) return false;
        await insertPageRow(trx, runId, page, page.known.recordCount);
        return true;
      });
    },
  };
}

async function insertPageRow(db: Kysely<Database>, runId: string, page: Page | KnownPage, recordCount: number): Promise<void> {
  const values = { record_count: recordCount, total_count: page.totalCount, rules_version: STAGED_CHECKS_VERSION, digest: page.digest ?? null };
  await db
    .insertInto('staging_pages')
    .values({ run_id: runId, entity: page.collection, page_offset: page.offset, ...values })
    .onConflict((oc) => oc.columns(['run_id', 'entity', 'page_offset']).doUpdateSet(values))
    .execute();
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
    async writePage(runId, page, live, memo) {
      const { changed, unchanged } = splitPage(page, live);
      const remembered = memoOf(page, [...changed, ...unchanged], memo);
      const client = await pool.connect();
      let ok = false;
      try {
        await client.query('begin');
        await upsertPageRowClearingLeftovers(client, runId, page, page.records.length, remembered);
        const prefix = `${copyField(runId)}\t${copyField(page.collection)}\t${page.offset}\t`;
        await copyRows(
          client,
          'copy staging_records (run_id, entity, page_offset, ordinal, sourced_id, data, content_hash, skip_reason, faults, refs) from stdin',
          changed.map((r) => `${prefix}${r.ordinal}\t${copyField(r.sourcedId)}\t${copyField(r.json)}\t${r.hash}\t${copyField(r.skip)}\t${copyField(r.faults)}\t${copyField(r.refs && textArrayLiteral(r.refs))}\n`).join(''),
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
    async writeKnownPage(runId, page, memo) {
      const client = await pool.connect();
      let ok = false;
      try {
        await client.query('begin');
        await upsertPageRowClearingLeftovers(client, runId, page, page.known.recordCount);
        const q = unchangedFromMemo(runId, page, memo.districtId);
        const staged = (await client.query(q.text, q.values)).rowCount === 1;
        await client.query(staged ? 'commit' : 'rollback');
        ok = true;
        return staged;
      } finally {
        if (!ok) await client.query('rollback').catch(() => undefined);
        client.release(!ok);
      }
    },
  };
}

/**
 * The page's bookmark row, inserted or replaced. Records and their page row commit together, so a
 * page row that did not exist before means no records of this page exist either. Only a page
 * re-written by a retried attempt needs the deletes, which, run for every page, were the costliest
 * statement of a size-l sync (Postgres probed them through the (run_id, entity, sourced_id) index, a
 * scan growing with every page).
 */
async function upsertPageRowClearingLeftovers(client: pg.PoolClient, runId: string, page: Page | KnownPage, recordCount: number, memoRow?: MemoRow | null): Promise<void> {
  const pageRow = [runId, page.collection, page.offset, recordCount, page.totalCount, STAGED_CHECKS_VERSION, page.digest ?? null];
  // The page's memo, if any, rides in the same statement: one round trip less per page.
  const remember = memoRow ? `with memo as (insert into page_memos (district_id, entity, digest, ids, hashes, records) values ($8, $2, $9, $10, $11, $12) on conflict do nothing) ` : '';
  const { rows } = await client.query<{ fresh: boolean }>(
    `${remember}insert into staging_pages (run_id, entity, page_offset, record_count, total_count, rules_version, digest) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (run_id, entity, page_offset) do update
       set record_count = excluded.record_count, total_count = excluded.total_count, rules_version = excluded.rules_version, digest = excluded.digest
     returning (xmax = 0) as fresh`,
    memoRow ? [...pageRow, memoRow.district_id, memoRow.digest, memoRow.ids, memoRow.hashes, memoRow.records] : pageRow,
  );
  if (!rows[0]?.fresh) {
    for (const table of ['staging_records', 'staging_unchanged']) {
      await client.query(`delete from ${table} where run_id = $1 and entity = $2 and page_offset = $3`, [runId, page.collection, page.offset]);
    }
  }
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

/**
 * Drops a finished run's staging. When no other run has any (one district syncing, or the last one
 * to finish) the staging tables are truncated: instant, with nothing left for vacuum to reclaim
 * (deleting and vacuuming a size-l run's 426,000 rows took a finished sync half a second). Else only
 * the run's rows are deleted, and 'deleted' tells the caller to reclaim them (reclaimStaging).
 */
export async function dropFinishedStaging(db: Kysely<Database>, runId: string): Promise<'truncated' | 'deleted'> {
  try {
    const truncated = await db.transaction().execute(async (trx) => {
      // NOWAIT: while another run reads or writes staging, its rows are deleted the usual way.
      await sql`lock table staging_records, staging_unchanged, staging_pages in access exclusive mode nowait`.execute(trx);
      // Every staged record commits with its page's row, so the page rows tell whose staging exists.
      const other = await trx.selectFrom('staging_pages').select('run_id').where('run_id', '<>', runId).limit(1).executeTakeFirst();
      if (other) return false;
      await sql`truncate staging_records, staging_unchanged, staging_pages`.execute(trx);
      return true;
    });
    if (truncated) return 'truncated';
  } catch (err) {
    if ((err as { code?: string }).code !== '55P03') throw err;
  }
  await dropStaging(db, runId);
  return 'deleted';
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
