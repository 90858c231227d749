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
import { contentHash, stagingId, stagingJson } from './storable.js';

export interface StagingWriter {
  readonly method: 'copy' | 'insert';
  /** Replaces whatever an earlier attempt committed for this page. */
  writePage(runId: string, page: Page): Promise<void>;
}


export function insertWriter(db: Kysely<Database>): StagingWriter {
  return {
    method: 'insert',
    async writePage(runId, page) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('staging_records').where('run_id', '=', runId).where('entity', '=', page.collection).where('page_offset', '=', page.offset).execute();
        // Postgres takes at most 65535 parameters per statement: 8 per row.
        for (let i = 0; i < page.records.length; i += 5000) {
          await trx
            .insertInto('staging_records')
            .values(
              page.records.slice(i, i + 5000).map((record, k) => {
                const json = stagingJson(record);
                return {
                  run_id: runId,
                  entity: page.collection,
                  page_offset: page.offset,
                  ordinal: i + k,
                  sourced_id: stagingId(record),
                  data: json,
                  content_hash: contentHash(json),
                  quarantine_rule: null,
                };
              }),
            )
            .execute();
        }
        await trx
          .insertInto('staging_pages')
          .values({ run_id: runId, entity: page.collection, page_offset: page.offset, record_count: page.records.length, total_count: page.totalCount })
          .onConflict((oc) => oc.columns(['run_id', 'entity', 'page_offset']).doUpdateSet({ record_count: page.records.length, total_count: page.totalCount }))
          .execute();
      });
    },
  };
}

/** CSV field: quoted, quotes doubled; null is an unquoted empty field. */
function csv(value: string | null): string {
  return value === null ? '' : `"${value.replace(/"/g, '""')}"`;
}

export function copyWriter(pool: pg.Pool): StagingWriter {
  return {
    method: 'copy',
    async writePage(runId, page) {
      const client = await pool.connect();
      let ok = false;
      try {
        await client.query('begin');
        // Records and their page row commit together, so a page row that did not exist before means
        // no records of this page exist either. Only a page re-written by a retried attempt needs the
        // delete, which, run for every page, was the costliest statement of a size-l sync (Postgres
        // probed it through the (run_id, entity, sourced_id) index, a scan growing with every page).
        const { rows } = await client.query<{ fresh: boolean }>(
          `insert into staging_pages (run_id, entity, page_offset, record_count, total_count) values ($1, $2, $3, $4, $5)
           on conflict (run_id, entity, page_offset) do update set record_count = excluded.record_count, total_count = excluded.total_count
           returning (xmax = 0) as fresh`,
          [runId, page.collection, page.offset, page.records.length, page.totalCount],
        );
        if (!rows[0]?.fresh) {
          await client.query('delete from staging_records where run_id = $1 and entity = $2 and page_offset = $3', [runId, page.collection, page.offset]);
        }
        if (page.records.length > 0) {
          const prefix = `${csv(runId)},${csv(page.collection)},${page.offset},`;
          // One page (about a megabyte at most) is built as one chunk: fewer stream round trips.
          const body = page.records
            .map((r, ordinal) => {
              const json = stagingJson(r);
              return `${prefix}${ordinal},${csv(stagingId(r))},${csv(json)},${contentHash(json)}\n`;
            })
            .join('');
          const stream = client.query(copyFrom('copy staging_records (run_id, entity, page_offset, ordinal, sourced_id, data, content_hash) from stdin with (format csv)'));
          await pipeline(Readable.from([body]), stream);
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

export async function stagedCounts(db: Kysely<Database>, runId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('staging_records')
    .select(['entity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('entity')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.entity, Number(r.n)]));
}

export async function dropStaging(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('staging_records').where('run_id', '=', runId).execute();
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
