"""Prediction time of KNNClassifier with a learned metric, in one run.

Compares, on the same queries:

1. ``KNNClassifier(metric_learner=learner).predict(X_test)`` (transform once, then
   Euclidean search) -- what users run;
2. ``KNeighborsClassifier().predict(L X_test)`` on data already transformed -- the
   floor: target at most 1.2x of it;
3. ``KNeighborsClassifier(metric="mahalanobis", metric_params={"VI": M})`` -- the
   per-pair route: target at least 10x slower than (1).

Data: MNIST from ``--data-dir`` (default ``$SKLEARN_METRIC_DATA`` or
``../shared/datasets``), PCA to 50 dimensions, 10000 queries against 60000 training
points; a synthetic set of that size when the file is absent. The metric is
``MahalanobisTransformer`` (whitening), learned on the training part.

    python -m benchmarks.bench_knn [--data-dir DIR] [--mahalanobis-queries N]

The per-pair route is slow (hundreds of seconds for all 10000 queries), so by default
it is timed on the first ``--mahalanobis-queries`` queries and scaled linearly to
10000 (brute-force search time is linear in the number of queries); the table says
so. ``--mahalanobis-queries 10000`` times it in full.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.neighbors import KNeighborsClassifier

from sklearn_metric import KNNClassifier, MahalanobisTransformer

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def load(data_dir, n_components=50, seed=0):
    path = Path(data_dir) / "mnist.npz" if data_dir else None
    if path is not None and path.is_file():
        with np.load(path) as d:
            X_train, y_train = d["X_train"].astype(np.float64) / 255, d["y_train"]
            X_test, y_test = d["X_test"].astype(np.float64) / 255, d["y_test"]
        pca = PCA(n_components, random_state=seed).fit(X_train)
        return "MNIST (PCA 50)", pca.transform(X_train), y_train, pca.transform(X_test), y_test
    rng = np.random.RandomState(seed)
    centers = rng.randn(10, n_components) * 3
    y = rng.randint(10, size=70000)
    X = centers[y] + rng.randn(70000, n_components) @ rng.randn(n_components, n_components) * 0.3
    return "synthetic 70000x50", X[:60000], y[:60000], X[60000:], y[60000:]


def best_time(call, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("SKLEARN_METRIC_DATA", DEFAULT_DATA))
    parser.add_argument("--n-neighbors", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mahalanobis-queries", type=int, default=1000)
    args = parser.parse_args(argv)

    name, X_train, y_train, X_test, y_test = load(args.data_dir)
    learner = MahalanobisTransformer().fit(X_train)
    k = args.n_neighbors

    ours = KNNClassifier(k, metric_learner=FrozenEstimator(learner)).fit(X_train, y_train)
    t_ours, pred_ours = best_time(lambda: ours.predict(X_test), args.repeat)

    Xt_train, Xt_test = learner.transform(X_train), learner.transform(X_test)
    floor = KNeighborsClassifier(k).fit(Xt_train, y_train)
    t_floor, pred_floor = best_time(lambda: floor.predict(Xt_test), args.repeat)

    n_maha = min(args.mahalanobis_queries, X_test.shape[0])
    maha = KNeighborsClassifier(
        k, metric="mahalanobis", metric_params={"VI": learner.get_mahalanobis_matrix()}
    ).fit(X_train, y_train)
    t_maha_part, pred_maha = best_time(lambda: maha.predict(X_test[:n_maha]), 1)
    t_maha = t_maha_part * X_test.shape[0] / n_maha

    agree_floor = np.mean(pred_ours == pred_floor)
    agree_maha = np.mean(pred_ours[:n_maha] == pred_maha)
    print(
        f"{name}: {X_test.shape[0]} queries against {X_train.shape[0]} points, "
        f"{k}-NN, best of {args.repeat}"
    )
    print(f"{'route':<52} {'seconds':>9} {'ratio to ours':>14} {'accuracy':>9}")
    rows = [
        ("KNNClassifier(metric_learner=...)", t_ours, np.mean(pred_ours == y_test)),
        ("KNeighborsClassifier on transformed data", t_floor, np.mean(pred_floor == y_test)),
        (
            "KNeighborsClassifier(metric='mahalanobis')"
            + (
                "" if n_maha == X_test.shape[0] else f" [{n_maha} q, x{X_test.shape[0] / n_maha:g}]"
            ),
            t_maha,
            np.mean(pred_maha == y_test[:n_maha]),
        ),
    ]
    for label, seconds, accuracy in rows:
        print(f"{label:<52} {seconds:>9.3f} {seconds / t_ours:>14.2f} {accuracy:>9.4f}")
    print(
        f"ours / transformed floor = {t_ours / t_floor:.3f} (target <= 1.2); "
        f"mahalanobis route / ours = {t_maha / t_ours:.1f} (target >= 10)"
    )
    print(
        f"predictions identical: to floor {agree_floor:.4f}, to mahalanobis route {agree_maha:.4f}"
    )


if __name__ == "__main__":
    main()
