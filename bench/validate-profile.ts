// Where validation time goes at a given size: stages a generated district, then times each step.
//   npx tsx bench/validate-profile.ts [--size m]
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { projectRoot } from '../config/tools.js';
import { createDb } from '../db/connect.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import { analyzeStaging, inBatch } from '../roster/batch.js';
import { computePlan } from '../roster/plan.js';
import { stageGenerated } from './stage-generated.js';
import { resetValidation, validateStaging } from '../roster/validate.js';
import { findWarnings } from '../roster/warnings.js';
import { applyStaging } from '../roster/apply.js';
import { createGenerator, type Size } from '../sandbox/generator.js';
import { freePort } from '../lib/free-port.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'm' } } });

async function main(): Promise<void> {
  const dir = join(projectRoot, '.data', `bench-validate-pg-${process.pid}`);
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
  const { db, pool } = createDb(await pg.createDatabase('bench'));
  try {
    await migrateToLatest(db);
    await db.insertInto('districts').values({ id: 'p', name: 'p', timezone: 'America/Chicago', settings: '{}' }).execute();
    const gen = createGenerator({ seed: 1, size: values.size as Size });
    const time = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      const r = await fn();
      console.log(`${what}: ${Date.now() - t} ms`);
      return r;
    };
    for (const pass of [1, 2]) {
      const runId = `run-${pass}`;
      await db.insertInto('sync_runs').values({ id: runId, district_id: 'p', kind: 'manual', mode: 'full', dry_run: false, status: 'running', counts: '{}', timings: '{}', progress: '{}', summary: '{}' }).execute();
      await time(`pass ${pass} stage`, () => stageGenerated(db, pool, runId, gen));
      await inBatch(db, async (trx) => {
        await time('analyze', () => analyzeStaging(trx));
        await time('reset', () => resetValidation(trx, runId));
        await time('rules', () => validateStaging(trx, { runId, districtId: 'p', delta: false }));
        await time('warnings', () => findWarnings(trx, { runId, districtId: 'p', delta: false, today: '2026-11-30' }));
        await time('plan', () => computePlan(trx, { runId, districtId: 'p', fullFeed: true }));
      });
      await time('apply', () => inBatch(db, (trx) => applyStaging(trx, { runId, districtId: 'p', fullFeed: true })));
      await db.updateTable('sync_runs').set({ status: 'succeeded' }).where('id', '=', runId).execute();
      await sql`delete from staging_records where run_id = ${runId}`.execute(db);
    }
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
