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
   * The worker's half of writing a page: each record's JSON (as the body held it, or serialised),
   * hashed and checked against the local rules. It yields to the event loop every few hundred records, so a write in flight (the
   * previous page's) keeps moving while the next page is prepared.
   */
  preparePage(runId: string, page: Page, live?: ReadonlyMap<string, string>, memo?: MemoTarget): Promise<PreparedPage>;
  /**
   * Postgres' half: replaces whatever an earlier attempt committed for this page. Records whose
   * hash equals their live row's (`live` in preparePage) are staged in staging_unchanged (their id
   * at their position in the page) instead of staging_records.
   */
  writePrepared(prepared: PreparedPage): Promise<void>;
  /** preparePage then writePrepared. */
  writePage(runId: string, page: Page, live?: ReadonlyMap<string, string>, memo?: MemoTarget): Promise<void>;
  /**
   * Stages a page recognised by its memo (roster/page-memo.ts) by id, when all its records are
   * unchanged. False: one is not, nothing was written, and the page must be parsed and written.
   */
  writeKnownPage(runId: string, page: KnownPage, memo: MemoTarget): Promise<boolean>;
}

/** What writing a page needs of it besides its records: the parsed records themselves are not kept. */
export interface PageHead {
  collection: Collection;
  offset: number;
  totalCount: number | null;
  digest?: string;
  recordCount: number;
}

/**
 * A page ready to be written: its records split into changed (with their verdicts) and unchanged, and
 * its memo. It holds no parsed record, so a page waiting for its write keeps only the text it will send.
 */
export interface PreparedPage {
  runId: string;
  page: PageHead;
  changed: StagedRecord[];
  unchanged: StagedRecord[];
  memo: MemoRow | null;
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

export interface StagedRecord {
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

/** How many records are prepared between two turns of the event loop (about a millisecond's work). */
const RECORDS_PER_TURN = 250;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A page's records as staged: changed ones with their JSON and the local rules' verdict, unchanged
 * ones (see writePrepared) apart: they passed the same rules when they were applied.
 */
async function preparePage(runId: string, page: Page, live?: ReadonlyMap<string, string>, memo?: MemoTarget): Promise<PreparedPage> {
  const changed: StagedRecord[] = [];
  const unchanged: StagedRecord[] = [];
  for (let ordinal = 0; ordinal < page.records.length; ordinal++) {
    if (ordinal > 0 && ordinal % RECORDS_PER_TURN === 0) await nextTurn();
    const record = page.records[ordinal];
    const { json, value } = stagingForm(record, page.texts?.[ordinal]);
    const r: StagedRecord = { ordinal, sourcedId: stagingId(record), json, hash: contentHash(json), skip: null, faults: null, refs: null };
    if (r.sourcedId !== null && live?.get(r.sourcedId) === r.hash) {
      unchanged.push(r);
      continue;
    }
    const verdict = checkRecord(page.collection, value);
    r.skip = verdict.skip;
    r.faults = verdict.faults && JSON.stringify(verdict.faults);
    if (!r.skip) r.refs = stagedRefs(page.collection, value);
    changed.push(r);
  }
  const head: PageHead = { collection: page.collection, offset: page.offset, totalCount: page.totalCount, recordCount: page.records.length, ...(page.digest ? { digest: page.digest } : {}) };
  return { runId, page: head, changed, unchanged, memo: memoOf(page, [...changed, ...unchanged], memo) };
}

/** A writer from its Postgres half: preparing is the same for every writer. */
function writerFrom(method: StagingWriter['method'], writePrepared: StagingWriter['writePrepared'], writeKnownPage: StagingWriter['writeKnownPage']): StagingWriter {
  return {
    method,
    preparePage,
    writePrepared,
    writeKnownPage,
    async writePage(runId, page, live, memo) {
      await writePrepared(await preparePage(runId, page, live, memo));
    },
  };
}

export function insertWriter(db: Kysely<Database>): StagingWriter {
  return writerFrom(
    'insert',
    async ({ runId, page, changed, unchanged, memo: remembered }) => {
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
          await trx.insertInto('staging_unchanged').values({ ...at, ids: unchangedIds(page.recordCount, unchanged), records: unchanged.length }).execute();
        }
        if (remembered) await trx.insertInto('page_memos').values(remembered).onConflict((oc) => oc.doNothing()).execute();
        await insertPageRow(trx, runId, page, page.recordCount);
      });
    },
    async (runId, page, memo) => {
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
  );
}

