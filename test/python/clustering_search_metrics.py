"""Reference values for activities/clustering/scoring.ts: scikit-learn's silhouette_score, davies_bouldin_score and
calinski_harabasz_score on small fixed datasets. Writes test/fixtures/clustering-search-metrics.json (data included,
so the TypeScript test needs no Python). Noise points (label -1) are excluded before scoring, as scoring.ts does.

Run: python3 test/python/clustering_search_metrics.py
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_samples, silhouette_score

rng = np.random.RandomState(20240611)


def blobs(n, d, k, spread):
    centres = rng.uniform(-10, 10, size=(k, d))
    labels = np.arange(n) % k
    return centres[labels] + spread * rng.normal(size=(n, d)), labels


cases = []

# Well separated blobs with their true labels.
X, y = blobs(90, 5, 4, 1.0)
cases.append(("separated blobs", X, y))

# Overlapping blobs, labels partly wrong (negative silhouettes appear).
X, y = blobs(120, 3, 5, 4.0)
y = y.copy()
y[::7] = (y[::7] + 1) % 5
cases.append(("overlapping blobs, noisy labels", X, y))

# Non-contiguous label values, a singleton cluster and DBSCAN-style noise (-1).
X, y = blobs(60, 4, 3, 1.5)
y = np.array([0, 2, 5])[y]
y[10] = 9  # singleton
y[[3, 17, 41]] = -1
cases.append(("sparse labels, singleton, noise", X, y))

out = {"sklearn": sklearn.__version__, "cases": []}
for name, X, y in cases:
    keep = y >= 0
    Xk, yk = X[keep], y[keep]
    out["cases"].append({
        "name": name,
        "rows": int(X.shape[0]),
        "cols": int(X.shape[1]),
        "data": [float(v) for v in X.ravel()],
        "labels": [int(v) for v in y],
        "silhouette": float(silhouette_score(Xk, yk)),
        "silhouetteSamplesMean": float(silhouette_samples(Xk, yk).mean()),
        "daviesBouldin": float(davies_bouldin_score(Xk, yk)),
        "calinskiHarabasz": float(calinski_harabasz_score(Xk, yk)),
    })

path = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "clustering-search-metrics.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
