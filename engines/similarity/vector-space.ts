// The embeddings of a library as one growable matrix of unit vectors (a row per key, added and removed album by
// album), searched exactly or through an approximate index whose candidates are re-ranked exactly. Distances
// are cosine distances (1 − cos), 0 for the same direction, as the original's IVF index reports them.

export interface Neighbour {
  index: number;
  distance: number;
}

/**
 * An approximate nearest-neighbour index over a space's rows, named by the rows' keys (an HNSW graph, say). It
 * proposes candidates; the space re-ranks them by the exact f32 distance, so quantisation costs recall only
 * where a true neighbour is never proposed.
 */
export interface ApproximateIndex {
  /** Adds (or replaces) the unit vectors of `keys`, `vectors` holding one row per key. */
  add(keys: readonly number[], vectors: Float32Array): void;
  remove(key: number): void;
  /** The keys of about the `k` rows nearest to a unit query, nearest first. */
  search(query: Float32Array, k: number): number[];
  readonly size: number;
}

/** Candidates asked of the index per neighbour wanted (and at least MIN_FETCH): the exact re-rank's margin. */
export const OVERFETCH = 4;
const MIN_FETCH = 40;
/** Past this many candidates (or a quarter of the rows) a filter that lets too few through is cheaper to answer
 * with the exact scan. */
const MAX_FETCH = 4096;

/** Rows per page of the matrix: growing adds a page, never copies the rows already held. */
const PAGE_BITS = 14,
  PAGE_ROWS = 1 << PAGE_BITS,
  PAGE_MASK = PAGE_ROWS - 1;

export class VectorSpace {
  private readonly pages: Float32Array[] = [];
  private rows = 0;
  private readonly keys: number[] = [];
  private readonly rowByKey = new Map<number, number>();
  private readonly removed: Uint8Array[] = [];
  private live = 0;
  private index?: ApproximateIndex;
  private indexFrom = Infinity;

  private constructor(readonly dim: number) {}

  /** Unit-length copies of `vectors` (a zero vector stays zero), keyed 0…n−1 unless `keys` are given. */
  static fromVectors(
    vectors: readonly Float32Array[],
    dim = vectors[0]?.length ?? 0,
    keys?: readonly number[],
  ): VectorSpace {
    const space = new VectorSpace(dim);
    vectors.forEach((v, i) => space.add(keys ? keys[i] : i, v));
    return space;
  }

  /** Rows ever added: indices run 0…size−1 (a removed row keeps its index and is never returned). */
  get size(): number {
    return this.rows;
  }

  /** Rows not removed. */
  get count(): number {
    return this.live;
  }

  /**
   * Appends a unit copy of `vector` under `key` and returns its row; a key already present is removed first
   * (a re-analysed song gets a new row).
   */
  add(key: number, vector: ArrayLike<number>): number {
    if (vector.length !== this.dim)
      throw new RangeError(`vector ${key} has ${vector.length} dimensions, not ${this.dim}`);
    this.remove(key);
    const row = this.rows++;
    if (row >> PAGE_BITS === this.pages.length) this.pages.push(new Float32Array(PAGE_ROWS * this.dim));
    // Normalised straight into its page (a unit copy per song cost 0.6 s of loading 300,000).
    const page = this.pages[row >> PAGE_BITS];
    const o = (row & PAGE_MASK) * this.dim;
    unitInto(vector, page, o);
    this.keys.push(key);
    this.rowByKey.set(key, row);
    this.live++;
    this.index?.add([key], page.subarray(o, o + this.dim));
    return row;
  }

  /** Removes the row of `key` (no-op for an unknown key). */
  remove(key: number): void {
    const row = this.rowByKey.get(key);
    if (row === undefined) return;
    this.rowByKey.delete(key);
    (this.removed[row >> PAGE_BITS] ??= new Uint8Array(PAGE_ROWS))[row & PAGE_MASK] = 1;
    this.live--;
    this.index?.remove(key);
  }

  has(row: number): boolean {
    return row >= 0 && row < this.rows && this.removed[row >> PAGE_BITS]?.[row & PAGE_MASK] !== 1;
  }

  keyOf(row: number): number {
    return this.keys[row];
  }

  rowOf(key: number): number | undefined {
    return this.rowByKey.get(key);
  }

  /** The live rows' keys and unit vectors (one row per key), for building an index. */
  liveRows(): { keys: number[]; vectors: Float32Array } {
    const keys: number[] = [];
    const vectors = new Float32Array(this.live * this.dim);
    for (let r = 0; r < this.rows; r++)
      if (this.has(r)) {
        vectors.set(this.row(r), keys.length * this.dim);
        keys.push(this.keys[r]);
      }
    return { keys, vectors };
  }

