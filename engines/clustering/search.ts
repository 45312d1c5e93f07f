// Evolutionary Monte-Carlo search over clustering parameters (reference v0.3 → HEAD, §3.2): random
// parameters within configured ranges, after an exploration fraction mostly mutations of an elite pool,
// fitness = weighted metrics (scoring.ts), best ranked by (viable playlists, fitness), early stop.
//
// The search advances one GENERATION at a time: evolveGeneration(data, state, opts) → { state, results }.
// The state is small plain JSON, and every candidate's randomness comes from its own generator seeded by
// (state.seed, generation, candidate index), so a generation's outcome depends only on (data, state, opts):
// a workflow can persist the state between generations and resume with the same bits.
import { dbscan } from './dbscan.ts';
import { sqDist } from './distance.ts';
import { reassignLeftOut } from './reassign.ts';
import {
  buildFeatures,
  DEFAULT_FEATURE_OPTIONS,
  type FeatureOptions,
  type FeatureSpace,
  type ProfileLayout,
  type TrackFeatures,
} from './features.ts';
import { gmm } from './gmm.ts';
import { kmeans } from './kmeans.ts';
import { pcaFit, pcaTransform } from './pca.ts';
import {
  artistCaps,
  artistIds,
  DEFAULT_NAMING,
  meanProfile,
  nameProfile,
  selectMembers,
  type NamingOptions,
  type WinnerCluster,
} from './postprocess.ts';
import { Rng } from './rng.ts';
import { assignNearest, DEFAULT_SAMPLE_SIZE, artistSample, takeRows } from './sample.ts';
import { standardScale } from './scaling.ts';
import {
  DEFAULT_WEIGHTS,
  EMBEDDING_STATS,
  FEATURE_STATS,
  scoreClustering,
  type Metrics,
  type ScoredPlaylist,
  type ScoringOptions,
} from './scoring.ts';
import {
  DEFAULT_EARLY_STOP_GENERATIONS,
  DEFAULT_GENERATION_SIZE,
  DEFAULT_MAX_DISTANCE_MEDIANS,
  DEFAULT_MIN_PLAYLIST_SIZE,
  type DistanceUnit,
} from '../../words/clustering-defaults.ts';
import type { ClusterParams, Elite, SearchState } from '../../words/search-state.ts';
import { matrix, type Algorithm, type ClusterFit, type CovarianceType, type Matrix } from './types.ts';

export type { ClusterParams, Elite, SearchState };

// ---------------------------------------------------------------------------------------------------------
// Data prepared once per search

/** Everything a candidate needs, computed once per search. Plain typed arrays (cheap to share with workers). */
export interface SearchData {
  n: number;
  featureSpace: FeatureSpace;
  layout: ProfileLayout;
  /** Profile rows (features.ts) for scoring and naming. */
  profile: Matrix;
  /** Artist id per track (-1 = none), for the per-artist cap. */
  artists: Int32Array;
  /** The clustered vectors after StandardScaler. */
  scaled: Matrix;
  /**
   * `scaled` projected on its first principal components (as many as the PCA range can ask for), or null.
   * The first c columns equal a c-component PCA (components are the same eigenvectors, largest first), so
   * one fit serves every component count.
   */
  pca: Matrix | null;
  /**
   * Above `sampleSize` songs: the sample the candidates are scored on (its `rows` in this data, ascending),
   * with the same scaling and PCA as the whole; the winner is assigned to every song (sample.ts). Null below.
   */
  sample: { rows: Int32Array; data: SearchData } | null;
}

/** The data the search's candidates are scored on: the sample of a big library, else the whole. */
export const searchedData = (data: SearchData): SearchData => data.sample?.data ?? data;

/**
 * Prepares the search data: feature vectors, standard scaling, one PCA up to `pcaMax` components, and above
 * `sampleSize` songs (0 = never) the sample the candidates are scored on.
 */
