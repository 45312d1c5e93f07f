// A real worker for integration tests: our workflows bundled once per test process, our activities.
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.ts';
import type { Pool } from '../../lib/db.ts';
import { installRuntime } from '../../lib/runtime.ts';
import { createWorker, workflowsPath } from '../../worker/worker.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } });
  return bundle;
}

/** A config for tests: a unique task queue, so files and tests never steal each other's tasks. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`, ...env });
}

export async function startTestWorker(opts: { address: string; pool: Pool; config: Config }): Promise<{ worker: Worker; client: Client; stop(): Promise<void> }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await createWorker({ connection, pool: opts.pool, config: opts.config, workflowBundle: await workflowBundle() });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace: opts.config.temporal.namespace });
  return {
    worker,
    client,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
    },
  };
}
