// Synthetic analysed libraries for the clustering search tests and bench/cluster.ts: tracks drawn from
// planted groups, each with its own dominant tags, tempo, energy, mood heads and embedding centre.
// Tag scores pass through a sigmoid like the MusiCNN tag head (so they sit in ~0.5–0.73 as real ones do).
import { OTHER_FEATURE_LABELS, EMBEDDING_DIMS, type TrackFeatures } from '../../engines/clustering/features.ts';
import { TAGS } from '../../words/vocabulary.ts';
import { Rng } from '../../engines/clustering/rng.ts';

export interface PlantedGroup {
  /** Indices into TAGS of the group's dominant tags, strongest first. */
  tags: number[];
  /** Centre BPM. */
  tempo: number;
  energy: number;
  heads: number[];
  embedding: Float64Array;
}

export interface LibraryOptions {
  tracks: number;
  groups: number;
  seed: number;
  /** Dominant tags per group (default 3). */
  tagsPerGroup?: number;
  /** Draw dominant tags only from these label indices (default: all 50). */
  tagPool?: number[];
  /** Tempo spread within a group, BPM (default 6). */
  tempoSd?: number;
  /** Per-dimension sd of a track around its group centre (centres are N(0, 1) per dimension; default 0.35). */
  embeddingNoise?: number;
  /**
   * > 0: embeddings live in this many latent dimensions (group centres N(0, 1.5²), tracks ±0.8 there),
   * mixed linearly into 200 correlated columns plus `embeddingNoise` — overlapping groups, closer to real
   * MusiCNN embeddings. 0 (default): independent N(0, 1) centres per column, well separated.
   */
  embeddingLatent?: number;
  /** Artists per group (default 12). */
  artistsPerGroup?: number;
  /** Give group sizes a long tail instead of equal sizes (default false). */
  unevenSizes?: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function plantGroups(
  rng: Rng,
  groups: number,
  o: Required<Pick<LibraryOptions, 'tagsPerGroup' | 'tagPool'>>,
): PlantedGroup[] {
  const out: PlantedGroup[] = [];
  // Consecutive slices of one shuffled pool: groups get distinct tags while the pool lasts.
  const pool = rng.shuffle([...o.tagPool]);
  for (let g = 0; g < groups; g++) {
    const embedding = new Float64Array(EMBEDDING_DIMS);
    for (let j = 0; j < EMBEDDING_DIMS; j++) embedding[j] = rng.normal();
    out.push({
      tags: Array.from({ length: o.tagsPerGroup }, (_, r) => pool[(g * o.tagsPerGroup + r) % pool.length]),
      // Spread the groups over the tempo range so tempo alone separates some of them.
      tempo: 60 + ((g * 37) % 120) + rng.float(-5, 5),
      energy: rng.float(0.35, 0.9),
      heads: OTHER_FEATURE_LABELS.map(() => rng.float(0.05, 0.95)),
      embedding,
    });
  }
  return out;
}

/** Tracks with `group[i]` = planted group of track i. Titles are unique; artists belong to one group. */
export function syntheticLibrary(opts: LibraryOptions): {
  tracks: TrackFeatures[];
  group: Int32Array;
  groups: PlantedGroup[];
} {
  const o = {
    tagsPerGroup: 3,
    tagPool: TAGS.map((_, i) => i),
    tempoSd: 6,
    embeddingNoise: 0.35,
    embeddingLatent: 0,
    artistsPerGroup: 12,
    unevenSizes: false,
    ...opts,
  };
  const rng = new Rng(o.seed);
  const groups = plantGroups(rng, o.groups, o);
  const L = o.embeddingLatent;
  const mix = L > 0 ? Float64Array.from({ length: L * EMBEDDING_DIMS }, () => rng.normal() / Math.sqrt(L)) : null;
  const latentCentres = groups.map(() => Float64Array.from({ length: L }, () => 1.5 * rng.normal()));
  const z = new Float64Array(L);
  const weights = groups.map((_, g) => (o.unevenSizes ? 1 / (1 + 0.15 * g) : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cum = weights.map((_, g) => weights.slice(0, g + 1).reduce((a, b) => a + b, 0) / total);
  const tracks: TrackFeatures[] = [];
  const group = new Int32Array(o.tracks);
  for (let i = 0; i < o.tracks; i++) {
    // Even sizes: round-robin; uneven: by cumulative weight of the position.
    const g = o.unevenSizes ? cum.findIndex((c) => (i + 0.5) / o.tracks <= c) : i % o.groups;
    const G = groups[g];
    group[i] = g;
    const tags = new Float32Array(TAGS.length);
    for (let t = 0; t < tags.length; t++) tags[t] = sigmoid(Math.max(0, 0.06 + 0.04 * rng.normal()));
    G.tags.forEach((t, r) => (tags[t] = sigmoid(Math.max(0, 0.9 - 0.2 * r + 0.08 * rng.normal()))));
    const moods = Object.fromEntries(
      OTHER_FEATURE_LABELS.map((m, j) => [m, Math.min(1, Math.max(0, G.heads[j] + 0.06 * rng.normal()))]),
    ) as TrackFeatures['moodHeads'];
    const embedding = new Float32Array(EMBEDDING_DIMS);
    if (mix) {
      for (let q = 0; q < L; q++) z[q] = latentCentres[g][q] + 0.8 * rng.normal();
      for (let j = 0; j < EMBEDDING_DIMS; j++) {
        let v = o.embeddingNoise * rng.normal();
        for (let q = 0; q < L; q++) v += z[q] * mix[q * EMBEDDING_DIMS + j];
        embedding[j] = v;
      }
    } else {
      for (let j = 0; j < EMBEDDING_DIMS; j++) embedding[j] = G.embedding[j] + o.embeddingNoise * rng.normal();
    }
    tracks.push({
      id: `t${i}`,
      artist: `Artist ${g}-${rng.int(0, o.artistsPerGroup - 1)}`,
      title: `Song ${i}`,
      tempo: G.tempo + o.tempoSd * rng.normal(),
      energy: Math.min(1, Math.max(0, G.energy + 0.03 * rng.normal())),
      tags,
      moodHeads: moods,
      embedding,
    });
  }
  return { tracks, group, groups };
}
