"""Approximate neighbour search against exact search, in one run.

    python -m benchmarks.bench_ann [--n-points 300000 1000000] [--n-queries 10000]
        [--data-dir DIR] [--skip-mnist] [--usearch] [--out benchmarks/results_ann.md]

Two parts:

1. **Synthetic retrieval**, per size: ``n_points`` x 32 float32 points drawn
   around 1000 seeded centres (spreads 0.5-2), ``n_queries`` held-out queries
   from the same mixture. Exact 10-NN by scikit-learn's brute force
   (``NearestNeighbors(algorithm="brute", n_jobs=-1)``, every core) and by
   faiss's ``IndexFlatL2``; approximate 10-NN by our indexes with their default
   recall calibration (HNSW, IVF, LSH, IVF-PQ: build, calibration and query
   seconds, the breadth chosen, the recall estimated at fit on indexed points
   and the recall measured on the held-out queries), by the former fixed
   defaults (HNSW ``ef_search=64``, IVF ``n_probe=24``), optionally by usearch's
   HNSW; then each calibrated index's recall / query-time curve over its
   breadth. Speed-ups are over scikit-learn's brute force.
2. **MNIST after LMNN**: LMNN (PCA 164, as in bench_lmnn.py) fitted once on the
   60000 training points (the embedding is cached in benchmarks/cache), then 3-NN
   on the 10000 test points with ``KNNClassifier(algorithm=...)`` in the learned
   space: accuracy against exact k-NN, recall@10, query time.

Every search uses both cores. The table goes to stdout and to ``--out``.
"""

import argparse
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

K = 10