export function prepareSearchData(
  tracks: readonly TrackFeatures[],
  features: Partial<FeatureOptions> = {},
  pcaMax = 0,
  sampleSize = DEFAULT_SAMPLE_SIZE,
): SearchData {
  const o = { ...DEFAULT_FEATURE_OPTIONS, ...features };
  const f = buildFeatures(tracks, o);
  const { scaled } = standardScale(f.vectors);
  const maxC = Math.min(pcaMax, scaled.cols, scaled.rows - 1);
  const pca = maxC > 0 ? pcaTransform(pcaFit(scaled, maxC), scaled) : null;
  const data: SearchData = {
    n: tracks.length,
    featureSpace: o.featureSpace,
    layout: f.layout,
    profile: f.profile,
    artists: artistIds(tracks),
    scaled,
    pca,
    sample: null,
  };
  if (!(sampleSize > 0 && data.n > sampleSize)) return data;
  const rows = artistSample(data.artists, sampleSize, data.n);
  data.sample = {
    rows,
    data: {
      ...data,
      n: rows.length,
      profile: takeRows(data.profile, rows),
      artists: Int32Array.from(rows, (i) => data.artists[i]),
      scaled: takeRows(scaled, rows),
      pca: pca && takeRows(pca, rows),
      sample: null,
    },
  };
  return data;
}

const viewCache = new WeakMap<SearchData, Map<number, Matrix>>();
const VIEW_CACHE_SIZE = 8;

