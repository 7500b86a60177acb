"""Command line: ``python -m sklearn_metric compare|retrieve|regress ...``.

Fits the metric learners of the package that apply on one dataset and prints, for
each, its fit time and either the test accuracy of k-NN in its metric
(``compare``; multi-metric LMNN by its own local rule), the retrieval quality of its
space, test points querying the training points (``retrieve``: precision@1,
R-precision, MAP@R, query time; global maps only), or the k-NN regression score
(``regress``: MLKR on a continuous target), after a Euclidean baseline row. The
warnings a fit raises are printed under its row (``--quiet`` hides them).
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
# friedman1: scikit-learn's make_friedman1, 1000 points of which 5 of 10 features matter.
BUNDLED_REGRESSION = ("friedman1", "diabetes")
# Learners for continuous targets: the regression table only.
_REGRESSION_LEARNERS = ("MLKR",)
# Learners whose transform is not their metric (one metric per class or cluster):
# compared by their own rule, left out of the global-transform (retrieval) table.
_LOCAL_LEARNERS = ("MultiMetricLMNN",)
DATA_ENV = "SKLEARN_METRIC_DATA"


class UsageError(Exception):
    """A bad argument: reported on one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _add_dataset_arguments(command, bundled=BUNDLED):
    command.add_argument(
        "--dataset",
        default=bundled[0],
        metavar="NAME|PATH.npz",
        help=(
            "scikit-learn's bundled " + ", ".join(bundled) + "; or a .npz file with arrays "
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
    command.add_argument(
        "--quiet",
        action="store_true",
        help="hide the warnings of the fits (shown under each row by default)",
    )


def _build_parser():
    parser = _Parser(
        prog="python -m sklearn_metric",
        description="Metric learners of sklearn_metric on the command line.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    compare = commands.add_parser(
        "compare",
        help="fit the learners on a labelled dataset and compare k-NN test accuracy",
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
        help="fit the global learners on a labelled dataset and compare retrieval",
        description=(
            "Fit every metric learner of the package on the training part of one dataset, "
            "then rank the training points (references) for each test point (query) in "
            "the learned space: precision@1, R-precision, MAP@R and the exact search time "
            "of all queries, with Euclidean as the first row. Same data handling as compare."
        ),
    )
    _add_dataset_arguments(retrieve)
    regress = commands.add_parser(
        "regress",
        help="fit the regression learners on a dataset and compare k-NN regression",
        description=(
            "Fit the metric learners for continuous targets (MLKR) on one dataset and print "
            "a table: learner, fit seconds, k-NN regression test R^2, with Euclidean k-NN "
            "first. A dataset without a given split is split 70/30 with the given seed."
        ),
    )
    _add_dataset_arguments(regress, BUNDLED_REGRESSION)
    regress.add_argument(
        "--n-neighbors",
        type=_positive_int,
        default=5,
        metavar="K",
        help="neighbours of the k-NN average (default: %(default)s)",
    )
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
    if name == "friedman1":
        from sklearn.datasets import make_friedman1

        X, y = make_friedman1(n_samples=1000, n_features=10, noise=1.0, random_state=0)
        return X, y, None, None
    if name in BUNDLED + BUNDLED_REGRESSION:
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
        f"unknown dataset {name!r}: use one of {', '.join(BUNDLED + BUNDLED_REGRESSION)}, "
        f"a .npz path{where}"
    )


def prepare(X, y, X_test, y_test, *, seed=0, max_train=None, stratify=True):
    """Split (when no split is given), subsample and standardise."""
    X = np.asarray(X, dtype=np.float64)
    if X_test is None:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y if stratify else None, random_state=seed
        )
    if max_train is not None and max_train < X.shape[0]:
        X, _, y, _ = train_test_split(
            X, y, train_size=max_train, stratify=y if stratify else None, random_state=seed
        )
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(np.asarray(X_test, dtype=np.float64)), y_test


