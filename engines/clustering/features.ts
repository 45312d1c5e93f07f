// Per-track vectors for the clustering search: what gets clustered (the feature space) and the "profile"
// used to score and name clusters (reference `tasks/commons.py::score_vector`).
import { EMBEDDING_DIM, MOOD_HEADS, TAGS as TAG_TUPLE, type MoodHead } from '../../words/vocabulary.ts';
import { matrix, type Matrix } from './types.ts';

/** The tags as plain strings: labels chosen by a request are checked against them. */
const TAGS: readonly string[] = TAG_TUPLE;

/** The six mood heads ("other features"), in the reference's order. */
export const OTHER_FEATURE_LABELS = MOOD_HEADS;
export type OtherFeature = MoodHead;

/** One analysed track as the search consumes it (plain data, e.g. straight from the database). */
export interface TrackFeatures {
  id: string;
  artist?: string | null;
  title?: string | null;
  /** Beats per minute; null (too short to tell) reads as the library's mean tempo. */
  tempo: number | null;
  /** Energy on the analysis scale (normalised with FeatureOptions.energyRange); null reads as the mean. */
  energy: number | null;
  /** 50 tag scores in TAGS order. */
  tags: ArrayLike<number>;
  /** Mood-head scores in [0, 1]. */
  moodHeads: Record<OtherFeature, number>;
  /** 200-d MusiCNN embedding (required for featureSpace 'embedding'). */
  embedding?: ArrayLike<number> | null;
}

/**
 * What is clustered:
 * - 'moods': [tempo_norm, energy_norm?, active mood scores]  (reference with ENABLE_CLUSTERING_EMBEDDINGS=false, minus heads)
 * - 'moods+heads': the same plus the six mood heads          (reference score_vector exactly)
 * - 'embedding': the 200-d MusiCNN embedding                  (reference HEAD default)
 * Whatever is clustered, scores and names always use the profile vector.
 */
export type FeatureSpace = 'moods' | 'moods+heads' | 'embedding';

/**
 * Which mood labels are "active" (the TOP_N_MOODS slots of the vector):
 * - 'reference': the first TOP_N_MOODS labels of TAGS (rock, pop, alternative, indie, electronic) — the
 *   reference's quirk (`TAGS[:top_n_moods]`), whatever the library sounds like;
 * - 'library' (default): the TOP_N_MOODS labels that appear most often among the tracks' own top-N tags;
 * - an explicit list of labels.
 */
export type MoodLabelChoice = 'reference' | 'library' | readonly string[];

export interface FeatureOptions {
  featureSpace: FeatureSpace;
  /** TOP_N_MOODS: tags kept per track (others read as 0, like the stored `mood_vector`) and active labels. */
  topNMoods: number;
  moodLabels: MoodLabelChoice;
  /** Energy slot in the 'moods' vectors (the seed had none; v0.3+ has it). */
  includeEnergy: boolean;
  /** BPM mapped to [0, 1] (reference 40–200). */
  tempoRange: readonly [number, number];
  /** Energy mapped to [0, 1] (reference HEAD 0.30–0.95 on its dBFS-linear scale; 0.01–0.15 before v3.4). */
  energyRange: readonly [number, number];
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  featureSpace: 'embedding',
  topNMoods: 5,
  moodLabels: 'library',
  includeEnergy: true,
  tempoRange: [40, 200],
  energyRange: [0.3, 0.95],
};

export const EMBEDDING_DIMS = EMBEDDING_DIM;

/**
 * Layout of a profile row: [tempo_norm, energy_norm, moods (moodLabels order)…, the six heads…].
 * Offsets are fixed by moodLabels.length.
 */
export interface ProfileLayout {
  moodLabels: string[];
}

export const PROFILE_TEMPO = 0;
export const PROFILE_ENERGY = 1;
export const PROFILE_MOODS = 2;
export const profileWidth = (layout: ProfileLayout): number =>
  PROFILE_MOODS + layout.moodLabels.length + OTHER_FEATURE_LABELS.length;
