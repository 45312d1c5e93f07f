#!/usr/bin/env python3
"""scikit-learn beside our fits for bench/cluster.ts: times KMeans, GaussianMixture and DBSCAN on the matrices and
parameters bench/cluster.ts wrote to .data/bench/cluster/fits.json (one thread, median of its reps) and prints our
times from the same file next to them. Settings follow bench/sklearn_fits.py: n_init=1, k-means++ with Lloyd,
sklearn's max_iter/tol/reg_covar defaults. CPU time is printed as well: on a shared machine it is steadier than wall.

    python3 bench/cluster_sklearn.py [path/to/fits.json]
"""
import json
import os
import statistics
import sys
import time

import numpy as np
from sklearn.cluster import DBSCAN, KMeans
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", ".data", "bench", "cluster", "fits.json")
meta = json.load(open(path))
folder = os.path.dirname(path)
reps = meta["reps"]


def timed(fn):
    walls, cpus = [], []
    out = None
    for r in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(r)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), out


print(f"{'fit':30} {'data':12} {'sk wall':>8} {'sk cpu':>8} {'our wall':>8} {'our cpu':>8} {'cpu ours/sk':>11}  sklearn result")
with threadpool_limits(limits=1):
    for row in meta["rows"]:
        s = meta["sets"][row["data"]]
        X = np.fromfile(os.path.join(folder, s["file"]), dtype="<f8").reshape(s["rows"], s["cols"])
        p = row["params"]
        if p["algorithm"] == "kmeans":
            fit = lambda r: KMeans(p["k"], init="k-means++", n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd", random_state=r).fit(X)
            note = lambda f: f"iter {f.n_iter_}"
        elif p["algorithm"] == "gmm":
            fit = lambda r: GaussianMixture(p["components"], covariance_type=p["covariance"], max_iter=100, tol=1e-3,
                                            reg_covar=1e-6, n_init=1, random_state=r).fit(X)
            note = lambda f: f"iter {f.n_iter_}{'' if f.converged_ else ' (not converged)'}"
        else:
            fit = lambda r: DBSCAN(eps=p["eps"], min_samples=p["minSamples"]).fit(X)
            note = lambda f: f"{f.labels_.max() + 1} clusters, {(f.labels_ < 0).sum()} noise"
        wall, cpu, f = timed(fit)
        ratio = row["cpuMs"] / cpu if cpu > 0 else float("nan")
        print(f"{row['fit']:30} {row['data']:12} {wall:8.0f} {cpu:8.0f} {row['wallMs']:8.0f} {row['cpuMs']:8.0f} {ratio:11.2f}  {note(f)}",
              flush=True)
