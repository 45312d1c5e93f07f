// Builds the workflow bundle once (the Dockerfile runs it at image build), so workers load it with
// WORKFLOW_BUNDLE instead of running webpack at every start. Usage: build-workflow-bundle.ts <output.js>
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from './workflow-source.ts';

const out = process.argv[2];
if (!out) {
  console.error('usage: node --import tsx worker/build-workflow-bundle.ts <output.js>');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({ workflowsPath });
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1e6).toFixed(1)} MB)`);