def clustered(n_points, n_queries, dim=32, n_centres=1000, seed=0):
    """Points and queries from one seeded Gaussian mixture, float32."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(n_centres, dim)).astype(np.float32)
    spreads = rng.uniform(0.5, 2.0, size=n_centres).astype(np.float32)

    def draw(n):
        label = rng.integers(n_centres, size=n)
        noise = rng.standard_normal((n, dim), dtype=np.float32)
        return centres[label] + spreads[label, None] * noise, label

    X, y = draw(n_points)
    Q, yq = draw(n_queries)
    return X, y, Q, yq


def recall(found, exact):
    """Fraction of the exact k nearest found (order ignored), over all queries."""
    found, exact = np.sort(found, axis=1), np.sort(exact, axis=1)
    hits = sum(
        np.intersect1d(f, e, assume_unique=True).size for f, e in zip(found, exact, strict=True)
    )
    return hits / exact.size


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def sklearn_brute(X, Q, k):
    from sklearn.neighbors import NearestNeighbors

    nn, build = timed(lambda: NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=-1).fit(X))
    ind, query = timed(lambda: nn.kneighbors(Q, return_distance=False))
    return ind, build, query


def faiss_flat(X, Q, k):
    import faiss

    def build():
        index = faiss.IndexFlatL2(X.shape[1])
        index.add(X)
        return index

    index, build_s = timed(build)
    (_, ind), query = timed(lambda: index.search(Q, k))
    return ind, build_s, query


def ours(algorithm, params):
    def run(X, Q, k):
        from sklearn_metric import ApproximateNeighborsTransformer

        est = ApproximateNeighborsTransformer(k, algorithm=algorithm, algorithm_params=params)
        _, build = timed(lambda: est.fit(X))
        ind, query = timed(lambda: est.kneighbors(Q, return_distance=False))
        return ind, build, query

    return run


def usearch_hnsw(connectivity, expansion_add, expansion_search):
    def run(X, Q, k):
        from usearch.index import Index

        def build():
            index = Index(
                ndim=X.shape[1],
                metric="l2sq",
                dtype="f32",
                connectivity=connectivity,
                expansion_add=expansion_add,
                expansion_search=expansion_search,
            )
            index.add(np.arange(X.shape[0]), X, threads=0)
            return index

        index, build_s = timed(build)
        matches, query = timed(lambda: index.search(Q, k, threads=0))
        return np.asarray(matches.keys, dtype=np.int64), build_s, query

    return run


def ours_calibrated(algorithm, params=None):
    """Our index with its default recall calibration, timed in three parts: build,
    calibration (the recall measured on 1000 indexed points) and the queries."""

    def run(X, Q, k):
        from sklearn_metric._core.ann import EuclideanIndex, resolve_params
        from sklearn_metric._core.kernels import threads_for_n_jobs

        index = EuclideanIndex(algorithm, resolve_params(algorithm, params), threads_for_n_jobs(-1))
        _, build = timed(lambda: index.build(X))
        _, calibration = timed(lambda: index.calibrate(X, k))
        (_, ind), query = timed(lambda: index.search(Q, k))
        info = {
            "calibration_s": calibration,
            "breadth": index.breadth_,
            "estimated": index.recall_,
            "index": index,
        }
        return ind, build, query, info

    return run


BREADTHS = {
    "hnsw": [10, 12, 16, 24, 32, 48, 64, 128],
    "ivf": [1, 2, 4, 8, 16, 24, 32, 64],
    "lsh": [1, 2, 4, 8, 16, 32, 64],
}


def curve(index, Q, exact, k):
    """Held-out recall@k and query seconds of one built index at each breadth."""
    points = []
    for breadth in BREADTHS[index.algorithm]:
        (_, ind), query = timed(lambda b=breadth: index.search(Q, k, breadth=b))
        points.append((breadth, recall(ind, exact), query))
    return points


def synthetic_rows(n_points, n_queries, with_usearch):
    """Exact search, our calibrated indexes (build, calibration and query time, the
    recall estimated at fit and measured on held-out queries), the former fixed
    defaults, and each index's recall / time curve over its breadth."""
    X, _, Q, _ = clustered(n_points, n_queries)
    print(f"synthetic: {n_points} x {X.shape[1]} points, {n_queries} queries", flush=True)
    methods = [
        ("exact: sklearn brute (n_jobs=-1)", sklearn_brute),
        ("exact: faiss IndexFlatL2", faiss_flat),
        ("ours hnsw, calibrated (default target 0.95)", ours_calibrated("hnsw")),
        ("ours ivf, calibrated (default target 0.95)", ours_calibrated("ivf")),
        ("ours lsh, calibrated (default target 0.95)", ours_calibrated("lsh")),
        ("ours hnsw, former fixed default ef_search=64", ours("hnsw", {"ef_search": 64})),
        ("ours ivf, former fixed default n_probe=24", ours("ivf", {"n_probe": 24})),
        ("ours ivf + pq (pq_m=8, refine=16), calibrated", ours_calibrated("ivf", {"pq_m": 8})),
    ]
    if with_usearch:
        methods += [("usearch hnsw (connectivity=32, expansion 80/64)", usearch_hnsw(32, 80, 64))]
    rows, curves, exact, brute_query = [], {}, None, None
    for name, run in methods:
        ind, build, query, *rest = run(X, Q, K)
        info = rest[0] if rest else {}
        if exact is None:
            exact, brute_query = ind, query
        row = {
            "method": name,
            "build_s": build,
            "query_s": query,
            "recall": recall(ind, exact),
            "speedup": brute_query / query,
            **{key: value for key, value in info.items() if key != "index"},
        }
        rows.append(row)
        extra = ""
        if info:
            extra = (
                f"  calibration {info['calibration_s']:.2f} s, breadth {info['breadth']}, "
                f"estimated {info['estimated']:.4f}"
            )
        print(
            f"  {name:52s} build {build:8.2f} s  query {query:7.3f} s  "
            f"recall@10 {row['recall']:.4f}  x{row['speedup']:.1f}{extra}",
            flush=True,
        )
        if "index" in info and "pq" not in name:
            index = info["index"]
            curves[index.algorithm] = curve(index, Q, exact, K)
            for breadth, held_out, seconds in curves[index.algorithm]:
                print(
                    f"    {index.algorithm} breadth {breadth:4d}: recall@10 {held_out:.4f}  "
                    f"query {seconds:.3f} s  x{brute_query / seconds:.1f}",
                    flush=True,
                )
            del info["index"], index
    return rows, curves, brute_query


