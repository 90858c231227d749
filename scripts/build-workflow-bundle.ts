// Prebuilds the workflow bundle for production workers (the Dockerfile runs this): workers then
// start without webpack and every replica runs byte-identical workflow code.
//   npm run build:workflows [-- <output path>]   (default dist/workflow-bundle.js)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowInterceptorModules, workflowsPath } from '../worker/create.js';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
