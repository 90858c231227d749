// EXPLAIN ANALYZE of every statement of validation, warnings, plan and apply slower than --min-ms,
// for a generated district staged at --size: where a size-l sync's time after the fetch goes, plan by plan.
//   npx tsx bench/explain-validation.ts [--size l] [--min-ms 500]
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { analyzeStaging, inBatch } from '../roster/batch.js';
import { applyStaging } from '../roster/apply.js';
import { COLLECTIONS } from '../oneroster/types.js';
import { computePlan } from '../roster/plan.js';
import { newBenchRun, runMain, stageGenerated, withBenchDatabase } from './stage-generated.js';
import { resetValidation, validateStaging } from '../roster/validate.js';
import { findWarnings } from '../roster/warnings.js';
import { createGenerator, type Size } from '../sandbox/generator.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'l' }, 'min-ms': { type: 'string', default: '500' } } });

runMain(() =>
  withBenchDatabase(
    'explain',
    async ({ db, pool }) => {
      const gen = createGenerator({ seed: 1, size: values.size as Size });
      const runId = 'run-1';
      await newBenchRun(db, runId);
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
    },
    (pool) => {
      // One connection, so the session settings below apply to every statement.
      pool.options.max = 1;
      pool.on('connect', (client) => client.on('notice', (n) => console.log(`${n.message}\n`)));
    },
  ),
);