  /**
   * Answers `nearest` from `index` (which must hold the live rows, keyed as here) once the space has `minRows`
   * live rows; below that, and for filters that let too few candidates through, the exact scan answers.
   * Later adds and removes reach the index too.
   */
  useIndex(index: ApproximateIndex | undefined, minRows = 0): void {
    this.index = index;
    this.indexFrom = minRows;
  }

  get indexed(): boolean {
    return this.index !== undefined && this.live >= this.indexFrom;
  }

  row(i: number): Float32Array {
    const o = (i & PAGE_MASK) * this.dim;
    return this.pages[i >> PAGE_BITS].subarray(o, o + this.dim);
  }

  /** Cosine distance between a unit query and row i. */
  distanceTo(query: Float32Array, i: number): number {
    const d = this.pages[i >> PAGE_BITS],
      o = (i & PAGE_MASK) * this.dim;
    let dot = 0;
    for (let j = 0; j < this.dim; j++) dot += query[j] * d[o + j];
    return 1 - dot;
  }

  distance(i: number, j: number): number {
    return this.distanceTo(this.row(i), j);
  }

  /**
   * The `k` rows nearest to a unit query that `accept` lets through, nearest first: from the index's
   * candidates re-ranked exactly (more asked for while the filter leaves fewer than k), else an exact scan.
   */
  nearest(query: Float32Array, k: number, accept?: (index: number) => boolean): Neighbour[] {
    if (k <= 0) return [];
    if (this.index && this.indexed) {
      for (let fetch = Math.max(MIN_FETCH, OVERFETCH * k); fetch <= Math.min(MAX_FETCH, this.live / 4); fetch *= 4) {
        const keys = this.index.search(query, fetch);
        const found: Neighbour[] = [];
        for (const key of keys) {
          const row = this.rowByKey.get(key);
          if (row !== undefined && (!accept || accept(row)))
            found.push({ index: row, distance: this.distanceTo(query, row) });
        }
        // Enough passed, or the index has no more to give.
        if (found.length >= k || keys.length < fetch)
          return found.sort((a, b) => a.distance - b.distance || a.index - b.index).slice(0, k);
      }
    }
    return this.scan(query, k, accept);
  }

  /** The exact top-k. */
  scan(query: Float32Array, k: number, accept?: (index: number) => boolean): Neighbour[] {
    if (k <= 0) return [];
    const { dim, rows: size } = this;
    // The k best so far, sorted ascending by distance, in two parallel typed arrays (no objects in the loop).
    const dist = new Float64Array(k),
      idx = new Int32Array(k);
    let count = 0;
    let data = this.pages[0];
    for (let i = 0, o = 0; i < size; i++, o += dim) {
      if ((i & PAGE_MASK) === 0) {
        data = this.pages[i >> PAGE_BITS];
        o = 0;
      }
      // Four accumulators: independent multiply-adds the CPU can overlap (≈ 2× a single running sum).
      let d0 = 0,
        d1 = 0,
        d2 = 0,
        d3 = 0,
        j = 0;
      for (; j + 3 < dim; j += 4) {
        d0 += query[j] * data[o + j];
        d1 += query[j + 1] * data[o + j + 1];
        d2 += query[j + 2] * data[o + j + 2];
        d3 += query[j + 3] * data[o + j + 3];
      }
      for (; j < dim; j++) d0 += query[j] * data[o + j];
      const d = 1 - (d0 + d1 + d2 + d3);
      if (count === k && d >= dist[k - 1]) continue;
      if (!this.has(i) || (accept && !accept(i))) continue;
      let at = count < k ? count++ : k - 1;
      while (at > 0 && dist[at - 1] > d) {
        dist[at] = dist[at - 1];
        idx[at] = idx[at - 1];
        at--;
      }
      dist[at] = d;
      idx[at] = i;
    }
    return Array.from({ length: count }, (_, r) => ({ index: idx[r], distance: dist[r] }));
  }
}

/** Cosine distance between two unit vectors (1 − their dot product). */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let j = 0; j < a.length; j++) dot += a[j] * b[j];
  return 1 - dot;
}

/** `v` scaled to unit length, written into `out` from `o` (left as it is when `v` is zero). */
export function unitInto(v: ArrayLike<number>, out: Float32Array, o: number): void {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) out[o + i] = v[i] / norm;
}

/** `v` scaled to unit length (zeros for a zero vector). */
export function unit(v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  unitInto(v, out, 0);
  return out;
}

/** The point a fraction `t` of the way from unit vector `a` to unit vector `b` along the great circle. */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
  const out = new Float32Array(a.length);
  if (omega < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = a[i] + t * (b[i] - a[i]);
    return unit(out);
  }
  const sa = Math.sin((1 - t) * omega) / Math.sin(omega),
    sb = Math.sin(t * omega) / Math.sin(omega);
  for (let i = 0; i < a.length; i++) out[i] = sa * a[i] + sb * b[i];
  return unit(out);
}
