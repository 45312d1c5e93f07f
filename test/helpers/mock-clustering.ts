// Mocked activities of `clusterLibrary`, for workflow-level tests (scale test, recorded histories): no
// PostgreSQL, no media server, no LLM. The generation runs the REAL search engine on an in-memory library;
// the other activities are cheap and record every call. The workers are real.
import os from 'node:os';
import { heartbeat } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { resolvePlan, type ClusteringActivities, type StoredPlan } from '../../activities/clustering.ts';
import type { TrackFeatures } from '../../engines/clustering/features.ts';
import {
  evolveGeneration,
  prepareSearchData,
  resolveSearchOptions,
  type SearchData,
  type SearchOptions,
} from '../../engines/clustering/search.ts';
import type { NamingActivities } from '../../activities/naming.ts';
import type { NamingOutcome } from '../../providers/naming/namer.ts';
import type { PublishingActivities, PublishResult } from '../../activities/publishing.ts';
import { loadConfig, type Config } from '../../lib/config.ts';
import { FailureType } from '../../words/failure-types.ts';
import { InputError } from '../../contracts/input-spec.ts';
import { installRuntime } from '../../lib/runtime.ts';
import { clusteringTaskQueue } from '../../words/task-queues.ts';
import type { PublishedPlaylistSummary } from '../../contracts/clustering.ts';
import { heartbeatUntilCancelled } from './mock-analysis.ts';
import { runWorkers, workflowBundle } from './worker.ts';

export interface MockClusteringOptions {
  /** The analysed library the generations cluster (the real activity's snapshot). */
  tracks: TrackFeatures[];
  /** The configuration the plan is resolved against (default: every variable at its default). */
  config?: Config;
  /** beginClusteringRun answers "already running" with this workflow id. */
  alreadyRunning?: string;
  /** The generation with this number heartbeats until it is cancelled, then ends as the real one does. */
  blockAtGeneration?: number;
  /** What storeClusteringPlaylists stored (default: two playlists with tag names). */
  playlists?: PublishedPlaylistSummary[];
  /** What nameClusteringPlaylist answers for a playlist (default: the tag name stays, "AI naming is off"). */
  name?: (playlistId: string) => NamingOutcome;
  /** What publishClusteringPlaylists reports. */
  published?: PublishResult;
}

export interface MockClusteringCalls {
  begin: Parameters<ClusteringActivities['beginClusteringRun']>[0][];
  /** Each generation activity as it started: the run and the generation/run counts of its input state. */
  generations: { runId: string; generation: number; runs: number }[];
  progress: Parameters<ClusteringActivities['recordClusteringProgress']>[0][];
  stored: Parameters<ClusteringActivities['storeClusteringPlaylists']>[0][];
  named: Parameters<NamingActivities['nameClusteringPlaylist']>[0][];
  published: Parameters<PublishingActivities['publishClusteringPlaylists']>[0][];
  released: Parameters<ClusteringActivities['releaseClusteringRun']>[0][];
  finished: Parameters<ClusteringActivities['finishClusteringRun']>[0][];
}

export type MockClusteringActivities = ClusteringActivities & NamingActivities & PublishingActivities;

export const DEFAULT_MOCK_PLAYLISTS: PublishedPlaylistSummary[] = [
  { id: 'pl-1', name: 'Happy_Fast_automatic', size: 24, nameSource: 'tag' },
  { id: 'pl-2', name: 'Sad_Slow_automatic', size: 18, nameSource: 'tag' },
];

/**
 * The search data and resolved options of a plan, exactly as the real activity prepares them from the stored
 * plan and snapshot (activities/clustering.ts `prepare`), minus the database and the worker pool.
 */
export function prepareMockRun(
  tracks: readonly TrackFeatures[],
  plan: StoredPlan,
): { data: SearchData; options: SearchOptions } {
  const data = prepareSearchData(tracks, plan.features, plan.pcaMax, plan.sampleSize);
  return { data, options: resolveSearchOptions(data, plan.search) };
}