/** The matrix a candidate clusters: scaled data (pca = 0) or its first `pca` principal components. */
export function pcaView(data: SearchData, pca: number): Matrix {
  if (pca === 0) return data.scaled;
  const full = data.pca;
  if (!full || pca > full.cols)
    throw new RangeError(`pcaView: ${pca} components requested, ${full?.cols ?? 0} prepared`);
  if (pca === full.cols) return full;
  let cache = viewCache.get(data);
  if (!cache) viewCache.set(data, (cache = new Map()));
  const hit = cache.get(pca);
  if (hit) return hit;
  const out = new Float64Array(data.n * pca);
  for (let i = 0; i < data.n; i++) out.set(full.data.subarray(i * full.cols, i * full.cols + pca), i * pca);
  const view = matrix(data.n, pca, out);
  if (cache.size >= VIEW_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(pca, view);
  return view;
}

// ---------------------------------------------------------------------------------------------------------
// Options

export interface SearchRanges {
  /** NUM_CLUSTERS_MIN/MAX. */
  kmeansK: [number, number];
  /** DBSCAN_EPS_MIN/MAX (sampled with 2 decimals). */
  dbscanEps: [number, number];
  /** DBSCAN_MIN_SAMPLES_MIN/MAX. */
  dbscanMinSamples: [number, number];
  /** GMM_N_COMPONENTS_MIN/MAX. */
  gmmComponents: [number, number];
  /** PCA_COMPONENTS_MIN/MAX (0 = no PCA). */
  pca: [number, number];
}

/** Serialisable options (also sent to worker threads). */
export interface SearchOptions extends ScoringOptions {
  /** CLUSTERING_RUNS: candidates in total. */
  runs: number;
  /** Candidates per generation; they all see the same elite pool (ITERATIONS_PER_BATCH_JOB = 20). */
  generationSize: number;
  /** CLUSTERING_TOP_N_ELITES. */
  eliteCount: number;
  /** CLUSTERING_EXPLOITATION_START_FRACTION: no mutation before this fraction of the runs. */
  exploitationStartFraction: number;
  /** CLUSTERING_EXPLOITATION_PROBABILITY: chance a candidate mutates an elite afterwards. */
  exploitationProbability: number;
  /** CLUSTERING_MUTATION_INT_ABS_DELTA / _FLOAT_ABS_DELTA. */
  mutationIntDelta: number;
  mutationFloatDelta: number;
  /** Stop after this many generations without a better best (CLUSTERING_EARLY_STOP_BATCHES; 0 = never). */
  earlyStopGenerations: number;
  /** Algorithms sampled (uniformly) by random candidates; CLUSTER_ALGORITHM is one of them. */
  algorithms: Algorithm[];
  gmmCovariance: CovarianceType;
  ranges: SearchRanges;
  /**
   * Songs farther than this from their centroid are left out (0 = keep all), in `distanceUnit`s: `median`
   * (default) = the clustering's median song-to-centroid distance, the same meaning in every feature space;
   * `largest` = the run's largest distance (the original's MAX_DISTANCE, which in the 200-d embedding leaves
   * out most songs).
   */
  maxDistance: number;
  distanceUnit: DistanceUnit;
  /** Songs a full playlist near them has room for are moved there rather than left out (reassign.ts). */
  reassign: boolean;
  /** MAX_SONGS_PER_ARTIST inside each cluster (0 = no cap), raised for an artist by its share (artistCaps). */
  maxSongsPerArtist: number;
  /** A full playlist (MAX_SONGS_PER_CLUSTER, 40 when 0): an artist's share of it is its cap when larger. */
  playlistLength: number;
  /** A playlist with at least this many songs is "viable" (MIN_PLAYLIST_SIZE_FOR_TOP_N). */
  minPlaylistSize: number;
  /** Viable playlists count up to this many in the ranking (TOP_N_CLUSTERING_PLAYLIST). */
  topN: number;
  naming: NamingOptions;
  /** Independent initialisations per fit, the best kept (scikit-learn's n_init; the original uses 10 for
   *  K-Means and 3 for GMM): better fits per candidate at n times the cost. */
  kmeansInit: number;
  gmmInit: number;
  /** GMM reg_covar (the original 1e-4; scikit-learn 1e-6). */
  gmmRegCovar: number;
}

/**
 * Defaults: parameter ranges and MAX_* as the project's configuration (seed v0.2 values, lib/config.ts);
 * evolution and scoring as the reference HEAD.
 */
export const DEFAULT_SEARCH_OPTIONS: SearchOptions = {
  runs: 1000,
  generationSize: DEFAULT_GENERATION_SIZE,
  eliteCount: 10,
  exploitationStartFraction: 0.2,
  exploitationProbability: 0.7,
  mutationIntDelta: 3,
  mutationFloatDelta: 0.05,
  earlyStopGenerations: DEFAULT_EARLY_STOP_GENERATIONS,
  algorithms: ['kmeans'],
  gmmCovariance: 'full',
  ranges: { kmeansK: [20, 60], dbscanEps: [0.1, 0.5], dbscanMinSamples: [5, 20], gmmComponents: [20, 60], pca: [0, 5] },
  maxDistance: DEFAULT_MAX_DISTANCE_MEDIANS,
  distanceUnit: 'median',
  reassign: true,
  maxSongsPerArtist: 3,
  playlistLength: 40,
  minPlaylistSize: DEFAULT_MIN_PLAYLIST_SIZE,
  topN: 10,
  naming: DEFAULT_NAMING,
  kmeansInit: 1,
  gmmInit: 1,
  gmmRegCovar: 1e-6,
  weights: DEFAULT_WEIGHTS,
  stats: EMBEDDING_STATS,
  purityTopK: 3,
  otherFeatureThreshold: 0.3,
  silhouetteSampleSize: 1000,
};

export class SearchOptionsError extends RangeError {
  override name = 'SearchOptionsError';
}

/** Fills defaults (stats follow the feature space unless given) and validates. */
export function resolveSearchOptions(
  data: Pick<SearchData, 'featureSpace'>,
  opts: Partial<SearchOptions> = {},
): SearchOptions {
  const o: SearchOptions = {
    ...DEFAULT_SEARCH_OPTIONS,
    stats: data.featureSpace === 'embedding' ? EMBEDDING_STATS : FEATURE_STATS,
    ...stripHooks(opts),
  };
  o.ranges = { ...DEFAULT_SEARCH_OPTIONS.ranges, ...opts.ranges };
  o.weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
  o.naming = { ...DEFAULT_NAMING, ...opts.naming };
  const int = (v: number, min: number, what: string) => {
    if (!Number.isInteger(v) || v < min) throw new SearchOptionsError(`${what} must be an integer ≥ ${min}, got ${v}`);
  };
  int(o.runs, 1, 'runs');
  int(o.generationSize, 1, 'generationSize');
  int(o.eliteCount, 1, 'eliteCount');
  int(o.earlyStopGenerations, 0, 'earlyStopGenerations');
  int(o.mutationIntDelta, 0, 'mutationIntDelta');
  int(o.silhouetteSampleSize, 2, 'silhouetteSampleSize');
  int(o.kmeansInit, 1, 'kmeansInit');
  int(o.gmmInit, 1, 'gmmInit');
  if (!(o.gmmRegCovar >= 0)) throw new SearchOptionsError(`gmmRegCovar must be ≥ 0, got ${o.gmmRegCovar}`);
  if (!o.algorithms.length || o.algorithms.some((a) => !['kmeans', 'dbscan', 'gmm'].includes(a))) {
    throw new SearchOptionsError(
      `algorithms must be a non-empty list of kmeans, dbscan, gmm; got ${JSON.stringify(o.algorithms)}`,
    );
  }
  for (const [name, [lo, hi]] of Object.entries(o.ranges)) {
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi))
      throw new SearchOptionsError(`range ${name} must be [min, max] with min ≤ max, got [${lo}, ${hi}]`);
  }
  if (!(o.ranges.dbscanEps[0] > 0)) throw new SearchOptionsError(`dbscanEps must be > 0, got [${o.ranges.dbscanEps}]`);
  if (o.ranges.pca[0] < 0) throw new SearchOptionsError(`pca range must be ≥ 0, got [${o.ranges.pca}]`);
  for (const p of [o.exploitationStartFraction, o.exploitationProbability]) {
    if (!(p >= 0 && p <= 1))
      throw new SearchOptionsError(`exploitation fraction/probability must be in [0, 1], got ${p}`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Parameters: sampling and mutation

const round2 = (v: number) => Math.round(v * 100) / 100;
const clamp = (v: number, [lo, hi]: readonly [number, number]) => (v < lo ? lo : v > hi ? hi : v);

/** Ranges narrowed to what the data allows (k ≤ n, PCA ≤ prepared components). */
export function effectiveRanges(data: Pick<SearchData, 'n' | 'pca'>, r: SearchRanges): SearchRanges {
  const count = ([lo, hi]: [number, number]): [number, number] => {
    const top = Math.max(2, Math.min(hi, data.n));
    return [Math.min(Math.max(2, lo), top), top];
  };
  const pcaTop = Math.min(r.pca[1], data.pca?.cols ?? 0);
  return {
    kmeansK: count(r.kmeansK),
    gmmComponents: count(r.gmmComponents),
    dbscanEps: r.dbscanEps,
    dbscanMinSamples: [Math.max(1, r.dbscanMinSamples[0]), Math.max(1, r.dbscanMinSamples[1])],
    pca: [Math.min(r.pca[0], pcaTop), pcaTop],
  };
}

/** Uniform random parameters (reference `_generate_random_parameters`). */
export function sampleParams(
  rng: Rng,
  r: SearchRanges,
  algorithms: readonly Algorithm[],
  covariance: CovarianceType,
): ClusterParams {
  const algorithm = algorithms.length === 1 ? algorithms[0] : rng.pick(algorithms);
  const pca = rng.int(r.pca[0], r.pca[1]);
  switch (algorithm) {
    case 'kmeans':
      return { algorithm, k: rng.int(r.kmeansK[0], r.kmeansK[1]), pca };
    case 'dbscan':
      return {
        algorithm,
        eps: clamp(round2(rng.float(r.dbscanEps[0], r.dbscanEps[1])), r.dbscanEps),
        minSamples: rng.int(r.dbscanMinSamples[0], r.dbscanMinSamples[1]),
        pca,
      };
    case 'gmm':
      return { algorithm, components: rng.int(r.gmmComponents[0], r.gmmComponents[1]), covariance, pca };
  }
}

/** Integers ± intDelta, floats ± floatDelta (2 decimals), clamped to the ranges (`_mutate_parameters`). */
export function mutateParams(
  p: ClusterParams,
  rng: Rng,
  r: SearchRanges,
  intDelta: number,
  floatDelta: number,
): ClusterParams {
  const mi = (v: number, range: [number, number]) => clamp(v + rng.int(-intDelta, intDelta), range);
  const mf = (v: number, range: [number, number]) => clamp(round2(v + rng.float(-floatDelta, floatDelta)), range);
  switch (p.algorithm) {
    case 'kmeans':
      return { algorithm: 'kmeans', k: mi(p.k, r.kmeansK), pca: mi(p.pca, r.pca) };
    case 'dbscan':
      return {
        algorithm: 'dbscan',
        eps: mf(p.eps, r.dbscanEps),
        minSamples: mi(p.minSamples, r.dbscanMinSamples),
        pca: mi(p.pca, r.pca),
      };
    case 'gmm':
      return {
        algorithm: 'gmm',
        components: mi(p.components, r.gmmComponents),
        covariance: p.covariance,
        pca: mi(p.pca, r.pca),
      };
  }
}

/** Canonical key of a parameter set (elites are distinct by it). */
export const paramsKey = (p: ClusterParams): string =>
  JSON.stringify(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1)));

