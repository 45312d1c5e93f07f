// Argument checks shared by the clustering kernels: bad input fails fast with one typed error instead of
// producing NaN labels deep inside a fit.
import type { Matrix } from './types.ts';

export class ClusteringInputError extends RangeError {
  override name = 'ClusteringInputError';
}

/** Throws unless X is a well-formed matrix with at least one row and column and only finite values. */
export function assertData(X: Matrix, fn: string): void {
  if (!X || !(X.data instanceof Float64Array))
    throw new ClusteringInputError(`${fn}: data must be a Matrix over a Float64Array`);
  if (!Number.isInteger(X.rows) || !Number.isInteger(X.cols) || X.rows < 1 || X.cols < 1) {
    throw new ClusteringInputError(`${fn}: data must have at least 1 row and 1 column, got ${X.rows}x${X.cols}`);
  }
  if (X.data.length !== X.rows * X.cols) {
    throw new ClusteringInputError(`${fn}: ${X.rows}x${X.cols} matrix holds ${X.data.length} values`);
  }
  const d = X.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new ClusteringInputError(`${fn}: value at row ${Math.floor(i / X.cols)}, column ${i % X.cols} is ${d[i]}`);
    }
  }
}

export function assertCount(value: number, min: number, max: number, what: string, fn: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ClusteringInputError(`${fn}: ${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
