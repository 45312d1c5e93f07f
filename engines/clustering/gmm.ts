// Gaussian mixture fitted by expectation-maximisation, following scikit-learn's GaussianMixture:
// responsibilities initialised from a K-Means partition, reg_covar added to every covariance diagonal,
// precisions through the Cholesky factor, and the E-step in log space with log-sum-exp so distant points
// do not underflow to 0/0.
import { assertCount, assertData, ClusteringInputError } from './input.ts';
import { kmeans } from './kmeans.ts';
import { cholesky, invertLower } from './linalg.ts';
import type { Rng } from './rng.ts';
import { matrix, type ClusterFit, type CovarianceType, type Matrix } from './types.ts';

export interface GmmOptions {
  /** EM iterations per run (scikit-learn default 100). */
  maxIter?: number;
  /** Converged when the mean log-likelihood changes by less than tol (default 1e-3). */
  tol?: number;
  /** Added to covariance diagonals so a collapsing component stays invertible (default 1e-6). */
  regCovar?: number;
  /** Independent K-Means initialisations; the highest final log-likelihood wins (default 1). */
  nInit?: number;
  /** Start from this partition (labels 0..k-1) instead of K-Means: one run, no randomness. */
  initLabels?: Int32Array;
}

export interface GmmFit extends ClusterFit {
  /** Mean log-likelihood per sample of the returned parameters (scikit-learn's score()). */
  logLikelihood: number;
  /** Mean log-likelihood of the parameters after initialisation and after each M-step, last = logLikelihood. */
  logLikelihoodTrace: number[];
  converged: boolean;
  nIter: number;
  weights: Float64Array;
  /** k·d·d (full, row-major per component) or k·d (diag) values. */
  covariances: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);
/** scikit-learn adds 10·eps to every component's soft count so an empty component divides by > 0. */
const COUNT_FLOOR = 10 * Number.EPSILON;

/**
 * Fits k components; labels are each point's most responsible component and centroids the means.
 * A component that loses all its points keeps weight ≈ 0 and covariance regCovar·I (no NaN);
 * k > rows is a ClusteringInputError.
 */
export function gmm(
  X: Matrix,
  nComponents: number,
  covarianceType: CovarianceType,
  rng: Rng,
  opts: GmmOptions = {},
): GmmFit {
  assertData(X, 'gmm');
  assertCount(nComponents, 1, X.rows, 'nComponents (at most the number of rows)', 'gmm');
  if (covarianceType !== 'full' && covarianceType !== 'diag') {
    throw new ClusteringInputError(`gmm: covarianceType must be 'full' or 'diag', got ${String(covarianceType)}`);
  }
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-3;
  const regCovar = opts.regCovar ?? 1e-6;
  const nInit = opts.nInit ?? 1;
  assertCount(maxIter, 1, 1e9, 'maxIter', 'gmm');
  assertCount(nInit, 1, 1e6, 'nInit', 'gmm');
  if (!(tol >= 0)) throw new ClusteringInputError(`gmm: tol must be ≥ 0, got ${tol}`);
  if (!(regCovar >= 0) || !Number.isFinite(regCovar))
    throw new ClusteringInputError(`gmm: regCovar must be ≥ 0, got ${regCovar}`);
  const { initLabels } = opts;
  if (initLabels) {
    if (initLabels.length !== X.rows)
      throw new ClusteringInputError(`gmm: initLabels has ${initLabels.length} labels for ${X.rows} rows`);
    for (const l of initLabels) assertCount(l, 0, nComponents - 1, 'initLabels entry', 'gmm');
  }
  let best: GmmFit | undefined;
  for (let r = 0; r < (initLabels ? 1 : nInit); r++) {
    const start = initLabels ?? kmeans(X, nComponents, rng).labels;
    const fit = emRun(X, nComponents, covarianceType, start, maxIter, tol, regCovar);
    if (!best || fit.logLikelihood > best.logLikelihood) best = fit;
  }
  return best!;
}

interface Params {
  weights: Float64Array;
  means: Float64Array;
  /** Covariances: k·d·d (full) or k·d (diag). */
  cov: Float64Array;
  /** full: inverse of the lower Cholesky factor per component (k·d·d); diag: 1/variance (k·d). */
  prec: Float64Array;
  /** log πₖ − d/2·log 2π + log det of the precision's Cholesky factor. */
  logConst: Float64Array;
}

