// COPY vs batched INSERT for staging pages, on the same generated district and database.
//   npx tsx bench/staging-write.ts [--size m|l] [--rounds 2]
// Uses DATABASE_URL when set, else starts an embedded Postgres under .data/. Pages are built from
// the sandbox generator in memory before timing (no HTTP), so only the database write path
// (serialising each page included) is measured.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { projectRoot } from '../config/tools.js';
import { createDb } from '../db/connect.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import { COLLECTIONS, type Page } from '../oneroster/types.js';
import { copyWriter, dropStaging, insertWriter, type StagingWriter } from '../roster/staging.js';
import { createGenerator, type Size } from '../sandbox/generator.js';
import { freePort } from '../lib/free-port.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'm' }, rounds: { type: 'string', default: '2' }, 'page-size': { type: 'string', default: '1000' } } });
const size = values.size as Size;
const rounds = Number(values.rounds);
const pageSize = Number(values['page-size']);

async function main(): Promise<void> {
  let url = process.env.DATABASE_URL;
  let stop = async () => undefined as unknown;
  if (!url) {
    const dir = join(projectRoot, '.data', `bench-pg-${process.pid}`);
    mkdirSync(join(projectRoot, '.data'), { recursive: true });
    const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
    url = await pg.createDatabase('bench');
    stop = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const { db, pool } = createDb(url);
  await migrateToLatest(db);
  const gen = createGenerator({ seed: 1, size });
  const total = COLLECTIONS.reduce((n, c) => n + gen.count(c), 0);
  console.log(`size ${size}: ${total} records in pages of ${pageSize}`);

  // Built once, outside the timing, so generating records does not blur the comparison.
  const pages: Page[] = [];
  for (const collection of COLLECTIONS) {
    const count = gen.count(collection);
    for (let offset = 0; offset < count; offset += pageSize) {
      pages.push({ collection, offset, limit: pageSize, totalCount: count, records: gen.slice(collection, offset, pageSize) as unknown as Record<string, unknown>[] });
    }
  }

  async function writeAll(writer: StagingWriter, runId: string): Promise<number> {
    const started = process.hrtime.bigint();
    for (const page of pages) await writer.writePage(runId, page);
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  const results: Record<string, number[]> = { insert: [], copy: [] };
  for (let r = 0; r < rounds; r++) {
    for (const writer of [insertWriter(db), copyWriter(pool)]) {
      const runId = `bench-${writer.method}-${r}`;
      const ms = await writeAll(writer, runId);
      results[writer.method]!.push(ms);
      console.log(`round ${r + 1} ${writer.method}: ${(ms / 1000).toFixed(2)} s (${Math.round((total / ms) * 1000)} records/s)`);
      await dropStaging(db, runId);
      await sql`vacuum staging_records`.execute(db);
    }
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`best insert ${(best(results.insert!) / 1000).toFixed(2)} s, best copy ${(best(results.copy!) / 1000).toFixed(2)} s, copy/insert = ${(best(results.copy!) / best(results.insert!)).toFixed(2)}`);
  await db.destroy();
  await stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
