// Where the big library's features come from: real analysed tracks (the test music, bench/test-music.ts) whose
// embeddings, tempo, key, energy and length the generator draws around, or a clearly labelled synthetic stand-in
// when the music or the models are missing; and the tag model + mood heads that turn an embedding into tags and
// moods, as analysis does (engines/analysis/musicnn.ts), or a labelled synthetic stand-in without the models.
import fs from 'node:fs';
import path from 'node:path';
import { MusicnnModels } from '../engines/analysis/musicnn.ts';
import { EMBEDDING_DIM, MOOD_HEADS, TAGS, type MoodHead } from '../words/vocabulary.ts';
import { randomSource, syntheticVectors } from './synthetic-vectors.ts';
import { analyse, QUALITY_PACKAGES, testMusic } from './test-music.ts';

/** One analysed track the generator draws around. */
export interface SeedTrack {
  embedding: Float32Array;
  tempo: number | null;
  energy: number | null;
  key: string | null;
  scale: 'major' | 'minor' | null;
  keyStrength: number | null;
  durationSec: number | null;
}

export interface SeedSource {
  /** What the seeds are, for the bench's output. */
  label: string;
  tracks: SeedTrack[];
}

export interface Heads {
  label: string;
  /** Tags (n × 50) and the six mood heads (n each) of `n` embeddings (n × 200). */
  apply(
    embeddings: Float32Array,
    n: number,
  ): Promise<{ tags: Float32Array; moodHeads: Record<MoodHead, Float32Array> }>;
  release(): Promise<void>;
}

const KEYS = 'C C# D D# E F F# G G# A A# B'.split(' ');
/** The real embeddings' length (mean patch embedding of MusiCNN): about 27 on the test music. */
const SYNTHETIC_NORM = 27;

/**
 * A synthetic stand-in for the real seeds: `n` vectors of the similarity benches' structured library, scaled
 * to a real embedding's length, with tempo, energy, key and length drawn uniformly.
 */
export function syntheticSeeds(n = 64, seed = 7): SeedSource {
  const next = syntheticVectors(n);
  const { rand } = randomSource(seed);
  const tracks = Array.from({ length: n }, (): SeedTrack => {
    const v = next();
    const norm = Math.hypot(...v);
    return {
      embedding: v.map((x) => (x / norm) * SYNTHETIC_NORM),
      tempo: 70 + rand() * 100,
      energy: rand(),
      key: KEYS[Math.floor(rand() * 12)],
      scale: rand() < 0.6 ? 'major' : 'minor',
      keyStrength: 0.3 + rand() * 0.6,
      durationSec: 120 + rand() * 240,
    };
  });
  return { label: `SYNTHETIC seeds (${n} structured random vectors, bench/synthetic-vectors.ts)`, tracks };
}

/**
 * The test music's analyses (cached under the temp folder; files not analysed yet are analysed with
 * `workers` processes and MODELS_DIR); the synthetic stand-in when none is installed or none analyses.
 */
export async function testMusicSeeds(workers: number): Promise<SeedSource> {
  let files;
  try {
    files = testMusic(QUALITY_PACKAGES);
  } catch (err) {
    const fallback = syntheticSeeds();
    return { ...fallback, label: `${fallback.label}: ${(err as Error).message}` };
  }
  const analysed = await analyse(files, workers);
  if (analysed.length === 0) {
    const fallback = syntheticSeeds();
    return { ...fallback, label: `${fallback.label}: no test music file could be analysed` };
  }
  const tracks = analysed.map((a): SeedTrack => ({
    embedding: Float32Array.from(a.features.embedding!),
    tempo: a.features.tempo,
    energy: a.features.energy,
    ...a.tonality,
    durationSec: a.durationSec,
  }));
  const packages = new Set(analysed.map((a) => a.label)).size;
  return { label: `real: ${tracks.length} analysed test music tracks of ${packages} Debian packages`, tracks };
}

/** The product's tag model and mood heads from `modelsDir`, or a synthetic stand-in when the files are missing. */
export async function loadHeads(modelsDir: string): Promise<Heads> {
  if (fs.existsSync(path.join(modelsDir, 'msd-msd-musicnn-1.onnx'))) {
    const models = await MusicnnModels.load({ modelsDir });
    return {
      label: `real: the MusiCNN tag model and six mood heads from ${modelsDir}`,
      apply: (embeddings, n) => models.runHeads(embeddings, n),
      release: () => models.release(),
    };
  }
  return syntheticHeads(`SYNTHETIC heads (random logistic projections): no models in ${modelsDir}`);
}

/** Logistic functions of fixed random projections: values in (0, 1) that depend on the embedding only. */
function syntheticHeads(label: string): Heads {
  const { gauss } = randomSource(99);
  const outputs = TAGS.length + MOOD_HEADS.length;
  const w = Float32Array.from({ length: outputs * EMBEDDING_DIM }, () => gauss() / (SYNTHETIC_NORM * 2));
  return {
    label,
    async apply(embeddings, n) {
      const tags = new Float32Array(n * TAGS.length);
      const moodHeads = Object.fromEntries(MOOD_HEADS.map((h) => [h, new Float32Array(n)])) as Record<
        MoodHead,
        Float32Array
      >;
      for (let i = 0; i < n; i++) {
        for (let o = 0; o < outputs; o++) {
          let s = 0;
          for (let d = 0; d < EMBEDDING_DIM; d++) s += w[o * EMBEDDING_DIM + d] * embeddings[i * EMBEDDING_DIM + d];
          const p = 1 / (1 + Math.exp(-s * 8));
          if (o < TAGS.length) tags[i * TAGS.length + o] = p;
          else moodHeads[MOOD_HEADS[o - TAGS.length]][i] = p;
        }
      }
      return { tags, moodHeads };
    },
    release: async () => undefined,
  };
}
