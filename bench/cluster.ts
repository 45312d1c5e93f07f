// Benchmark of the evolutionary clustering search: an N-run search (default 1,000) on a realistic synthetic
// library (default 10,000 tracks) in the mood+tempo space and in the 200-d embedding space with PCA, on
// worker threads (all cores). Prints wall time, runs/s and per-algorithm fit times, then scikit-learn's
// KMeans / GaussianMixture / DBSCAN on the same data and parameters (bench/cluster_sklearn.py), if installed.
//
//   npm run bench:cluster -- [--runs 1000] [--tracks 10000] [--space moods|embedding|both] [--threads N]
//                            [--algorithms kmeans,dbscan,gmm] [--pca-max 5] [--seed 1] [--skip-sklearn]
//
// Early stop is off so exactly --runs candidates are evaluated. The machine may be shared: the load
// average is printed before and after each search.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureSpace } from '../engines/clustering/features.ts';
import { WorkerPool } from '../engines/clustering/pool.ts';
import { postprocessClusters } from '../engines/clustering/postprocess.ts';
import {
  DEFAULT_SEARCH_OPTIONS,
  prepareSearchData,
  runSearch,
  type ClusterParams,
  type SearchOptions,
} from '../engines/clustering/search.ts';
import { dbscan } from '../engines/clustering/dbscan.ts';
import { gmm } from '../engines/clustering/gmm.ts';
import { kmeans } from '../engines/clustering/kmeans.ts';
import { Rng } from '../engines/clustering/rng.ts';
import type { Algorithm, CovarianceType, Matrix } from '../engines/clustering/types.ts';
import { syntheticLibrary } from '../test/helpers/clustering-library.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const int = (name: string, dflt: number) => {
  const v = Number(arg(name, String(dflt)));
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
};
const runs = int('runs', 1000);
const nTracks = int('tracks', 10_000);
const threads = int('threads', os.availableParallelism());
const seed = int('seed', 1);
const pcaMax = int('pca-max', DEFAULT_SEARCH_OPTIONS.ranges.pca[1]);
const algorithms = arg('algorithms', 'kmeans,dbscan,gmm').split(',') as Algorithm[];
const spaceArg = arg('space', 'both');
const spaces: FeatureSpace[] = spaceArg === 'both' ? ['moods', 'embedding'] : [spaceArg as FeatureSpace];
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, '.data', 'bench', 'cluster');

const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const describe = (p: ClusterParams): string =>
  p.algorithm === 'kmeans'
    ? `kmeans k=${p.k}`
    : p.algorithm === 'dbscan'
      ? `dbscan eps=${p.eps} min_samples=${p.minSamples}`
      : `gmm ${p.covariance} n=${p.components}`;

console.log(
  `clustering search benchmark: ${runs} runs, ${nTracks} tracks, ${threads} worker threads, algorithms ${algorithms.join('+')}, ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`,
);
const tLib = performance.now();
const lib = syntheticLibrary({
  tracks: nTracks,
  groups: 40,
  seed,
  unevenSizes: true,
  artistsPerGroup: 25,
  embeddingLatent: 16,
  embeddingNoise: 0.5,
});
console.log(
  'synthetic library: 40 planted groups of uneven size, 25 artists each, embeddings from 16 correlated latent dimensions ' +
    `(${((performance.now() - tLib) / 1000).toFixed(1)} s to generate)`,
);

