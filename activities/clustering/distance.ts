// Squared Euclidean distance between rows of row-major arrays; the hot loop of every algorithm here.

/** ‖a[ao..ao+d) − b[bo..bo+d)‖², unrolled by four (V8 keeps four independent accumulators in registers). */
export function sqDist(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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
