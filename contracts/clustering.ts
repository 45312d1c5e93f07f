// What `clusterLibrary` takes, carries and reports; shared with client code (one `progress` query, typed on
// both sides). Workflow-safe: no Node built-ins, no I/O. The search state is the engine's plain JSON.
import { defineQuery } from '@temporalio/workflow';
import {
  DEFAULT_EARLY_STOP_GENERATIONS,
  DEFAULT_GENERATION_SIZE,
  DEFAULT_MIN_PLAYLIST_SIZE,
  DEFAULT_WEIGHTS,
  GENERATIONS_PER_RUN,
  SCORE_WEIGHT_NAMES,
  type LeftOutReason,
  type MetricName,
  type ScoreWeights,
  type SizeChange,
} from '../words/clustering-defaults.ts';
import { checkInput, checkRanges, type InputOf, type InputSpec } from './input-spec.ts';
import type { ClusterParams, SearchState } from '../words/search-state.ts';

const int = (min: number, max: number, help: string) => ({ kind: 'int', min, max, help }) as const;
const num = (min: number, max: number, help: string) => ({ kind: 'number', min, max, help }) as const;

/** What `clusterLibrary` accepts (every field optional), with the help the web form and the API document show. */
export const CLUSTER_LIBRARY_INPUT = {
  algorithm: { kind: 'enum', values: ['kmeans', 'dbscan', 'gmm'], help: 'Clustering algorithm the search tries' },
  runs: int(1, 1_000_000, 'Parameter sets evaluated by the Monte Carlo search'),
  seed: int(0, 0xffffffff, 'Random seed: the same seed on the same library gives the same playlists'),
  featureSpace: {
    kind: 'enum',
    values: ['moods', 'moods+heads', 'embedding'],
    help: 'What is clustered: top mood tags (+ tempo, energy), also the six mood heads, or the 200-d MusiCNN embedding',
  },
  publish: { kind: 'bool', help: 'Write the playlists to the media server (else they stay drafts here)' },
  aiProvider: {
    kind: 'enum',
    values: ['NONE', 'OLLAMA', 'GEMINI', 'OPENAI'],
    help: 'LLM that names the playlists (NONE keeps the tag names)',
  },
  numClustersMin: int(2, 10_000, 'K-Means: fewest clusters tried'),
  numClustersMax: int(2, 10_000, 'K-Means: most clusters tried'),
  dbscanEpsMin: num(0.000001, 1000, 'DBSCAN: smallest neighbourhood radius tried'),
  dbscanEpsMax: num(0.000001, 1000, 'DBSCAN: largest neighbourhood radius tried'),
  dbscanMinSamplesMin: int(1, 10_000, 'DBSCAN: smallest min_samples tried'),
  dbscanMinSamplesMax: int(1, 10_000, 'DBSCAN: largest min_samples tried'),
  gmmComponentsMin: int(1, 10_000, 'GMM: fewest components tried'),
  gmmComponentsMax: int(1, 10_000, 'GMM: most components tried'),
  gmmCovarianceType: { kind: 'enum', values: ['full', 'diag'], help: 'GMM covariance type' },
  pcaComponentsMin: int(0, 200, 'Fewest PCA components tried (0 = no PCA)'),
  pcaComponentsMax: int(0, 200, 'Most PCA components tried'),
  maxSongsPerCluster: int(0, 100_000, 'Longer playlists are split into parts (0 = never)'),
  maxSongsPerArtist: int(0, 100_000, 'Songs of one artist per playlist at most (0 = no cap)'),
  maxDistanceMedians: num(
    0,
    1000,
    "Songs farther from their centroid than this many times the clustering's median song distance are left out (0 = keep all)",
  ),
  maxDistance: num(
    0,
    1000,
    "The original's filter instead: songs farther than this fraction of the run's largest distance are left out (0 = keep all)",
  ),
  minPlaylistSize: int(1, 100_000, 'Smaller playlists are dropped'),
  topNMoods: int(1, 50, 'Mood tags per track used for clustering and names'),
  earlyStopGenerations: int(0, 100_000, 'Stop after this many generations without a better score (0 = never)'),
  generationSize: int(1, 1000, 'Parameter sets per generation (one activity)'),
  generationsPerRun: int(1, 10_000, 'Generations per workflow run before it continues as new'),
  weights: {
    kind: 'object',
    help: 'Weights of the score components',
    fields: Object.fromEntries(
      SCORE_WEIGHT_NAMES.map((w) => [w, num(0, 1000, `Weight of ${w} in the score`)]),
    ) as Record<MetricName, ReturnType<typeof num>>,
  },
} as const satisfies InputSpec;

/** Every field optional; defaults from the configuration (clusterInputDefaults). */
export type ClusterLibraryInput = InputOf<typeof CLUSTER_LIBRARY_INPUT> & {
  /** Carried across continue-as-new; never set by callers. */
  carried?: CarriedClusteringState;
};

