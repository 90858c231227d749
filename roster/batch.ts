// Set-based batch work over staging and live tables (validation, warnings, plan, apply) runs in a
// transaction tuned for it. Staging has no statistics on jsonb expressions, so the planner guesses
// a handful of rows and picks nested loops: an anti-join of 50,000 students against 400,000
// enrollments then takes hours instead of a second. Hash joins with enough memory are always sane here.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import { LIVE_TABLE, type EntityCounts } from './entities.js';

export async function inBatch<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_nestloop = off`.execute(trx);
    await sql`set local work_mem = '64MB'`.execute(trx);
    return fn(trx);
  });
}

/** `fn` in a batch transaction, or inside the caller's transaction when given one. */
export async function batched<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : inBatch(db, fn);
}

/**
 * Independent batch statements on `lanes` connections at once, each in a batch transaction of its
 * own: Postgres runs one statement on one core, and during validation nothing else keeps the other
 * busy. Given a transaction (a caller that needs them all to commit together), they run one after
 * the other inside it. Results in task order.
 */
export async function inParallelBatches<T>(db: Kysely<Database>, tasks: ReadonlyArray<(trx: Kysely<Database>) => Promise<T>>, lanes = 2): Promise<T[]> {
  if (db.isTransaction) lanes = 1;
  const out = new Array<T>(tasks.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < tasks.length) {
      const i = next++;
      try {
        out[i] = await batched(db, tasks[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await allEnded(Array.from({ length: Math.min(lanes, tasks.length) }, lane));
  return out;
}

/**
 * Promise.all that rejects only once every promise has settled: no statement may still be writing
 * when the caller reports the failure (and a retry starts over). Rejects with the first failure.
 */
export async function allEnded<T extends readonly unknown[]>(promises: [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const ended = await Promise.allSettled(promises);
  for (const e of ended) if (e.status === 'rejected') throw e.reason;
  return ended.map((e) => (e as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Fresh row counts for the planner once a run's pages are in (cheap: a sample, not a scan). */
export async function analyzeStaging(db: Kysely<Database>): Promise<void> {
  await sql`analyze staging_records`.execute(db);
}

/**
 * Fresh planner statistics for live tables this run rewrote in large part (a first sync, a rollover):
 * until autovacuum gets to them, Postgres takes a just-filled table for empty and scans it whole for
 * each lookup by id (the next run's unchanged-record checks, the pages' schedules).
 */
export async function analyzeRewrittenTables(db: Kysely<Database>, runId: string): Promise<string[]> {
  const run = await db.selectFrom('sync_runs').select('counts').where('id', '=', runId).executeTakeFirst();
  const counts = (run?.counts ?? {}) as Partial<Record<Collection, Partial<EntityCounts>>>;
  const tables: string[] = [];
  for (const c of COLLECTIONS) {
    const n = counts[c];
    if (!n) continue;
    const written = (n.inserted ?? 0) + (n.updated ?? 0) + (n.deleted ?? 0);
    if (written === 0) continue;
    // The planner's idea of the table's size (-1 or 0 before its first analyze): a nightly delta
    // rewrites a percent or so and needs no new statistics.
    const r = await sql<{ rows: number }>`select greatest(reltuples, 0)::float8 as rows from pg_class where oid = ${LIVE_TABLE[c]}::regclass`.execute(db);
    if (written * 10 >= Number(r.rows[0]?.rows ?? 0)) tables.push(LIVE_TABLE[c]);
  }
  for (const t of tables) await sql`analyze ${sql.table(t)}`.execute(db);
  return tables;
}
