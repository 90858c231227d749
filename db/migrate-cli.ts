// `npm run migrate`: applies every pending migration to DATABASE_URL and says what it did.
// `npm run migrate -- --check` applies nothing and exits 1 when migrations are pending (CI, probes).
import { loadConfig } from '../config/index.js';
import { createDb } from './connect.js';
import { migrateToLatest, migrationsPending } from './migrate.js';

async function main(argv: string[]): Promise<number> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    console.error('migrate: DATABASE_URL is not set: point it at the Postgres database to migrate (e.g. postgres://user:pass@host:5432/classlink)');
    return 2;
  }
  const { db } = createDb(config.databaseUrl, { max: 1 });
  try {
    if (argv.includes('--check')) {
      const pending = await migrationsPending(db);
      console.log(pending.length ? `pending migrations: ${pending.join(', ')}` : 'database is up to date');
      return pending.length ? 1 : 0;
    }
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date: nothing to apply');
    return 0;
  } catch (err) {
    console.error(`migrate: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
