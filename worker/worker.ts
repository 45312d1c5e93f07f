// Builds the Temporal workers. The main worker runs our workflows and the light activities (media server,
// PostgreSQL) on TEMPORAL_TASK_QUEUE, the clustering worker the search generations; analysis workers run the CPU-heavy track analysis on
// `<queue>-analysis`, one track at a time each, in their own processes (worker/analysis-process.ts), so a
// machine runs one per core and more machines simply add pollers to the same queues.
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import { createActivities } from '../activities/index.ts';
import { createAnalysisActivities } from '../activities/analysis.ts';
import { createMediaProvider } from '../providers/media/index.ts';
import type { MediaProvider } from '../providers/media/provider.ts';
import { analysisTaskQueue, clusteringTaskQueue } from '../words/task-queues.ts';
import { workflowSource } from './workflow-source.ts';
import { RadioSongQueries } from '../queries/radio-songs.ts';
import { libraryMapScope } from '../queries/library-map.ts';

export { workflowsPath } from './workflow-source.ts';

/** On shutdown, running activities get `graceMs` to finish; the force time ends a worker that still hangs. */
const shutdownOptions = (graceMs: number | undefined) =>
  graceMs === undefined ? {} : { shutdownGraceTime: graceMs, shutdownForceTime: graceMs + 10_000 };

/** The media provider of activities, created on first use. HTTP retries are off: Temporal retries. */
export function activityMedia(config: Config): () => Promise<MediaProvider> {
  let provider: Promise<MediaProvider> | undefined;
  return () => {
    provider ??= createMediaProvider(config, { retries: 0 });
    provider.catch(() => (provider = undefined));
    return provider;
  };
}

/**
 * The main worker (workflows + light activities on TEMPORAL_TASK_QUEUE) and, beside it on the same connection,
 * the clustering worker (search generations on `<queue>-clustering`, one at a time: each uses every core).
 * Both share one set of clustering activities, so a run's snapshot is loaded once per process.
 */
export async function createWorker(opts: {
  connection: NativeConnection;
  pool: Pool;
  config: Config;
  /** Lets activities ask Temporal whether a workflow still runs. */
  client?: () => Promise<Client | undefined>;
  /** A pre-built bundle (tests bundle once); otherwise WORKFLOW_BUNDLE, else workflows/ bundled at start-up. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Worker threads of the clustering search (default: every core). */
  clusteringThreads?: number;
  /** Time running activities get to finish after shutdown (default: the SDK's, 0: cancel at once). */
  shutdownGraceMs?: number;
}): Promise<Worker[]> {
  const { config } = opts;
  const media = activityMedia(config);
  // Radios need the similarity library: loaded on the first refresh, kept fresh by the vector log after.
  const radios = new RadioSongQueries(opts.pool, libraryMapScope(config));
  const activities = createActivities({
    pool: opts.pool,
    config,
    media,
    client: opts.client,
    clusteringThreads: opts.clusteringThreads,
    radioSongs: (source, recipe, size) => radios.songs(source, recipe, size),
  });
  const main = await Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    identity: `audiomuse-worker@${os.hostname()}:${process.pid}`,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : workflowSource(config.worker.workflowBundle)),
    activities,
    maxHeartbeatThrottleInterval: '2 seconds',
    ...shutdownOptions(opts.shutdownGraceMs),
  });
  const clustering = await Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: clusteringTaskQueue(config.temporal.taskQueue),
    identity: `audiomuse-clustering@${os.hostname()}:${process.pid}`,
    activities: { evolveClusteringGeneration: activities.evolveClusteringGeneration },
    maxConcurrentActivityTaskExecutions: 1,
    // Heartbeats carry cancellation back: a cancelled search stops within seconds.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...shutdownOptions(opts.shutdownGraceMs),
  });
  return [main, clustering];
}

export async function createAnalysisWorker(opts: {
  connection: NativeConnection;
  pool: Pool;
  config: Config;
  /** This process's download folder. */
  tempDir: string;
  /** Tracks analysed at once by this worker (1 per process: the engine is single-threaded by design). */
  slots?: number;
  /** Time a running track gets to finish after shutdown (default: the SDK's, 0: cancel at once). */
  shutdownGraceMs?: number;
}): Promise<Worker> {
  const { config } = opts;
  return Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: analysisTaskQueue(config.temporal.taskQueue),
    identity: `audiomuse-analysis@${os.hostname()}:${process.pid}`,
    activities: createAnalysisActivities({
      pool: opts.pool,
      config,
      media: activityMedia(config),
      tempDir: opts.tempDir,
    }),
    maxConcurrentActivityTaskExecutions: opts.slots ?? 1,
    // Heartbeats carry cancellation back: send them often enough that a cancel lands within seconds.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...shutdownOptions(opts.shutdownGraceMs),
  });
}
