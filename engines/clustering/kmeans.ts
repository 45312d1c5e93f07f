// K-Means: greedy k-means++ seeding (as scikit-learn) and Lloyd iterations accelerated with Elkan's
// triangle-inequality bounds, which skip most point-to-centre distances while giving Lloyd's result.
import { assertCount, assertData, ClusteringInputError } from './input.ts';
import { sqDist, sqDistUpTo } from './distance.ts';
import type { Rng } from './rng.ts';
import { matrix, type ClusterFit, type Matrix } from './types.ts';

export interface KMeansOptions {
  /** Lloyd iterations per run (scikit-learn default 300). */
  maxIter?: number;
  /** Stop when Σ‖centre shift‖² ≤ tol · mean column variance (scikit-learn's rule, default 1e-4). */
  tol?: number;
  /** Independent seedings; the lowest inertia wins (default 1, scikit-learn's n_init='auto' for k-means++). */
  nInit?: number;
  /** Explicit k × d starting centres instead of k-means++ (one run; used to compare with references). */
  init?: Matrix;
}

export interface KMeansFit extends ClusterFit {
  /** Σ squared distance of each point to its centre. */
  inertia: number;
  /** Lloyd iterations of the returned run. */
  nIter: number;
  converged: boolean;
}

/**
 * Partitions the rows of X into k clusters. Labels are 0..k-1. When X has fewer distinct rows than k some
 * clusters stay empty (their centre duplicates a point); k > rows is a ClusteringInputError.
 */
export function kmeans(X: Matrix, k: number, rng: Rng, opts: KMeansOptions = {}): KMeansFit {
  assertData(X, 'kmeans');
  const { rows: n, cols: d } = X;
  assertCount(k, 1, n, 'k (clusters, at most the number of rows)', 'kmeans');
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-4;
  const nInit = opts.nInit ?? 1;
  assertCount(maxIter, 1, 1e9, 'maxIter', 'kmeans');
  assertCount(nInit, 1, 1e6, 'nInit', 'kmeans');
  if (!(tol >= 0)) throw new ClusteringInputError(`kmeans: tol must be ≥ 0, got ${tol}`);
  if (opts.init) {
    assertData(opts.init, 'kmeans init');
    if (opts.init.rows !== k || opts.init.cols !== d) {
      throw new ClusteringInputError(`kmeans: init must be ${k}x${d}, got ${opts.init.rows}x${opts.init.cols}`);
    }
  }
  const tolAbs = tol * meanVariance(X);
  let best: KMeansFit | undefined;
  const runs = opts.init ? 1 : nInit;
  for (let r = 0; r < runs; r++) {
    const centres = opts.init ? Float64Array.from(opts.init.data) : kmeansPlusPlus(X, k, rng);
    const fit = lloydElkan(X, k, centres, maxIter, tolAbs);
    if (!best || fit.inertia < best.inertia) best = fit;
  }
  return best!;
}

/**
 * Greedy k-means++ (scikit-learn's `_kmeans_plusplus`): each new centre is the best of 2 + ⌊ln k⌋
 * candidates drawn with probability ∝ D², judged by the resulting potential. A candidate c cannot come
 * closer to a point x than x's nearest centre a when ‖c − a‖ ≥ 2·‖x − a‖ (triangle inequality), so those
 * distances are never computed: same result, a fraction of the work once centres spread out.
 */