def learners(seed=0, kind="classification"):
    """One default instance of each public metric learner of the package for a table.

    ``kind``: ``"classification"`` (every learner from class labels, multi-metric
    LMNN included), ``"retrieval"`` (those whose ``transform`` is their metric) or
    ``"regression"`` (learners for continuous targets).
    """
    import sklearn_metric
    from sklearn_metric._core.base import MetricLearnerMixin

    found = []
    for name in sklearn_metric.__all__:
        obj = getattr(sklearn_metric, name)
        if not (inspect.isclass(obj) and issubclass(obj, MetricLearnerMixin)):
            continue
        regression = name in _REGRESSION_LEARNERS
        if (kind == "regression") != regression:
            continue
        if kind == "retrieval" and name in _LOCAL_LEARNERS:
            continue
        params = {"random_state": seed} if "random_state" in obj().get_params() else {}
        found.append((name, obj(**params)))
    return found


def _fit(estimator, X, y, quiet):
    """Fit, returning the warnings raised (none kept when ``quiet``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore" if quiet else "always")
        estimator.fit(X, y)
    return caught


def _print_warnings(caught, out):
    seen = set()
    for w in caught:
        line = f"    {w.category.__name__}: {w.message}"
        if line not in seen:
            seen.add(line)
            print(line, file=out)


def compare(dataset, n_neighbors, seed=0, max_train=None, out=None, quiet=False):
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
        if name in _LOCAL_LEARNERS:  # a classifier itself: its own local-metric rule
            clf = learner.set_params(n_neighbors=n_neighbors)
        else:
            clf = KNNClassifier(n_neighbors, metric_learner=learner)
        start = time.perf_counter()
        try:
            caught = _fit(clf, X, y, quiet)
        except Exception as exc:  # noqa: BLE001 - a failing learner is a row, not a crash
            print(f"{name:<28} {'failed:':>12} {type(exc).__name__}: {exc}", file=out)
            continue
        seconds = time.perf_counter() - start
        accuracy = clf.score(X_test, y_test)
        print(f"{name:<28} {seconds:>12.3f} {accuracy:>9.4f}", file=out)
        _print_warnings(caught, out)


def retrieve(dataset, seed=0, max_train=None, out=None, quiet=False):
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
    for name, learner in [("Euclidean", None)] + learners(seed, kind="retrieval"):
        start = time.perf_counter()
        try:
            caught = [] if learner is None else _fit(learner, X, y, quiet)
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
        _print_warnings(caught, out)


def regress(dataset, n_neighbors, seed=0, max_train=None, out=None, quiet=False):
    """Fit the regression learners and print the k-NN regression table to ``out``."""
    out = sys.stdout if out is None else out
    from sklearn_metric import KNNRegressor

    try:
        X, y, X_test, y_test = prepare(
            *load_dataset(dataset), seed=seed, max_train=max_train, stratify=False
        )
    except ValueError as exc:
        raise UsageError(f"cannot prepare dataset {dataset!r}: {exc}") from None
    print(
        f"dataset {dataset}: {X.shape[0]} train / {X_test.shape[0]} test points, "
        f"{X.shape[1]} features; {n_neighbors}-NN regression test R^2",
        file=out,
    )
    print(f"{'learner':<28} {'fit seconds':>12} {'R^2':>9}", file=out)
    for name, learner in [("Euclidean k-NN", None)] + learners(seed, kind="regression"):
        reg = KNNRegressor(n_neighbors, metric_learner=learner)
        start = time.perf_counter()
        try:
            caught = _fit(reg, X, y, quiet)
        except Exception as exc:  # noqa: BLE001 - a failing learner is a row, not a crash
            print(f"{name:<28} {'failed:':>12} {type(exc).__name__}: {exc}", file=out)
            continue
        seconds = time.perf_counter() - start
        print(f"{name:<28} {seconds:>12.3f} {reg.score(X_test, y_test):>9.4f}", file=out)
        _print_warnings(caught, out)


def main(argv=None):
    """Entry point; returns the exit code."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stdout)
            return 2
        common = {"seed": args.seed, "max_train": args.max_train, "quiet": args.quiet}
        if args.command == "compare":
            compare(args.dataset, args.n_neighbors, **common)
        elif args.command == "retrieve":
            retrieve(args.dataset, **common)
        elif args.command == "regress":
            regress(args.dataset, args.n_neighbors, **common)
    except UsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
