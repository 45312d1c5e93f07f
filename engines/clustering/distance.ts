// Squared Euclidean distance between rows of row-major arrays; the hot loop of every algorithm here.

/** ‖a[ao..ao+d) − b[bo..bo+d)‖², unrolled by four (V8 keeps four independent accumulators in registers). */
export function sqDist(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let j = 0;
  for (; j + 3 < d; j += 4) {
    const t0 = a[ao + j] - b[bo + j];
    const t1 = a[ao + j + 1] - b[bo + j + 1];
    const t2 = a[ao + j + 2] - b[bo + j + 2];
    const t3 = a[ao + j + 3] - b[bo + j + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; j < d; j++) {
    const t = a[ao + j] - b[bo + j];
    s0 += t * t;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * ‖a − b‖² when it is ≤ limit; otherwise stops as soon as the partial sum passes limit and returns that
 * partial sum, which is still a lower bound on the distance. Callers that only need "is it below limit?"
 * or a lower bound (k-means++ potentials, Elkan bounds) skip most of the work in high dimensions.
 */
export function sqDistUpTo(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number, limit: number): number {
  let s = 0;
  let j = 0;
  for (; j + 7 < d; j += 8) {
    const t0 = a[ao + j] - b[bo + j];
    const t1 = a[ao + j + 1] - b[bo + j + 1];
    const t2 = a[ao + j + 2] - b[bo + j + 2];
    const t3 = a[ao + j + 3] - b[bo + j + 3];
    const t4 = a[ao + j + 4] - b[bo + j + 4];
    const t5 = a[ao + j + 5] - b[bo + j + 5];
    const t6 = a[ao + j + 6] - b[bo + j + 6];
    const t7 = a[ao + j + 7] - b[bo + j + 7];
    s += t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3 + (t4 * t4 + t5 * t5 + t6 * t6 + t7 * t7);
    if (s > limit) return s;
  }
  for (; j < d; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

/** Cosine similarity of two vectors; 0 when either is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let j = 0; j < a.length; j++) {
    dot += a[j] * b[j];
    na += a[j] * a[j];
    nb += b[j] * b[j];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
