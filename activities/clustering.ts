// Activities of `clusterLibrary`: record the run with its library snapshot, evolve one generation of the
// search on the worker-thread pool, turn the winner into stored playlists (keeping last run's names where a
// playlist is mostly the same), name them with an LLM, and publish them to the media server. The feature
// matrix never leaves the worker: it is loaded once per process per run (the snapshot) and cached.
import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { FailureType } from '../words/failure-types.ts';
import { mayBeRunning } from '../lib/temporal.ts';
import {
  clusteringRun,
  loadSnapshot,
  publishedPlaylists,
  runPlaylists,
  storeDraftPlaylists,
  type SnapshotTrack,
} from '../lib/store/clustering.ts';
import { beginOrAttachRun, finishRun, recordRunProgress } from '../lib/store/runs.ts';
import { analysedTrackIds } from '../lib/store/vectors.ts';
import {
  clusterInputDefaults,
  resolveClusterInput,
  type ClusterLibraryInput,
  type ClusteringOutcome,
  type ClusteringPlan,
  type GenerationSummary,
  type PublishedPlaylistSummary,
} from '../contracts/clustering.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import type { FeatureOptions, TrackFeatures } from '../engines/clustering/features.ts';
import { WorkerPool } from '../engines/clustering/pool.ts';
import {
  automaticPlaylistName,
  DEFAULT_POSTPROCESS,
  postprocessWinner,
  type PostprocessOptions,
} from '../engines/clustering/postprocess.ts';
import {
  DEFAULT_SEARCH_OPTIONS,
  evaluateWinner,
  evolveGeneration,
  prepareSearchData,
  resolveSearchOptions,
  type SearchData,
  type SearchOptions,
  type SearchState,
} from '../engines/clustering/search.ts';
import { mapFailures } from './failures.ts';
import type { MediaProvider } from '../providers/media/provider.ts';
import { keepStableNames } from '../engines/clustering/playlist-names.ts';
import { fitToLibrary } from '../engines/clustering/library-size.ts';
import { DEFAULT_SAMPLE_SIZE } from '../engines/clustering/sample.ts';
import type { SizeChange } from '../words/clustering-defaults.ts';

export interface ClusteringDeps {
  pool: Pool;
  config: Config;
  media: () => Promise<MediaProvider>;
  client?: () => Promise<Client | undefined>;
  /** Worker threads of the search pool (default: every core). */
  threads?: number;
}

/** What a run stores in clustering_runs.params: everything needed to redo any step with the same bits. */
export interface StoredPlan {
  seed: number;
  publish: boolean;
  aiProvider: ClusteringPlan['aiProvider'];
  generationsPerRun: number;
  search: Partial<SearchOptions>;
  features: Partial<FeatureOptions>;
  pcaMax: number;
  /** Above this many songs the search scores its candidates on a sample of this many (0 = never; absent: the default). */
  sampleSize?: number;
  postprocess: Partial<PostprocessOptions>;
  /** Settings the library's size changed at the run's start (empty when none). */
  sizeChanges?: SizeChange[];
}

/** The plan with the settings a library of n songs needs (engines/clustering/library-size.ts), and what changed. */
export function sizePlan(plan: StoredPlan, n: number): StoredPlan {
  const r = plan.search.ranges!;
  const { settings, changes } = fitToLibrary(
    n,
    {
      minPlaylistSize: plan.search.minPlaylistSize!,
      kmeansK: r.kmeansK,
      gmmComponents: r.gmmComponents,
      dbscanMinSamples: r.dbscanMinSamples,
    },
    plan.search.algorithms!,
  );
  return {
    ...plan,
    search: {
      ...plan.search,
      minPlaylistSize: settings.minPlaylistSize,
      ranges: {
        ...r,
        kmeansK: settings.kmeansK,
        gmmComponents: settings.gmmComponents,
        dbscanMinSamples: settings.dbscanMinSamples,
      },
    },
    postprocess: { ...plan.postprocess, minPlaylistSize: settings.minPlaylistSize },
    sizeChanges: changes,
  };
}

