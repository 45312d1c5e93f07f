// Principal component analysis: eigen-decomposition of the d×d covariance matrix. For the data this
// project clusters (n ≈ 10,000 ≫ d ≤ 200) forming the covariance costs n·d²/2 and the decomposition d³,
// far less than an SVD of the n×d data; scikit-learn ≥ 1.5 picks the same "covariance_eigh" route here.
import { assertCount, assertData, ClusteringInputError } from './input.ts';
import { multiplyABt, symmetricEigen } from './linalg.ts';
import { matrix, type Matrix } from './types.ts';

export interface PcaModel {
  /** nComponents × d, rows are unit principal axes, largest variance first. */
  components: Matrix;
  mean: Float64Array;
  /** Variance along each component (ddof 1, as scikit-learn's explained_variance_). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance; zeros for constant data. */
  explainedVarianceRatio: Float64Array;
}

/**
 * Fits PCA with nComponents in [0, min(rows, cols)]. 0 means "no PCA": the model keeps the mean and
 * pcaTransform returns its input unchanged. Signs follow scikit-learn's svd_flip: the largest-magnitude
 * entry of each component is positive, so results are deterministic.
 */
export function pcaFit(X: Matrix, nComponents: number): PcaModel {
  assertData(X, 'pcaFit');
  const { rows: n, cols: d, data } = X;
  assertCount(nComponents, 0, Math.min(n, d), 'nComponents', 'pcaFit');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  if (nComponents === 0) {
    return {
      components: matrix(0, d),
      mean,
      explainedVariance: new Float64Array(0),
      explainedVarianceRatio: new Float64Array(0),
    };
  }
  const cov = covariance(X, mean);
  const { values, vectors } = symmetricEigen(cov, d);
  let total = 0;
  for (let j = 0; j < d; j++) total += cov[j * d + j];
  const components = new Float64Array(nComponents * d);
  const explainedVariance = new Float64Array(nComponents);
  const explainedVarianceRatio = new Float64Array(nComponents);
  for (let c = 0; c < nComponents; c++) {
    const row = vectors.subarray(c * d, c * d + d);
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(row[j]) > Math.abs(row[big])) big = j;
    const sign = row[big] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[c * d + j] = sign * row[j];
    // Rounding can leave a zero eigenvalue slightly negative.
    explainedVariance[c] = Math.max(0, values[c]);
    explainedVarianceRatio[c] = total > 0 ? explainedVariance[c] / total : 0;
  }
  return { components: matrix(nComponents, d, components), mean, explainedVariance, explainedVarianceRatio };
}

/** Projects X onto the model's components: (X − mean)·componentsᵀ. With 0 components returns X itself. */
export function pcaTransform(model: PcaModel, X: Matrix): Matrix {
  const { components, mean } = model;
  if (X.cols !== mean.length)
    throw new ClusteringInputError(`pcaTransform: data has ${X.cols} columns, model has ${mean.length}`);
  const c = components.rows;
  if (c === 0) return X;
  const { rows: n, cols: d, data } = X;
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - mean[j];
  const out = new Float64Array(n * c);
  multiplyABt(centred, n, components.data, c, d, out);
  return matrix(n, c, out);
}

/** Maps PCA coordinates back to the original space: Y·components + mean (used to name centroids). */
export function pcaInverseTransform(model: PcaModel, Y: Matrix): Matrix {
  const { components, mean } = model;
  const d = mean.length;
  const c = components.rows;
  if (c === 0) return Y;
  if (Y.cols !== c)
    throw new ClusteringInputError(`pcaInverseTransform: data has ${Y.cols} columns, model has ${c} components`);
  const out = new Float64Array(Y.rows * d);
  const V = components.data;
  for (let i = 0; i < Y.rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) out[o + j] = mean[j];
    for (let q = 0; q < c; q++) {
      const y = Y.data[i * c + q];
      for (let j = 0; j < d; j++) out[o + j] += y * V[q * d + j];
    }
  }
  return matrix(Y.rows, d, out);
}

/** Sample covariance (ddof 1): the centred data transposed to column-major, then Tᵀ·T on the upper triangle. */
function covariance(X: Matrix, mean: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = X;
  const T = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) T[j * n + i] = data[o + j] - mean[j];
  }
  const cov = new Float64Array(d * d);
  multiplyABt(T, d, T, d, n, cov, true);
  const div = Math.max(1, n - 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) cov[a * d + b] = cov[b * d + a] = cov[a * d + b] / div;
  }
  return cov;
}
