// The clustering search's plain JSON that workflows carry across generations and continue-as-new: the
// parameters of one candidate, the elite pool and the search state. Words, not engine code, because the
// workflow contracts and the engine both speak them.

export type Algorithm = 'kmeans' | 'dbscan' | 'gmm';
export type CovarianceType = 'full' | 'diag';

export type ClusterParams =
  | { algorithm: 'kmeans'; k: number; pca: number }
  | { algorithm: 'dbscan'; eps: number; minSamples: number; pca: number }
  | { algorithm: 'gmm'; components: number; covariance: CovarianceType; pca: number };

export interface Elite {
  params: ClusterParams;
  fitSeed: number;
  fitness: number;
  viable: number;
  k: number;
}

export interface SearchState {
  version: 1;
  seed: number;
  /** Generations completed. */
  generation: number;
  /** Candidates evaluated. */
  runs: number;
  /** Generations since the best last improved. */
  stale: number;
  /** Best distinct parameter sets by fitness, best first. */
  elites: Elite[];
  /** Best by (viable playlists, fitness); null until a candidate succeeds. */
  best: (Elite & { generation: number; index: number }) | null;
  done: boolean;
  stopReason: 'runs' | 'stale' | null;
}
