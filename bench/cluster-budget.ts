// `npm run bench:cluster:budget -- [--budgets 10,30,60] [--tracks 10000] [--algorithms kmeans,gmm] [--threads N]`
//
// Search quality per second: the best fitness the evolutionary search reaches after each wall-clock budget,
// for one initialisation per fit (ours) and for the original's n_init (K-Means 10, GMM 3 with reg_covar 1e-4),
// on the bench's 10,000-track mood library with the bench's ranges. Early stop is off; each setting runs until
// the largest budget, generation by generation on the worker pool, and the best-so-far is read at each budget.
import os from 'node:os';
import { WorkerPool } from '../engines/clustering/pool.ts';
import {
  DEFAULT_SEARCH_OPTIONS,
  evolveGeneration,
  initSearchState,
  prepareSearchData,
  type SearchOptions,
} from '../engines/clustering/search.ts';
import type { Algorithm } from '../engines/clustering/types.ts';
import { syntheticLibrary } from '../test/helpers/clustering-library.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const budgets = arg('budgets', '10,30,60').split(',').map(Number);
const nTracks = Number(arg('tracks', '10000'));
const threads = Number(arg('threads', String(os.availableParallelism())));
const algorithms = arg('algorithms', 'kmeans,gmm').split(',') as Algorithm[];
const seed = Number(arg('seed', '1'));
const maxBudget = Math.max(...budgets);

const SETTINGS: Record<string, { label: string; opts: Partial<SearchOptions> }[]> = {
  kmeans: [
    { label: 'n_init 1 (ours)', opts: { kmeansInit: 1 } },
    { label: 'n_init 3', opts: { kmeansInit: 3 } },
    { label: 'n_init 10 (original)', opts: { kmeansInit: 10 } },
  ],
  gmm: [
    { label: 'n_init 1, reg 1e-6 (ours)', opts: { gmmInit: 1, gmmRegCovar: 1e-6 } },
    { label: 'n_init 1, reg 1e-4', opts: { gmmInit: 1, gmmRegCovar: 1e-4 } },
    { label: 'n_init 3, reg 1e-4 (original)', opts: { gmmInit: 3, gmmRegCovar: 1e-4 } },
  ],
  dbscan: [{ label: 'deterministic', opts: {} }],
};

console.log(
  `bench:cluster:budget — ${nTracks} tracks (mood space), budgets ${budgets.join('/')} s, ${threads} threads, ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const lib = syntheticLibrary({
  tracks: nTracks,
  groups: 40,
  seed,
  unevenSizes: true,
  artistsPerGroup: 25,
  embeddingLatent: 16,
  embeddingNoise: 0.5,
});
const data = prepareSearchData(lib.tracks, { featureSpace: 'moods' }, DEFAULT_SEARCH_OPTIONS.ranges.pca[1]);

const rows: string[] = [];
for (const algorithm of algorithms) {
  for (const setting of SETTINGS[algorithm]) {
    const opts: Partial<SearchOptions> = {
      runs: 1_000_000,
      earlyStopGenerations: 0,
      algorithms: [algorithm],
      gmmCovariance: 'full',
      ...setting.opts,
    };
    const pool = WorkerPool.create(data, opts, threads);
    let state = initSearchState(seed);
    const reached: (number | null)[] = budgets.map(() => null);
    const runsAt: number[] = budgets.map(() => 0);
    const t0 = performance.now();
    try {
      for (;;) {
        const g = await evolveGeneration(data, state, { ...opts, evaluator: pool.evaluate });
        state = g.state;
        const elapsed = (performance.now() - t0) / 1000;
        budgets.forEach((b, i) => {
          if (elapsed <= b) {
            reached[i] = state.best?.fitness ?? null;
            runsAt[i] = state.runs;
          }
        });
        if (elapsed >= maxBudget) break;
      }
    } finally {
      await pool.close();
    }
    const cells = reached.map((f, i) => `${f === null ? '-' : f.toFixed(3)} (${runsAt[i]} runs)`);
    rows.push(`| ${algorithm} | ${setting.label} | ${cells.join(' | ')} |`);
    console.log(`${algorithm} ${setting.label}: ${cells.join(', ')}`);
  }
}
console.log(`\n| Algorithm | Fits | ${budgets.map((b) => `best fitness after ${b} s`).join(' | ')} |`);
console.log(`|---|---|${budgets.map(() => '---').join('|')}|`);
for (const r of rows) console.log(r);
console.log(
  `\nload average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
