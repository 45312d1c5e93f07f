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
  nearest(query: Float32Array, k: number, accept: (index: number) => boolean = () => true): Neighbour[] {
    const found: Neighbour[] = [];
    for (let i = 0; i < this.size; i++) {
      if (!accept(i)) continue;
      const distance = this.distanceTo(query, i);
      if (found.length === k && distance >= found[k - 1].distance) continue;
      let at = found.length === k ? k - 1 : found.length;
      if (found.length === k) found.pop();
      while (at > 0 && found[at - 1].distance > distance) at--;
      found.splice(at, 0, { index: i, distance });
    }
    return found;
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