// ---------------------------------------------------------------------------------------------------------
// One candidate

export interface CandidateTask {
  /** Position in its generation. */
  index: number;
  params: ClusterParams;
  origin: 'random' | 'mutation';
  /** Seeds the fit (k-means++ / GMM initialisation) and the silhouette sample. */
  fitSeed: number;
}

export interface CandidateResult extends CandidateTask {
  /** Weighted score, or -1 for a rejected/failed candidate. */
  fitness: number;
  /** Playlists with ≥ minPlaylistSize songs, capped at topN (the first ranking key). */
  viable: number;
  /** Clusters found (DBSCAN decides its own). */
  k: number;
  /** False when the fit failed or found < 2 / > n clusters. */
  ok: boolean;
  reason?: string;
  metrics: Metrics;
  /** Wall time of the fit and of the whole evaluation (ms) — informational, not part of the state. */
  fitMs: number;
  evalMs: number;
}

export interface EvaluatedCandidate extends CandidateResult {
  clusters?: WinnerCluster[];
  /** Per track, why the selection left it out of its cluster (LEFT_OUT_CODES; 0 = kept). */
  selection?: Int8Array;
}

/**
 * Distance of each song to its centroid (noise: 0) in the given unit: the run's largest distance, or the
 * median distance (noise excluded), which keeps a filter's meaning when the space's dimension changes.
 */