async function insertPageRow(db: Kysely<Database>, runId: string, page: Omit<PageHead, 'recordCount'>, recordCount: number): Promise<void> {
  const values = { record_count: recordCount, total_count: page.totalCount, rules_version: STAGED_CHECKS_VERSION, digest: page.digest ?? null };
  await db
    .insertInto('staging_pages')
    .values({ run_id: runId, entity: page.collection, page_offset: page.offset, ...values })
    .onConflict((oc) => oc.columns(['run_id', 'entity', 'page_offset']).doUpdateSet(values))
    .execute();
}

/** The page's ids by position, null where the record is staged in full (staging_unchanged.ids). */
function unchangedIds(recordCount: number, unchanged: StagedRecord[]): (string | null)[] {
  const ids: (string | null)[] = new Array<string | null>(recordCount).fill(null);
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

export function copyWriter(pool: pg.Pool): StagingWriter {
  return writerFrom(
    'copy',
    async ({ runId, page, changed, unchanged, memo: remembered }) => {
      const prefix = `${copyField(runId)}\t${copyField(page.collection)}\t${page.offset}\t`;
      const records = changed.map((r) => `${prefix}${r.ordinal}\t${copyField(r.sourcedId)}\t${copyField(r.json)}\t${r.hash}\t${copyField(r.skip)}\t${copyField(r.faults)}\t${copyField(r.refs && textArrayLiteral(r.refs))}\n`).join('');
      // One simple-protocol message: begin, the page row, the unchanged ids, the COPY, commit. Postgres
      // runs a message's statements in order and takes the COPY's data in the middle, so a page costs
      // one round trip instead of five (each of which waited for the worker's busy thread to read it).
      const statements = ['begin', pageRowStatement(runId, page, page.recordCount, remembered)];
      if (unchanged.length > 0) {
        const ids = textArrayLiteral(unchangedIds(page.recordCount, unchanged));
        statements.push(`insert into staging_unchanged (run_id, entity, page_offset, ids, records) values (${[runId, page.collection, page.offset, ids, unchanged.length].map(literal).join(', ')})`);
      }
      if (records.length > 0) statements.push('copy staging_records (run_id, entity, page_offset, ordinal, sourced_id, data, content_hash, skip_reason, faults, refs) from stdin');
      statements.push('commit');
      const text = statements.join(';\n');
      const client = await pool.connect();
      let ok = false;
      try {
        if (records.length > 0) await pipeline(Readable.from([records]), client.query(copyFrom(text)));
        else await client.query(text);
        ok = true;
      } finally {
        if (!ok) await client.query('rollback').catch(() => undefined);
        client.release(!ok);
      }
    },
    async (runId, page, memo) => {
      const client = await pool.connect();
      let ok = false;
      try {
        await client.query('begin');
        await client.query(pageRowStatement(runId, page, page.known.recordCount));
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
  );
}

/** A SQL literal (standard_conforming_strings either way: backslashes go in an E'' string). */
function literal(v: string | number | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  const quoted = v.replaceAll("'", "''");
  return v.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/**
 * The statement writing the page's bookmark row, inserted or replaced. Records and their page row
 * commit together, so a page row that did not exist before means no records of this page exist
 * either: only a page re-written by a retried attempt has leftovers to delete (the deletes are skipped
 * otherwise; run for every page they were the costliest statement of a size-l sync). The page's memo,
 * if any, is inserted by the same statement. Values are literals, so that the statement can share one
 * simple-protocol message with the transaction and the COPY (copyWriter): one round trip a page.
 */
function pageRowStatement(runId: string, page: Omit<PageHead, 'recordCount'>, recordCount: number, memo?: MemoRow | null): string {
  const at = `run_id = ${literal(runId)} and entity = ${literal(page.collection)} and page_offset = ${page.offset}`;
  const remember = memo
    ? `, memo as (insert into page_memos (district_id, entity, digest, ids, hashes, records)
         values (${[memo.district_id, memo.entity, memo.digest, memo.ids, memo.hashes, memo.records].map(literal).join(', ')}) on conflict do nothing)`
    : '';
  return `with page as (
      insert into staging_pages (run_id, entity, page_offset, record_count, total_count, rules_version, digest)
      values (${[runId, page.collection, page.offset, recordCount, page.totalCount, STAGED_CHECKS_VERSION, page.digest ?? null].map(literal).join(', ')})
      on conflict (run_id, entity, page_offset) do update
        set record_count = excluded.record_count, total_count = excluded.total_count, rules_version = excluded.rules_version, digest = excluded.digest
      returning (xmax = 0) as fresh)${remember},
    unchanged_leftovers as (delete from staging_unchanged where ${at} and not (select fresh from page))
    delete from staging_records where ${at} and not (select fresh from page)`;
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