export function mockClusteringActivities(opts: MockClusteringOptions): {
  activities: MockClusteringActivities;
  calls: MockClusteringCalls;
  plans: Map<string, StoredPlan>;
} {
  const config = opts.config ?? loadConfig({});
  const calls: MockClusteringCalls = {
    begin: [],
    generations: [],
    progress: [],
    stored: [],
    named: [],
    published: [],
    released: [],
    finished: [],
  };
  /** The plan of each run, as the real activity stores it in clustering_runs.params. */
  const plans = new Map<string, StoredPlan>();
  const prepared = new Map<string, { data: SearchData; options: SearchOptions }>();
  const prepare = (runId: string) => {
    let p = prepared.get(runId);
    if (!p) {
      const plan = plans.get(runId);
      if (!plan)
        throw ApplicationFailure.create({
          type: FailureType.invalidInput,
          message: `no clustering run ${runId}`,
          nonRetryable: true,
        });
      prepared.set(runId, (p = prepareMockRun(opts.tracks, plan)));
    }
    return p;
  };

  const activities: MockClusteringActivities = {
    // The real plan resolution and input check; the library is the in-memory one.
    async beginClusteringRun(input) {
      calls.begin.push(input);
      let plan: StoredPlan;
      try {
        plan = resolvePlan(input.request, config);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        throw ApplicationFailure.create({
          type: FailureType.invalidInput,
          message: `clusterLibrary input ${err.message}`,
          nonRetryable: true,
        });
      }
      if (opts.alreadyRunning) return { runningWorkflowId: opts.alreadyRunning };
      const runId = `cluster-run-${calls.begin.length}`;
      plans.set(runId, plan);
      return {
        runId,
        seed: plan.seed,
        runs: plan.search.runs!,
        publish: plan.publish,
        aiProvider: plan.aiProvider,
        generationsPerRun: plan.generationsPerRun,
        trackCount: opts.tracks.length,
        namingDelaySeconds: plan.aiProvider === 'GEMINI' ? config.ai.geminiDelaySeconds : 0,
      };
    },

    // The real engine, in this thread: one generation of (data, state, options), heartbeating per candidate.
    async evolveClusteringGeneration(input) {
      calls.generations.push({ runId: input.runId, generation: input.state.generation, runs: input.state.runs });
      if (input.state.generation === opts.blockAtGeneration) return heartbeatUntilCancelled('searching');
      const { data, options } = prepare(input.runId);
      const t0 = performance.now();
      const g = await evolveGeneration(data, input.state, { ...options, onCandidate: (_r, p) => heartbeat(p) });
      return {
        state: g.state,
        summary: {
          candidates: g.results.length,
          failed: g.results.filter((r) => !r.ok).length,
          ms: Math.round(performance.now() - t0),
        },
      };
    },

    async recordClusteringProgress(input) {
      calls.progress.push(input);
    },

    async storeClusteringPlaylists(input) {
      calls.stored.push(input);
      const playlists = opts.playlists ?? DEFAULT_MOCK_PLAYLISTS;
      const kept = playlists.filter((p) => p.nameSource === 'kept').length;
      return { playlists, kept, new: playlists.length - kept, removed: 0 };
    },

    async nameClusteringPlaylist(input) {
      calls.named.push(input);
      if (opts.name) return opts.name(input.playlistId);
      const p = (opts.playlists ?? DEFAULT_MOCK_PLAYLISTS).find((x) => x.id === input.playlistId);
      return { name: p?.name ?? input.playlistId, source: 'tag', reason: 'AI naming is off' };
    },

    async publishClusteringPlaylists(input) {
      calls.published.push(input);
      return (
        opts.published ?? {
          created: (opts.playlists ?? DEFAULT_MOCK_PLAYLISTS).length,
          adopted: 0,
          deleted: 0,
          leftAlone: 0,
          missingTracks: 0,
        }
      );
    },

    async releaseClusteringRun(input) {
      calls.released.push(input);
    },

    async finishClusteringRun(input) {
      calls.finished.push(input);
    },
  };
  return { activities, calls, plans };
}

/**
 * Our bundled workflows with the mocked light activities on `taskQueue`, and the generation alone on the
 * clustering queue, one at a time (as worker/worker.ts configures it), both in this process; plus a client.
 */
export async function startMockClusteringWorkers(opts: {
  address: string;
  taskQueue: string;
  activities: MockClusteringActivities;
}): Promise<{ client: Client; stop(): Promise<void> }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection });
  const identity = `audiomuse-mock@${os.hostname()}:${process.pid}`;
  const { evolveClusteringGeneration, ...light } = opts.activities;
  const workers = [
    await Worker.create({
      connection,
      taskQueue: opts.taskQueue,
      identity,
      workflowBundle: await workflowBundle(),
      activities: light,
    }),
    await Worker.create({
      connection,
      taskQueue: clusteringTaskQueue(opts.taskQueue),
      identity,
      activities: { evolveClusteringGeneration },
      maxConcurrentActivityTaskExecutions: 1,
      // Cancellation reaches an activity with a heartbeat response: keep it quick.
      maxHeartbeatThrottleInterval: '1 second',
    }),
  ];
  return { client, stop: runWorkers(workers, [connection, clientConnection]) };
}
