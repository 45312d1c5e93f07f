// The embeddings of a library as one matrix of unit vectors, with exact nearest-neighbour search. Distances are
// cosine distances (1 − cos), 0 for the same direction, as the original's IVF index reports them.

export interface Neighbour {
  index: number;
  distance: number;
}

export class VectorSpace {
  private constructor(
    readonly dim: number,
    readonly size: number,
    private readonly data: Float32Array,
  ) {}

  /** Unit-length copies of `vectors` (a zero vector stays zero). */
  static fromVectors(vectors: readonly Float32Array[], dim = vectors[0]?.length ?? 0): VectorSpace {
    const data = new Float32Array(vectors.length * dim);
    vectors.forEach((v, i) => {
      if (v.length !== dim) throw new RangeError(`vector ${i} has ${v.length} dimensions, not ${dim}`);
      data.set(unit(v), i * dim);
    });
    return new VectorSpace(dim, vectors.length, data);
  }

  row(i: number): Float32Array {
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Cosine distance between a unit query and row i. */
  distanceTo(query: Float32Array, i: number): number {
    const d = this.data,
      o = i * this.dim;
    let dot = 0;
    for (let j = 0; j < this.dim; j++) dot += query[j] * d[o + j];
    return 1 - dot;
  }

  distance(i: number, j: number): number {
    return this.distanceTo(this.row(i), j);
  }

  /** The `k` rows nearest to a unit query that `accept` lets through, nearest first (an exact scan). */
  nearest(query: Float32Array, k: number, accept?: (index: number) => boolean): Neighbour[] {
    if (k <= 0) return [];
    const { data, dim, size } = this;
    // The k best so far, sorted ascending by distance, in two parallel typed arrays (no objects in the loop).
    const dist = new Float64Array(k),
      idx = new Int32Array(k);
    let count = 0;
    for (let i = 0, o = 0; i < size; i++, o += dim) {
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
      if (accept && !accept(i)) continue;
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

/** `v` scaled to unit length. */
export function unit(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  const out = new Float32Array(v.length);
  if (norm > 0) for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
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
