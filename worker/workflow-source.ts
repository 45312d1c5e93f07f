// Where a worker gets its workflow code: the bundle pre-built at image build time (WORKFLOW_BUNDLE), or
// workflows/ bundled by webpack at start-up (development, tests), as Temporal's production sample does.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export function workflowSource(
  bundlePath: string | undefined,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (!bundlePath) return { workflowsPath };
  // Say it at start-up, not at the first workflow task.
  if (!fs.existsSync(bundlePath))
    throw new Error(
      `WORKFLOW_BUNDLE=${bundlePath} does not exist; build it with \`node --import tsx worker/build-workflow-bundle.ts ${bundlePath}\` or unset WORKFLOW_BUNDLE.`,
    );
  return { workflowBundle: { codePath: bundlePath } };
}
