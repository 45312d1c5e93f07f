// A real worker for integration tests: our workflows bundled once per test process, our activities.
import { randomUUID } from 'node:crypto';
import {
  bundleWorkflowCode,
  NativeConnection,
  type WorkflowBundleWithSourceMap,
  type Worker,
} from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.ts';
import type { Pool } from '../../lib/db.ts';
import { installRuntime } from '../../lib/runtime.ts';
import { createAnalysisWorker, createWorker, workflowsPath } from '../../worker/worker.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  return bundle;
}

/** A config for tests: a unique task queue, so files and tests never steal each other's tasks. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`, ...env });
}

/** Runs the workers; stop() shuts them all down, then closes the connections they and the client used. */
export function runWorkers(workers: Worker[], connections: { close(): Promise<void> }[]): () => Promise<void> {
  const running = workers.map((w) => w.run());
  return async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(running);
    for (const c of connections) await c.close();
  };
}

/**
 * The main worker of the product, in this process; with `analysisTempDir`, also one analysis worker (the
 * track analysis runs here instead of in a separate process, one track at a time).
 */
export async function startTestWorker(opts: {
  address: string;
  pool: Pool;
  config: Config;
  analysisTempDir?: string;
}): Promise<{ worker: Worker; client: Client; stop(): Promise<void> }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace: opts.config.temporal.namespace });
  const workers = await createWorker({
    connection,
    pool: opts.pool,
    config: opts.config,
    workflowBundle: await workflowBundle(),
    client: async () => client,
    clusteringThreads: 2,
  });
  const worker = workers[0];
  if (opts.analysisTempDir) {
    workers.push(
      await createAnalysisWorker({ connection, pool: opts.pool, config: opts.config, tempDir: opts.analysisTempDir }),
    );
  }
  return { worker, client, stop: runWorkers(workers, [connection, clientConnection]) };
}