export const profileHeadsOffset = (layout: ProfileLayout): number => PROFILE_MOODS + layout.moodLabels.length;

export class FeatureError extends TypeError {
  override name = 'FeatureError';
}

export interface Features {
  /** What is clustered (before scaling). */
  vectors: Matrix;
  /** Profile rows for scoring and naming. */
  profile: Matrix;
  layout: ProfileLayout;
}

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Indices of the n highest tags of one track (ties → earlier label). */
function topTagIndices(tags: ArrayLike<number>, n: number): number[] {
  const idx = Array.from({ length: TAGS.length }, (_, i) => i);
  idx.sort((a, b) => tags[b] - tags[a] || a - b);
  return idx.slice(0, n);
}

/** Resolves the active mood labels for a library (see MoodLabelChoice). */
export function chooseMoodLabels(tracks: readonly TrackFeatures[], choice: MoodLabelChoice, topN: number): string[] {
  if (Array.isArray(choice)) {
    for (const l of choice) if (!TAGS.includes(l)) throw new FeatureError(`unknown mood label ${JSON.stringify(l)}`);
    if (new Set(choice).size !== choice.length) throw new FeatureError('mood labels must be distinct');
    return [...choice];
  }
  if (choice === 'reference') return TAGS.slice(0, topN);
  if (choice !== 'library') throw new FeatureError(`unknown mood label choice ${JSON.stringify(choice)}`);
  const count = new Float64Array(TAGS.length);
  const sum = new Float64Array(TAGS.length);
  for (const t of tracks) {
    for (const i of topTagIndices(t.tags, topN)) count[i]++;
    for (let i = 0; i < TAGS.length; i++) sum[i] += t.tags[i];
  }
  const order = Array.from({ length: TAGS.length }, (_, i) => i).sort(
    (a, b) => count[b] - count[a] || sum[b] - sum[a] || a - b,
  );
  return order.slice(0, topN).map((i) => TAGS[i]);
}

function checkTrack(t: TrackFeatures, i: number, needEmbedding: boolean): void {
  const where = `track ${i} (${JSON.stringify(t?.id)})`;
  if (typeof t?.id !== 'string' || t.id === '') throw new FeatureError(`${where}: id must be a non-empty string`);
  if (t.tempo !== null && !Number.isFinite(t.tempo))
    throw new FeatureError(`${where}: tempo must be a finite number or null, got ${t.tempo}`);
  if (t.energy !== null && !Number.isFinite(t.energy))
    throw new FeatureError(`${where}: energy must be a finite number or null, got ${t.energy}`);
  if (!t.tags || t.tags.length !== TAGS.length)
    throw new FeatureError(`${where}: tags must hold ${TAGS.length} scores, got ${t.tags?.length}`);
  for (let j = 0; j < t.tags.length; j++) {
    if (!Number.isFinite(t.tags[j])) throw new FeatureError(`${where}: tag ${TAGS[j]} is ${t.tags[j]}`);
  }
  for (const m of OTHER_FEATURE_LABELS) {
    if (!Number.isFinite(t.moodHeads?.[m]))
      throw new FeatureError(`${where}: mood ${m} must be a finite number, got ${t.moodHeads?.[m]}`);
  }
  if (needEmbedding) {
    if (!t.embedding || t.embedding.length !== EMBEDDING_DIMS) {
      throw new FeatureError(
        `${where}: embedding must hold ${EMBEDDING_DIMS} values, got ${t.embedding?.length ?? 'none'}`,
      );
    }
    for (let j = 0; j < EMBEDDING_DIMS; j++) {
      if (!Number.isFinite(t.embedding[j])) throw new FeatureError(`${where}: embedding[${j}] is ${t.embedding[j]}`);
    }
  }
}

/**
 * Builds the clustered vectors and the profile rows. Mood slots hold a track's score for an active label
 * only when that label is among the track's own top-N tags (the reference stores just the top-N in
 * `mood_vector`, so every other slot parses as 0).
 */
