// Shared shapes of the clustering engine. Data is row-major Float64Array: row i = data[i*cols .. i*cols+cols).

export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Result of one fit. Label -1 = noise (DBSCAN only). `centroids` has one row per cluster label 0..k-1. */
export interface ClusterFit {
  labels: Int32Array;
  k: number;
  centroids: Matrix;
}

export type { Algorithm, CovarianceType } from '../../words/search-state.ts';

export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols)
    throw new RangeError(`matrix ${rows}x${cols} needs ${rows * cols} values, got ${d.length}`);
  return { data: d, rows, cols };
}
