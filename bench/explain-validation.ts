// EXPLAIN ANALYZE of every statement of validation, warnings, plan and apply slower than --min-ms,
// for a generated district staged at --size: where a size-l sync's time after the fetch goes, plan by plan.
//   npx tsx bench/explain-validation.ts [--size l] [--min-ms 500]
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { projectRoot } from '../config/tools.js';
import { createDb } from '../db/connect.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import { freePort } from '../lib/free-port.js';
import { analyzeStaging, inBatch } from '../roster/batch.js';
import { applyStaging } from '../roster/apply.js';
import { COLLECTIONS } from '../oneroster/types.js';
import { computePlan } from '../roster/plan.js';
import { stageGenerated } from './stage-generated.js';
import { resetValidation, validateStaging } from '../roster/validate.js';
import { findWarnings } from '../roster/warnings.js';
import { createGenerator, type Size } from '../sandbox/generator.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'l' }, 'min-ms': { type: 'string', default: '500' } } });

async function main(): Promise<void> {
  const dir = join(projectRoot, '.data', `bench-explain-pg-${process.pid}`);
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
  const { db, pool } = createDb(await pg.createDatabase('bench'));
  // One connection, so the session settings below apply to every statement.
  pool.options.max = 1;
  pool.on('connect', (client) => client.on('notice', (n) => console.log(`${n.message}\n`)));
  try {
    await migrateToLatest(db);
    await db.insertInto('districts').values({ id: 'p', name: 'p', timezone: 'America/Chicago', settings: '{}' }).execute();
    const gen = createGenerator({ seed: 1, size: values.size as Size });
    const runId = 'run-1';
    await db.insertInto('sync_runs').values({ id: runId, district_id: 'p', kind: 'manual', mode: 'full', dry_run: false, status: 'running', counts: '{}', timings: '{}', progress: '{}', summary: '{}' }).execute();
    await stageGenerated(db, pool, runId, gen);
    await inBatch(db, async (trx) => {
      await sql`load 'auto_explain'`.execute(trx);
      await sql.raw(`set auto_explain.log_min_duration = ${Number(values['min-ms'])}`).execute(trx);
      await sql`set auto_explain.log_analyze = on`.execute(trx);
      await sql`set auto_explain.log_nested_statements = on`.execute(trx);
      await sql`set auto_explain.log_level = notice`.execute(trx);
      await sql`set auto_explain.log_wal = on`.execute(trx);
      await analyzeStaging(trx);
      await resetValidation(trx, runId);
      for (const [what, fn] of [
        ['rules', () => validateStaging(trx, { runId, districtId: 'p', delta: false })],
        ['warnings', () => findWarnings(trx, { runId, districtId: 'p', delta: false, today: '2026-11-30' })],
        ['plan', () => computePlan(trx, { runId, districtId: 'p', fullFeed: true })],
        ['apply', async () => {
          const plan = await computePlan(trx, { runId, districtId: 'p', fullFeed: true });
          await applyStaging(trx, { runId, districtId: 'p', fullFeed: true, planned: Object.fromEntries(COLLECTIONS.map((c) => [c, plan[c].kinds])) });
        }],
      ] as const) {
        const t = Date.now();
        await fn();
        console.log(`== ${what}: ${Date.now() - t} ms`);
      }
    });
  } finally {
    await db.destroy();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