/** The input merged over the configuration, checked as a whole. */
export function resolvePlan(input: ClusterLibraryInput, config: Config): StoredPlan {
  const m = resolveClusterInput(input, clusterInputDefaults(config));
  return {
    seed: m.seed,
    publish: m.publish,
    aiProvider: m.aiProvider,
    generationsPerRun: m.generationsPerRun,
    search: {
      runs: m.runs,
      algorithms: [m.algorithm],
      gmmCovariance: m.gmmCovarianceType,
      maxDistance: m.maxDistance ?? m.maxDistanceMedians,
      distanceUnit: m.maxDistance === null ? 'median' : 'largest',
      maxSongsPerArtist: m.maxSongsPerArtist,
      playlistLength: m.maxSongsPerCluster || DEFAULT_POSTPROCESS.maxSongsPerCluster,
      minPlaylistSize: m.minPlaylistSize,
      earlyStopGenerations: m.earlyStopGenerations,
      generationSize: m.generationSize,
      weights: m.weights,
      ranges: {
        kmeansK: [m.numClustersMin, m.numClustersMax],
        dbscanEps: [m.dbscanEpsMin, m.dbscanEpsMax],
        dbscanMinSamples: [m.dbscanMinSamplesMin, m.dbscanMinSamplesMax],
        gmmComponents: [m.gmmComponentsMin, m.gmmComponentsMax],
        pca: [m.pcaComponentsMin, m.pcaComponentsMax],
      },
    },
    features: { featureSpace: m.featureSpace, topNMoods: m.topNMoods },
    pcaMax: m.pcaComponentsMax,
    sampleSize: DEFAULT_SAMPLE_SIZE,
    postprocess: {
      maxSongsPerArtist: m.maxSongsPerArtist,
      maxSongsPerCluster: m.maxSongsPerCluster,
      minPlaylistSize: m.minPlaylistSize,
    },
  };
}

interface PreparedRun {
  tracks: SnapshotTrack[];
  data: SearchData;
  options: SearchOptions;
  plan: StoredPlan;
  source: string;
  workers: WorkerPool;
}

const toTrackFeatures = (t: SnapshotTrack): TrackFeatures => ({
  id: t.id,
  artist: t.artist,
  title: t.title,
  tempo: t.tempo,
  energy: t.energy,
  tags: t.tags,
  moodHeads: t.moodHeads,
  embedding: t.embedding,
});

