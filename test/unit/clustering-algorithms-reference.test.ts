// Our kernels against scikit-learn on the same formula-generated data. Reference values come from
// test/python/clustering_reference.py (committed output: test/fixtures/clustering-reference.json).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dbscan } from '../../engines/clustering/dbscan.ts';
import { gmm } from '../../engines/clustering/gmm.ts';
import { kmeans } from '../../engines/clustering/kmeans.ts';
import { pcaFit } from '../../engines/clustering/pca.ts';
import { Rng } from '../../engines/clustering/rng.ts';
import { matrix, type Matrix } from '../../engines/clustering/types.ts';
import { adjustedRandIndex, ariLabels, blobMatrix, gmmStartLabels, wavesMatrix } from '../helpers/clustering.ts';
import { repoRoot } from '../shared-paths.ts';

interface PcaRef {
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  components: number[][];
}
const ref = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/fixtures/clustering-reference.json'), 'utf8')) as {
  pcaWaves: PcaRef;
  pcaWide: PcaRef;
  kmeansWaves: { k: number; labels: number[]; inertia: number; centroids: number[][] };
  dbscanBlobs: { eps: number; minSamples: number; labels: number[] };
  dbscanWaves: { eps: number; minSamples: number; labels: number[] };
  gmmBlobs: Record<
    'full' | 'diag',
    { k: number; meanLogLikelihood: number; labels: number[]; means: number[][]; converged: boolean }
  >;
  ari: { value: number };
};

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

function checkPca(X: Matrix, want: PcaRef): void {
  const c = want.explainedVariance.length;
  const m = pcaFit(X, c);
  const top = want.explainedVariance[0];
  for (let q = 0; q < c; q++) {
    // Absolute tolerance relative to the largest variance: trailing eigenvalues are ~0 in both.
    assert.ok(
      Math.abs(m.explainedVariance[q] - want.explainedVariance[q]) <= 1e-9 * top,
      `variance ${q}: ${m.explainedVariance[q]} vs ${want.explainedVariance[q]}`,
    );
    assert.ok(Math.abs(m.explainedVarianceRatio[q] - want.explainedVarianceRatio[q]) <= 1e-9, `ratio ${q}`);
    // Directions are defined only for well-separated eigenvalues: compare those, same sign convention.
    const gap = Math.min(
      q > 0 ? want.explainedVariance[q - 1] - want.explainedVariance[q] : Infinity,
      q + 1 < c ? want.explainedVariance[q] - want.explainedVariance[q + 1] : Infinity,
    );
    if (gap < 1e-3 * top || want.explainedVariance[q] < 1e-6 * top) continue;
    for (let j = 0; j < X.cols; j++)
      close(m.components.data[q * X.cols + j], want.components[q][j], 1e-6, `component ${q}[${j}]`);
  }
}

describe('agrees with scikit-learn', () => {
  test('PCA explained variance, ratio and components (500 × 40)', () => checkPca(wavesMatrix(500, 40), ref.pcaWaves));
  test('PCA with more columns than rows (30 × 50)', () => checkPca(wavesMatrix(30, 50), ref.pcaWide));

  test('K-Means from the same starting centres: same labels, inertia and centres', () => {
    const X = wavesMatrix(400, 5);
    const { k } = ref.kmeansWaves;
    const init = matrix(k, 5, X.data.slice(0, k * 5));
    const fit = kmeans(X, k, new Rng(0), { init });
    assert.deepEqual(Array.from(fit.labels), ref.kmeansWaves.labels);
    close(fit.inertia, ref.kmeansWaves.inertia, 1e-9, 'inertia');
    ref.kmeansWaves.centroids.forEach((row, c) =>
      row.forEach((v, j) => close(fit.centroids.data[c * 5 + j], v, 1e-9, `centre ${c}[${j}]`)),
    );
  });

  for (const search of ['tree', 'projected', 'scan'] as const) {
    test(`DBSCAN labels identical (${search} neighbour search)`, () => {
      const b = ref.dbscanBlobs;
      assert.deepEqual(
        Array.from(dbscan(blobMatrix(600, 4, 5, 2.5), b.eps, b.minSamples, { neighbourSearch: search }).labels),
        b.labels,
      );
      const w = ref.dbscanWaves;
      assert.deepEqual(
        Array.from(dbscan(wavesMatrix(500, 3), w.eps, w.minSamples, { neighbourSearch: search }).labels),
        w.labels,
      );
    });
  }

  for (const type of ['full', 'diag'] as const) {
    test(`GMM ${type} EM from the same start reaches scikit-learn's optimum`, () => {
      const X = blobMatrix(400, 3, 4, 1.5);
      const want = ref.gmmBlobs[type];
      const fit = gmm(X, want.k, type, new Rng(0), {
        initLabels: gmmStartLabels(400, want.k),
        tol: 1e-8,
        maxIter: 1000,
      });
      assert.equal(fit.converged, want.converged);
      close(fit.logLikelihood, want.meanLogLikelihood, 1e-7, 'mean log-likelihood');
      assert.deepEqual(Array.from(fit.labels), want.labels);
      want.means.forEach((row, c) =>
        row.forEach((v, j) => close(fit.centroids.data[c * 3 + j], v, 1e-5, `mean ${c}[${j}]`)),
      );
    });
  }

  test('adjusted Rand index helper', () => {
    const [a, b] = ariLabels(300);
    close(adjustedRandIndex(a, b), ref.ari.value, 1e-12, 'ARI');
    assert.equal(adjustedRandIndex(a, a), 1);
  });
});
