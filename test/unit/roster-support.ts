// Helpers for roster tests on a real Postgres: stage a generated district into a run, as fetch would.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { COLLECTIONS, type Collection, type Page } from '../../oneroster/types.js';
import { markCollectionComplete, type StagingWriter } from '../../roster/staging.js';
import type { SandboxGenerator } from '../../sandbox/generator.js';

export type Tweak = (collection: Collection, records: Record<string, unknown>[]) => Record<string, unknown>[];

export async function newRun(db: Kysely<Database>, districtId: string, mode: 'full' | 'delta' = 'full', dryRun = false): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('sync_runs')
    .values({ id, district_id: districtId, kind: 'manual', mode, dry_run: dryRun, status: 'running', counts: '{}', timings: '{}', progress: '{}', summary: '{}' })
    .execute();
  return id;
}

export async function finishRun(db: Kysely<Database>, runId: string): Promise<void> {
  await db.updateTable('sync_runs').set({ status: 'succeeded', finished_at: new Date() }).where('id', '=', runId).execute();
}

export async function ensureDistrict(db: Kysely<Database>, id: string): Promise<void> {
  await db.insertInto('districts').values({ id, name: id, timezone: 'America/Chicago', settings: '{}' }).onConflict((oc) => oc.column('id').doNothing()).execute();
}

/** Writes every collection of `gen` (or the records `tweak` returns) into staging, pageSize records a page. */
export async function stage(db: Kysely<Database>, writer: StagingWriter, runId: string, gen: SandboxGenerator, tweak?: Tweak, pageSize = 500): Promise<void> {
  for (const collection of COLLECTIONS) {
    let records = [...gen.records(collection)] as unknown as Record<string, unknown>[];
    if (tweak) records = tweak(collection, records);
    for (let offset = 0; offset === 0 || offset < records.length; offset += pageSize) {
      const page: Page = { collection, offset, limit: pageSize, totalCount: records.length, records: records.slice(offset, offset + pageSize) };
      await writer.writePage(runId, page);
    }
    await markCollectionComplete(db, runId, collection);
  }
}
