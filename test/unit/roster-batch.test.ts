// inParallelBatches (roster/batch.ts) on a real Postgres: independent statements on two connections,
// and a failure reported only once no statement is still running, with no new one started after it.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { inParallelBatches } from '../../roster/batch.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t?.destroy();
});

const backend = async (trx: Kysely<Database>) => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;

test('tasks run two at a time on their own connections, results in task order', async () => {
  const started: number[] = [];
  const results = await inParallelBatches(
    t.db,
    [0.2, 0.2, 0].map((seconds, i) => async (trx: Kysely<Database>) => {
      started.push(i);
      await sql`select pg_sleep(${seconds})`.execute(trx);
      return { i, pid: await backend(trx) };
    }),
  );
  expect(results.map((r) => r.i)).toEqual([0, 1, 2]);
  expect(new Set(results.slice(0, 2).map((r) => r.pid)).size).toBe(2);
  expect(started.slice(0, 2).sort()).toEqual([0, 1]);
});

test('a failure is reported after the other lane finished its statement, and no task starts after it', async () => {
  const events: string[] = [];
  const failure = inParallelBatches(t.db, [
    async (trx: Kysely<Database>) => {
      await sql`select pg_sleep(0.3)`.execute(trx);
      events.push('slow done');
    },
    async () => {
      events.push('failing');
      throw new Error('boom');
    },
    async () => {
      events.push('third started');
    },
  ]);
  await expect(failure).rejects.toThrow('boom');
  expect(events).toEqual(['failing', 'slow done']);
});
