// Fitness of one clustering, as the reference combines it (HEAD `_format_and_score_iteration_result`):
// seven metrics, each computed only when its weight is > 0, fitness = Σ weight × transformed metric.
import { OTHER_FEATURE_LABELS, PROFILE_MOODS, profileHeadsOffset, type ProfileLayout } from './features.ts';
import { sqDist } from './distance.ts';
import type { Rng } from './rng.ts';
import type { Matrix } from './types.ts';
import { DEFAULT_WEIGHTS, type MetricName, type ScoreWeights } from '../../words/clustering-defaults.ts';

export { DEFAULT_WEIGHTS, type MetricName, type ScoreWeights };

/** Mean and standard deviation of log1p(raw) over the reference's calibration runs (LN_*_STATS). */
export interface LogStats {
  mean: number;
  sd: number;
}
export interface MoodStats {
  moodDiversity: LogStats;
  moodPurity: LogStats;
  otherFeatureDiversity: LogStats;
  otherFeaturePurity: LogStats;
}

/** LN_MOOD_DIVERSITY_STATS / LN_MOOD_PURITY_STATS (clustering on score vectors). */
export const FEATURE_STATS: MoodStats = {
  moodDiversity: { mean: 0.9995, sd: 0.3541 },
  moodPurity: { mean: 5.8679, sd: 1.1557 },
  otherFeatureDiversity: { mean: 1.5, sd: 0.46 },
  otherFeaturePurity: { mean: 8.84, sd: 0.07 },
};
/** LN_*_EMBEDDING_STATS (clustering on embeddings). */
export const EMBEDDING_STATS: MoodStats = {
  ...FEATURE_STATS,
  moodDiversity: { mean: -0.101, sd: 0.245 },
  moodPurity: { mean: 0.673, sd: 1.063 },
};

export interface ScoringOptions {
  weights: ScoreWeights;
  stats: MoodStats;
  /** TOP_K_MOODS_FOR_PURITY_CALCULATION. */
  purityTopK: number;
  /** OTHER_FEATURE_PREDOMINANCE_THRESHOLD_FOR_PURITY. */
  otherFeatureThreshold: number;
  /** Points drawn (seeded) for the silhouette; the full silhouette is O(n²·d). */
  silhouetteSampleSize: number;
}

/** A scored playlist: member rows (indices into the profile matrix) and its mean profile. */
export interface ScoredPlaylist {
  members: ArrayLike<number>;
  profile: Float64Array;
}

export interface MetricValue {
  raw: number;
  /** The transformed value that enters the weighted sum. */
  value: number;
}
export type Metrics = Partial<Record<MetricName, MetricValue | null>>;

export interface ScoreInput {
  /** The clustered (scaled, PCA-reduced) data and its labels, for the structural metrics. -1 = noise. */
  X: Matrix;
  labels: Int32Array;
  playlists: readonly ScoredPlaylist[];
  /** Profile rows of every track. */
  profile: Matrix;
  layout: ProfileLayout;
  /** For the sampled silhouette. */
  rng: Rng;
  /** Share of the songs in playlists of at least the floor (0–1). */
  coverage: number;
}

const zLog = (raw: number, s: LogStats) => (Math.log1p(raw) - s.mean) / (s.sd > 0 ? s.sd : 1);

function argmax(v: Float64Array, from: number, len: number): number {
  let best = -1;
  for (let j = 0; j < len; j++) if (best < 0 || v[from + j] > v[from + best]) best = j;
  return best;
}

/** Σ over distinct predominant labels of the highest score that label reaches as a predominant one. */
function diversityRaw(playlists: readonly ScoredPlaylist[], from: number, len: number, threshold: number): number {
  const top = new Map<number, number>();
  for (const p of playlists) {
    const j = argmax(p.profile, from, len);
    const v = p.profile[from + j];
    if (j < 0 || !(v > threshold)) continue;
    top.set(j, Math.max(top.get(j) ?? 0, v));
  }
  let sum = 0;
  for (const v of top.values()) sum += v;
  return sum;
}

/** Mood diversity: distinct predominant moods of the playlists, each weighted by its best score. */
export function moodDiversityRaw(playlists: readonly ScoredPlaylist[], layout: ProfileLayout): number {
  return diversityRaw(playlists, PROFILE_MOODS, layout.moodLabels.length, 0);
}

/**
 * Mood purity: per playlist, its top-K profile moods scoring > 0.01; per song, its best score on those
 * moods (zeros skipped); summed over songs and playlists — so larger coherent playlists score higher.
 */
