// A generated district written into staging as the fetch would write it (COPY, 1,000 records a
// page, each collection marked complete), for the benchmarks that time what comes after the fetch.
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from '../db/schema.js';
import { COLLECTIONS } from '../oneroster/types.js';
import { copyWriter, markCollectionComplete } from '../roster/staging.js';
import type { SandboxGenerator } from '../sandbox/generator.js';

export async function stageGenerated(db: Kysely<Database>, pool: pg.Pool, runId: string, gen: SandboxGenerator): Promise<void> {
  const writer = copyWriter(pool);
  for (const c of COLLECTIONS) {
    const n = gen.count(c);
    for (let o = 0; o < n; o += 1000) await writer.writePage(runId, { collection: c, offset: o, limit: 1000, totalCount: n, records: gen.slice(c, o, 1000) as never });
    await markCollectionComplete(db, runId, c);
  }
}
