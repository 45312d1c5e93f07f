// Times one clustering fit per algorithm and data shape: our typed-array kernels against the npm packages
// the design card named (ml-kmeans, density-clustering). Writes the data and parameters to .data/bench/
// so bench/sklearn_fits.py times scikit-learn on exactly the same input:
//   npx tsx bench/fits.ts [--reps 3] [--skip-packages]   then   python3 bench/sklearn_fits.py
// Single-threaded JS; numbers on a shared 2-core machine are noisy.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import clustering from 'density-clustering';
import { kmeans as mlKmeans } from 'ml-kmeans';
import { dbscan } from '../engines/clustering/dbscan.ts';
import { gmm } from '../engines/clustering/gmm.ts';
import { kmeans, kmeansPlusPlus } from '../engines/clustering/kmeans.ts';
import { pcaFit, pcaTransform } from '../engines/clustering/pca.ts';
import { Rng } from '../engines/clustering/rng.ts';
import { standardScale } from '../engines/clustering/scaling.ts';
import { matrix, type Matrix } from '../engines/clustering/types.ts';

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1]) || 3;
const skipPackages = args.includes('--skip-packages');
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.data', 'bench');

/** Overlapping Gaussian clusters in `latent` dimensions, linearly mixed into d columns plus noise, then scaled. */
function syntheticTracks(seed: number, n: number, d: number, latent: number, clusters: number, noise: number): Matrix {
  const rng = new Rng(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: latent }, () => 1.5 * rng.normal()));
  const sds = Array.from({ length: clusters }, () => rng.float(0.4, 1.2));
  const mix = latent === d ? undefined : Array.from({ length: latent * d }, () => rng.normal() / Math.sqrt(latent));
  const X = matrix(n, d);
  const z = new Float64Array(latent);
  for (let i = 0; i < n; i++) {
    const c = rng.int(0, clusters - 1);
    for (let q = 0; q < latent; q++) z[q] = centres[c][q] + sds[c] * rng.normal();
    for (let j = 0; j < d; j++) {
      let v = noise * rng.normal();
      if (mix) for (let q = 0; q < latent; q++) v += z[q] * mix[q * d + j];
      else v += z[j];
      X.data[i * d + j] = v;
    }
  }
  return standardScale(X).scaled;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall and CPU time of one call. CPU time is the steadier figure when other work shares the cores. */
function time<T>(fn: () => T): { ms: number; cpu: number; out: T } {
  const c0 = cpuMs();
  const t0 = process.hrtime.bigint();
  const out = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu: cpuMs() - c0, out };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Row {
  algo: string;
  impl: string;
  data: string;
  ms: number;
  cpu: number;
  note: string;
}
const rows: Row[] = [];
function bench<T>(
  algo: string,
  impl: string,
  data: string,
  n: number,
  fn: (rep: number) => T,
  note: (out: T) => string,
): void {
  const walls: number[] = [];
  const cpus: number[] = [];
  let last: T | undefined;
  for (let r = 0; r < n; r++) {
    const { ms, cpu, out } = time(() => fn(r));
    walls.push(ms);
    cpus.push(cpu);
    last = out;
  }
  const row = { algo, impl, data, ms: median(walls), cpu: median(cpus), note: note(last!) };
  rows.push(row);
  console.log(
    `${algo.padEnd(24)} ${impl.padEnd(20)} ${data.padEnd(14)} ${row.ms.toFixed(0).padStart(8)} ${row.cpu.toFixed(0).padStart(8)}  ${row.note}`,
  );
}

const toRows = (X: Matrix): number[][] =>
  Array.from({ length: X.rows }, (_, i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)));

const n = 10_000;
const X13 = syntheticTracks(1, n, 13, 13, 40, 0.3);
const X200 = syntheticTracks(2, n, 200, 16, 40, 0.5);
const pca20 = time(() => pcaTransform(pcaFit(X200, 20), X200));
const X200p = pca20.out;
const sets: Record<string, Matrix> = { '10000x13': X13, '10000x200': X200, '10000x200→20': X200p };

// Parameters inside the reference ranges (K 40–100, eps 0.1–0.5, min_samples 5–20), plus an eps large
// enough to form clusters in each space so the expansion phase is measured too.
const K = 60;
const params = {
  kmeans: { k: K, maxIter: 300, tol: 1e-4, nInit: 1 },
  gmm: { k: K, maxIter: 100, tol: 1e-3, regCovar: 1e-6 },
  dbscan: [
    { data: '10000x13', eps: 0.5, minSamples: 10 },
    { data: '10000x13', eps: 1.5, minSamples: 10 },
    { data: '10000x200', eps: 0.5, minSamples: 10 },
    { data: '10000x200', eps: 9, minSamples: 10 },
    { data: '10000x200→20', eps: 0.5, minSamples: 10 },
    { data: '10000x200→20', eps: 5, minSamples: 10 },
  ],
  pca: [20, 100, 199],
};