export function moodPurityRaw(
  playlists: readonly ScoredPlaylist[],
  profile: Matrix,
  layout: ProfileLayout,
  topK: number,
): number {
  const m = layout.moodLabels.length;
  const w = profile.cols;
  let sum = 0;
  for (const p of playlists) {
    const order = Array.from({ length: m }, (_, j) => j)
      .filter((j) => p.profile[PROFILE_MOODS + j] > 0.01)
      .sort((a, b) => p.profile[PROFILE_MOODS + b] - p.profile[PROFILE_MOODS + a] || a - b)
      .slice(0, topK);
    if (order.length === 0) continue;
    for (let s = 0; s < p.members.length; s++) {
      const row = p.members[s] * w + PROFILE_MOODS;
      let best = 0;
      for (const j of order) if (profile.data[row + j] > best) best = profile.data[row + j];
      sum += best;
    }
  }
  return sum;
}

export function otherFeatureDiversityRaw(
  playlists: readonly ScoredPlaylist[],
  layout: ProfileLayout,
  threshold: number,
): number {
  return diversityRaw(playlists, profileHeadsOffset(layout), OTHER_FEATURE_LABELS.length, threshold);
}

/** Σ over playlists with a predominant head ≥ threshold of the songs' scores on that head. */
export function otherFeaturePurityRaw(
  playlists: readonly ScoredPlaylist[],
  profile: Matrix,
  layout: ProfileLayout,
  threshold: number,
): number {
  const off = profileHeadsOffset(layout);
  let sum = 0;
  for (const p of playlists) {
    const j = argmax(p.profile, off, OTHER_FEATURE_LABELS.length);
    if (!(p.profile[off + j] >= threshold)) continue;
    for (let s = 0; s < p.members.length; s++) sum += profile.data[p.members[s] * profile.cols + off + j];
  }
  return sum;
}

/** Non-noise rows and their labels renumbered 0..k-1 over the labels actually present. */
function compactLabels(labels: Int32Array): { rows: Int32Array; lab: Int32Array; k: number } {
  const map = new Map<number, number>();
  const rows: number[] = [];
  const lab: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    let c = map.get(labels[i]);
    if (c === undefined) map.set(labels[i], (c = map.size));
    rows.push(i);
    lab.push(c);
  }
  return { rows: Int32Array.from(rows), lab: Int32Array.from(lab), k: map.size };
}

/** Per-cluster means (k×d), counts and the overall mean of the given rows. */
function clusterMeans(X: Matrix, rows: Int32Array, lab: Int32Array, k: number) {
  const d = X.cols;
  const means = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const overall = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * d;
    const c = lab[r] * d;
    counts[lab[r]]++;
    for (let j = 0; j < d; j++) {
      means[c + j] += X.data[o + j];
      overall[j] += X.data[o + j];
    }
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] /= counts[c];
  for (let j = 0; j < d; j++) overall[j] /= rows.length;
  return { means, counts, overall };
}

/**
 * Mean silhouette coefficient (scikit-learn `silhouette_score`, Euclidean): when sampleSize < n it is
 * computed on a seeded random sample, like sklearn's `sample_size`. Noise (-1) is excluded. Returns null
 * unless 2 ≤ clusters ≤ points − 1 (where sklearn raises).
 */
export function silhouetteScore(X: Matrix, labels: Int32Array, sampleSize = Infinity, rng?: Rng): number | null {
  let { rows, lab, k } = compactLabels(labels);
  if (sampleSize < rows.length) {
    if (!rng) throw new TypeError('silhouetteScore: sampling needs an rng');
    const idx = Int32Array.from(rows.keys());
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(rng.next() * (idx.length - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    const pick = idx.subarray(0, sampleSize);
    const sub = compactLabels(Int32Array.from(pick, (p) => lab[p]));
    rows = Int32Array.from(pick, (p) => rows[p]);
    lab = sub.lab;
    k = sub.k;
  }
  const s = rows.length;
  if (k < 2 || k > s - 1) return null;
  const d = X.cols;
  const sums = new Float64Array(s * k); // sums[i*k + c] = Σ distance from point i to points of cluster c
  const sizes = new Float64Array(k);
  for (let i = 0; i < s; i++) {
    sizes[lab[i]]++;
    const oi = rows[i] * d;
    for (let j = i + 1; j < s; j++) {
      const dist = Math.sqrt(sqDist(X.data, oi, X.data, rows[j] * d, d));
      sums[i * k + lab[j]] += dist;
      sums[j * k + lab[i]] += dist;
    }
  }
  let total = 0;
  for (let i = 0; i < s; i++) {
    const own = lab[i];
    if (sizes[own] <= 1) continue; // sklearn: silhouette 0 for singletons
    const a = sums[i * k + own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sums[i * k + c] / sizes[c] < b) b = sums[i * k + c] / sizes[c];
    const m = Math.max(a, b);
    if (m > 0) total += (b - a) / m;
  }
  return total / s;
}

/** Davies-Bouldin index (scikit-learn `davies_bouldin_score`), O(n·d + k²·d). Noise excluded. */
export function daviesBouldinScore(X: Matrix, labels: Int32Array): number | null {
  const { rows, lab, k } = compactLabels(labels);
  if (k < 2 || k > rows.length - 1) return null;
  const d = X.cols;
  const { means } = clusterMeans(X, rows, lab, k);
  const intra = new Float64Array(k);
  const counts = new Float64Array(k);
  for (let r = 0; r < rows.length; r++) {
    intra[lab[r]] += Math.sqrt(sqDist(X.data, rows[r] * d, means, lab[r] * d, d));
    counts[lab[r]]++;
  }
  for (let c = 0; c < k; c++) intra[c] /= counts[c];
  const cd = new Float64Array(k * k);
  let anyIntra = false;
  let anyCentroid = false;
  for (let c = 0; c < k; c++) if (Math.abs(intra[c]) > 1e-8) anyIntra = true;
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      cd[a * k + b] = cd[b * k + a] = Math.sqrt(sqDist(means, a * d, means, b * d, d));
      if (cd[a * k + b] > 1e-8) anyCentroid = true;
    }
  }
  if (!anyIntra || !anyCentroid) return 0; // sklearn's allclose(…, 0) shortcut
  let sum = 0;
  for (let a = 0; a < k; a++) {
    let worst = 0;
    for (let b = 0; b < k; b++) {
      if (a === b || cd[a * k + b] === 0) continue; // zero distance → ∞ in sklearn, ratio 0
      const r = (intra[a] + intra[b]) / cd[a * k + b];
      if (r > worst) worst = r;
    }
    sum += worst;
  }
  return sum / k;
}

