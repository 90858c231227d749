#!/usr/bin/env node
// `npm run build [-- <outDir>]`: production JavaScript in dist/ (or <outDir>): the TypeScript of the
// API, worker, migrations and operator CLIs compiled by tsc (tsconfig.build.json), the pages' static
// files beside them, and the prebuilt workflow bundle (dist/workflow-bundle.js). Production and the
// benchmark run this output with plain `node`, without tsx compiling at start and holding memory.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, process.argv[2] ?? 'dist');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });
cpSync(join(root, 'api/pages/static'), join(out, 'api/pages/static'), { recursive: true });
execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/build-workflow-bundle.ts'), join(out, 'workflow-bundle.js')], { cwd: root, stdio: 'inherit' });
