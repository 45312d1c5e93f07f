// Big libraries: the search scores its candidates on a sample of the songs (whole artists), and the winner's
// centroids (fitted on the sample with its own seed, as during the search) then take every song once, the
// nearest centroid for each. A candidate's cost then stops growing with the library (K-Means over 300,000
// songs per candidate is what made a 1,000-run search take hours), and the worker threads hold the sample only.
import { sqDist } from './distance.ts';
import { Rng } from './rng.ts';
import { matrix, type ClusterFit, type Matrix } from './types.ts';

/**
 * Libraries of up to this many songs are searched whole (exactly as before sampling existed); larger ones
 * on a sample of this many. Chosen by `npm run bench:cluster:big` (docs/benchmarks.md): at 30,000 songs the
 * playlists of a 20,000-song sample agree with the whole library's as much as two seeds of the whole do.
 */
export const DEFAULT_SAMPLE_SIZE = 20_000;

/**
 * `size` row indices (ascending), whole artists drawn in a seeded order (a song without an artist counts as an
 * artist of its own) until `size` songs: every artist in the sample has all of its songs there (the last one
 * drawn possibly cut), so the per-artist cap binds on the sample as on the library. A sample of songs spread
 * evenly over artists (each artist's share) was tried first: at 30,000 songs its searches chose parameters whose
 * playlists held 47 % of the library against 75 % for the whole search, as the cap rarely bound on it.
 */
export function artistSample(artists: Int32Array, size: number, seed: number): Int32Array {
  const n = artists.length;
  if (!Number.isInteger(size) || size < 1 || size > n)
    throw new RangeError(`artistSample: size must be an integer in [1, ${n}], got ${size}`);
  const rng = new Rng(seed);
  const draw = new Map<number, number>(); // artist → its place in the drawing order
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = artists[i];
    if (a < 0) key[i] = rng.next();
    else {
      if (!draw.has(a)) draw.set(a, rng.next());
      key[i] = draw.get(a)!;
    }
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => key[x] - key[y] || artists[x] - artists[y] || x - y);
  return order.slice(0, size).sort();
}

/** The given rows of a matrix (a copy). */
export function takeRows(m: Matrix, rows: Int32Array): Matrix {
  const out = new Float64Array(rows.length * m.cols);
  for (let j = 0; j < rows.length; j++) out.set(m.data.subarray(rows[j] * m.cols, (rows[j] + 1) * m.cols), j * m.cols);
  return matrix(rows.length, m.cols, out);
}

/** Every row of X labelled with its nearest centroid of `fit` (no noise: the distance filter judges outliers). */
export function assignNearest(X: Matrix, fit: ClusterFit): ClusterFit {
  const { rows: n, cols: d } = X;
  const C = fit.centroids;
  if (C.cols !== d) throw new RangeError(`assignNearest: centroids have ${C.cols} columns, the data ${d}`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < fit.k; c++) {
      const s = sqDist(X.data, i * d, C.data, c * d, d);
      if (s < bestD) {
        bestD = s;
        best = c;
      }
    }
    labels[i] = best;
  }
  return { labels, k: fit.k, centroids: C };
}
