"""Retrieval in learned spaces: precision@1, R-precision, MAP@R and fit time, in one run.

    python -m benchmarks.bench_retrieval [--datasets isolet letter mnist] [--timeout 900]
        [--data-dir DIR] [--out benchmarks/results_retrieval.md]

Each dataset is prepared as in ``common.prepare`` (standardised; isolet PCA 172,
MNIST pixels / 255 then PCA 164); the training points are the references and the
test points the queries. Methods: Euclidean, LMNN, NCA and ContrastiveEmbedding
(triplet loss with semi-hard and batch-hard mining, contrastive with hard mining,
cosine with semi-hard mining; 3000 steps of 128 points, seed 0). Every fit runs in
its own process under ``--timeout``; the metrics are ``sklearn_metric.metrics``
(exact, blocked).
"""

import argparse
import multiprocessing
import time
from pathlib import Path

import numpy as np

from .common import DEFAULT_DATA_DIR, HERE, prepare

METHODS = {
    "Euclidean": None,
    "LMNN": ("LMNN", {}),
    "NCA": ("NCA", {"random_state": 0}),
    "Contrastive triplet/semihard": ("ContrastiveEmbedding", {"miner": "semihard"}),
    "Contrastive triplet/hard": ("ContrastiveEmbedding", {"miner": "hard"}),
    "Contrastive contrastive/hard": (
        "ContrastiveEmbedding",
        {"loss": "contrastive", "miner": "hard"},
    ),
    "Contrastive cosine/semihard": ("ContrastiveEmbedding", {"loss": "cosine"}),
}
_CONTRASTIVE = {"max_iter": 3000, "batch_size": 128, "random_state": 0}


def _fit_and_score(spec, path, queue):
    import warnings

    import sklearn_metric
    from sklearn_metric.metrics import mean_average_precision_at_r, precision_at_k, r_precision

    warnings.simplefilter("ignore")
    with np.load(path) as d:
        X, y, X_test, y_test = d["X"], d["y"], d["X_test"], d["y_test"]
    start = time.perf_counter()
    if spec is not None:
        name, params = spec
        if name == "ContrastiveEmbedding":
            params = {**_CONTRASTIVE, **params}
        learner = getattr(sklearn_metric, name)(**params).fit(X, y)
        X, X_test = learner.transform(X), learner.transform(X_test)
    fit = time.perf_counter() - start
    queue.put(
        {
            "fit": fit,
            "p@1": precision_at_k(X_test, y_test, X, y, k=1),
            "r_precision": r_precision(X_test, y_test, X, y),
            "map@r": mean_average_precision_at_r(X_test, y_test, X, y),
        }
    )


def run(spec, path, timeout):
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_fit_and_score, args=(spec, path, queue))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join()
        return {"error": f"timeout (over {timeout:g} s)"}
    if process.exitcode != 0 or queue.empty():
        return {"error": f"failed (exit code {process.exitcode})"}
    return queue.get()


def report(rows, args):
    lines = [
        "# Retrieval in learned spaces (`benchmarks/bench_retrieval.py`)",
        "",
        f"Generated {time.strftime('%Y-%m-%d')} on this machine's 2 cores, time limit "
        f"{args.timeout:g} s per fit. Test points query the training points; see the "
        "script's docstring.",
        "",
        "| dataset | method | fit s | P@1 | R-precision | MAP@R |",
        "|---|---|---|---|---|---|",
    ]
    for dataset, method, result in rows:
        if "error" in result:
            lines.append(f"| {dataset} | {method} | {result['error']} | | | |")
            continue
        lines.append(
            f"| {dataset} | {method} | {result['fit']:.2f} | {result['p@1']:.4f} | "
            f"{result['r_precision']:.4f} | {result['map@r']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["isolet", "letter", "mnist"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", default=str(HERE / "results_retrieval.md"))
    args = parser.parse_args(argv)
    rows = []
    for dataset in args.datasets:
        path = prepare(dataset, args.data_dir)
        for method in args.methods:
            result = run(METHODS[method], path, args.timeout)
            rows.append((dataset, method, result))
            print(dataset, method, result, flush=True)
            Path(args.out).write_text(report(rows, args))
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