export function kmeansPlusPlus(X: Matrix, k: number, rng: Rng): Float64Array {
  const { rows: n, cols: d, data } = X;
  const trials = 2 + Math.floor(Math.log(k));
  const centres = new Float64Array(k * d);
  const closest = new Float64Array(n); // D²(x): squared distance to the nearest chosen centre
  const nearest = new Int32Array(n); // which centre that is
  const cum = new Float64Array(n);
  const candDist = new Float64Array(trials * n);
  const reach = new Float64Array(k); // (‖candidate − centre j‖ / 2)², the skip threshold on D²
  const first = rng.int(0, n - 1);
  centres.set(data.subarray(first * d, first * d + d), 0);
  for (let i = 0; i < n; i++) closest[i] = sqDist(data, i * d, data, first * d, d);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let i = 0; i < n; i++) cum[i] = acc += closest[i];
    let bestT = 0;
    let bestPot = Infinity;
    let bestIdx = 0;
    for (let t = 0; t < trials; t++) {
      const idx = Math.min(searchLeft(cum, rng.next() * acc), n - 1);
      const io = idx * d;
      for (let j = 0; j < c; j++) reach[j] = 0.25 * sqDist(data, io, centres, j * d, d);
      const off = t * n;
      let p = 0;
      for (let i = 0; i < n; i++) {
        const D = closest[i];
        let v = D;
        if (D > reach[nearest[i]]) {
          const e = sqDistUpTo(data, i * d, data, io, d, D);
          if (e < D) v = e;
        }
        candDist[off + i] = v;
        p += v;
      }
      if (p < bestPot) {
        bestPot = p;
        bestT = t;
        bestIdx = idx;
      }
    }
    const off = bestT * n;
    for (let i = 0; i < n; i++) {
      if (candDist[off + i] < closest[i]) {
        closest[i] = candDist[off + i];
        nearest[i] = c;
      }
    }
    centres.set(data.subarray(bestIdx * d, bestIdx * d + d), c * d);
  }
  return centres;
}

/** First index i with cum[i] ≥ v (numpy searchsorted, side='left'). */
function searchLeft(cum: Float64Array, v: number): number {
  let lo = 0;
  let hi = cum.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function meanVariance(X: Matrix): number {
  const { rows: n, cols: d, data } = X;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * d + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const t = data[i * d + j] - m;
      v += t * t;
    }
    total += v / n;
  }
  return total / d;
}

/**
 * Lloyd's algorithm with Elkan's bounds: per point an upper bound on the distance to its centre and a lower
 * bound per centre; a centre is measured only when both the bound and half the centre-centre distance fail
 * to rule it out. Centres are visited nearest-first from the point's centre, so the scan stops at the first
 * centre that is too far, rather than testing all k. A measurement stops once it exceeds the current upper bound: the partial sum is then a
 * valid lower bound and the point keeps its centre, so results equal plain Lloyd's.
 */