export function centroidDistances(
  X: Matrix,
  fit: ClusterFit,
  unit: DistanceUnit,
): { dist: Float64Array; scale: number } {
  const n = fit.labels.length;
  const dist = new Float64Array(n);
  const clustered: number[] = [];
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const c = fit.labels[i];
    if (c < 0) continue;
    dist[i] = Math.sqrt(sqDist(X.data, i * X.cols, fit.centroids.data, c * X.cols, X.cols));
    clustered.push(dist[i]);
    if (dist[i] > largest) largest = dist[i];
  }
  const scale = unit === 'largest' ? largest : median(clustered);
  if (scale > 0) for (let i = 0; i < n; i++) dist[i] /= scale;
  return { dist, scale };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const v = Float64Array.from(values).sort();
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

function fitParams(X: Matrix, p: ClusterParams, rng: Rng, o: SearchOptions): ClusterFit {
  switch (p.algorithm) {
    case 'kmeans':
      return kmeans(X, p.k, rng, { nInit: o.kmeansInit });
    case 'dbscan':
      return dbscan(X, p.eps, p.minSamples);
    case 'gmm':
      return gmm(X, p.components, p.covariance, rng, { nInit: o.gmmInit, regCovar: o.gmmRegCovar });
  }
}

/**
 * Fits, filters and scores one parameter set (reference `iteration`) on the searched data (searchedData).
 * `keepClusters` (the winner) returns the named clusters, of every song: a sampled search's fit is assigned
 * to the whole library first.
 */
