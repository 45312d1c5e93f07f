// Standard scaling (z-scores per column), as scikit-learn's StandardScaler: population std (ddof 0).
import { assertData, ClusteringInputError } from './input.ts';
import { matrix, type Matrix } from './types.ts';

export interface Scaling {
  scaled: Matrix;
  mean: Float64Array;
  /** Scale used per column; 1 for a (numerically) constant column, so it maps to 0 instead of NaN. */
  std: Float64Array;
}

export function standardScale(X: Matrix): Scaling {
  assertData(X, 'standardScale');
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) mean[j] += data[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  // Two passes: subtracting the mean first avoids the cancellation of E[x²] − E[x]².
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const c = data[o + j] - mean[j];
      std[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / n);
    // Rounding leaves ~1e-16·|mean| of spread in a constant column; treat anything that small as constant.
    std[j] = s <= 1e-12 * Math.max(1, Math.abs(mean[j])) ? 1 : s;
  }
  return { scaled: applyScale(X, mean, std), mean, std };
}

/** (X − mean) / std with a previously fitted scaling. */
export function applyScale(X: Matrix, mean: Float64Array, std: Float64Array): Matrix {
  checkWidth(X, mean, std, 'applyScale');
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) out[o + j] = (data[o + j] - mean[j]) / std[j];
  }
  return matrix(n, d, out);
}

/** Inverse of applyScale: back to the original feature units. */
export function unscale(Z: Matrix, mean: Float64Array, std: Float64Array): Matrix {
  checkWidth(Z, mean, std, 'unscale');
  const { rows: n, cols: d, data } = Z;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) out[o + j] = data[o + j] * std[j] + mean[j];
  }
  return matrix(n, d, out);
}

function checkWidth(X: Matrix, mean: Float64Array, std: Float64Array, fn: string): void {
  if (X.cols !== mean.length || X.cols !== std.length) {
    throw new ClusteringInputError(`${fn}: data has ${X.cols} columns, scaling has ${mean.length}`);
  }
}