function emRun(
  X: Matrix,
  k: number,
  type: CovarianceType,
  start: Int32Array,
  maxIter: number,
  tol: number,
  reg: number,
): GmmFit {
  const { rows: n, cols: d } = X;
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + start[i]] = 1;
  const full = type === 'full';
  const p: Params = {
    weights: new Float64Array(k),
    means: new Float64Array(k * d),
    cov: new Float64Array(full ? k * d * d : k * d),
    prec: new Float64Array(full ? k * d * d : k * d),
    logConst: new Float64Array(k),
  };
  mStep(X, resp, k, full, reg, p);
  const best = Int32Array.from(start);
  const trace: number[] = [];
  let converged = false;
  let nIter = 0;
  let prev = -Infinity;
  for (let it = 1; it <= maxIter; it++) {
    const ll = eStep(X, k, full, p, resp, best);
    trace.push(ll);
    mStep(X, resp, k, full, reg, p);
    nIter = it;
    if (Math.abs(ll - prev) < tol) {
      converged = true;
      break;
    }
    prev = ll;
  }
  const ll = eStep(X, k, full, p, resp, best);
  trace.push(ll);
  return {
    labels: best,
    k,
    centroids: matrix(k, d, p.means),
    logLikelihood: ll,
    logLikelihoodTrace: trace,
    converged,
    nIter,
    weights: p.weights,
    covariances: p.cov,
  };
}

/**
 * Responsibilities below e^-CUT of a point's largest term are stored as exactly 0: even a hundred of them
 * sum to < 1e-20, under half an ulp of the normaliser (≥ 1), so the log-likelihood is unchanged while both
 * steps skip them. In high dimensions most components are hundreds of nats away from a point.
 */
const CUT = 50;

/**
 * Fills resp with responsibilities under p; returns the mean log-likelihood per sample. `best` holds each
 * point's most responsible component from the previous step: evaluating it first sets a high bar, so the
 * Mahalanobis sums of far components stop as soon as they fall CUT nats below it.
 */
function eStep(X: Matrix, k: number, full: boolean, p: Params, resp: Float64Array, best: Int32Array): number {
  const { rows: n, cols: d, data } = X;
  const { means, prec, logConst } = p;
  const t = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const ro = i * k;
    const a = best[i];
    let max = logConst[a] - 0.5 * maha(data, o, means, prec, a, d, full, Infinity, t);
    resp[ro + a] = max;
    for (let c = 0; c < k; c++) {
      if (c === a) continue;
      // w = logConst − maha/2 falls below max − CUT once maha exceeds this.
      const limit = 2 * (logConst[c] - max + CUT);
      if (limit < 0) {
        resp[ro + c] = -Infinity;
        continue;
      }
      const m = maha(data, o, means, prec, c, d, full, limit, t);
      const w = m > limit ? -Infinity : logConst[c] - 0.5 * m;
      resp[ro + c] = w;
      if (w > max) max = w;
    }
    let s = 0;
    let arg = -1; // first component attaining the max, as numpy's argmax
    for (let c = 0; c < k; c++) {
      const z = resp[ro + c] - max;
      const e = z < -CUT ? 0 : Math.exp(z);
      resp[ro + c] = e;
      s += e;
      if (z === 0 && arg < 0) arg = c;
    }
    best[i] = arg;
    const inv = 1 / s;
    for (let c = 0; c < k; c++) resp[ro + c] *= inv;
    total += max + Math.log(s);
  }
  return total / n;
}

/**
 * Squared Mahalanobis distance of row o to component c: Σ (x−μ)²/σ² (diag) or ‖L⁻¹(x−μ)‖² (full, L⁻¹
 * lower-triangular). Stops early once the partial sum, which only grows, exceeds limit.
 */
function maha(
  data: Float64Array,
  o: number,
  means: Float64Array,
  prec: Float64Array,
  c: number,
  d: number,
  full: boolean,
  limit: number,
  t: Float64Array,
): number {
  const mo = c * d;
  let m = 0;
  if (full) {
    for (let q = 0; q < d; q++) t[q] = data[o + q] - means[mo + q];
    const po = c * d * d;
    for (let r = 0; r < d; r++) {
      const ro = po + r * d;
      let z = 0;
      for (let q = 0; q <= r; q++) z += prec[ro + q] * t[q];
      m += z * z;
      if (m > limit) return m;
    }
    return m;
  }
  let q = 0;
  for (; q + 3 < d; q += 4) {
    const v0 = data[o + q] - means[mo + q];
    const v1 = data[o + q + 1] - means[mo + q + 1];
    const v2 = data[o + q + 2] - means[mo + q + 2];
    const v3 = data[o + q + 3] - means[mo + q + 3];
    m +=
      v0 * v0 * prec[mo + q] + v1 * v1 * prec[mo + q + 1] + (v2 * v2 * prec[mo + q + 2] + v3 * v3 * prec[mo + q + 3]);
    if (m > limit) return m;
  }
  for (; q < d; q++) {
    const v = data[o + q] - means[mo + q];
    m += v * v * prec[mo + q];
  }
  return m;
}

