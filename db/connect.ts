import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// timestamptz → Date (default), bigint (count(*), bigserial) → number: our counts fit easily.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  // A client checked out of the pool (a transaction, a COPY) has no error listener of the pool's:
  // when Postgres restarts under it, its 'error' event would crash the process. The query in flight
  // still fails (and the activity is retried); the broken client is discarded on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function createDb(databaseUrl: string, options: { max?: number } = {}): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = createPool(databaseUrl, options.max);
  // An idle client that errors (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}
