// Test data and metrics for the clustering algorithm tests. The formula matrices are computed identically
// by test/python/clustering_reference.py, whose scikit-learn results are in test/fixtures/clustering-reference.json.
import type { Rng } from '../../engines/clustering/rng.ts';
import { matrix, type Matrix } from '../../engines/clustering/types.ts';

/** k separated isotropic Gaussian blobs (row i in blob i % k), centres on a lattice `gap` apart. */
export function gaussianBlobs(
  rng: Rng,
  n: number,
  d: number,
  k: number,
  gap = 10,
  sd = 1,
): { X: Matrix; truth: Int32Array } {
  const centres = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let q = 0; q < d; q++) centres[c * d + q] = gap * rng.int(-5, 5);
  // Lattice draws can collide: push duplicates apart along the first axis.
  for (let c = 1; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let same = true;
      for (let q = 0; q < d; q++) same &&= centres[c * d + q] === centres[p * d + q];
      if (same) {
        centres[c * d] += gap * (c + 11);
        p = -1;
      }
    }
  }
  const X = matrix(n, d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    for (let q = 0; q < d; q++) X.data[i * d + q] = centres[c * d + q] + sd * rng.normal();
  }
  return { X, truth };
}

/** Correlated data from 4 latent waves (waves() in the Python script). */
export function wavesMatrix(n: number, d: number): Matrix {
  const X = matrix(n, d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let m = 0; m < 4; m++)
        v += Math.sin(0.37 * (i + 1) * (m + 1) + 0.11 * j * m) * (4 - m) * Math.cos(0.5 * j + m);
      X.data[i * d + j] = v + 0.05 * Math.sin(1.7 * i + 2.3 * j * j);
    }
  }
  return X;
}

/** Deterministic blobs (blobs() in the Python script): row i in blob i % k. */
export function blobMatrix(n: number, d: number, k: number, spread: number): Matrix {
  const X = matrix(n, d);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    for (let q = 0; q < d; q++) {
      X.data[i * d + q] = 10 * Math.sin(2.1 * c + 1.7 * q * q + 0.3) + spread * Math.sin(0.731 * i * (q + 1) + 0.5 * q);
    }
  }
  return X;
}

/** A deliberately imperfect starting partition for EM (gmm_start() in the Python script). */
export function gmmStartLabels(n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i % 5 ? i % k : Math.floor((i * 7) / 3) % k));
}

/** Two partly agreeing labelings (label_pairs() in the Python script). */
export function ariLabels(n: number): [Int32Array, Int32Array] {
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.floor(3 * (Math.sin(0.9 * i) + 1));
    b[i] = i % 4 ? a[i] : Math.floor(2.5 * (Math.cos(0.4 * i + 1) + 1));
  }
  return [a, b];
}

/** Adjusted Rand index (Hubert & Arabie) of two labelings; any integers are labels, -1 included. 1 = same partition. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`labelings differ in length: ${n} vs ${b.length}`);
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  const pairs = (m: number) => (m * (m - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += pairs(v);
  let sumA = 0;
  for (const v of rows.values()) sumA += pairs(v);
  let sumB = 0;
  for (const v of cols.values()) sumB += pairs(v);
  const expected = (sumA * sumB) / pairs(n);
  const max = (sumA + sumB) / 2;
  // Both labelings a single cluster (or all singletons): identical partitions, as scikit-learn returns 1.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

export function hasNaN(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) return true;
  return false;
}
