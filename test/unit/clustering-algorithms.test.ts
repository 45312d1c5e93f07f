// Behaviour of the clustering kernels on data with known answers: separated blobs, EM monotonicity,
// degenerate inputs and seed reproducibility.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dbscan } from '../../engines/clustering/dbscan.ts';
import { gmm } from '../../engines/clustering/gmm.ts';
import { ClusteringInputError } from '../../engines/clustering/input.ts';
import { kmeans } from '../../engines/clustering/kmeans.ts';
import { pcaFit, pcaInverseTransform, pcaTransform } from '../../engines/clustering/pca.ts';
import { Rng } from '../../engines/clustering/rng.ts';
import { standardScale, unscale } from '../../engines/clustering/scaling.ts';
import { matrix, type ClusterFit, type Matrix } from '../../engines/clustering/types.ts';
import { adjustedRandIndex, blobMatrix, gaussianBlobs, hasNaN, wavesMatrix } from '../helpers/clustering.ts';

function assertWellFormed(fit: ClusterFit, X: Matrix, allowNoise = false): void {
  assert.equal(fit.labels.length, X.rows);
  assert.equal(fit.centroids.rows, fit.k);
  assert.equal(fit.centroids.cols, X.cols);
  assert.ok(!hasNaN(fit.centroids.data), 'centroids contain NaN');
  for (const l of fit.labels)
    assert.ok(l < fit.k && l >= (allowNoise ? -1 : 0), `label ${l} outside [${allowNoise ? -1 : 0}, ${fit.k})`);
}

/** Repeated copies of 3 distinct points, a constant column included. */
function duplicates(): Matrix {
  const base = [
    [1, 2, 5],
    [1, 2, 5],
    [4, -1, 5],
    [0, 0, 5],
  ];
  const X = matrix(60, 3);
  for (let i = 0; i < 60; i++) X.data.set(base[i % base.length], i * 3);
  return X;
}