/** A request merged over the defaults: every field set; `maxDistance` null = the median-unit filter. */
export type ResolvedClusterInput = Required<Omit<ClusterLibraryInput, 'carried' | 'weights' | 'maxDistance'>> & {
  weights: ScoreWeights;
  maxDistance: number | null;
};

/** The parts of the configuration that give a request its defaults (lib/config.ts's Config has them). */
export interface ClusterDefaultsSource {
  clustering: {
    algorithm: ResolvedClusterInput['algorithm'];
    runs: number;
    featureSpace: ResolvedClusterInput['featureSpace'];
    numClusters: readonly [number, number];
    dbscanEps: readonly [number, number];
    dbscanMinSamples: readonly [number, number];
    gmmComponents: readonly [number, number];
    gmmCovarianceType: ResolvedClusterInput['gmmCovarianceType'];
    pcaComponents: readonly [number, number];
    maxSongsPerCluster: number;
    maxSongsPerArtist: number;
    /** MAX_DISTANCE when set (the original's filter), else null. */
    maxDistance: number | null;
    maxDistanceMedians: number;
  };
  ai: { provider: ResolvedClusterInput['aiProvider'] };
  analysis: { topNMoods: number };
}

/** Every field's value when the request leaves it out: the configuration's, else the shared default. */
export function clusterInputDefaults(config: ClusterDefaultsSource): ResolvedClusterInput {
  const c = config.clustering;
  return {
    algorithm: c.algorithm,
    runs: c.runs,
    seed: 1,
    featureSpace: c.featureSpace,
    publish: true,
    aiProvider: config.ai.provider,
    numClustersMin: c.numClusters[0],
    numClustersMax: c.numClusters[1],
    dbscanEpsMin: c.dbscanEps[0],
    dbscanEpsMax: c.dbscanEps[1],
    dbscanMinSamplesMin: c.dbscanMinSamples[0],
    dbscanMinSamplesMax: c.dbscanMinSamples[1],
    gmmComponentsMin: c.gmmComponents[0],
    gmmComponentsMax: c.gmmComponents[1],
    gmmCovarianceType: c.gmmCovarianceType,
    pcaComponentsMin: c.pcaComponents[0],
    pcaComponentsMax: c.pcaComponents[1],
    maxSongsPerCluster: c.maxSongsPerCluster,
    maxSongsPerArtist: c.maxSongsPerArtist,
    maxDistance: c.maxDistance,
    maxDistanceMedians: c.maxDistanceMedians,
    minPlaylistSize: DEFAULT_MIN_PLAYLIST_SIZE,
    topNMoods: config.analysis.topNMoods,
    earlyStopGenerations: DEFAULT_EARLY_STOP_GENERATIONS,
    generationSize: DEFAULT_GENERATION_SIZE,
    generationsPerRun: GENERATIONS_PER_RUN,
    weights: { ...DEFAULT_WEIGHTS },
  };
}

const RANGE_PAIRS: [string, string][] = [
  ['numClustersMin', 'numClustersMax'],
  ['dbscanEpsMin', 'dbscanEpsMax'],
  ['dbscanMinSamplesMin', 'dbscanMinSamplesMax'],
  ['gmmComponentsMin', 'gmmComponentsMax'],
  ['pcaComponentsMin', 'pcaComponentsMax'],
];

/**
 * The request checked field by field, merged over the defaults and checked as a whole (min ≤ max, also
 * against a configured default). Throws InputError naming the field. The API answers 400 with it before a
 * workflow starts; the first activity runs it again for starts that bypass the API (`temporal workflow start`).
 */
export function resolveClusterInput(input: ClusterLibraryInput, defaults: ResolvedClusterInput): ResolvedClusterInput {
  const { carried: _ignored, ...request } = input;
  checkInput(CLUSTER_LIBRARY_INPUT, request);
  const merged = { ...defaults, ...request, weights: { ...defaults.weights, ...request.weights } };
  // A request for the median-unit filter overrides a configured MAX_DISTANCE; one naming both keeps maxDistance.
  if (request.maxDistanceMedians !== undefined && request.maxDistance === undefined) merged.maxDistance = null;
  checkRanges(merged, RANGE_PAIRS);
  return merged;
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
  /** Settings the library's size changed (a small library gets fewer, smaller playlists; empty when none). */
  sizeChanges?: SizeChange[];
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
  /** Songs of the library in no playlist, by reason (absent from runs recorded before they were counted). */
  leftOut?: Partial<Record<LeftOutReason, number>>;
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
  sizeChanges: SizeChange[];
  runNumber: number;
  startedAt: string | null;
  updatedAt: string;
  outcome?: ClusteringOutcome;
  error?: string;
  runningWorkflowId?: string;
}

export const clusteringProgressQuery = defineQuery<ClusteringProgress>('progress');
