// Where validation time goes at a given size: stages a generated district, then times each step.
//   npx tsx bench/validate-profile.ts [--size m]
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { analyzeStaging, inBatch } from '../roster/batch.js';
import { computePlan } from '../roster/plan.js';
import { newBenchRun, runMain, stageGenerated, withBenchDatabase } from './stage-generated.js';
import { resetValidation, validateStaging } from '../roster/validate.js';
import { findWarnings } from '../roster/warnings.js';
import { applyStaging } from '../roster/apply.js';
import { createGenerator, type Size } from '../sandbox/generator.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'm' } } });

runMain(() =>
  withBenchDatabase('validate', async ({ db, pool }) => {
    const gen = createGenerator({ seed: 1, size: values.size as Size });
    const time = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      const r = await fn();
      console.log(`${what}: ${Date.now() - t} ms`);
      return r;
    };
    for (const pass of [1, 2]) {
      const runId = `run-${pass}`;
      await newBenchRun(db, runId);
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
  }),
);
