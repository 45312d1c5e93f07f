// Builds the Temporal workers. The main worker runs our workflows and the light activities (media server,
// PostgreSQL) on TEMPORAL_TASK_QUEUE; analysis workers run the CPU-heavy track analysis on
// `<queue>-analysis`, one track at a time each, in their own processes (worker/analysis-process.ts), so a
// machine runs one per core and more machines simply add pollers to the same queues.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import { createActivities } from '../activities/index.ts';
import { createAnalysisActivities } from '../activities/analysis.ts';
import { createMediaProvider } from '../activities/media/index.ts';
import type { MediaProvider } from '../activities/media/provider.ts';
import { analysisTaskQueue } from '../lib/task-queues.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The media provider of activities, created on first use. HTTP retries are off: Temporal retries. */
export function activityMedia(config: Config): () => Promise<MediaProvider> {
  let provider: Promise<MediaProvider> | undefined;
  return () => {
    provider ??= createMediaProvider(config, { retries: 0 });
    provider.catch(() => (provider = undefined));
    return provider;
  };
}

export async function createWorker(opts: {
  connection: NativeConnection;
  pool: Pool;
  config: Config;
  /** Lets activities ask Temporal whether a workflow still runs. */
  client?: () => Promise<Client | undefined>;
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
    activities: createActivities({ pool: opts.pool, config, media: activityMedia(config), client: opts.client }),
  });
}

export async function createAnalysisWorker(opts: {
  connection: NativeConnection;
  pool: Pool;
  config: Config;
  /** This process's download folder. */
  tempDir: string;
  /** Tracks analysed at once by this worker (1 per process: the engine is single-threaded by design). */
  slots?: number;
}): Promise<Worker> {
  const { config } = opts;
  return Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: analysisTaskQueue(config.temporal.taskQueue),
    identity: `audiomuse-analysis@${os.hostname()}:${process.pid}`,
    activities: createAnalysisActivities({ pool: opts.pool, config, media: activityMedia(config), tempDir: opts.tempDir }),
    maxConcurrentActivityTaskExecutions: opts.slots ?? 1,
    // Heartbeats carry cancellation back: send them often enough that a cancel lands within seconds.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}