/** Maximum-likelihood weights, means and covariances for the responsibilities, plus reg on the diagonal. */
function mStep(X: Matrix, resp: Float64Array, k: number, full: boolean, reg: number, p: Params): void {
  const { rows: n, cols: d, data } = X;
  const { weights, means, cov } = p;
  const nk = new Float64Array(k).fill(COUNT_FLOOR);
  means.fill(0);
  cov.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue; // exact: a zero responsibility adds nothing
      nk[c] += r;
      const mo = c * d;
      if (full) {
        for (let q = 0; q < d; q++) means[mo + q] += r * data[o + q];
      } else {
        // Diagonal: first and second moments in one pass, variance = E[x²] − μ² as scikit-learn computes it
        // (the cancellation error, ~1e-16·E[x²], is far below reg_covar on scaled data).
        for (let q = 0; q < d; q++) {
          const rx = r * data[o + q];
          means[mo + q] += rx;
          cov[mo + q] += rx * data[o + q];
        }
      }
    }
  }
  for (let c = 0; c < k; c++) {
    for (let q = 0; q < d; q++) {
      const mu = (means[c * d + q] /= nk[c]);
      if (!full) cov[c * d + q] = cov[c * d + q] / nk[c] - mu * mu;
    }
  }
  const t = new Float64Array(d);
  const dd = d * d;
  for (let i = 0; i < n && full; i++) {
    const o = i * d;
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      const mo = c * d;
      for (let q = 0; q < d; q++) t[q] = data[o + q] - means[mo + q];
      const co = c * dd;
      for (let a = 0; a < d; a++) {
        const ra = r * t[a];
        const ao = co + a * d;
        for (let b = 0; b <= a; b++) cov[ao + b] += ra * t[b];
      }
    }
  }
  let wsum = 0;
  for (let c = 0; c < k; c++) wsum += nk[c];
  for (let c = 0; c < k; c++) weights[c] = nk[c] / wsum;
  if (full) {
    const L = new Float64Array(dd);
    const Linv = new Float64Array(dd);
    const a = new Float64Array(dd);
    for (let c = 0; c < k; c++) {
      const co = c * dd;
      for (let r = 0; r < d; r++) {
        for (let q = 0; q <= r; q++) cov[co + r * d + q] /= nk[c];
        cov[co + r * d + r] += reg;
        for (let q = 0; q < r; q++) cov[co + q * d + r] = cov[co + r * d + q];
      }
      // Rounding can make a nearly singular covariance fail Cholesky even with reg (or reg = 0 was
      // asked for): add growing jitter to the diagonal rather than abort the fit.
      let jitter = 0;
      a.set(cov.subarray(co, co + dd));
      while (!cholesky(a, d, L)) {
        jitter = jitter === 0 ? Math.max(reg, 1e-12) : jitter * 10;
        a.set(cov.subarray(co, co + dd));
        for (let r = 0; r < d; r++) a[r * d + r] += jitter;
      }
      if (jitter > 0) cov.set(a, co);
      invertLower(L, d, Linv);
      p.prec.set(Linv, co);
      let logDet = 0;
      for (let r = 0; r < d; r++) logDet -= Math.log(L[r * d + r]);
      p.logConst[c] = Math.log(weights[c]) - 0.5 * d * LOG_2PI + logDet;
    }
  } else {
    for (let c = 0; c < k; c++) {
      let logDet = 0;
      for (let q = 0; q < d; q++) {
        const v = cov[c * d + q] + reg;
        // Only regCovar = 0 (with a constant column or a one-point component) leaves v ≤ 0 after rounding:
        // floor it like the full case's jitter.
        const vv = v > 0 ? v : 1e-12;
        cov[c * d + q] = vv;
        p.prec[c * d + q] = 1 / vv;
        logDet -= 0.5 * Math.log(vv);
      }
      p.logConst[c] = Math.log(weights[c]) - 0.5 * d * LOG_2PI + logDet;
    }
  }
}
