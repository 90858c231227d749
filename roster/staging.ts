// Pages stream from OneRoster into staging_records, one transaction per page, so a retried fetch
// resumes after the last committed page (staging_pages is the bookmark).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Collection, Page } from '../oneroster/types.js';

export async function writePage(db: Kysely<Database>, runId: string, page: Page): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // A page written by an attempt that died after commit but before its heartbeat is replaced.
    await trx.deleteFrom('staging_records').where('run_id', '=', runId).where('entity', '=', page.collection).where('page_offset', '=', page.offset).execute();
    if (page.records.length > 0) {
      await trx
        .insertInto('staging_records')
        .values(
          page.records.map((record, ordinal) => ({
            run_id: runId,
            entity: page.collection,
            page_offset: page.offset,
            ordinal,
            sourced_id: typeof record.sourcedId === 'string' ? record.sourcedId : null,
            data: JSON.stringify(record),
            quarantine_rule: null,
          })),
        )
        .execute();
    }
    await trx
      .insertInto('staging_pages')
      .values({ run_id: runId, entity: page.collection, page_offset: page.offset, record_count: page.records.length, total_count: page.totalCount })
      .onConflict((oc) => oc.columns(['run_id', 'entity', 'page_offset']).doUpdateSet({ record_count: page.records.length, total_count: page.totalCount }))
      .execute();
  });
}

/** Where a (re)started fetch of this collection picks up: just past the last committed page. */
export async function resumeOffset(db: Kysely<Database>, runId: string, collection: Collection): Promise<number> {
  const row = await db
    .selectFrom('staging_pages')
    .select(sql<number>`coalesce(max(page_offset + record_count), 0)`.as('next'))
    .where('run_id', '=', runId)
    .where('entity', '=', collection)
    .executeTakeFirst();
  return Number(row?.next ?? 0);
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
