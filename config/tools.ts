// Paths of the pinned Temporal binaries that scripts/bootstrap.mjs installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface TemporalToolPaths {
  temporalCli: string;
  temporalTestServer: string;
}

export function readTemporalToolPaths(): TemporalToolPaths {
  const file = join(projectRoot, '.tools', 'paths.json');
  if (!existsSync(file)) {
    throw new Error(`Temporal binaries are not installed (${file} missing): run \`npm run bootstrap\``);
  }
  const paths = JSON.parse(readFileSync(file, 'utf8')) as TemporalToolPaths;
  for (const p of Object.values(paths)) {
    if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run bootstrap\``);
  }
  return paths;
}
