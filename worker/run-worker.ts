// The worker process's composition root: the main worker (workflows + light activities) in this process and
// ANALYSIS_WORKERS analysis processes, stopped in one shutdown step.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { installRuntime } from '../lib/runtime.ts';
import type { Shutdown } from '../lib/shutdown.ts';
import { analysisTaskQueue } from '../words/task-queues.ts';
import { connectClient, connectWorker } from '../lib/temporal.ts';
import { startAnalysisPool } from './analysis-pool.ts';
import { createWorker } from './worker.ts';

/** The main worker (workflows + light activities) in this process, and ANALYSIS_WORKERS analysis processes. */
export async function runWorker(
  config: Config,
  pool: Pool,
  databaseUrl: string,
  temporalAddress: string,
  shutdown: Shutdown,
): Promise<void> {
  installRuntime();
  const connection = await connectWorker(temporalAddress, config.temporal.security);
  shutdown.add('temporal worker connection', () => connection.close());
  let client: Promise<Client> | undefined;
  const activityClient = () => {
    client ??= connectClient(temporalAddress, config.temporal.namespace, config.temporal.security);
    client.catch(() => (client = undefined));
    return client;
  };
  shutdown.add('activity client', async () => {
    if (client) await (await client.catch(() => undefined))?.connection.close();
  });
  const graceMs = config.worker.shutdownGraceMs;
  const workers = await createWorker({ connection, pool, config, client: activityClient, shutdownGraceMs: graceMs });
  const running = Promise.all(workers.map((w) => w.run()));
  running.catch((err) => {
    console.error(`worker stopped: ${(err as Error).message}`);
    process.exitCode = 1;
    void shutdown.run().then(() => process.exit(1));
  });
  // Each analysis process gets the same grace for its track (it reads WORKER_SHUTDOWN_GRACE_SECONDS too);
  // a process still running 15 s after that is killed.
  const analysis =
    config.analysis.workers > 0
      ? startAnalysisPool(
          config.analysis.workers,
          { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress },
          { killAfterMs: graceMs + 15_000 },
        )
      : undefined;
  // One step, so the main worker and the analysis processes drain in parallel: a SIGTERM costs one grace
  // period, which is what the pod's terminationGracePeriodSeconds is sized for.
  shutdown.add('workers', async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all([running.catch(() => undefined), analysis?.stop()]);
  });
  console.log(
    `worker polling task queue "${config.temporal.taskQueue}" on ${temporalAddress}; ${config.analysis.workers} analysis process(es) on "${analysisTaskQueue(config.temporal.taskQueue)}"`,
  );
}