def synthetic_report(n_points, n_queries, with_usearch):
    rows, curves, brute_query = synthetic_rows(n_points, n_queries, with_usearch)
    lines = [
        f"## Synthetic: {n_points} x 32 float32 (1000 Gaussian clusters), "
        f"{n_queries} held-out queries, 10-NN",
        "",
        "| method | build (s) | calibration (s) | breadth | recall@10 estimated at fit "
        "| recall@10 held-out | query (s) | query speed-up vs sklearn brute |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        calibrated = "calibration_s" in r
        lines.append(
            f"| {r['method']} | {r['build_s']:.2f} | "
            + (
                f"{r['calibration_s']:.2f} | {r['breadth']} | {r['estimated']:.4f} | "
                if calibrated
                else "- | - | - | "
            )
            + f"{r['recall']:.4f} | {r['query_s']:.3f} | {r['speedup']:.1f}x |"
        )
    name = {"hnsw": "ef_search", "ivf": "n_probe", "lsh": "refine (candidates = refine * k)"}
    for algorithm, points in curves.items():
        lines += [
            "",
            f"Trade-off of the {algorithm} index above, same build, over {name[algorithm]}:",
            "",
            "| breadth | recall@10 held-out | query (s) | speed-up vs sklearn brute |",
            "|---:|---:|---:|---:|",
        ]
        lines += [f"| {b} | {r:.4f} | {t:.3f} | {brute_query / t:.1f}x |" for b, r, t in points]
    return lines


def mnist_embedding(data_dir, cache):
    """LMNN-embedded MNIST (train, y, test, y_test), fitted once and cached."""
    path = cache / "mnist_lmnn_embedding.npz"
    if path.exists():
        data = np.load(path)
        return data["Z"], data["y"], data["Z_test"], data["y_test"], float(data["fit_s"])
    from sklearn_metric import LMNN

    from .common import prepare

    data = np.load(prepare("mnist", data_dir=Path(data_dir)))
    lmnn, fit_s = timed(lambda: LMNN(n_neighbors=3).fit(data["X"], data["y"]))
    Z, Z_test = lmnn.transform(data["X"]), lmnn.transform(data["X_test"])
    np.savez(path, Z=Z, y=data["y"], Z_test=Z_test, y_test=data["y_test"], fit_s=fit_s)
    return Z, data["y"], Z_test, data["y_test"], fit_s


def mnist_rows(data_dir):
    from sklearn_metric import KNNClassifier

    Z, y, Z_test, y_test, fit_s = mnist_embedding(data_dir, HERE / "cache")
    print(f"MNIST after LMNN ({fit_s:.0f} s fit): {Z.shape} train, {Z_test.shape[0]} test")
    configs = [
        ("exact: brute", "brute", None),
        ("ours hnsw (defaults)", "hnsw", None),
        ("ours ivf (defaults)", "ivf", None),
    ]
    rows, exact_ind, exact_acc, brute_query = [], None, None, None
    for name, algorithm, params in configs:
        clf, build = timed(
            lambda a=algorithm, p=params: KNNClassifier(
                3, algorithm=a, algorithm_params=p, n_jobs=-1
            ).fit(Z, y)
        )
        pred, query = timed(lambda c=clf: c.predict(Z_test))
        ind = clf.kneighbors(Z_test, n_neighbors=K, return_distance=False)
        acc = np.mean(pred == y_test)
        if exact_ind is None:
            exact_ind, exact_acc, brute_query = ind, acc, query
        rows.append(
            {
                "method": name,
                "build_s": build,
                "query_s": query,
                "recall": recall(ind, exact_ind),
                "speedup": brute_query / query,
                "accuracy": acc,
                "delta": 100 * (acc - exact_acc),
            }
        )
        print(
            f"  {name:40s} build {build:6.2f} s  predict {query:6.3f} s  "
            f"recall@10 {rows[-1]['recall']:.4f}  accuracy {100 * acc:.2f}%",
            flush=True,
        )
    return rows


def table(rows, with_accuracy=False):
    head = "| method | build (s) | query (s) | recall@10 | query speed-up vs sklearn brute |"
    sep = "|---|---:|---:|---:|---:|"
    if with_accuracy:
        head += " 3-NN accuracy | vs exact (points) |"
        sep += "---:|---:|"
    lines = [head, sep]
    for r in rows:
        line = (
            f"| {r['method']} | {r['build_s']:.2f} | {r['query_s']:.3f} | "
            f"{r['recall']:.4f} | {r['speedup']:.1f}x |"
        )
        if with_accuracy:
            line += f" {100 * r['accuracy']:.2f}% | {r['delta']:+.2f} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, nargs="+", default=[300_000, 1_000_000])
    parser.add_argument("--n-queries", type=int, default=10_000)
    parser.add_argument("--data-dir", default=str(HERE.parents[1] / "shared" / "datasets"))
    parser.add_argument("--skip-mnist", action="store_true")
    parser.add_argument("--usearch", action="store_true", help="add usearch's HNSW")
    parser.add_argument("--out", default=str(HERE / "results_ann.md"))
    args = parser.parse_args(argv)
    import faiss
    import sklearn

    import sklearn_metric

    try:
        import usearch

        usearch_version = usearch.__version__
    except ImportError:
        usearch_version = "not installed"

    from .common import git_commit

    commit = git_commit()
    report = [
        "# Approximate neighbours (`benchmarks/bench_ann.py`)",
        "",
        f"Commit {commit}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        f"sklearn_metric {sklearn_metric.__version__}, faiss {faiss.__version__}, "
        f"usearch {usearch_version}, scikit-learn {sklearn.__version__}; "
        "2 cores, every search on both.",
        "",
    ]
    for n_points in args.n_points:
        report += [""] + synthetic_report(n_points, args.n_queries, args.usearch)
    if not args.skip_mnist:
        report += [
            "",
            "## MNIST (PCA 164) after LMNN: 3-NN on the 10000 test points",
            "",
            table(mnist_rows(args.data_dir), with_accuracy=True),
        ]
    Path(args.out).write_text("\n".join(report) + "\n")
    print("\n".join(report))


if __name__ == "__main__":
    main()
