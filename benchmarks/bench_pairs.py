"""Weakly supervised learners side by side with metric-learn, on the same tuples, in one run.

    python -m benchmarks.bench_pairs [--datasets digits letter isolet mnist olivetti_faces
        yale_faces yaleb_faces] [--methods ...] [--folds 10] [--timeout 300]
        [--data-dir DIR] [--peers-python PATH] [--out benchmarks/results_pairs.md]

Tuples are drawn once per dataset and fold (seeded) and every method gets the same
arrays (see _fit_tuples_one.py): ``20 * n_classes**2`` similar and as many dissimilar
training pairs (metric-learn's default constraint count), as many triplets and
quadruplets, all from the training points; 2000 similar and 2000 dissimilar test
pairs from the test points. Labelled sets (digits, letter, isolet, MNIST) use the
train/test split of ``common.prepare``; MNIST is subsampled to 5000 training and
5000 test points. The face sets are split into ``--folds`` folds of disjoint
identities (test identities never seen in training), standardised and reduced by
PCA to 64 dimensions fitted on the training identities.

Each fit runs in its own subprocess (ours here, metric-learn 0.7.0 in the peers'
environment) under ``--timeout``. Reported: fit seconds, test ROC AUC and equal
error rate of the learned distance, and test accuracy at the threshold calibrated
for accuracy on the training pairs (``sklearn_metric.tuples.calibrate_threshold``),
averaged over folds; the time ratio is ours over metric-learn's namesake. For ITML,
whose iteration is one sweep over the same constraints in both libraries, the ratio of
seconds per sweep is given too (the libraries stop after different numbers of sweeps:
metric-learn visits the similar pairs, then the dissimilar ones, we visit them in a
random order). ``sklearn_metric.ITML_same_bounds`` (not run by default) is our ITML
given metric-learn's default bounds, percentiles of unsquared distances, where ours
takes them of squared ones as Davis et al.: the same problem as metric-learn's. A
method over ``--timeout`` on one fold is not run on the later folds of that dataset.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.preprocessing import StandardScaler

from sklearn_metric._core.sampling import sample_pairs, sample_quadruplets, sample_triplets
from sklearn_metric.tuples import calibrate_threshold

from .common import (
    DEFAULT_DATA_DIR,
    DEFAULT_PEERS_PYTHON,
    HERE,
    invocation,
    prepare,
    write_results,
)

LEARNERS = ["ITML", "SDML", "LSML", "SCML", "MMC"]
METHODS = (
    ["euclidean"]
    + [f"sklearn_metric.{name}" for name in LEARNERS + ["POLA", "LMNN"]]
    + [f"metric_learn.{name}" for name in LEARNERS]
)
FACES = ("olivetti_faces", "yale_faces", "yaleb_faces")
TITLE = "Weakly supervised learners against metric-learn"
N_TEST_PAIRS = 2000


def _tuples(X_train, y_train, X_test, y_test, seed):
    rng = np.random.RandomState(seed)
    n = 20 * np.unique(y_train).size ** 2
    train_pairs, train_labels = sample_pairs(y_train, n, rng)
    test_pairs, test_labels = sample_pairs(y_test, N_TEST_PAIRS, rng)
    return dict(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        train_pairs=train_pairs,
        train_labels=train_labels,
        test_pairs=test_pairs,
        test_labels=test_labels,
        triplets=sample_triplets(y_train, n, rng),
        quadruplets=sample_quadruplets(y_train, n, rng),
    )


def folds_of(name, args):
    """Yield (fold, tuple arrays) for a dataset."""
    if name in FACES:
        with np.load(Path(args.data_dir) / f"{name}.npz") as d:
            X, y = d["X"].astype(np.float64), d["y"]
        identities = np.random.RandomState(0).permutation(np.unique(y))
        # A test fold needs two identities for dissimilar test pairs: Yale's 15 allow 7.
        n_folds = min(args.folds, identities.size // 2)
        if n_folds < args.folds:
            print(f"{name}: {identities.size} identities allow {n_folds} folds", flush=True)
        for fold, test_ids in enumerate(np.array_split(identities, n_folds)):
            test = np.isin(y, test_ids)
            scaler = StandardScaler().fit(X[~test])
            pca = PCA(64, random_state=0).fit(scaler.transform(X[~test]))
            X_train = pca.transform(scaler.transform(X[~test]))
            X_test = pca.transform(scaler.transform(X[test]))
            yield fold, _tuples(X_train, y[~test], X_test, y[test], seed=fold)
        return
    with np.load(prepare(name, args.data_dir)) as d:
        X, y, X_test, y_test = d["X"], d["y"], d["X_test"], d["y_test"]
    if name == "mnist":
        X, y, X_test, y_test = X[:5000], y[:5000], X_test[:5000], y_test[:5000]
    yield 0, _tuples(X, y, X_test, y_test, seed=0)


def run(method, path, args):
    python = args.peers_python if method.startswith("metric_learn.") else sys.executable
    cmd = [str(python), str(HERE / "_fit_tuples_one.py"), method, str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout (over {args.timeout:g} s)"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed: {last[:160]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def scores(result, arrays):
    test_d = np.asarray(result["test_distances"])
    train_d = np.asarray(result["train_distances"])
    y_test, y_train = arrays["test_labels"], arrays["train_labels"]
    auc = roc_auc_score(y_test, -test_d)
    fpr, tpr, _ = roc_curve(y_test, -test_d)
    i = np.argmin(np.abs(fpr - (1 - tpr)))
    eer = (fpr[i] + 1 - tpr[i]) / 2
    threshold = calibrate_threshold(train_d, y_train, "accuracy")
    accuracy = np.mean(np.where(test_d <= threshold, 1, -1) == y_test)
    return auc, eer, accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["digits", "letter", "isolet", "mnist", *FACES]
    )
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--folds", type=int, default=10, help="folds of the face sets")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--out", default=str(HERE / "results_pairs.md"))
    args = parser.parse_args(argv)
    command = sys.argv[1:] if argv is None else argv

    cache = HERE / "cache"
    cache.mkdir(exist_ok=True)
    rows = []
    for name in args.datasets:
        per_method = {m: [] for m in args.methods}
        for fold, arrays in folds_of(name, args):
            path = cache / f"tuples_{name}_{fold}.npz"
            np.savez(path, **arrays)
            for method in args.methods:
                timed_out = [r for r in per_method[method] if "timeout" in r.get("error", "")]
                if timed_out:  # a fit over the limit on one fold is over it on the next
                    per_method[method].append(timed_out[0])
                    print(f"{name:>15} fold {fold} {method:>26}: skipped", flush=True)
                    continue
                result = run(method, path, args)
                if "error" not in result:
                    result["scores"] = scores(result, arrays)
                per_method[method].append(result)
                shown = result.get("error") or "%.2f s, AUC %.4f" % (
                    result["fit_seconds"],
                    result["scores"][0],
                )
                print(f"{name:>15} fold {fold} {method:>26}: {shown}", flush=True)
        for method, results in per_method.items():
            failed = [r["error"] for r in results if "error" in r]
            if failed:
                rows.append((name, method, None, failed[0]))
                continue
            fit = np.mean([r["fit_seconds"] for r in results])
            auc, eer, acc = np.mean([r["scores"] for r in results], axis=0)
            iterations = np.mean([r.get("iterations", -1) for r in results])
            rows.append((name, method, (fit, auc, eer, acc, len(results), iterations), ""))
        # After each dataset: a partial table.
        write_results(args.out, TITLE, invocation("bench_pairs", command), _report(rows, args))
    print(Path(args.out).read_text())


def _report(rows, args):
    lines = [
        f"Generated {time.strftime('%Y-%m-%d')} on this machine's 2 cores, time limit "
        f"{args.timeout:g} s per fit, {args.folds} fold(s) of disjoint identities on the "
        "face sets. See the script's docstring for the protocol.",
        "",
        "| dataset | method | fit s | test ROC AUC | test EER | test accuracy | folds "
        "| iterations | time / metric-learn's | time per iteration / metric-learn's |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    found = {(d, m): v for d, m, v, _ in rows if v is not None}
    for dataset, method, values, error in rows:
        if values is None:
            lines.append(f"| {dataset} | {method} | {error} | | | | | | | |")
            continue
        fit, auc, eer, acc, n, iterations = values
        ratio = per_iteration = ""
        namesake = method.split(".")[-1].removesuffix("_same_bounds")
        peer = found.get((dataset, "metric_learn." + namesake))
        if method.startswith("sklearn_metric.") and peer is not None and peer[0] > 0:
            ratio = f"{fit / peer[0]:.3f}"
            if namesake == "ITML" and iterations > 0 and peer[5] > 0:
                per_iteration = f"{(fit / iterations) / (peer[0] / peer[5]):.3f}"
        shown = f"{iterations:.0f}" if iterations > 0 else ""
        lines.append(
            f"| {dataset} | {method} | {fit:.2f} | {auc:.4f} | {eer:.4f} | {acc:.4f} | {n} "
            f"| {shown} | {ratio} | {per_iteration} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
