// What `clusterLibrary` takes, carries and reports; shared with client code (one `progress` query, typed on
// both sides). Workflow-safe: no Node built-ins, no I/O. The search state is the engine's plain JSON.
import { defineQuery } from '@temporalio/workflow';
import type { ClusterParams, SearchState } from '../activities/clustering/search.ts';

/** Every field optional; defaults come from the configuration (see activities/clustering-run.ts for ranges). */
export interface ClusterLibraryInput {
  algorithm?: 'kmeans' | 'dbscan' | 'gmm';
  runs?: number;
  seed?: number;
  featureSpace?: 'moods' | 'moods+heads' | 'embedding';
  publish?: boolean;
  aiProvider?: 'NONE' | 'OLLAMA' | 'GEMINI' | 'OPENAI';
  numClustersMin?: number;
  numClustersMax?: number;
  dbscanEpsMin?: number;
  dbscanEpsMax?: number;
  dbscanMinSamplesMin?: number;
  dbscanMinSamplesMax?: number;
  gmmComponentsMin?: number;
  gmmComponentsMax?: number;
  gmmCovarianceType?: 'full' | 'diag';
  pcaComponentsMin?: number;
  pcaComponentsMax?: number;
  maxSongsPerCluster?: number;
  maxSongsPerArtist?: number;
  maxDistance?: number;
  minPlaylistSize?: number;
  topNMoods?: number;
  earlyStopGenerations?: number;
  generationSize?: number;
  /** Generations per workflow run before it continues as new. */
  generationsPerRun?: number;
  weights?: Partial<
    Record<
      | 'moodDiversity'
      | 'moodPurity'
      | 'otherFeatureDiversity'
      | 'otherFeaturePurity'
      | 'silhouette'
      | 'daviesBouldin'
      | 'calinskiHarabasz',
      number
    >
  >;
  /** Carried across continue-as-new; never set by callers. */
  carried?: CarriedClusteringState;
}

/** What the first activity resolved and the workflow needs (the rest stays in clustering_runs.params). */
export interface ClusteringPlan {
  runId: string;
  seed: number;
  runs: number;
  publish: boolean;
  aiProvider: NonNullable<ClusterLibraryInput['aiProvider']>;
  generationsPerRun: number;
  trackCount: number;
  /** Pause between AI naming calls (Gemini's free tier). */
  namingDelaySeconds: number;
}

export interface GenerationSummary {
  candidates: number;
  failed: number;
  ms: number;
}

export interface CarriedClusteringState {
  plan: ClusteringPlan;
  state: SearchState;
  startedAt: number;
  /** Wall time spent searching and runs evaluated so far (for runs per second). */
  searchMs: number;
  runNumber: number;
}

export interface PublishedPlaylistSummary {
  id: string;
  name: string;
  size: number;
  nameSource: 'tag' | 'ai' | 'kept';
}

export interface ClusteringOutcome {
  playlists: PublishedPlaylistSummary[];
  kept: number;
  new: number;
  removed: number;
  published: boolean;
  missingTracks: number;
  namingFailures: number;
  /** Earlier playlists of ours the user took over (renamed, or the server refused their delete): kept as they are. */
  leftAlone: number;
}

export interface ClusteringProgress {
  workflowId: string;
  status: 'starting' | 'searching' | 'naming' | 'publishing' | 'completed' | 'cancelled' | 'failed' | 'already_running';
  runsDone: number;
  runsTotal: number | null;
  generation: number;
  bestScore: number | null;
  bestParams: ClusterParams | null;
  bestViable: number | null;
  elites: { params: ClusterParams; fitness: number; viable: number }[];
  runsPerSecond: number | null;
  etaSeconds: number | null;
  stopReason: SearchState['stopReason'];
  trackCount: number | null;
  runNumber: number;
  startedAt: string | null;
  updatedAt: string;
  outcome?: ClusteringOutcome;
  error?: string;
  runningWorkflowId?: string;
}

export const clusteringProgressQuery = defineQuery<ClusteringProgress>('progress');
