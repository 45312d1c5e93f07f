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
export function gmm(X: Matrix, nComponents: number, covarianceType: CovarianceType, rng: Rng, opts: GmmOptions = {}): GmmFit {
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
  if (!(regCovar >= 0) || !Number.isFinite(regCovar)) throw new ClusteringInputError(`gmm: regCovar must be ≥ 0, got ${regCovar}`);
  const { initLabels } = opts;
  if (initLabels) {
    if (initLabels.length !== X.rows) throw new ClusteringInputError(`gmm: initLabels has ${initLabels.length} labels for ${X.rows} rows`);
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

function emRun(X: Matrix, k: number, type: CovarianceType, start: Int32Array, maxIter: number, tol: number, reg: number): GmmFit {
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
  const trace: number[] = [];
  let converged = false;
  let nIter = 0;
  let prev = -Infinity;
  for (let it = 1; it <= maxIter; it++) {
    const ll = eStep(X, k, full, p, resp);
    trace.push(ll);
    mStep(X, resp, k, full, reg, p);
    nIter = it;
    if (Math.abs(ll - prev) < tol) {
      converged = true;
      break;
    }
    prev = ll;
  }
  const ll = eStep(X, k, full, p, resp);
  trace.push(ll);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let c = 1; c < k; c++) if (resp[i * k + c] > resp[i * k + b]) b = c;
    labels[i] = b;
  }
  return {
    labels, k, centroids: matrix(k, d, p.means), logLikelihood: ll, logLikelihoodTrace: trace, converged, nIter,
    weights: p.weights, covariances: p.cov,
  };
}

/** Fills resp with responsibilities under p; returns the mean log-likelihood per sample. */
function eStep(X: Matrix, k: number, full: boolean, p: Params, resp: Float64Array): number {
  const { rows: n, cols: d, data } = X;
  const { means, prec, logConst } = p;
  const t = new Float64Array(d);
  const dd = d * d;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const ro = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const mo = c * d;
      let maha = 0;
      if (full) {
        for (let q = 0; q < d; q++) t[q] = data[o + q] - means[mo + q];
        // ‖L⁻¹(x − μ)‖² with L⁻¹ lower-triangular.
        const po = c * dd;
        for (let r = 0; r < d; r++) {
          const ro2 = po + r * d;
          let z = 0;
          for (let q = 0; q <= r; q++) z += prec[ro2 + q] * t[q];
          maha += z * z;
        }
      } else {
        for (let q = 0; q < d; q++) {
          const v = data[o + q] - means[mo + q];
          maha += v * v * prec[mo + q];
        }
      }
      const w = logConst[c] - 0.5 * maha;
      resp[ro + c] = w;
      if (w > max) max = w;
    }
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(resp[ro + c] - max);
    const lse = max + Math.log(s);
    for (let c = 0; c < k; c++) resp[ro + c] = Math.exp(resp[ro + c] - lse);
    total += lse;
  }
  return total / n;
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
      for (let q = 0; q < d; q++) means[mo + q] += r * data[o + q];
    }
  }
  for (let c = 0; c < k; c++) for (let q = 0; q < d; q++) means[c * d + q] /= nk[c];
  const t = new Float64Array(d);
  const dd = d * d;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      const mo = c * d;
      if (full) {
        for (let q = 0; q < d; q++) t[q] = data[o + q] - means[mo + q];
        const co = c * dd;
        for (let a = 0; a < d; a++) {
          const ra = r * t[a];
          const ao = co + a * d;
          for (let b = 0; b <= a; b++) cov[ao + b] += ra * t[b];
        }
      } else {
        for (let q = 0; q < d; q++) {
          const v = data[o + q] - means[mo + q];
          cov[mo + q] += r * v * v;
        }
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
        const v = cov[c * d + q] / nk[c] + reg;
        // Only regCovar = 0 with a constant column gives v = 0: floor it like the full case's jitter.
        const vv = v > 0 ? v : 1e-12;
        cov[c * d + q] = vv;
        p.prec[c * d + q] = 1 / vv;
        logDet -= 0.5 * Math.log(vv);
      }
      p.logConst[c] = Math.log(weights[c]) - 0.5 * d * LOG_2PI + logDet;
    }
  }
}
