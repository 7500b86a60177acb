"""ContrastiveEmbedding on a million points: memory stays O(batch^2), one run.

    python -m benchmarks.bench_contrastive_scale [--n-points 1000000] [--n-queries 2000]
        [--max-iter 3000] [--out benchmarks/results_contrastive_scale.md]

Synthetic retrieval set (seed 0): 100 classes whose centres differ only in the first 8
of 32 dimensions (spread 1 around centres drawn in [-3, 3]); the other 24 dimensions
are shared noise of standard deviation 4, which swamps Euclidean distances. A
triplet-loss ContrastiveEmbedding (semi-hard mining, 8 output dimensions, batches of
256) is trained on all ``n_points``; the report gives its fit time, the process's
peak resident memory before and after the fit (the data alone is ``n_points * 32 * 8``
bytes), and precision@10 / recall@1 of ``n_queries`` held-out queries against all
``n_points`` references: exactly (blocked) in the input space and in the learned
space, and through an IVF index of the learned space (``KNNClassifier`` with the
frozen embedding, ``metrics.precision_at_k(..., index=...)``).
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def synthetic(n_points, n_queries, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.zeros((100, 32))
    centres[:, :8] = rng.uniform(-3, 3, size=(100, 8))

    def draw(n):
        y = rng.integers(100, size=n)
        X = centres[y] + rng.standard_normal((n, 32))
        X[:, 8:] *= 4
        return X, y

    X, y = draw(n_points)
    Q, yq = draw(n_queries)
    return X, y, Q, yq


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, default=1_000_000)
    parser.add_argument("--n-queries", type=int, default=2000)
    parser.add_argument("--max-iter", type=int, default=3000)
    parser.add_argument("--out", default=str(HERE / "results_contrastive_scale.md"))
    args = parser.parse_args(argv)

    from sklearn.frozen import FrozenEstimator

    import sklearn_metric
    from sklearn_metric import ContrastiveEmbedding, KNNClassifier
    from sklearn_metric.metrics import precision_at_k, recall_at_k

    X, y, Q, yq = synthetic(args.n_points, args.n_queries)
    before = peak_mib()
    ce = ContrastiveEmbedding(
        n_components=8, batch_size=256, max_iter=args.max_iter, random_state=0
    )
    start = time.perf_counter()
    ce.fit(X, y)
    fit_s = time.perf_counter() - start
    after = peak_mib()
    print(
        f"fit {fit_s:.1f} s, {ce.n_iter_} steps, peak {before:.0f} -> {after:.0f} MiB", flush=True
    )

    rows = []
    for name, space in [("input space (Euclidean)", None), ("learned space", ce)]:
        Qs, Xs = (Q, X) if space is None else (space.transform(Q), space.transform(X))
        t = time.perf_counter()
        p10 = precision_at_k(Qs, yq, Xs, y, k=10)
        r1 = recall_at_k(Qs, yq, Xs, y, k=1)
        rows.append((f"exact, {name}", p10, r1, time.perf_counter() - t))
        print(rows[-1], flush=True)
    t = time.perf_counter()
    clf = KNNClassifier(10, algorithm="ivf", metric_learner=FrozenEstimator(ce), n_jobs=-1)
    clf.fit(X, y)
    build = time.perf_counter() - t
    t = time.perf_counter()
    p10 = precision_at_k(Q, yq, None, y, k=10, index=clf)
    r1 = recall_at_k(Q, yq, None, y, k=1, index=clf)
    rows.append(
        (
            f"IVF index of the learned space (built in {build:.1f} s, "
            f"estimated recall@10 {clf.estimated_recall_:.3f})",
            p10,
            r1,
            time.perf_counter() - t,
        )
    )
    print(rows[-1], flush=True)

    from .common import git_commit

    commit = git_commit()
    lines = [
        "# ContrastiveEmbedding at scale (`benchmarks/bench_contrastive_scale.py`)",
        "",
        f"Commit {commit}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"sklearn_metric {sklearn_metric.__version__}, 2 cores. {args.n_points} training "
        f"points x 32 (100 classes, 24 noise dimensions), {args.n_queries} held-out queries.",
        "",
        f"Fit (triplet loss, semi-hard mining, batches of 256, {ce.n_iter_} steps): "
        f"{fit_s:.1f} s. Peak resident memory {before:.0f} MiB before the fit (data and "
        f"interpreter; the training points alone are {X.nbytes / 2**20:.0f} MiB), "
        f"{after:.0f} MiB after.",
        "",
        "| ranking | precision@10 | recall@1 | metric seconds |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {n} | {p:.4f} | {r:.4f} | {s:.1f} |" for n, p, r, s in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
