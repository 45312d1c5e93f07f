// The approximate index behind the similarity space: a usearch HNSW graph (prebuilt N-API binaries in the npm
// package, nothing compiled at install) over cosine distance, its vectors quantised (i8 by default: half the
// build time and a third of the memory of f32, the exact f32 re-rank in VectorSpace restores the recall).
// Serialised to bytes through a temporary file, the one way the JS binding saves and loads.
import { randomUUID } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';
import type { ApproximateIndex } from '../../engines/similarity/vector-space.ts';

export type Quantization = 'f32' | 'f16' | 'i8';

export interface UsearchOptions {
  quantization?: Quantization;
  /** Graph degree (M). */
  connectivity?: number;
  /** Candidates kept while inserting (efConstruction). */
  expansionAdd?: number;
  /** Candidates kept while searching (ef); a search asking for more uses k. */
  expansionSearch?: number;
}

const SCALAR: Record<Quantization, ScalarKind> = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 };

export class UsearchIndex implements ApproximateIndex {
  private constructor(private readonly index: Index) {}

  static create(dim: number, opts: UsearchOptions = {}): UsearchIndex {
    return new UsearchIndex(
      new Index({
        dimensions: dim,
        metric: MetricKind.Cos,
        quantization: SCALAR[opts.quantization ?? 'i8'],
        connectivity: opts.connectivity ?? 16,
        expansion_add: opts.expansionAdd ?? 128,
        expansion_search: opts.expansionSearch ?? 64,
        multi: false,
      }),
    );
  }

  /**
   * An index saved by `serialize`, its bytes written by `write` chunk by chunk (to a temporary file: never the
   * whole index in a JS buffer), with the options it was created with (the file does not hold ef).
   */
  static async deserialize(
    write: (chunk: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
    dim: number,
    opts: UsearchOptions = {},
  ): Promise<UsearchIndex> {
    const made = UsearchIndex.create(dim, opts);
    await throughFile(async (file) => {
      const out = await open(file, 'w');
      try {
        await write(async (bytes) => void (await out.write(bytes)));
      } finally {
        await out.close();
      }
      made.index.load(file);
    });
    if (made.index.dimensions() !== dim) throw new RangeError(`saved index has ${made.index.dimensions()} dimensions`);
    return made;
  }

  async serialize(): Promise<Buffer> {
    let bytes!: Buffer;
    await throughFile(async (file) => {
      this.index.save(file);
      bytes = await readFile(file);
    });
    return bytes;
  }

  get size(): number {
    return this.index.size();
  }

  /** Adds in one call on all cores (usearch's own threads), a key already present replaced. */
  add(keys: readonly number[], vectors: Float32Array): void {
    if (!keys.length) return;
    const big = BigUint64Array.from(keys, (k) => BigInt(k));
    const present = this.index.contains(big) as boolean[];
    present.forEach((p, i) => p && this.index.remove(big[i]));
    this.index.add(big, vectors, 0);
  }

  remove(key: number): void {
    this.index.remove(BigInt(key));
  }

  /** Which of `keys` the index holds, in one call. */
  containsAll(keys: readonly number[]): boolean[] {
    if (!keys.length) return [];
    return this.index.contains(BigUint64Array.from(keys, (k) => BigInt(k))) as boolean[];
  }

  search(query: Float32Array, k: number): number[] {
    if (this.index.size() === 0) return [];
    const { keys } = this.index.search(query, k, 1);
    return Array.from(keys, Number);
  }
}

async function throughFile(fn: (file: string) => Promise<void>): Promise<void> {
  const file = path.join(os.tmpdir(), `audiomuse-index-${randomUUID()}.usearch`);
  try {
    await fn(file);
  } finally {
    await rm(file, { force: true });
  }
}