export function createClusteringActivities(deps: ClusteringDeps) {
  const version = analysisVersion(deps.config.analysis);
  // The snapshot of the run(s) this process works on, with its worker pool: loaded once, reused by every
  // generation. Two entries: a new run may start while the last one's final steps run.
  const prepared = new Map<string, Promise<PreparedRun>>();

  const prepare = (runId: string): Promise<PreparedRun> => {
    let p = prepared.get(runId);
    if (!p) {
      p = (async () => {
        const row = await clusteringRun(deps.pool, runId);
        if (!row)
          throw ApplicationFailure.create({
            type: FailureType.invalidInput,
            message: `no clustering run ${runId}`,
            nonRetryable: true,
          });
        const plan = row.params as StoredPlan;
        const tracks = await loadSnapshot(deps.pool, runId);
        const data = prepareSearchData(tracks.map(toTrackFeatures), plan.features, plan.pcaMax, plan.sampleSize);
        const options = resolveSearchOptions(data, plan.search);
        return {
          tracks,
          data,
          options,
          plan,
          source: row.source,
          workers: WorkerPool.create(data, options, deps.threads),
        };
      })();
      p.catch(() => prepared.delete(runId));
      prepared.set(runId, p);
      for (const old of [...prepared.keys()].slice(0, -2)) void forget(old);
    }
    return p;
  };
  const forget = async (runId: string) => {
    const p = prepared.get(runId);
    prepared.delete(runId);
    await (await p?.catch(() => undefined))?.workers.close();
  };

  return {
    /** Resolves the plan, fixes the library snapshot and records the run (or names the one already running). */
    async beginClusteringRun(input: {
      request: ClusterLibraryInput;
      workflowId: string;
      firstRunId: string;
    }): Promise<ClusteringPlan | { runningWorkflowId: string }> {
      return mapFailures(async () => {
        const source = (await deps.media()).type;
        const trackIds = await analysedTrackIds(deps.pool, { source, analysisVersion: version });
        const plan = sizePlan(resolvePlan(input.request, deps.config), trackIds.length);
        if (trackIds.length < 2) {
          throw ApplicationFailure.create({
            type: FailureType.invalidInput,
            nonRetryable: true,
            message: `${trackIds.length} analysed tracks from ${source}: run an analysis first (npx audiomuse analysis start)`,
          });
        }
        const run = {
          workflowId: input.workflowId,
          firstRunId: input.firstRunId,
          source,
          params: plan,
          columns: { analysis_version: version, snapshot_track_ids: trackIds },
        };
        const r = await beginOrAttachRun(deps.pool, 'clustering', run, (id) => mayBeRunning(deps.client, id));
        if (!('runId' in r)) return r;
        return {
          runId: r.runId,
          seed: plan.seed,
          runs: plan.search.runs!,
          publish: plan.publish,
          aiProvider: plan.aiProvider,
          generationsPerRun: plan.generationsPerRun,
          trackCount: trackIds.length,
          sizeChanges: plan.sizeChanges ?? [],
          namingDelaySeconds: plan.aiProvider === 'GEMINI' ? deps.config.ai.geminiDelaySeconds : 0,
        };
      });
    },

    /** One generation on the worker pool; heartbeats per candidate, cancellation stops the pool at once. */
    async evolveClusteringGeneration(input: {
      runId: string;
      state: SearchState;
    }): Promise<{ state: SearchState; summary: GenerationSummary }> {
      return mapFailures(async () => {
        // The first generation loads the snapshot (tens of seconds at 300,000 songs): heartbeat meanwhile.
        const beat = setInterval(() => heartbeat({ preparing: true }), 5_000);
        const run = await prepare(input.runId).finally(() => clearInterval(beat));
        const signal = Context.current().cancellationSignal;
        const stop = () => void forget(input.runId);
        signal.addEventListener('abort', stop);
        const t0 = performance.now();
        try {
          const g = await evolveGeneration(run.data, input.state, {
            ...run.options,
            evaluator: run.workers.evaluate,
            onCandidate: (_r, p) => heartbeat(p),
          });
          return {
            state: g.state,
            summary: {
              candidates: g.results.length,
              failed: g.results.filter((r) => !r.ok).length,
              ms: Math.round(performance.now() - t0),
            },
          };
        } catch (err) {
          if (signal.aborted) throw new CancelledFailure('generation cancelled');
          await forget(input.runId); // a broken pool is rebuilt by the retry
          throw err;
        } finally {
          signal.removeEventListener('abort', stop);
        }
      });
    },

    async recordClusteringProgress(input: { runId: string; state: SearchState; progress: object }): Promise<void> {
      await recordRunProgress(deps.pool, 'clustering', input.runId, input.progress, {
        generation: input.state.generation,
        best_score: input.state.best?.fitness ?? null,
        best_params: input.state.best?.params ?? null,
        search_state: input.state,
      });
    },

    /**
     * The winner's playlists, stored as drafts: re-fitted from the best parameters and seed (the same bits as
     * in the search), post-processed, and named — a playlist sharing at least half its tracks with one of the
     * last published run keeps that name.
     */
    async storeClusteringPlaylists(input: {
      runId: string;
      state: SearchState;
    }): Promise<Omit<ClusteringOutcome, 'published' | 'missingTracks' | 'namingFailures' | 'leftAlone'>> {
      // At 300,000 songs the winner and its thousands of playlists take minutes (the first 300,000-song run
      // timed out here, never heartbeating): heartbeat while the event loop is free, and free it between steps.
      const beat = setInterval(() => heartbeat('storing playlists'), 5_000);
      const step = async (what: string) => {
        heartbeat(what);
        await new Promise((r) => setImmediate(r));
      };
      return mapFailures(async () => {
        const run = await prepare(input.runId);
        await step('winner');
        const winner = evaluateWinner(run.data, input.state, run.options);
        await step('post-processing');
        const tracks = run.tracks.map(toTrackFeatures);
        const { playlists: made, leftOut } = winner?.clusters
          ? postprocessWinner(
              winner.clusters,
              tracks,
              run.data.profile,
              run.data.layout,
              run.plan.postprocess,
              winner.selection,
            )
          : { playlists: [], leftOut: tracks.map((t) => ({ trackId: t.id, reason: 'noise' as const })) };
        await step('names');
        const previous = await publishedPlaylists(deps.pool, run.source, input.runId);
        const named = keepStableNames(
          made.map((p) => ({ tagName: p.name, name: automaticPlaylistName(p), trackIds: p.trackIds })),
          previous.map((p) => ({ name: p.name, trackIds: p.trackIds })),
        );
        await step('storing');
        await storeDraftPlaylists(
          deps.pool,
          input.runId,
          run.source,
          made.map((p, position) => ({
            position,
            name: named.names[position].name,
            nameSource: named.names[position].kept ? 'kept' : 'tag',
            tagName: p.name,
            profile: p.centroidProfile,
            part: p.part,
            parts: p.parts,
            trackIds: p.trackIds,
          })),
          leftOut,
        );
        const stored = await runPlaylists(deps.pool, input.runId);
        const playlists: PublishedPlaylistSummary[] = stored.map((p) => ({
          id: p.id,
          name: p.name,
          size: p.trackIds.length,
          nameSource: p.nameSource,
        }));
        const counts: ClusteringOutcome['leftOut'] = {};
        for (const l of leftOut) counts[l.reason] = (counts[l.reason] ?? 0) + 1;
        return { playlists, kept: named.kept, new: named.new, removed: named.removed, leftOut: counts };
      }).finally(() => clearInterval(beat));
    },

    async finishClusteringRun(input: {
      runId: string;
      status: 'completed' | 'failed' | 'cancelled';
      outcome?: ClusteringOutcome;
      progress: object;
      error?: string;
    }): Promise<void> {
      await finishRun(deps.pool, 'clustering', input.runId, {
        status: input.status,
        progress: input.progress,
        error: input.error,
        columns: { outcome: input.outcome },
      });
      if (input.status !== 'completed') await forget(input.runId);
    },

    /** Frees the run's cached snapshot and worker threads in this process. */
    async releaseClusteringRun(input: { runId: string }): Promise<void> {
      await forget(input.runId);
    },
  };
}

export type ClusteringActivities = ReturnType<typeof createClusteringActivities>;
