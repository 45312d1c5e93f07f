// Builds the Temporal worker: our workflows (bundled from workflows/) and activities (with their deps).
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import { createActivities } from '../activities/index.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function createWorker(opts: {
  connection: NativeConnection;
  pool: Pool;
  config: Config;
  /** A pre-built bundle (tests bundle once); otherwise workflows/ is bundled at start-up. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}): Promise<Worker> {
  const { config } = opts;
  return Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    identity: `audiomuse-worker@${os.hostname()}:${process.pid}`,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities({ pool: opts.pool, config }),
  });
}