export function evaluateCandidate(
  whole: SearchData,
  task: CandidateTask,
  o: SearchOptions,
  keepClusters = false,
): EvaluatedCandidate {
  const t0 = performance.now();
  const base = { ...task, fitness: -1, viable: 0, k: 0, ok: false, metrics: {}, fitMs: 0, evalMs: 0 };
  const rng = new Rng(task.fitSeed);
  const assign = keepClusters && whole.sample !== null;
  const data = assign ? whole : searchedData(whole);
  const searchedX = pcaView(searchedData(whole), task.params.pca);
  const X = assign ? pcaView(whole, task.params.pca) : searchedX;
  let fit: ClusterFit;
  try {
    fit = fitParams(searchedX, task.params, rng, o);
    if (assign && fit.k >= 2) fit = assignNearest(X, fit);
  } catch (e) {
    const t = performance.now() - t0;
    return { ...base, reason: `fit failed: ${(e as Error).message}`, fitMs: t, evalMs: t };
  }
  const fitMs = performance.now() - t0;
  const done = (r: Partial<EvaluatedCandidate>): EvaluatedCandidate => ({
    ...base,
    k: fit.k,
    fitMs,
    evalMs: performance.now() - t0,
    ...r,
  });
  if (fit.k < 2 || fit.k > data.n) return done({ reason: `${fit.k} clusters` });

  const { dist, scale } = centroidDistances(X, fit, o.distanceUnit);
  const selection = keepClusters ? new Int8Array(data.n) : undefined;
  const caps = artistCaps(data.artists, o.maxSongsPerArtist, o.playlistLength);
  const selected = selectMembers(fit.labels, dist, fit.k, data.artists, o.maxDistance, caps, selection);
  const members = o.reassign
    ? reassignLeftOut(X, fit, scale, selected, dist, data.artists, caps, o, selection)
    : selected;
  const playlists: ScoredPlaylist[] = [];
  for (const m of members) if (m.length > 0) playlists.push({ members: m, profile: meanProfile(data.profile, m) });
  const full = playlists.filter((p) => p.members.length >= o.minPlaylistSize);
  const viable = Math.min(o.topN, full.length);
  const coverage = full.reduce((a, p) => a + p.members.length, 0) / data.n;
  const { fitness, metrics } = scoreClustering(
    { X, labels: fit.labels, playlists, profile: data.profile, layout: data.layout, rng, coverage },
    o,
  );
  const clusters = keepClusters
    ? playlists.map((p) => ({
        members: Int32Array.from(p.members),
        distances: Float64Array.from(p.members, (i) => dist[i]),
        name: nameProfile(p.profile, data.layout, o.naming),
      }))
    : undefined;
  return done({ ok: true, fitness, viable, metrics, ...(clusters ? { clusters, selection } : {}) });
}

// ---------------------------------------------------------------------------------------------------------
// Generations

export function initSearchState(seed: number): SearchState {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new SearchOptionsError(`seed must be an integer in [0, 2^32), got ${seed}`);
  return { version: 1, seed, generation: 0, runs: 0, stale: 0, elites: [], best: null, done: false, stopReason: null };
}

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Independent 32-bit seed for (seed, generation, candidate, stream): a hash, not a shared mutable stream. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = mix32((h ^ mix32((p >>> 0) + 0x632be5ab)) + 0x7f4a7c15);
  return h;
}

/** The candidates of the next generation (pure function of data, state and options). */
export function planGeneration(data: SearchData, state: SearchState, o: SearchOptions): CandidateTask[] {
  const size = Math.min(o.generationSize, o.runs - state.runs);
  const ranges = effectiveRanges(data, o.ranges);
  const exploit = state.runs >= o.exploitationStartFraction * o.runs ? o.exploitationProbability : 0;
  const elites = state.elites.filter((e) => o.algorithms.includes(e.params.algorithm));
  const tasks: CandidateTask[] = [];
  for (let index = 0; index < size; index++) {
    const rng = new Rng(deriveSeed(state.seed, state.generation, index, 0));
    const fitSeed = deriveSeed(state.seed, state.generation, index, 1);
    const mutate = elites.length > 0 && rng.next() < exploit;
    const params = mutate
      ? mutateParams(rng.pick(elites).params, rng, ranges, o.mutationIntDelta, o.mutationFloatDelta)
      : sampleParams(rng, ranges, o.algorithms, o.gmmCovariance);
    tasks.push({ index, params, origin: mutate ? 'mutation' : 'random', fitSeed });
  }
  return tasks;
}

const better = (a: { viable: number; fitness: number }, b: { viable: number; fitness: number } | null) =>
  !b || a.viable > b.viable || (a.viable === b.viable && a.fitness > b.fitness);

