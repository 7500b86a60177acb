"""Beyond one global metric, side by side with metric-learn, in one run.

    python -m benchmarks.bench_local [--datasets rings digits letter isolet segment
        satimage vowel balance_scale diabetes friedman1] [--methods ...] [--timeout 600]
        [--data-dir DIR] [--peers-python PATH] [--out benchmarks/results_local.md]

Classification (3-NN test error, fit time, peak memory): Euclidean, LMNN,
multi-metric LMNN (one metric per class, and 2 or 4 k-means clusters per class; its own
k-NN rule in the local metrics), Nystroem (300 RBF components, gamma = 1 /
n_features) followed by LMNN or NCA, and LFDA (ours and metric-learn's). Regression
(3-NN test RMSE, fit time): Euclidean and MLKR (ours and metric-learn's) on
scikit-learn's ``diabetes`` (standardised, 70/30) and ``make_friedman1`` (20000
points, 10 features of which 5 are noise, noise 1.0, standardised, 70/30).
``rings`` is two sparse concentric rings of alternating labels (120 training, 2000
test points): no linear metric helps there.

Every fit runs in its own subprocess (``_fit_one.py``: ours here, metric-learn 0.7.0
in the peers' environment) under ``--timeout`` and a memory cap; results are cached
per package hash in ``cache/local.json``. The script also checks LFDA's embedding
against metric-learn's on wine and prints the largest relative difference of
pairwise distances (see ``lfda_agreement``).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .common import (
    DEFAULT_DATA_DIR,
    DEFAULT_PEERS_PYTHON,
    HERE,
    ResultCache,
    git_commit,
    prepare,
    python_for,
    run_fit,
    version_key,
)

CLASSIFICATION = ["rings", "digits", "letter", "isolet", "segment", "satimage", "vowel"]
CLASSIFICATION += ["balance_scale"]
REGRESSION = ["diabetes", "friedman1"]
CLASSIFIERS = [
    "euclidean",
    "sklearn_metric.LMNN",
    "sklearn_metric.MultiMetricLMNN",
    "sklearn_metric.MultiMetricLMNN_2pc",
    "sklearn_metric.MultiMetricLMNN_4pc",
    "sklearn_metric.NystroemLMNN",
    "sklearn_metric.NystroemNCA",
    "sklearn_metric.LFDA",
    "metric_learn.LFDA",
]
REGRESSORS = ["euclidean", "sklearn_metric.MLKR", "metric_learn.MLKR"]


def _rings(n, seed, radii=(1.0, 1.2), noise=0.02):
    rng = np.random.RandomState(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    y = np.arange(n) % 2
    r = np.where(y == 0, radii[0], radii[1]) + rng.randn(n) * noise
    return np.c_[r * np.cos(angle), r * np.sin(angle)], y


def prepare_local(name, data_dir):
    """The ``.npz`` (X, y, X_test, y_test) of a dataset of this benchmark."""
    from sklearn.datasets import load_diabetes, make_friedman1
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name not in ("rings", *REGRESSION):
        return prepare(name, data_dir)
    path = HERE / "cache" / f"local_{name}.npz"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if name == "rings":
        (X, y), (X_test, y_test) = _rings(120, 0), _rings(2000, 1)
    else:
        if name == "diabetes":
            X, y = load_diabetes(return_X_y=True)
        else:
            X, y = make_friedman1(20000, n_features=10, noise=1.0, random_state=0)
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
        scaler = StandardScaler().fit(X)
        X, X_test = scaler.transform(X), scaler.transform(X_test)
        y, y_test = y.astype(np.float64), y_test.astype(np.float64)
    np.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)
    return path


_LFDA_CHECK = r"""
import json, sys
import numpy as np
with np.load(sys.argv[1]) as d:
    X, y = d["X"], d["y"]
mode = sys.argv[2]
if mode == "ours":
    from sklearn_metric import LFDA
    L = LFDA(k=7, embedding_type="plain").fit(X, y).components_
else:
    import metric_learn.lfda as module
    if mode == "peer_fixed":
        # metric-learn 0.7.0 takes the local scale from np.partition(dist, k, axis=0)[:, k]:
        # column k of a column-wise partition, not each point's k-th neighbour. With a
        # partition that sorts (and a transpose, the matrix being symmetric), [:, k] is
        # each point's k-th nearest same-class distance, the paper's local scale.
        class _Numpy:
            def __getattr__(self, name):
                return getattr(np, name)
            @staticmethod
            def partition(a, k, axis=0):
                return np.sort(a, axis=axis).T
        module.np = _Numpy()
    L = module.LFDA(k=7, embedding_type="plain").fit(X, y).components_