/** Calinski-Harabasz index (scikit-learn `calinski_harabasz_score`), O(n·d). Noise excluded. */
export function calinskiHarabaszScore(X: Matrix, labels: Int32Array): number | null {
  const { rows, lab, k } = compactLabels(labels);
  const n = rows.length;
  if (k < 2 || k > n - 1) return null;
  const d = X.cols;
  const { means, counts, overall } = clusterMeans(X, rows, lab, k);
  let extra = 0;
  for (let c = 0; c < k; c++) extra += counts[c] * sqDist(means, c * d, overall, 0, d);
  let intra = 0;
  for (let r = 0; r < n; r++) intra += sqDist(X.data, rows[r] * d, means, lab[r] * d, d);
  return intra === 0 ? 1 : (extra * (n - k)) / (intra * (k - 1));
}

/** Computes the weighted metrics. A structural metric that is undefined (too few clusters) is null and adds 0. */
export function scoreClustering(input: ScoreInput, opts: ScoringOptions): { fitness: number; metrics: Metrics } {
  const w = opts.weights;
  const metrics: Metrics = {};
  const { playlists, profile, layout, X, labels } = input;
  if (w.moodDiversity > 0) {
    const raw = moodDiversityRaw(playlists, layout);
    metrics.moodDiversity = { raw, value: zLog(raw, opts.stats.moodDiversity) };
  }
  if (w.moodPurity > 0) {
    const raw = moodPurityRaw(playlists, profile, layout, opts.purityTopK);
    metrics.moodPurity = { raw, value: zLog(raw, opts.stats.moodPurity) };
  }
  if (w.otherFeatureDiversity > 0) {
    const raw = otherFeatureDiversityRaw(playlists, layout, opts.otherFeatureThreshold);
    metrics.otherFeatureDiversity = { raw, value: zLog(raw, opts.stats.otherFeatureDiversity) };
  }
  if (w.otherFeaturePurity > 0) {
    const raw = otherFeaturePurityRaw(playlists, profile, layout, opts.otherFeatureThreshold);
    metrics.otherFeaturePurity = { raw, value: zLog(raw, opts.stats.otherFeaturePurity) };
  }
  if (w.silhouette > 0) {
    const raw = silhouetteScore(X, labels, opts.silhouetteSampleSize, input.rng);
    metrics.silhouette = raw === null ? null : { raw, value: (raw + 1) / 2 };
  }
  if (w.daviesBouldin > 0) {
    const raw = daviesBouldinScore(X, labels);
    metrics.daviesBouldin = raw === null ? null : { raw, value: 1 / (1 + raw) };
  }
  if (w.calinskiHarabasz > 0) {
    const raw = calinskiHarabaszScore(X, labels);
    metrics.calinskiHarabasz = raw === null ? null : { raw, value: 1 - Math.exp(-raw / 500) };
  }
  if (w.coverage > 0) metrics.coverage = { raw: input.coverage, value: input.coverage };
  let fitness = 0;
  for (const [name, m] of Object.entries(metrics) as [MetricName, MetricValue | null][])
    if (m) fitness += w[name] * m.value;
  return { fitness, metrics };
}