const fileOf = (name: string) => name.replace('→', '-pca');
fs.mkdirSync(outDir, { recursive: true });
for (const [name, X] of Object.entries(sets)) fs.writeFileSync(path.join(outDir, `${fileOf(name)}.f64`), X.data);
fs.writeFileSync(
  path.join(outDir, 'fits.json'),
  JSON.stringify(
    {
      reps,
      sets: Object.fromEntries(
        Object.entries(sets).map(([k, X]) => [k, { file: `${fileOf(k)}.f64`, rows: X.rows, cols: X.cols }]),
      ),
      params,
    },
    null,
    1,
  ),
);

console.log(`median of ${reps} fits (ours) or 1 fit (packages); PCA to 20 components took ${pca20.ms.toFixed(0)} ms`);
console.log(
  `${'algorithm'.padEnd(24)} ${'implementation'.padEnd(20)} ${'data'.padEnd(14)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)}  notes`,
);
const meanVar = (X: Matrix) => {
  let s = 0;
  for (const v of X.data) s += v * v;
  return s / X.data.length;
}; // scaled data: mean 0

for (const [name, X] of Object.entries(sets)) {
  bench(
    `kmeans k=${K}`,
    'ours',
    name,
    reps,
    (r) => kmeans(X, K, new Rng(100 + r), params.kmeans),
    (f) => `iter ${f.nIter}, inertia ${f.inertia.toFixed(0)}`,
  );
  // The two halves separately: seeding, and Lloyd from the same saved centres (same iterations as sklearn).
  bench(
    `kmeans++ seeding k=${K}`,
    'ours',
    name,
    reps,
    (r) => kmeansPlusPlus(X, K, new Rng(100 + r)),
    () => '',
  );
  const init = matrix(K, X.cols, kmeansPlusPlus(X, K, new Rng(100)));
  fs.writeFileSync(path.join(outDir, `${fileOf(name)}.init.f64`), init.data);
  bench(
    `kmeans lloyd same init`,
    'ours',
    name,
    reps,
    () => kmeans(X, K, new Rng(0), { ...params.kmeans, init }),
    (f) => `iter ${f.nIter}, inertia ${f.inertia.toFixed(0)}`,
  );
  if (!skipPackages) {
    const data = toRows(X);
    bench(
      `kmeans k=${K}`,
      'ml-kmeans',
      name,
      1,
      () => mlKmeans(data, K, { maxIterations: 300, tolerance: 1e-4 * meanVar(X), seed: 100 }),
      (f) => `iter ${f.iterations}`,
    );
  }
}
for (const [name, X] of Object.entries(sets)) {
  for (const type of ['diag', 'full'] as const) {
    if (type === 'full' && X.cols > 20) continue; // 60 full 200×200 covariances: not a configuration anyone runs
    bench(
      `gmm ${type} k=${K}`,
      'ours',
      name,
      reps,
      (r) => gmm(X, K, type, new Rng(200 + r), params.gmm),
      (f) => `iter ${f.nIter}, ll ${f.logLikelihood.toFixed(3)}${f.converged ? '' : ' (not converged)'}`,
    );
  }
}
for (const p of params.dbscan) {
  const X = sets[p.data];
  const label = `dbscan eps=${p.eps} ms=${p.minSamples}`;
  const note = (f: { k: number; labels: Int32Array }) =>
    `${f.k} clusters, ${f.labels.filter((l) => l < 0).length} noise`;
  bench(label, 'ours', p.data, reps, () => dbscan(X, p.eps, p.minSamples), note);
  // The default search is the projected tree above 8 dimensions; show what the plain tree and the scan cost.
  for (const other of X.cols >= 200 ? (['scan'] as const) : (['tree'] as const)) {
    bench(label, `ours (${other})`, p.data, 1, () => dbscan(X, p.eps, p.minSamples, { neighbourSearch: other }), note);
  }
  // density-clustering is O(n²·d) over number[][]: at 200 dimensions that is ~2·10¹⁰ operations per fit.
  if (!skipPackages && X.cols < 200) {
    const data = toRows(X);
    // It counts a neighbour at distance < eps (ours and scikit-learn: ≤ eps).
    bench(
      label,
      'density-clustering',
      p.data,
      1,
      () => new clustering.DBSCAN().run(data, p.eps, p.minSamples),
      (c) => `${c.length} clusters`,
    );
  }
}
for (const c of params.pca) {
  bench(
    `pca fit+transform c=${c}`,
    'ours',
    '10000x200',
    reps,
    () => pcaTransform(pcaFit(X200, c), X200),
    (Z) => `${Z.cols} cols`,
  );
}
fs.writeFileSync(path.join(outDir, 'fits-ours.json'), JSON.stringify(rows, null, 1));
console.log(`data and parameters in ${outDir}; now run: python3 bench/sklearn_fits.py`);
