// DBSCAN with scikit-learn's semantics: a point is core when at least minSamples points (itself included)
// lie within distance ≤ eps; clusters are numbered in order of their lowest-index core point, a border
// point joins the first cluster that reaches it, and everything else is noise (-1).
// Neighbourhoods come from a k-d tree: over the data itself in low dimensions, and in high dimensions over
// a projection onto a few principal axes (a projection onto orthonormal axes never lengthens a distance,
// so it only discards true non-neighbours) with each candidate then checked in full. A brute-force scan
// with early exit is kept for comparison. All give exactly the same neighbour sets.
import { sqDistUpTo } from './distance.ts';
import { assertCount, assertData, ClusteringInputError } from './input.ts';
import { pcaFit, pcaTransform } from './pca.ts';
import { matrix, type ClusterFit, type Matrix } from './types.ts';

/**
 * Above this many dimensions the tree is built over a projection onto this many principal axes. Measured
 * on 10,000 rows (docs/clustering.md, "Clustering algorithms"): 8 beat 5 and 12, and the projected tree beat the plain
 * tree already at 13 and 20 dimensions.
 */
const PROJECTED_DIMS = 8;
/** Rows used to find the projection axes (any orthonormal axes are exact; principal ones prune best). */
const PROJECTION_SAMPLE = 2000;
/** Neighbour pairs are kept for the expansion pass up to this many entries (64 MiB), else recomputed. */
const MAX_STORED_NEIGHBOURS = 1 << 24;
const LEAF_SIZE = 16;

export interface DbscanOptions {
  /** Force the neighbour search (for benchmarks and tests); default: 'tree' up to 8 dimensions, else 'projected'. */
  neighbourSearch?: 'tree' | 'projected' | 'scan';
}

/** Centroids are the member means of each cluster; k may be 0 when everything is noise. */
export function dbscan(X: Matrix, eps: number, minSamples: number, opts: DbscanOptions = {}): ClusterFit {
  assertData(X, 'dbscan');
  if (!(eps > 0) || !Number.isFinite(eps))
    throw new ClusteringInputError(`dbscan: eps must be a finite number > 0, got ${eps}`);
  assertCount(minSamples, 1, Number.MAX_SAFE_INTEGER, 'minSamples', 'dbscan');
  const { rows: n, cols: d, data } = X;
  const search = opts.neighbourSearch ?? (d <= PROJECTED_DIMS ? 'tree' : 'projected');
  const r2 = eps * eps;
  const query =
    search === 'tree' ? kdTreeQuery(X, r2) : search === 'projected' ? kdTreeQuery(project(X), r2, X) : scanQuery(X, r2);

  // Pass 1: each pair is tested once (j > i) and counted for both ends; neighbour counts decide which
  // points are core. The pairs are kept (as CSR lists) while they fit, else pass 2 asks the index again.
  const buf = new Int32Array(n);
  const degree = new Int32Array(n); // neighbours other than the point itself
  let pairs: Int32Array = new Int32Array(Math.min(MAX_STORED_NEIGHBOURS, 8 * n));
  let stored = true;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const cnt = query(i, buf, i + 1);
    degree[i] += cnt;
    for (let t = 0; t < cnt; t++) degree[buf[t]]++;
    if (!stored) continue;
    if (used + 2 * cnt > pairs.length) {
      if (used + 2 * cnt > MAX_STORED_NEIGHBOURS) {
        stored = false;
        pairs = new Int32Array(0);
        continue;
      }
      const grown: Int32Array = new Int32Array(
        Math.min(MAX_STORED_NEIGHBOURS, Math.max(2 * pairs.length, used + 2 * cnt)),
      );
      grown.set(pairs.subarray(0, used));
      pairs = grown;
    }
    for (let t = 0; t < cnt; t++) {
      pairs[used++] = i;
      pairs[used++] = buf[t];
    }
  }
  const core = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (degree[i] + 1 >= minSamples) core[i] = 1;
  const offsets = new Int32Array(n + 1);
  let lists = new Int32Array(0);
  if (stored) {
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + degree[i];
    lists = new Int32Array(offsets[n]);
    const fill = offsets.slice(0, n);
    for (let e = 0; e < used; e += 2) {
      const u = pairs[e],
        v = pairs[e + 1];
      lists[fill[u]++] = v;
      lists[fill[v]++] = u;
    }
  }

  // Pass 2: grow each cluster from its first unlabelled core point (scikit-learn's dbscan_inner).
  const labels = new Int32Array(n).fill(-1);
  const stack = new Int32Array(Math.max(n, 1));
  let k = 0;
  for (let s = 0; s < n; s++) {
    if (labels[s] !== -1 || !core[s]) continue;
    let top = 0;
    stack[top++] = s;
    labels[s] = k;
    while (top > 0) {
      const p = stack[--top];
      if (!core[p]) continue;
      const nb = stored ? lists.subarray(offsets[p], offsets[p + 1]) : buf.subarray(0, query(p, buf, 0));
      for (let t = 0; t < nb.length; t++) {
        const v = nb[t];
        if (labels[v] === -1) {
          labels[v] = k;
          stack[top++] = v; // each point is labelled, hence pushed, once: n slots suffice
        }
      }
    }
    k++;
  }

  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c < 0) continue;
    counts[c]++;
    for (let q = 0; q < d; q++) sums[c * d + q] += data[i * d + q];
  }
  for (let c = 0; c < k; c++) for (let q = 0; q < d; q++) sums[c * d + q] /= counts[c];
  return { labels, k, centroids: matrix(k, d, sums) };
}

