// A generated district written into staging as the fetch would write it (COPY, 1,000 records a
// page, each collection marked complete), in a throwaway embedded Postgres: where the benchmarks
// that time what comes after the fetch (explain-validation, validate-profile, apply-indexes) start.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { projectRoot } from '../config/tools.js';
import { createDb } from '../db/connect.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { freePort } from '../lib/free-port.js';
import { COLLECTIONS } from '../oneroster/types.js';
import { copyWriter, markCollectionComplete } from '../roster/staging.js';
import type { SandboxGenerator } from '../sandbox/generator.js';

/** The district every such benchmark stages into. */
export const BENCH_DISTRICT = 'p';

export async function stageGenerated(db: Kysely<Database>, pool: pg.Pool, runId: string, gen: SandboxGenerator): Promise<void> {
  const writer = copyWriter(pool);
  for (const c of COLLECTIONS) {
    const n = gen.count(c);
    for (let o = 0; o < n; o += 1000) await writer.writePage(runId, { collection: c, offset: o, limit: 1000, totalCount: n, records: gen.slice(c, o, 1000) as never });
    await markCollectionComplete(db, runId, c);
  }
}

/** A running full sync run of BENCH_DISTRICT, as beginRun would record it. */
export async function newBenchRun(db: Kysely<Database>, runId: string): Promise<void> {
  await db
    .insertInto('sync_runs')
    .values({ id: runId, district_id: BENCH_DISTRICT, kind: 'manual', mode: 'full', dry_run: false, status: 'running', counts: '{}', timings: '{}', progress: '{}', summary: '{}' })
    .execute();
}

/**
 * `fn` against a fresh, migrated embedded Postgres holding BENCH_DISTRICT; the server and its data
 * are gone afterwards. `setup` sees the pool before any connection is made.
 */
export async function withBenchDatabase(name: string, fn: (d: { db: Kysely<Database>; pool: pg.Pool }) => Promise<void>, setup?: (pool: pg.Pool) => void): Promise<void> {
  const dir = join(projectRoot, '.data', `bench-${name}-pg-${process.pid}`);
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  const server = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
  const { db, pool } = createDb(await server.createDatabase('bench'));
  setup?.(pool);
  try {
    await migrateToLatest(db);
    await db.insertInto('districts').values({ id: BENCH_DISTRICT, name: BENCH_DISTRICT, timezone: 'America/Chicago', settings: '{}' }).execute();
    await fn({ db, pool });
  } finally {
    await db.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench scripts' entry point: errors printed, exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