function lloydElkan(X: Matrix, k: number, C: Float64Array, maxIter: number, tolAbs: number): KMeansFit {
  const { rows: n, cols: d, data } = X;
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  // Lower bounds are stored with the centre's drift at storage time added (lower + drift[j]); the current
  // bound is stored − drift[j]. That replaces Elkan's n·k bound update per iteration with one subtraction.
  const lower = new Float64Array(n * k);
  const drift = new Float64Array(k);
  const counts = new Int32Array(k);
  const sums = new Float64Array(k * d);
  const half = new Float64Array(k);
  const cc = new Float64Array(k * k); // half the centre-centre distances
  const order = new Int32Array(k * k); // row a: centres by increasing cc[a][·]
  const move = new Float64Array(k);

  for (let i = 0; i < n; i++) {
    const o = i * d,
      lo = i * k;
    let b = Infinity,
      jb = 0;
    for (let j = 0; j < k; j++) {
      const v = sqDistUpTo(data, o, C, j * d, d, b);
      lower[lo + j] = Math.sqrt(v);
      if (v < b) {
        b = v;
        jb = j;
      }
    }
    labels[i] = jb;
    upper[i] = Math.sqrt(b);
  }

  let nIter = 0;
  let converged = false;
  for (let it = 0; it < maxIter; it++) {
    counts.fill(0);
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const j = labels[i];
      counts[j]++;
      const o = i * d,
        c = j * d;
      for (let q = 0; q < d; q++) sums[c + q] += data[o + q];
    }
    relocateEmpty(X, k, C, labels, counts, sums);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const c = j * d;
      const inv = 1 / counts[j];
      let mv = 0;
      for (let q = 0; q < d; q++) {
        const nc = sums[c + q] * inv;
        const t = nc - C[c + q];
        mv += t * t;
        C[c + q] = nc;
      }
      shift += mv;
      move[j] = Math.sqrt(mv);
      drift[j] += move[j];
    }
    nIter = it + 1;
    for (let i = 0; i < n; i++) upper[i] += move[labels[i]];
    half.fill(Infinity);
    for (let j = 0; j < k; j++) {
      cc[j * k + j] = 0;
      for (let j2 = j + 1; j2 < k; j2++) {
        const h = 0.5 * Math.sqrt(sqDist(C, j * d, C, j2 * d, d));
        cc[j * k + j2] = cc[j2 * k + j] = h;
        if (h < half[j]) half[j] = h;
        if (h < half[j2]) half[j2] = h;
      }
    }
    // Insertion sort per row: k is small and TypedArray.sort with a comparator is slow in V8.
    for (let a = 0; a < k; a++) {
      const ro = a * k;
      for (let t = 0; t < k; t++) {
        let p = t;
        while (p > 0 && cc[ro + order[ro + p - 1]] > cc[ro + t]) {
          order[ro + p] = order[ro + p - 1];
          p--;
        }
        order[ro + p] = t;
      }
    }
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a0 = labels[i];
      let u0 = upper[i]; // bound on the distance to the old centre: once ≤ cc[a0][j], no later j can be closer
      if (u0 <= half[a0]) continue;
      let a = a0;
      let u = u0;
      const o = i * d,
        lo = i * k,
        ro = a0 * k;
      let tight = false;
      for (let t = 0; t < k; t++) {
        const j = order[ro + t];
        if (u0 <= cc[ro + j]) break;
        if (j === a0 || j === a || u <= lower[lo + j] - drift[j] || u <= cc[a * k + j]) continue;
        if (!tight) {
          u = u0 = Math.sqrt(sqDist(data, o, C, a0 * d, d));
          lower[lo + a0] = u + drift[a0];
          tight = true;
          if (u0 <= cc[ro + j]) break;
          if (u <= lower[lo + j] - drift[j]) continue;
        }
        const v = Math.sqrt(sqDistUpTo(data, o, C, j * d, d, u * u));
        lower[lo + j] = v + drift[j];
        if (v < u) {
          a = j;
          u = v;
        }
      }
      upper[i] = u;
      if (a !== a0) {
        labels[i] = a;
        changed++;
      }
    }
    if (changed === 0 || shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(data, i * d, C, labels[i] * d, d);
  return { labels, k, centroids: matrix(k, d, C), inertia, nIter, converged };
}

/**
 * scikit-learn's `_relocate_empty_clusters`: each empty cluster takes one of the points farthest from
 * their centres, and that point leaves its old cluster's sum. A point is only taken from a cluster that
 * keeps another member, so no count drops to zero (with fewer distinct points than k nothing may move and
 * the empty centre stays where it was, duplicating a point).
 */
function relocateEmpty(
  X: Matrix,
  k: number,
  C: Float64Array,
  labels: Int32Array,
  counts: Int32Array,
  sums: Float64Array,
): void {
  const empty: number[] = [];
  for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
  if (empty.length === 0) return;
  const { rows: n, cols: d, data } = X;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = sqDist(data, i * d, C, labels[i] * d, d);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b] - dist[a] || a - b);
  let next = 0;
  for (const j of empty) {
    while (next < n && counts[labels[order[next]]] < 2) next++;
    if (next === n || dist[order[next]] === 0) {
      // Nothing to move: keep the old centre as the "mean" of an empty cluster.
      counts[j] = 1;
      for (let q = 0; q < d; q++) sums[j * d + q] = C[j * d + q];
      continue;
    }
    const f = order[next++];
    const old = labels[f];
    counts[old]--;
    counts[j] = 1;
    for (let q = 0; q < d; q++) {
      sums[old * d + q] -= data[f * d + q];
      sums[j * d + q] = data[f * d + q];
    }
  }
}