np.save(sys.argv[3], np.asarray(L))
"""


def lfda_agreement(args):
    """Largest relative difference of pairwise distances between our LFDA embedding and
    metric-learn's, as shipped and with its local-scale indexing corrected (wine,
    ``embedding_type="plain"``, k = 7)."""
    from scipy.spatial.distance import pdist

    path = prepare("wine", args.data_dir)
    with np.load(path) as d:
        X = d["X"]
    out = {}
    for mode in ("ours", "peer_shipped", "peer_fixed"):
        python = sys.executable if mode == "ours" else args.peers_python
        target = HERE / "cache" / f"lfda_{mode}.npy"
        done = subprocess.run(
            [str(python), "-c", _LFDA_CHECK, str(path), mode, str(target)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1][:200]}
        out[mode] = pdist(X @ np.real(np.load(target)).T)  # eig may return complex
    scale = out["ours"].max()
    return {
        mode: float(np.abs(out[mode] - out["ours"]).max() / scale)
        for mode in ("peer_shipped", "peer_fixed")
    }


def _cell(result, regression):
    if result["status"] != "ok":
        return f"{result['status']} ({result.get('detail', '')})", "", "", ""
    score = f"{result['rmse']:.4f}" if regression else f"{100 * (1 - result['accuracy']):.2f}"
    return (
        f"{result['fit_seconds']:.2f}",
        f"{result['peak_mib']:.0f}",
        score,
        result.get("n_iter", ""),
    )


def report(table, lfda, args):
    lines = [
        "# Beyond one global metric (`benchmarks/bench_local.py`)",
        "",
        f"Generated {time.strftime('%Y-%m-%d')} at commit {git_commit()} on this machine's "
        "2 cores, "
        "time limit "
        f"{args.timeout:g} s and {args.max_memory:g} GiB per fit. See the script's docstring "
        "for the protocol. Time ratio: ours over metric-learn's namesake in the same run.",
        "",
        "| dataset | method | fit s | peak MiB | 3-NN test error % / RMSE | iterations "
        "| time / metric-learn's |",
        "|---|---|---|---|---|---|---|",
    ]
    for dataset, results in table.items():
        regression = dataset in REGRESSION
        for method, result in results.items():
            ratio = ""
            peer = results.get("metric_learn." + method.split(".")[-1])
            if method.startswith("sklearn_metric.") and peer and peer["status"] == "ok":
                if result["status"] == "ok":
                    ratio = f"{result['fit_seconds'] / peer['fit_seconds']:.3f}"
            fit, peak, score, n_iter = _cell(result, regression)
            lines.append(
                f"| {dataset} | {method} | {fit} | {peak} | {score} | {n_iter} | {ratio} |"
            )
    lines += ["", "LFDA against metric-learn (wine, plain embedding, k = 7): " + json.dumps(lfda)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=CLASSIFICATION + REGRESSION)
    parser.add_argument("--methods", nargs="+", default=None, help="default: all that apply")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per fit")
    parser.add_argument("--max-memory", type=float, default=16, help="GiB per fit")
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    parser.add_argument("--out", default=str(HERE / "results_local.md"))
    args = parser.parse_args(argv)

    cache = ResultCache(HERE / "cache" / "local.json")
    lfda = lfda_agreement(args)
    print("LFDA agreement:", lfda, flush=True)
    table = {}
    for dataset in args.datasets:
        path = prepare_local(dataset, args.data_dir)
        methods = REGRESSORS if dataset in REGRESSION else CLASSIFIERS
        table[dataset] = {}
        for method in methods if args.methods is None else args.methods:
            if (method in REGRESSORS) != (dataset in REGRESSION) and method != "euclidean":
                continue
            version = version_key(method, args.peers_python)
            result = None if args.fresh else cache.get(dataset, method, version)
            if result is None:
                result = run_fit(
                    python_for(method, args.peers_python),
                    method,
                    path,
                    timeout=args.timeout,
                    max_memory_gib=args.max_memory,
                )
                cache.put(dataset, method, version, result)
            table[dataset][method] = result
            print(dataset, method, _cell(result, dataset in REGRESSION), flush=True)
        Path(args.out).write_text(report(table, lfda, args))  # a partial table per dataset
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