export function buildFeatures(tracks: readonly TrackFeatures[], options: Partial<FeatureOptions> = {}): Features {
  const o = { ...DEFAULT_FEATURE_OPTIONS, ...options };
  if (!['moods', 'moods+heads', 'embedding'].includes(o.featureSpace))
    throw new FeatureError(`unknown featureSpace ${JSON.stringify(o.featureSpace)}`);
  if (!Number.isInteger(o.topNMoods) || o.topNMoods < 1 || o.topNMoods > TAGS.length) {
    throw new FeatureError(`topNMoods must be an integer in [1, ${TAGS.length}], got ${o.topNMoods}`);
  }
  for (const [name, r] of [
    ['tempoRange', o.tempoRange],
    ['energyRange', o.energyRange],
  ] as const) {
    if (!(r[1] > r[0])) throw new FeatureError(`${name} must be [min, max] with max > min, got [${r}]`);
  }
  if (tracks.length === 0) throw new FeatureError('no tracks to cluster');
  const needEmbedding = o.featureSpace === 'embedding';
  tracks.forEach((t, i) => checkTrack(t, i, needEmbedding));

  const moodLabels = chooseMoodLabels(tracks, o.moodLabels, o.topNMoods);
  const layout: ProfileLayout = { moodLabels };
  const labelIndex = moodLabels.map((l) => TAGS.indexOf(l));
  const m = moodLabels.length;
  const pw = profileWidth(layout);
  const n = tracks.length;
  const profile = new Float64Array(n * pw);
  const [t0, t1] = o.tempoRange;
  const [e0, e1] = o.energyRange;
  const tempoNorm = (t: TrackFeatures) => (t.tempo === null ? null : clip01((t.tempo - t0) / (t1 - t0)));
  const energyNorm = (t: TrackFeatures) => (t.energy === null ? null : clip01((t.energy - e0) / (e1 - e0)));
  // A missing value takes the library mean, which standard scaling maps to 0: it pulls no cluster.
  const mean = (f: (t: TrackFeatures) => number | null) => {
    const v = tracks.map(f).filter((x): x is number => x !== null);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0.5;
  };
  const tempoMean = mean(tempoNorm);
  const energyMean = mean(energyNorm);

  for (let i = 0; i < n; i++) {
    const t = tracks[i];
    const row = i * pw;
    profile[row + PROFILE_TEMPO] = tempoNorm(t) ?? tempoMean;
    profile[row + PROFILE_ENERGY] = energyNorm(t) ?? energyMean;
    const kept = new Set(topTagIndices(t.tags, o.topNMoods));
    for (let j = 0; j < m; j++) profile[row + PROFILE_MOODS + j] = kept.has(labelIndex[j]) ? t.tags[labelIndex[j]] : 0;
    OTHER_FEATURE_LABELS.forEach((f, j) => (profile[row + PROFILE_MOODS + m + j] = t.moodHeads[f]));
  }

  let vectors: Matrix;
  if (needEmbedding) {
    const data = new Float64Array(n * EMBEDDING_DIMS);
    for (let i = 0; i < n; i++) {
      const e = tracks[i].embedding!;
      for (let j = 0; j < EMBEDDING_DIMS; j++) data[i * EMBEDDING_DIMS + j] = e[j];
    }
    vectors = matrix(n, EMBEDDING_DIMS, data);
  } else {
    // Column subset of the profile: tempo, energy (optional), moods, heads (optional).
    const cols = [PROFILE_TEMPO];
    if (o.includeEnergy) cols.push(PROFILE_ENERGY);
    for (let j = 0; j < m; j++) cols.push(PROFILE_MOODS + j);
    if (o.featureSpace === 'moods+heads')
      for (let j = 0; j < OTHER_FEATURE_LABELS.length; j++) cols.push(PROFILE_MOODS + m + j);
    const w = cols.length;
    const data = new Float64Array(n * w);
    for (let i = 0; i < n; i++) for (let c = 0; c < w; c++) data[i * w + c] = profile[i * pw + cols[c]];
    vectors = matrix(n, w, data);
  }
  return { vectors, profile: matrix(n, pw, profile), layout };
}
