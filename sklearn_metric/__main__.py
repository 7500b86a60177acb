"""Command line: ``python -m sklearn_metric compare|retrieve ...``.

Fits every metric learner of the package on one dataset and prints, for each,
its fit time and either the test accuracy of k-NN in its metric (``compare``) or
the retrieval quality of its space, test points querying the training points
(``retrieve``: precision@1, R-precision, MAP@R, query time), after a Euclidean
baseline row.
"""

import argparse
import inspect
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

BUNDLED = ("wine", "iris", "breast_cancer", "digits")
DATA_ENV = "SKLEARN_METRIC_DATA"


class UsageError(Exception):
    """A bad argument: reported on one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _add_dataset_arguments(command):
    command.add_argument(
        "--dataset",
        default="wine",
        metavar="NAME|PATH.npz",
        help=(
            "scikit-learn's bundled " + ", ".join(BUNDLED) + "; or a .npz file with arrays "
            "X, y or X_train, y_train, X_test, y_test; or NAME for NAME.npz in the folder "
            f"named by ${DATA_ENV} (default: %(default)s)"
        ),
    )
    command.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the split and of the learners (default: %(default)s)",
    )
    command.add_argument(
        "--max-train",
        type=_positive_int,
        default=None,
        metavar="N",
        help="use a stratified subsample of at most N training points (default: all)",
    )


def _build_parser():
    parser = _Parser(
        prog="python -m sklearn_metric",
        description="Metric learners of sklearn_metric on the command line.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    compare = commands.add_parser(
        "compare",
        help="fit every learner on a dataset and compare k-NN test accuracy",
        description=(
            "Fit every metric learner of the package on one dataset and print a table: "
            "learner, fit seconds, k-NN test accuracy, with Euclidean k-NN as the first "
            "row. Features are standardised on the training part; a dataset without a "
            "given split is split 70/30, stratified, with the given seed."
        ),
    )
    _add_dataset_arguments(compare)
    compare.add_argument(
        "--n-neighbors",
        type=_positive_int,
        default=3,
        metavar="K",
        help="neighbours of the k-NN vote (default: %(default)s)",
    )
    retrieve = commands.add_parser(
        "retrieve",
        help="fit every learner on a dataset and compare retrieval quality",
        description=(
            "Fit every metric learner of the package on the training part of one dataset, "
            "then rank the training points (references) for each test point (query) in "
            "the learned space: precision@1, R-precision, MAP@R and the exact search time "
            "of all queries, with Euclidean as the first row. Same data handling as compare."
        ),
    )
    _add_dataset_arguments(retrieve)
    return parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _load_npz(path):
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if {"X_train", "y_train", "X_test", "y_test"} <= arrays.keys():
        return arrays["X_train"], arrays["y_train"], arrays["X_test"], arrays["y_test"]
    if {"X", "y"} <= arrays.keys():
        return arrays["X"], arrays["y"], None, None
    raise UsageError(
        f"{path} must hold arrays X, y or X_train, y_train, X_test, y_test; "
        f"it holds {sorted(arrays)}"
    )


def load_dataset(name):
    """Return ``X_train, y_train, X_test, y_test`` (the last two None without a split)."""
    if name in BUNDLED:
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return X, y, None, None
    path = Path(name)
    if path.suffix == ".npz":
        if not path.is_file():
            raise UsageError(f"no such file: {name}")
        return _load_npz(path)
    data_dir = os.environ.get(DATA_ENV)
    if data_dir and (Path(data_dir) / f"{name}.npz").is_file():
        return _load_npz(Path(data_dir) / f"{name}.npz")
    where = (
        f" or {DATA_ENV}={data_dir}" if data_dir else f" (set {DATA_ENV} to a folder of .npz files)"
    )
    raise UsageError(
        f"unknown dataset {name!r}: use one of {', '.join(BUNDLED)}, a .npz path{where}"
    )


def prepare(X, y, X_test, y_test, *, seed=0, max_train=None):
    """Split (when no split is given), subsample and standardise."""
    X = np.asarray(X, dtype=np.float64)
    if X_test is None:
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    if max_train is not None and max_train < X.shape[0]:
        X, _, y, _ = train_test_split(X, y, train_size=max_train, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(np.asarray(X_test, dtype=np.float64)), y_test


def learners(seed=0):
    """One default instance of every public metric learner of the package."""
    import sklearn_metric
    from sklearn_metric.base import MetricLearnerMixin

    found = []
    for name in sklearn_metric.__all__:
        obj = getattr(sklearn_metric, name)
        if inspect.isclass(obj) and issubclass(obj, MetricLearnerMixin):
            params = {"random_state": seed} if "random_state" in obj().get_params() else {}
            found.append((name, obj(**params)))
    return found


def compare(dataset, n_neighbors, seed=0, max_train=None, out=None):
    """Fit every learner and print the comparison table to ``out`` (default stdout)."""
    out = sys.stdout if out is None else out
    from sklearn_metric import KNNClassifier

    try:
        X, y, X_test, y_test = prepare(*load_dataset(dataset), seed=seed, max_train=max_train)
    except ValueError as exc:
        raise UsageError(f"cannot prepare dataset {dataset!r}: {exc}") from None
    print(
        f"dataset {dataset}: {X.shape[0]} train / {X_test.shape[0]} test points, "
        f"{X.shape[1]} features, {len(np.unique(y))} classes; {n_neighbors}-NN test accuracy",
        file=out,
    )
    rows = [("Euclidean k-NN", None)] + learners(seed)
    print(f"{'learner':<28} {'fit seconds':>12} {'accuracy':>9}", file=out)
    for name, learner in rows:
        clf = KNNClassifier(n_neighbors, metric_learner=learner)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X, y)
        except Exception as exc:  # noqa: BLE001 - a failing learner is a row, not a crash
            print(f"{name:<28} {'failed:':>12} {type(exc).__name__}: {exc}", file=out)
            continue
        seconds = time.perf_counter() - start
        accuracy = clf.score(X_test, y_test)
        print(f"{name:<28} {seconds:>12.3f} {accuracy:>9.4f}", file=out)


def retrieve(dataset, seed=0, max_train=None, out=None):
    """Fit every learner and print the retrieval table to ``out`` (default stdout)."""
    out = sys.stdout if out is None else out
    from sklearn_metric.metrics import mean_average_precision_at_r, precision_at_k, r_precision

    try:
        X, y, X_test, y_test = prepare(*load_dataset(dataset), seed=seed, max_train=max_train)
    except ValueError as exc:
        raise UsageError(f"cannot prepare dataset {dataset!r}: {exc}") from None
    print(
        f"dataset {dataset}: {X_test.shape[0]} queries against {X.shape[0]} references, "
        f"{X.shape[1]} features, {len(np.unique(y))} classes",
        file=out,
    )
    header = f"{'learner':<28} {'fit s':>8} {'P@1':>7} {'R-prec':>7} {'MAP@R':>7} {'query s':>8}"
    print(header, file=out)
    for name, learner in [("Euclidean", None)] + learners(seed):
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if learner is not None:
                    learner.fit(X, y)
        except Exception as exc:  # noqa: BLE001 - a failing learner is a row, not a crash
            print(f"{name:<28} {'failed:':>8} {type(exc).__name__}: {exc}", file=out)
            continue
        seconds = time.perf_counter() - start
        Z, Q = (X, X_test) if learner is None else (learner.transform(X), learner.transform(X_test))
        start = time.perf_counter()
        p1 = precision_at_k(Q, y_test, Z, y, k=1)
        query_seconds = time.perf_counter() - start
        r_prec = r_precision(Q, y_test, Z, y)
        map_r = mean_average_precision_at_r(Q, y_test, Z, y)
        print(
            f"{name:<28} {seconds:>8.3f} {p1:>7.4f} {r_prec:>7.4f} {map_r:>7.4f} "
            f"{query_seconds:>8.3f}",
            file=out,
        )


def main(argv=None):
    """Entry point; returns the exit code."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "compare":
            compare(args.dataset, args.n_neighbors, seed=args.seed, max_train=args.max_train)
        elif args.command == "retrieve":
            retrieve(args.dataset, seed=args.seed, max_train=args.max_train)
    except UsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