/** The state after a generation's results (pure). */
export function advanceState(state: SearchState, results: readonly CandidateResult[], o: SearchOptions): SearchState {
  const ok = results.filter((r) => r.ok);
  const toElite = (r: CandidateResult): Elite => ({
    params: r.params,
    fitSeed: r.fitSeed,
    fitness: r.fitness,
    viable: r.viable,
    k: r.k,
  });
  const pool = [...state.elites, ...ok.map(toElite)].sort((a, b) => b.fitness - a.fitness); // stable: older first on ties
  const seen = new Set<string>();
  const elites = pool
    .filter((e) => {
      const key = paramsKey(e.params);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, o.eliteCount);
  let best = state.best;
  for (const r of ok) if (better(r, best)) best = { ...toElite(r), generation: state.generation, index: r.index };
  const stale = best !== state.best ? 0 : state.stale + 1;
  const runs = state.runs + results.length;
  const stopReason =
    runs >= o.runs ? 'runs' : o.earlyStopGenerations > 0 && stale >= o.earlyStopGenerations ? 'stale' : null;
  return {
    ...state,
    generation: state.generation + 1,
    runs,
    stale,
    elites,
    best,
    done: stopReason !== null,
    stopReason,
  };
}

/** Evaluates a generation's tasks with the given (resolved) options; must return results in task order. */
export type CandidateEvaluator = (
  tasks: CandidateTask[],
  onResult: (r: CandidateResult) => void,
  options: SearchOptions,
) => Promise<CandidateResult[]>;

export interface SearchHooks {
  /** Called for every evaluated candidate as it finishes (e.g. to heartbeat); completion order may vary. */
  onCandidate?: (result: CandidateResult, progress: { generation: number; runs: number; totalRuns: number }) => void;
  /** Evaluates candidates elsewhere (e.g. a WorkerPool); default: in this thread, in order. */
  evaluator?: CandidateEvaluator;
}

function stripHooks<T extends Partial<SearchOptions>>(opts: T & SearchHooks): Partial<SearchOptions> {
  const { onCandidate: _a, evaluator: _b, ...rest } = opts;
  return rest;
}

/**
 * Runs one generation: a batch of candidates (random, or mutated elites once past the exploration
 * fraction) scored against the same elite pool; returns the new state and the results in candidate order.
 * A finished state is returned unchanged with no results.
 */
export async function evolveGeneration(
  data: SearchData,
  state: SearchState,
  opts: Partial<SearchOptions> & SearchHooks = {},
): Promise<{ state: SearchState; results: CandidateResult[] }> {
  if (state.version !== 1) throw new SearchOptionsError(`unsupported search state version ${String(state.version)}`);
  if (state.done) return { state, results: [] };
  const o = resolveSearchOptions(data, opts);
  const tasks = planGeneration(data, state, o);
  let finished = state.runs;
  const onResult = (r: CandidateResult) =>
    opts.onCandidate?.(r, { generation: state.generation, runs: ++finished, totalRuns: o.runs });
  const results = opts.evaluator
    ? await opts.evaluator(tasks, onResult, o)
    : tasks.map((t) => {
        const r = evaluateCandidate(data, t, o);
        onResult(r);
        return r;
      });
  if (results.length !== tasks.length || results.some((r, i) => r.index !== tasks[i].index)) {
    throw new Error('evaluator must return one result per task, in task order');
  }
  return { state: advanceState(state, results, o), results };
}

export interface SearchOutcome {
  state: SearchState;
  /** Every candidate's result, generation by generation. */
  results: CandidateResult[];
  /** The best candidate re-evaluated with its named clusters (null when no candidate succeeded). */
  winner: EvaluatedCandidate | null;
}

/** Re-fits the best parameters with their seed (same bits as during the search) and returns the named clusters. */
export function evaluateWinner(
  data: SearchData,
  state: SearchState,
  opts: Partial<SearchOptions> = {},
): EvaluatedCandidate | null {
  if (!state.best) return null;
  const o = resolveSearchOptions(data, opts);
  return evaluateCandidate(
    data,
    { index: state.best.index, params: state.best.params, origin: 'random', fitSeed: state.best.fitSeed },
    o,
    true,
  );
}

/** Convenience loop: generations until the run budget or the early stop, then the winner. */
export async function runSearch(
  data: SearchData,
  opts: Partial<SearchOptions> & SearchHooks & { seed?: number; state?: SearchState } = {},
): Promise<SearchOutcome> {
  const { seed = 0, state: start, ...rest } = opts;
  let state = start ?? initSearchState(seed);
  const results: CandidateResult[] = [];
  while (!state.done) {
    const g = await evolveGeneration(data, state, rest);
    state = g.state;
    results.push(...g.results);
  }
  return { state, results, winner: evaluateWinner(data, state, stripHooks(rest)) };
}
