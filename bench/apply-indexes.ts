// What a first load's insert of the enrollments costs, index by index: the same staged rows of a
// generated district inserted into copies of the live table with no index, the primary key only,
// the primary key with the looked-up ids in plain indexed columns (a design not adopted), the
// primary key with the two schedule lookup indexes as btrees (before migration 608), then into the
// real table (hash lookup indexes), plainly and as an upsert.
//   npx tsx bench/apply-indexes.ts [--size l] [--rounds 2]
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createGenerator, type Size } from '../sandbox/generator.js';
import { BENCH_DISTRICT, newBenchRun, runMain, stageGenerated, withBenchDatabase } from './stage-generated.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: 'l' }, rounds: { type: 'string', default: '2' } } });

const COLUMNS = 'district_id, sourced_id, status, date_last_modified, data, content_hash, deleted_at';
const ROWS = `select '${BENCH_DISTRICT}', sourced_id, data->>'status', case when pg_input_is_valid(data->>'dateLastModified', 'timestamptz') then (data->>'dateLastModified')::timestamptz end,
  data, content_hash, null::timestamptz from staging_records where run_id = 'r' and entity = 'enrollments'`;

/** The same rows with the ids the lookups use copied into plain columns. */
const ROWS_WITH_IDS = ROWS.replace(' from staging_records', `, data->'user'->>'sourcedId', data->'class'->>'sourcedId' from staging_records`);

const CASES: Array<[string, string]> = [
  ['no index', ''],
  ['primary key', 'alter table e add primary key (district_id, sourced_id);'],
  ['primary key + 2 plain columns indexed', `alter table e add column user_id text, add column class_id text; alter table e add primary key (district_id, sourced_id);
    create index on e (district_id, user_id); create index on e (district_id, class_id);`],
  ['primary key + 2 btree lookup indexes (before migration 608)', `alter table e add primary key (district_id, sourced_id);
    create index on e (district_id, (data->'user'->>'sourcedId')); create index on e (district_id, (data->'class'->>'sourcedId'));`],
];

runMain(() =>
  withBenchDatabase('apply-indexes', async ({ db, pool }) => {
    await newBenchRun(db, 'r');
    await stageGenerated(db, pool, 'r', createGenerator({ seed: 1, size: values.size as Size }));
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const [what, indexes] of CASES) {
        await sql.raw(`create table e (like enrollments including defaults); ${indexes}`).execute(db);
        const t = Date.now();
        const plain = indexes.includes('user_id');
        await sql.raw(plain ? `insert into e (${COLUMNS}, user_id, class_id) ${ROWS_WITH_IDS}` : `insert into e (${COLUMNS}) ${ROWS}`).execute(db);
        console.log(`round ${round}, ${what}: ${Date.now() - t} ms`);
        await sql.raw('drop table e').execute(db);
      }
      // A plain insert (what a first load's apply runs: roster/apply.ts insertAllNew), then the upsert
      // other nights run, which probes for a conflict and confirms each row it inserts.
      for (const upsert of [false, true]) {
        const t = Date.now();
        const conflict = upsert ? ' on conflict (district_id, sourced_id) do update set data = excluded.data where enrollments.content_hash <> excluded.content_hash' : '';
        await sql.raw(`insert into enrollments (${COLUMNS}) ${ROWS}${conflict}`).execute(db);
        console.log(`round ${round}, the live table${upsert ? ', as an upsert' : ''}: ${Date.now() - t} ms`);
        await sql.raw('delete from enrollments').execute(db);
        await sql.raw('vacuum enrollments').execute(db);
      }
    }
  }),
);
