// A fresh, migrated database per test file on the run's Postgres.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createDb } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import type { Database } from '../../db/schema.js';

export interface TestDatabase {
  url: string;
  db: Kysely<Database>;
  pool: pg.Pool;
  destroy(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_ADMIN_URL;
  if (!url) throw new Error('TEST_DATABASE_ADMIN_URL is not set: run tests through jest (globalSetup starts Postgres)');
  return url;
}

/** `migrated: false`: an empty database, for tests of the migrations themselves. */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const { db, pool } = createDb(url.toString());
  if (opts.migrated !== false) await migrateToLatest(db);
  return {
    url: url.toString(),
    db,
    pool,
    async destroy() {
      await db.destroy();
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
