#!/usr/bin/env python3
"""Times scikit-learn on the data and parameters bench/fits.ts wrote to .data/bench/ (run that first).

    python3 bench/sklearn_fits.py [--threads 1]

Same k, n_init=1, max_iter, tol, reg_covar and eps/min_samples as bench/fits.ts; KMeans uses algorithm='lloyd'
and k-means++ like ours. Prints median ms per fit and, when bench/fits.ts saved its own rows, ours beside it.
If OPENBLAS_CORETYPE is set on this machine, run with it and OPENBLAS_L2_SIZE unset for a fair numpy:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/sklearn_fits.py
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
from sklearn.cluster import DBSCAN, KMeans, kmeans_plusplus
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", ".data", "bench")


def timed(fn, reps):
    """Median wall and CPU (all threads) milliseconds of reps calls, and the last result."""
    walls, cpus, out = [], [], None
    for r in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(r)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return (statistics.median(walls), statistics.median(cpus)), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="limit BLAS/OpenMP threads (0 = library default)")
    ap.add_argument("--reps", type=int, default=0, help="fits per case (default: as bench/fits.ts)")
    args = ap.parse_args()
    meta = json.load(open(os.path.join(DATA, "fits.json")))
    reps = args.reps or meta["reps"]
    sets = {name: np.fromfile(os.path.join(DATA, s["file"]), dtype="<f8").reshape(s["rows"], s["cols"])
            for name, s in meta["sets"].items()}
    p = meta["params"]
    ours = {}
    ours_path = os.path.join(DATA, "fits-ours.json")
    if os.path.exists(ours_path):
        for row in json.load(open(ours_path)):
            if row["impl"] == "ours":
                ours[(row["algo"], row["data"])] = (row["ms"], row["cpu"])
    pools = ", ".join(f"{i['internal_api']}:{i.get('architecture', '?')}x{i['num_threads']}" for i in threadpool_info())
    print(f"threadpools: {pools}; limit: {args.threads or 'none'}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    print(f"{'algorithm':24} {'data':14} {'sk wall':>8} {'sk cpu':>8} {'our wall':>8} {'our cpu':>8} {'cpu ratio':>9}  notes")

    def report(algo, data, t, note):
        ms, cpu = t
        o = ours.get((algo, data))
        cols = f"{o[0]:8.0f} {o[1]:8.0f} {o[1] / cpu:9.2f}" if o else f"{'-':>8} {'-':>8} {'-':>9}"
        print(f"{algo:24} {data:14} {ms:8.0f} {cpu:8.0f} {cols}  {note}", flush=True)

    def run():
        km, gm = p["kmeans"], p["gmm"]
        for name, X in sets.items():
            algo = f"kmeans k={km['k']}"
            ms, f = timed(lambda r: KMeans(km["k"], init="k-means++", n_init=km["nInit"], max_iter=km["maxIter"],
                                           tol=km["tol"], algorithm="lloyd", random_state=100 + r).fit(X), reps)
            report(algo, name, ms, f"iter {f.n_iter_}, inertia {f.inertia_:.0f}")
            ms, _ = timed(lambda r: kmeans_plusplus(X, km["k"], random_state=100 + r), reps)
            report(f"kmeans++ seeding k={km['k']}", name, ms, "")
            init = np.fromfile(os.path.join(DATA, meta["sets"][name]["file"].replace(".f64", ".init.f64")), dtype="<f8").reshape(km["k"], -1)
            ms, f = timed(lambda r: KMeans(km["k"], init=init, n_init=1, max_iter=km["maxIter"], tol=km["tol"],
                                           algorithm="lloyd").fit(X), reps)
            report("kmeans lloyd same init", name, ms, f"iter {f.n_iter_}, inertia {f.inertia_:.0f}")
        for name, X in sets.items():
            for cov in ("diag", "full"):
                if cov == "full" and X.shape[1] > 20:
                    continue
                algo = f"gmm {cov} k={gm['k']}"
                ms, f = timed(lambda r: GaussianMixture(gm["k"], covariance_type=cov, max_iter=gm["maxIter"], tol=gm["tol"],
                                                        reg_covar=gm["regCovar"], n_init=1, random_state=200 + r).fit(X), reps)
                report(algo, name, ms, f"iter {f.n_iter_}, ll {f.lower_bound_:.3f}{'' if f.converged_ else ' (not converged)'}")
        for c in p["dbscan"]:
            X = sets[c["data"]]
            algo = f"dbscan eps={c['eps']} ms={c['minSamples']}"
            ms, f = timed(lambda r: DBSCAN(eps=c["eps"], min_samples=c["minSamples"]).fit(X), reps)
            labels = f.labels_
            report(algo, c["data"], ms, f"{labels.max() + 1} clusters, {(labels < 0).sum()} noise")
        X = sets["10000x200"]
        for comps in p["pca"]:
            ms, f = timed(lambda r: PCA(n_components=comps).fit_transform(X), reps)
            report(f"pca fit+transform c={comps}", "10000x200", ms, f"{f.shape[1]} cols")

    if args.threads:
        with threadpool_limits(limits=args.threads):
            run()
    else:
        run()


if __name__ == "__main__":
    main()
