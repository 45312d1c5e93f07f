#!/usr/bin/env python3
"""Reference values for test/unit/clustering-algorithms-reference.test.ts, computed once with scikit-learn.

The data sets come from closed-form formulas (sin/cos of the row and column index) that
test/clustering-fixtures.ts reproduces in TypeScript, so only the small results are committed:
    python3 test/python/clustering_reference.py > test/fixtures/clustering-reference.json
"""
import json
import math
import sys

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters


def waves(n, d):
    """Correlated data: 4 latent waves mixed into d columns plus a small ripple (same as wavesMatrix in TS)."""
    X = np.zeros((n, d))
    for i in range(n):
        for j in range(d):
            v = 0.0
            for m in range(4):
                v += math.sin(0.37 * (i + 1) * (m + 1) + 0.11 * j * m) * (4 - m) * math.cos(0.5 * j + m)
            X[i, j] = v + 0.05 * math.sin(1.7 * i + 2.3 * j * j)
    return X


def blobs(n, d, k, spread):
    """Row i belongs to blob i % k: centre 10·sin(2.1k + 1.7q² + 0.3) plus a bounded wobble (same as blobMatrix in TS)."""
    X = np.zeros((n, d))
    for i in range(n):
        c = i % k
        for q in range(d):
            centre = 10 * math.sin(2.1 * c + 1.7 * q * q + 0.3)
            X[i, q] = centre + spread * math.sin(0.731 * i * (q + 1) + 0.5 * q)
    return X


def label_pairs(n):
    """Two partly agreeing labelings for the adjusted Rand index (same as ariLabels in TS)."""
    a = [int(math.floor(3 * (math.sin(0.9 * i) + 1))) for i in range(n)]
    b = [a[i] if i % 4 else int(math.floor(2.5 * (math.cos(0.4 * i + 1) + 1))) for i in range(n)]
    return a, b


def gmm_start(n, k):
    """A deliberately imperfect starting partition for EM (same as gmmStartLabels in TS)."""
    return np.array([i % k if i % 5 else (i * 7 // 3) % k for i in range(n)])


def gmm_from_labels(X, labels, k, cov):
    """EM started from the parameters of a hard partition, as our gmm(..., {initLabels})."""
    resp = np.zeros((len(X), k))
    resp[np.arange(len(X)), labels] = 1
    weights, means, covs = _estimate_gaussian_parameters(X, resp, 1e-6, cov)
    precisions = np.linalg.inv(covs) if cov == "full" else 1 / covs
    g = GaussianMixture(k, covariance_type=cov, tol=1e-8, max_iter=1000, weights_init=weights / len(X),
                        means_init=means, precisions_init=precisions).fit(X)
    return {"k": k, "meanLogLikelihood": float(g.score(X)), "labels": g.predict(X).tolist(),
            "means": g.means_.tolist(), "converged": bool(g.converged_)}


def pca_case(X, n_components):
    p = PCA(n_components=n_components, svd_solver="full").fit(X)
    return {
        "explainedVariance": p.explained_variance_.tolist(),
        "explainedVarianceRatio": p.explained_variance_ratio_.tolist(),
        "components": p.components_.tolist(),
    }


def main():
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__}

    out["pcaWaves"] = pca_case(waves(500, 40), 10)
    wide = waves(30, 50)  # d > n: rank ≤ n − 1
    out["pcaWide"] = pca_case(wide, 5)

    X = waves(400, 5)
    km = KMeans(n_clusters=8, init=X[:8], n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4).fit(X)
    out["kmeansWaves"] = {"k": 8, "labels": km.labels_.tolist(), "inertia": float(km.inertia_),
                          "centroids": km.cluster_centers_.tolist()}

    B = blobs(600, 4, 5, 2.5)
    db = DBSCAN(eps=0.9, min_samples=6).fit(B)
    db_w = DBSCAN(eps=1.1, min_samples=4).fit(waves(500, 3))
    out["dbscanBlobs"] = {"eps": 0.9, "minSamples": 6, "labels": db.labels_.tolist()}
    out["dbscanWaves"] = {"eps": 1.1, "minSamples": 4, "labels": db_w.labels_.tolist()}

    G = blobs(400, 3, 4, 1.5)
    out["gmmBlobs"] = {cov: gmm_from_labels(G, gmm_start(400, 4), 4, cov) for cov in ("full", "diag")}

    a, b = label_pairs(300)
    out["ari"] = {"value": float(adjusted_rand_score(a, b))}

    json.dump(out, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
