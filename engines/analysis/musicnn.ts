// MusiCNN inference on onnxruntime-node: per-patch 200-d embeddings, the 50 MSD tags and the six Essentia
// mood heads. Sessions are created once per process (getMusicnnModels) and reused for every track.
import * as ort from 'onnxruntime-node';
import { N_MELS, PATCH_FRAMES } from './mel-spectrogram.ts';
import { type ModelRole, loadVerifiedModels, modelFile } from './model-files.ts';
import { EMBEDDING_DIM, MOOD_HEADS, TAGS, type MoodHead, type MoodScores } from '../../words/vocabulary.ts';

export const PATCH_SIZE = PATCH_FRAMES * N_MELS;

export interface MusicnnOptions {
  modelsDir: string;
  /** ORT intra-op threads of the embedding session (default 1: run one process per core instead). */
  threads?: number;
  /** Patches per embedding run. Per-patch speed is flat from 1 to 16 here while memory grows ≈ 45 MB per
   *  patch of batch, so a small batch keeps a worker well under its memory budget (default 4). */
  batchSize?: number;
}

/** Per-patch outputs of one batch (n patches). */
export interface BatchOutput {
  n: number;
  embeddings: Float32Array; // n × 200
  tags: Float32Array; // n × 50, each in [0, 1] (the tag model ends in a sigmoid)
  moodHeads: Record<MoodHead, Float32Array>; // n positive-class probabilities per head
}

const HEAD_ROLES: readonly MoodHead[] = MOOD_HEADS;

export class MusicnnModels {
  readonly batchSize: number;
  readonly threads: number;

  private constructor(
    private readonly embedding: ort.InferenceSession,
    private readonly tagModel: ort.InferenceSession,
    private readonly heads: Map<MoodHead, ort.InferenceSession>,
    opts: { batchSize: number; threads: number },
  ) {
    this.batchSize = opts.batchSize;
    this.threads = opts.threads;
  }

  /** Verifies the files (sha256) and creates the sessions from the verified bytes. */
  static async load(opts: MusicnnOptions): Promise<MusicnnModels> {
    const threads = opts.threads ?? 1;
    const batchSize = opts.batchSize ?? 4;
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const bytes = await loadVerifiedModels(opts.modelsDir);
    const options = (intra: number): ort.InferenceSession.SessionOptions => ({
      intraOpNumThreads: intra,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // The memory pattern pre-plans one block for every intermediate tensor of a batch; without it the
      // arena serves them one by one: 52 MB less per process, no measurable change in speed (242 vs 246 ms
      // per batch of 4, three alternating runs each).
      enableMemPattern: false,
    });
    const create = (role: ModelRole, intra: number) => ort.InferenceSession.create(bytes.get(role)!, options(intra));
    const embedding = await create('embedding', threads);
    // The tag model and heads are a few kFLOP per patch: one thread, no pool start-up cost.
    const tagModel = await create('tags', 1);
    const heads = new Map<MoodHead, ort.InferenceSession>();
    for (const h of HEAD_ROLES) heads.set(h, await create(h, 1));
    return new MusicnnModels(embedding, tagModel, heads, { batchSize, threads });
  }

  /**
   * Runs `n` patches (n × 187 × 96 floats, [patch][frame][band]) through the embedding model, then the
   * tag model and the heads on the resulting per-patch embeddings.
   */
  async run(patches: Float32Array, n: number): Promise<BatchOutput> {
    if (n < 1 || patches.length < n * PATCH_SIZE)
      throw new RangeError(`run: need ${n} patches of ${PATCH_SIZE} floats`);
    const emb = modelFile('embedding');
    const input = new ort.Tensor('float32', patches.subarray(0, n * PATCH_SIZE), [n, PATCH_FRAMES, N_MELS]);
    const embOut = await this.embedding.run({ [emb.input]: input });
    const embeddings = new Float32Array(embOut[emb.output].data as Float32Array); // copy: ORT may reuse its buffer
    return { n, embeddings, ...(await this.runHeads(embeddings, n)) };
  }

  /** The tag model and the mood heads on `n` embeddings (n × 200): what `run` does after the embedding model. */
  async runHeads(embeddings: Float32Array, n: number): Promise<Omit<BatchOutput, 'n' | 'embeddings'>> {
    if (n < 1 || embeddings.length < n * EMBEDDING_DIM)
      throw new RangeError(`runHeads: need ${n} embeddings of ${EMBEDDING_DIM} floats`);
    const embTensor = new ort.Tensor('float32', embeddings.subarray(0, n * EMBEDDING_DIM), [n, EMBEDDING_DIM]);

    const tag = modelFile('tags');
    const tagOut = await this.tagModel.run({ [tag.input]: embTensor });
    const tags = new Float32Array(tagOut[tag.output].data as Float32Array);

    const moodHeads = {} as Record<MoodHead, Float32Array>;
    for (const h of HEAD_ROLES) {
      const m = modelFile(h);
      const out = (await this.heads.get(h)!.run({ [m.input]: embTensor }))[m.output].data as Float32Array;
      const pos = m.positiveIndex ?? 0;
      moodHeads[h] = Float32Array.from({ length: n }, (_, i) => out[i * 2 + pos]);
    }
    return { tags, moodHeads };
  }

  async release(): Promise<void> {
    await Promise.all([
      this.embedding.release(),
      this.tagModel.release(),
      ...[...this.heads.values()].map((s) => s.release()),
    ]);
  }
}

// One set of sessions per process, per (folder, threads, batch): created on first use, shared afterwards.
// A failed load is forgotten so a later call (e.g. after `npm run models:fetch`) tries again.
const loaded = new Map<string, Promise<MusicnnModels>>();

export function getMusicnnModels(opts: MusicnnOptions): Promise<MusicnnModels> {
  const key = `${opts.modelsDir}\0${opts.threads ?? 1}\0${opts.batchSize ?? 4}`;
  let p = loaded.get(key);
  if (!p) {
    p = MusicnnModels.load(opts);
    p.catch(() => loaded.delete(key));
    loaded.set(key, p);
  }
  return p;
}

/** Running means over patches: the track embedding, tag scores and mood-head scores. */
export class PatchAverager {
  private readonly emb = new Float64Array(EMBEDDING_DIM);
  private readonly tagSum = new Float64Array(TAGS.length);
  private readonly moodSum = new Float64Array(MOOD_HEADS.length);
  private count = 0;

  get patches(): number {
    return this.count;
  }

  add(b: BatchOutput): void {
    for (let i = 0; i < b.n; i++) {
      for (let d = 0; d < EMBEDDING_DIM; d++) this.emb[d] += b.embeddings[i * EMBEDDING_DIM + d];
      for (let t = 0; t < TAGS.length; t++) this.tagSum[t] += b.tags[i * TAGS.length + t];
      MOOD_HEADS.forEach((h, k) => {
        this.moodSum[k] += b.moodHeads[h][i];
      });
    }
    this.count += b.n;
  }

  /** Means over all patches added. Tag scores are the mean of the per-patch sigmoid outputs (no extra sigmoid). */
  result(): { embedding: Float32Array; tags: Float32Array; moodHeads: MoodScores } {
    if (this.count === 0) throw new Error('PatchAverager: no patches');
    const n = this.count;
    const moodHeads = {} as MoodScores;
    MOOD_HEADS.forEach((h, k) => {
      moodHeads[h] = this.moodSum[k] / n;
    });
    return {
      embedding: Float32Array.from(this.emb, (v) => v / n),
      tags: Float32Array.from(this.tagSum, (v) => v / n),
      moodHeads,
    };
  }
}