// Mid-range fits on the search's own matrices, timed here and by bench/cluster_sklearn.py with scikit-learn.
const K = 40;
const EPS = 0.3;
const MIN_SAMPLES = 10;
const REPS = 3;
const sets: Record<string, { file: string; rows: number; cols: number }> = {};
const fitRows: { fit: string; data: string; params: ClusterParams; wallMs: number; cpuMs: number }[] = [];
function timeOurs(data: string, params: ClusterParams, X: Matrix): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = -1; r < REPS; r++) {
    // r = -1: untimed warm-up, so this thread's JIT compilation is not timed
    const c0 = process.cpuUsage(); // the workers are closed: this thread is the only one working
    const t = performance.now();
    const rng = new Rng(100 + r);
    if (params.algorithm === 'kmeans') kmeans(X, params.k, rng);
    else if (params.algorithm === 'gmm') gmm(X, params.components, params.covariance, rng);
    else dbscan(X, params.eps, params.minSamples);
    const c = process.cpuUsage(c0);
    if (r < 0) continue;
    wall.push(performance.now() - t);
    cpu.push((c.user + c.system) / 1000);
  }
  fitRows.push({ fit: describe(params), data, params, wallMs: median(wall), cpuMs: median(cpu) });
}

for (const space of spaces) {
  // GMM: full covariances in the small mood space (the project default), diagonal ones on embeddings
  // (reference HEAD; a full 200×200 covariance per component is not a configuration anyone runs).
  const covariance = arg('covariance', space === 'embedding' ? 'diag' : 'full') as CovarianceType;
  const opts: Partial<SearchOptions> = {
    runs,
    earlyStopGenerations: 0,
    algorithms,
    gmmCovariance: covariance,
    ranges: { ...DEFAULT_SEARCH_OPTIONS.ranges, pca: [0, pcaMax] },
  };
  console.log(`\n== ${space} space ==  load average before: ${load()}`);
  const tPrep = performance.now();
  const data = prepareSearchData(lib.tracks, { featureSpace: space }, pcaMax);
  const prepMs = performance.now() - tPrep;
  console.log(
    `prepared ${data.scaled.rows}x${data.scaled.cols} (standard scaling + PCA to ${data.pca?.cols ?? 0}) in ${fmt(prepMs)} ms; ` +
      `mood labels ${data.layout.moodLabels.join(', ')}; ranges k ${opts.ranges!.kmeansK}, eps ${opts.ranges!.dbscanEps}, ` +
      `min_samples ${opts.ranges!.dbscanMinSamples}, gmm ${opts.ranges!.gmmComponents} ${covariance}, pca ${opts.ranges!.pca}`,
  );

  const pool = WorkerPool.create(data, opts, threads);
  let lastPct = 0;
  const cpu0 = process.cpuUsage(); // all threads of this process: the workers' fits included
  const t0 = performance.now();
  let out;
  try {
    out = await runSearch(data, {
      ...opts,
      seed,
      evaluator: pool.evaluate,
      onCandidate: (_r, p) => {
        const pct = Math.floor((10 * p.runs) / p.totalRuns);
        if (pct > lastPct) {
          lastPct = pct;
          process.stdout.write(`  ${p.runs}/${p.totalRuns} runs, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
        }
      },
    });
  } finally {
    await pool.close();
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const { state, results, winner } = out;
  console.log(
    `wall ${wallS.toFixed(1)} s for ${results.length} runs → ${(results.length / wallS).toFixed(2)} runs/s  (load average after: ${load()})`,
  );
  // On a shared machine wall time depends on the other load; CPU time does not (much).
  console.log(
    `CPU ${cpuS.toFixed(1)} s (${((1000 * cpuS) / results.length).toFixed(0)} ms/run) → on ${threads} idle cores ≈ ${(cpuS / threads).toFixed(1)} s ` +
      `(${(results.length / (cpuS / threads)).toFixed(2)} runs/s)`,
  );
  // Evaluation wall times are inflated by the load; scale them to CPU time to project each algorithm alone.
  const inflation = Math.max(1, results.reduce((s, r) => s + r.evalMs, 0) / 1000 / cpuS);
  console.log(
    `algorithm  runs    ok  fit mean ms  fit median ms  eval mean ms  fit max ms   projected ${runs} runs alone, ${threads} idle cores`,
  );
  for (const a of algorithms) {
    const rs = results.filter((r) => r.params.algorithm === a);
    if (!rs.length) continue;
    const fit = rs.map((r) => r.fitMs);
    const evalMean = mean(rs.map((r) => r.evalMs));
    console.log(
      `${a.padEnd(9)} ${String(rs.length).padStart(5)} ${String(rs.filter((r) => r.ok).length).padStart(5)} ` +
        `${fmt(mean(fit)).padStart(12)} ${fmt(median(fit)).padStart(14)} ${fmt(evalMean).padStart(13)} ${fmt(Math.max(...fit)).padStart(11)}` +
        `   ${((runs * evalMean) / inflation / threads / 1000).toFixed(0).padStart(6)} s`,
    );
  }
  if (inflation > 1.05)
    console.log(`(evaluation wall times were ${inflation.toFixed(2)}× the CPU time: other processes shared the cores)`);
  const reasons = new Map<string, number>();
  for (const r of results)
    if (!r.ok)
      reasons.set(
        `${r.params.algorithm}: ${r.reason?.replace(/\d+ clusters/, 'n clusters')}`,
        (reasons.get(`${r.params.algorithm}: ${r.reason?.replace(/\d+ clusters/, 'n clusters')}`) ?? 0) + 1,
      );
  if (reasons.size) console.log(`rejected: ${[...reasons].map(([k, v]) => `${k} ×${v}`).join('; ')}`);
  if (state.best && winner?.clusters) {
    const playlists = postprocessClusters(winner.clusters, lib.tracks, data.profile, data.layout);
    console.log(
      `best: ${describe(state.best.params)} pca=${state.best.params.pca} → ${state.best.k} clusters, fitness ${state.best.fitness.toFixed(3)}, ` +
        `viable ${state.best.viable}; ${playlists.length} playlists after post-processing, e.g. ${[...new Set(playlists.map((p) => p.name))].slice(0, 3).join(', ')}`,
    );
  }

  // Single-thread fits at mid-range parameters on the search's matrices, for the scikit-learn comparison.
  if (!flag('skip-sklearn')) {
    fs.mkdirSync(outDir, { recursive: true });
    const views: [string, Matrix][] = [[`${data.n}x${data.scaled.cols}`, data.scaled]];
    if (data.pca) views.push([`${data.n}x${data.scaled.cols}→${data.pca.cols}`, data.pca]);
    for (const [name, X] of views) {
      const file = `${name.replace('→', '-pca')}.f64`;
      fs.writeFileSync(path.join(outDir, file), X.data);
      sets[name] = { file, rows: X.rows, cols: X.cols };
      timeOurs(name, { algorithm: 'kmeans', k: K, pca: 0 }, X);
      for (const type of ['diag', 'full'] as const) {
        if (type === 'full' && X.cols > 20) continue; // 40 full 200×200 covariances: nobody runs that
        timeOurs(name, { algorithm: 'gmm', components: K, covariance: type, pca: 0 }, X);
      }
      timeOurs(name, { algorithm: 'dbscan', eps: EPS, minSamples: MIN_SAMPLES, pca: 0 }, X);
    }
  }
}

if (flag('skip-sklearn')) process.exit(0);
fs.writeFileSync(path.join(outDir, 'fits.json'), JSON.stringify({ reps: REPS, sets, rows: fitRows }, null, 1));
const script = path.join(root, 'bench', 'cluster_sklearn.py');
const probe = spawnSync('python3', ['-c', 'import sklearn, numpy, threadpoolctl'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.log('\nscikit-learn: skipped: scikit-learn not installed');
} else {
  console.log(
    `\nscikit-learn vs ours: one fit at k=${K}, eps=${EPS}, min_samples=${MIN_SAMPLES} on the search's matrices ` +
      `(median of ${REPS}, one thread each):`,
  );
  const r = spawnSync('python3', [script, path.join(outDir, 'fits.json')], { stdio: 'inherit' });
  if (r.status !== 0) console.log(`scikit-learn: bench/cluster_sklearn.py exited with ${r.status}`);
}