/** Writes the indices j ≥ minJ within eps of row i (i itself included when minJ ≤ i) to out; returns how many. */
type Query = (i: number, out: Int32Array, minJ: number) => number;

/** True when ‖a − b‖² ≤ r2, giving up as soon as the partial sum exceeds r2. */
const within = (a: Float64Array, ao: number, b: Float64Array, bo: number, d: number, r2: number): boolean =>
  sqDistUpTo(a, ao, b, bo, d, r2) <= r2;

function scanQuery(X: Matrix, r2: number): Query {
  const { rows: n, cols: d, data } = X;
  return (i, out, minJ) => {
    let cnt = 0;
    const o = i * d;
    for (let j = minJ; j < n; j++) if (within(data, o, data, j * d, d, r2)) out[cnt++] = j;
    return cnt;
  };
}

/** X projected onto its first PROJECTED_DIMS principal axes, found on an evenly strided sample of rows. */
function project(X: Matrix): Matrix {
  const { rows: n, cols: d, data } = X;
  const step = Math.max(1, Math.floor(n / PROJECTION_SAMPLE));
  const m = Math.ceil(n / step);
  const sample = new Float64Array(m * d);
  for (let s = 0; s < m; s++) sample.set(data.subarray(s * step * d, s * step * d + d), s * d);
  return pcaTransform(pcaFit(matrix(m, d, sample), Math.min(PROJECTED_DIMS, m, d)), X);
}

/**
 * k-d tree split at the median of the widest dimension, with a bounding box per node so a query prunes
 * every node whose box lies farther than eps. Points are copied in tree order so leaves scan contiguously.
 * With `full`, the tree indexes a projection of `full` and every candidate is confirmed on the full rows.
 */
function kdTreeQuery(X: Matrix, r2: number, full?: Matrix): Query {
  const { rows: n, cols: d, data } = X;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const maxNodes = 2 * Math.ceil(n / (LEAF_SIZE / 2)) + 1; // every leaf holds ≥ LEAF_SIZE/2 points
  const start = new Int32Array(maxNodes);
  const end = new Int32Array(maxNodes);
  const left = new Int32Array(maxNodes).fill(-1);
  const right = new Int32Array(maxNodes).fill(-1);
  const lo = new Float64Array(maxNodes * d);
  const hi = new Float64Array(maxNodes * d);
  let nodes = 0;

  const build = (s: number, e: number): number => {
    const id = nodes++;
    start[id] = s;
    end[id] = e;
    const b = id * d;
    for (let q = 0; q < d; q++) {
      lo[b + q] = Infinity;
      hi[b + q] = -Infinity;
    }
    for (let t = s; t < e; t++) {
      const o = perm[t] * d;
      for (let q = 0; q < d; q++) {
        const v = data[o + q];
        if (v < lo[b + q]) lo[b + q] = v;
        if (v > hi[b + q]) hi[b + q] = v;
      }
    }
    if (e - s <= LEAF_SIZE) return id;
    let dim = 0;
    for (let q = 1; q < d; q++) if (hi[b + q] - lo[b + q] > hi[b + dim] - lo[b + dim]) dim = q;
    if (hi[b + dim] === lo[b + dim]) return id; // all points equal: splitting cannot separate them
    const mid = (s + e) >>> 1;
    select(perm, s, e - 1, mid, data, d, dim);
    left[id] = build(s, mid);
    right[id] = build(mid, e);
    return id;
  };
  build(0, n);

  const pts = new Float64Array(n * d);
  for (let t = 0; t < n; t++) pts.set(data.subarray(perm[t] * d, perm[t] * d + d), t * d);
  const stack = new Int32Array(maxNodes);

  return (i, out, minJ) => {
    const o = i * d;
    let cnt = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const id = stack[--top];
      const b = id * d;
      let gap = 0;
      for (let q = 0; q < d && gap <= r2; q++) {
        const v = data[o + q];
        const g = v < lo[b + q] ? lo[b + q] - v : v > hi[b + q] ? v - hi[b + q] : 0;
        gap += g * g;
      }
      if (gap > r2) continue;
      if (left[id] < 0) {
        for (let t = start[id]; t < end[id]; t++) {
          const j = perm[t];
          if (j < minJ || !within(data, o, pts, t * d, d, r2)) continue;
          if (full && !within(full.data, i * full.cols, full.data, j * full.cols, full.cols, r2)) continue;
          out[cnt++] = j;
        }
      } else {
        stack[top++] = right[id];
        stack[top++] = left[id];
      }
    }
    return cnt;
  };
}

/** Quickselect (Hoare partition, middle pivot) so perm[kth] holds the median along dim. */
function select(perm: Int32Array, l: number, r: number, kth: number, data: Float64Array, d: number, dim: number): void {
  while (l < r) {
    const pivot = data[perm[(l + r) >>> 1] * d + dim];
    let i = l;
    let j = r;
    while (i <= j) {
      while (data[perm[i] * d + dim] < pivot) i++;
      while (data[perm[j] * d + dim] > pivot) j--;
      if (i <= j) {
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        i++;
        j--;
      }
    }
    if (kth <= j) r = j;
    else if (kth >= i) l = i;
    else return;
  }
}