describe('separated Gaussian blobs are recovered (ARI > 0.95)', () => {
  const { X, truth } = gaussianBlobs(new Rng(7), 900, 6, 6, 10, 1);

  test('kmeans', () => {
    const fit = kmeans(X, 6, new Rng(1), { nInit: 3 });
    assertWellFormed(fit, X);
    assert.ok(adjustedRandIndex(fit.labels, truth) > 0.95);
  });

  test('dbscan: every neighbour search gives the same labels', () => {
    const tree = dbscan(X, 2.5, 5, { neighbourSearch: 'tree' });
    for (const search of ['projected', 'scan'] as const)
      assert.deepEqual(dbscan(X, 2.5, 5, { neighbourSearch: search }).labels, tree.labels);
    assertWellFormed(tree, X, true);
    assert.equal(tree.k, 6);
    assert.ok(adjustedRandIndex(tree.labels, truth) > 0.95);
  });

  test('dbscan in 40 dimensions (projected k-d tree) matches the scan', () => {
    const high = gaussianBlobs(new Rng(8), 600, 40, 5, 10, 1);
    const fit = dbscan(high.X, 12, 5);
    assert.deepEqual(fit.labels, dbscan(high.X, 12, 5, { neighbourSearch: 'scan' }).labels);
    assert.ok(adjustedRandIndex(fit.labels, high.truth) > 0.95);
  });

  for (const type of ['full', 'diag'] as const) {
    test(`gmm ${type}`, () => {
      const fit = gmm(X, 6, type, new Rng(2));
      assertWellFormed(fit, X);
      assert.ok(adjustedRandIndex(fit.labels, truth) > 0.95);
      assert.ok(Math.abs(fit.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    });
  }

  test('after standard scaling and PCA to 3 components', () => {
    const Z = pcaTransform(pcaFit(standardScale(X).scaled, 3), standardScale(X).scaled);
    assert.equal(Z.cols, 3);
    assert.ok(adjustedRandIndex(kmeans(Z, 6, new Rng(3), { nInit: 3 }).labels, truth) > 0.95);
  });
});

describe('gmm: EM never lowers the log-likelihood', () => {
  // Overlapping blobs so EM needs many steps; tol 0 runs all 60.
  const X = blobMatrix(500, 3, 6, 6);
  for (const type of ['full', 'diag'] as const) {
    for (const regCovar of [1e-6, 0]) {
      test(`${type}, regCovar ${regCovar}`, () => {
        const fit = gmm(X, 6, type, new Rng(5), { tol: 0, maxIter: 60, regCovar });
        const tr = fit.logLikelihoodTrace;
        assert.equal(tr.length, 61);
        assert.ok(tr[tr.length - 1] - tr[0] > 1e-3, 'EM made no progress, test data too easy');
        for (let t = 1; t < tr.length; t++) assert.ok(tr[t] >= tr[t - 1] - 1e-9, `step ${t}: ${tr[t - 1]} -> ${tr[t]}`);
        assert.equal(fit.logLikelihood, tr[tr.length - 1]);
      });
    }
  }
});

describe('degenerate data gives finite results, not NaN or exceptions', () => {
  const X = duplicates();

  test('kmeans with k above the number of distinct points', () => {
    const fit = kmeans(X, 5, new Rng(1));
    assertWellFormed(fit, X);
    assert.equal(fit.inertia, 0);
    assert.equal(new Set(fit.labels).size, 3, 'each distinct point forms one cluster');
  });

  test('gmm full and diag with duplicates and a constant column', () => {
    for (const type of ['full', 'diag'] as const) {
      const fit = gmm(X, 5, type, new Rng(1));
      assertWellFormed(fit, X);
      assert.ok(Number.isFinite(fit.logLikelihood), `${type}: logLikelihood ${fit.logLikelihood}`);
      assert.ok(!hasNaN(fit.covariances) && !hasNaN(fit.weights));
      assert.ok(fit.logLikelihoodTrace.every(Number.isFinite));
    }
  });

  test('dbscan on duplicates: each distinct point is a cluster; none when minSamples exceeds the copies', () => {
    const fit = dbscan(X, 0.1, 5);
    assertWellFormed(fit, X, true);
    assert.equal(fit.k, 3);
    const none = dbscan(X, 0.1, 40);
    assert.equal(none.k, 0);
    assert.ok(none.labels.every((l) => l === -1));
    assert.equal(none.centroids.rows, 0);
  });

  test('standard scaling maps a constant column to 0 with std 1', () => {
    const { scaled, std, mean } = standardScale(X);
    assert.equal(std[2], 1);
    assert.equal(mean[2], 5);
    for (let i = 0; i < X.rows; i++) assert.equal(scaled.data[i * 3 + 2], 0);
    assert.ok(!hasNaN(scaled.data));
    assert.deepEqual(
      unscale(scaled, mean, std).data.map((v) => Math.round(v * 1e9) / 1e9),
      X.data,
    );
  });

  test('pca of constant and single-row data', () => {
    const constant = matrix(10, 4, new Float64Array(40).fill(3));
    const m = pcaFit(constant, 2);
    assert.deepEqual(Array.from(m.explainedVariance), [0, 0]);
    assert.deepEqual(Array.from(m.explainedVarianceRatio), [0, 0]);
    assert.ok(!hasNaN(pcaTransform(m, constant).data));
    const one = pcaFit(matrix(1, 3, Float64Array.from([1, 2, 3])), 1);
    assert.ok(!hasNaN(one.components.data) && !hasNaN(one.explainedVarianceRatio));
  });

  test('bad arguments throw ClusteringInputError', () => {
    const bad = matrix(2, 2, Float64Array.from([1, NaN, 3, 4]));
    assert.throws(() => kmeans(bad, 1, new Rng(1)), ClusteringInputError);
    assert.throws(() => kmeans(X, 61, new Rng(1)), ClusteringInputError);
    assert.throws(() => gmm(X, 0, 'diag', new Rng(1)), ClusteringInputError);
    assert.throws(() => gmm(X, 2, 'spherical' as never, new Rng(1)), ClusteringInputError);
    assert.throws(() => dbscan(X, 0, 5), ClusteringInputError);
    assert.throws(() => dbscan(X, 0.5, 0), ClusteringInputError);
    assert.throws(() => pcaFit(X, 4), ClusteringInputError);
    assert.throws(() => standardScale(matrix(0, 3)), ClusteringInputError);
  });
});

describe('pca', () => {
  test('0 components returns the input unchanged', () => {
    const X = wavesMatrix(20, 4);
    const m = pcaFit(X, 0);
    assert.equal(pcaTransform(m, X), X);
    assert.equal(m.components.rows, 0);
  });

  test('components are orthonormal and all of them reconstruct the data', () => {
    const X = wavesMatrix(120, 7);
    const m = pcaFit(X, 7);
    const V = m.components.data;
    for (let a = 0; a < 7; a++) {
      for (let b = 0; b < 7; b++) {
        let dot = 0;
        for (let j = 0; j < 7; j++) dot += V[a * 7 + j] * V[b * 7 + j];
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-10, `components ${a}·${b} = ${dot}`);
      }
    }
    const back = pcaInverseTransform(m, pcaTransform(m, X));
    for (let i = 0; i < X.data.length; i++) assert.ok(Math.abs(back.data[i] - X.data[i]) < 1e-9);
  });
});

describe('reproducibility', () => {
  const X = wavesMatrix(300, 5); // no clear clusters: the outcome depends on the seed

  test('same seed gives identical results bit for bit', () => {
    const a = kmeans(X, 9, new Rng(42));
    const b = kmeans(X, 9, new Rng(42));
    assert.deepEqual(a.labels, b.labels);
    assert.deepEqual(a.centroids.data, b.centroids.data);
    for (const type of ['full', 'diag'] as const) {
      const g1 = gmm(X, 6, type, new Rng(42));
      const g2 = gmm(X, 6, type, new Rng(42));
      assert.deepEqual(g1.labels, g2.labels);
      assert.deepEqual(g1.logLikelihoodTrace, g2.logLikelihoodTrace);
    }
  });

  test('different seeds can give different partitions', () => {
    const runs = [1, 2, 3, 4, 5, 6].map((s) => kmeans(X, 9, new Rng(s)));
    const distinct = new Set(runs.map((r) => r.inertia.toFixed(9)));
    assert.ok(distinct.size > 1, 'all seeds reached the same inertia');
  });

  test('nInit keeps the lowest inertia of its runs', () => {
    const best = kmeans(X, 9, new Rng(9), { nInit: 3 });
    // Only seeding draws from the generator, so three single runs on one Rng see the same seeds.
    const rng = new Rng(9);
    const inertias = [0, 1, 2].map(() => kmeans(X, 9, rng).inertia);
    assert.equal(best.inertia, Math.min(...inertias));
  });
});
