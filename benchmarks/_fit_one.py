"""Fit one method on one prepared dataset and print one JSON line (run as a subprocess).

    python _fit_one.py METHOD DATA.npz N_NEIGHBORS

Runs under our environment or the peers' (see common.py); imports only what METHOD
needs. Fit time is wall time around ``fit`` alone; peak memory is the process's peak
resident set size (data included).
"""

import json
import resource
import sys
import time

import numpy as np


def _nystroem_then(learner, n_samples):
    """The KPCA trick: a linear learner on Nystroem RBF features (gamma = 1 / n_features)."""
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        Nystroem(kernel="rbf", n_components=min(300, n_samples), random_state=0), learner
    )


class _Mlpack:
    """mlpack's ``lmnn`` or ``nca`` binding as a fit/transform estimator. The binding
    returns ``output`` with ``transformed_data == X @ output``."""

    def __init__(self, function, **kwargs):
        self.function, self.kwargs = function, kwargs

    def fit(self, X, y):
        import mlpack

        fit = getattr(mlpack, self.function)
        labels = np.unique(y, return_inverse=True)[1]
        self.components_ = np.asarray(fit(input_=X, labels=labels, **self.kwargs)["output"]).T
        return self

    def transform(self, X):
        return X @ self.components_.T


def make(method, n_neighbors, n_classes=None, n_samples=None, params=None):
    """Return (estimator, version, kind) for a method name.

    ``params`` overrides PyLMNN's constructor arguments (its other methods ignore it).

    kind is 'transformer' or 'classifier'.
    """
    family, _, name = method.partition(".")
    if family == "sklearn_metric":
        import sklearn_metric as sm

        version = sm.__version__
        if name == "MultiMetricLMNN":  # one metric per class
            return (
                sm.MultiMetricLMNN(n_neighbors=n_neighbors, random_state=0),
                version,
                ("classifier"),
            )
        if name.startswith("MultiMetricLMNN_"):  # MultiMetricLMNN_2pc: 2 clusters per class
            per_class = int(name.split("_")[1].rstrip("pc"))
            model = sm.MultiMetricLMNN(
                per_class * n_classes, n_neighbors=n_neighbors, random_state=0
            )
            return model, version, "classifier"
        if name == "NystroemLMNN":
            return _nystroem_then(sm.LMNN(n_neighbors), n_samples), version, "transformer"
        if name == "NystroemNCA":
            learner = sm.NCA(random_state=0)
            return _nystroem_then(learner, n_samples), version, "transformer"
        if name == "LMNN":
            return sm.LMNN(n_neighbors), version, "transformer"
        if name == "LMNN_exact":  # every impostor search exact (no faiss index)
            return sm.LMNN(n_neighbors, impostor_search="exact"), version, "transformer"
        if name == "LMNN_iter50":  # PyLMNN's default budget: equal iterations, not convergence
            return sm.LMNN(n_neighbors, max_iter=50), version, "transformer"
        if name == "LMNN_energy":
            return sm.EnergyClassifier(sm.LMNN(n_neighbors)), version, "classifier"
        if name.startswith("NCA_ref"):  # NCA_ref5000: sub-sampled neighbourhoods of 5000
            model = sm.NCA(n_references=int(name.removeprefix("NCA_ref")), random_state=0)
            return model, version, "transformer"
        if name == "MMC_diagonal":
            return sm.MMC(diagonal=True, random_state=0), version, "transformer"
        cls = getattr(sm, name)
        kwargs = {"random_state": 0} if "random_state" in cls().get_params() else {}
        return cls(**kwargs), version, "transformer"
    if family in ("sklearn", "peers_sklearn"):
        import sklearn
        from sklearn.neighbors import NeighborhoodComponentsAnalysis

        assert name == "NCA", name
        return NeighborhoodComponentsAnalysis(random_state=0), sklearn.__version__, "transformer"
    if family == "metric_learn":
        import metric_learn

        version = metric_learn.__version__
        if name == "LMNN":
            return (
                metric_learn.LMNN(n_neighbors=n_neighbors, random_state=0),
                version,
                "transformer",
            )
        cls = getattr(metric_learn, name)
        params = cls().get_params()
        kwargs = {"random_state": 0} if "random_state" in params else {}
        return cls(**kwargs), version, "transformer"
    if family == "pylmnn":
        import pylmnn
        from pylmnn import LargeMarginNearestNeighbor

        version = getattr(pylmnn, "__version__", "1.6.4")
        kwargs = {"n_neighbors": n_neighbors, "random_state": 0, **(params or {})}
        return LargeMarginNearestNeighbor(**kwargs), version, "transformer"
    if family == "mlpack":
        from importlib.metadata import version

        # LMNN: mlpack's default optimiser (AMSGrad) or L-BFGS; NCA: its default (SGD) or
        # L-BFGS. seed=1: mlpack seeds from the clock when seed is 0.
        base, _, optimizer = name.partition("_")
        kwargs = {"k": n_neighbors} if base == "LMNN" else {}
        if optimizer:
            kwargs["optimizer"] = optimizer
        return _Mlpack(base.lower(), seed=1, **kwargs), version("mlpack"), "transformer"
    if family == "euclidean":
        import sklearn

        return None, sklearn.__version__, "none"
    raise ValueError(f"unknown method {method!r}")


def fixed_pairs(y, n_pairs, seed=0):
    """Similar and dissimilar index pairs drawn from labels with numpy only (both envs)."""
    rng = np.random.RandomState(seed)
    first = rng.randint(y.shape[0], size=20 * n_pairs)
    second = rng.randint(y.shape[0], size=20 * n_pairs)
    same = (y[first] == y[second]) & (first != second)
    similar = np.column_stack([first[same], second[same]])[:n_pairs]
    dissimilar = np.column_stack([first[y[first] != y[second]], second[y[first] != y[second]]])[
        :n_pairs
    ]
    return similar, dissimilar


def mmc_objective(L, X, y):
    """Xing et al.'s objective of M = L^T L rescaled onto sum_S D_M = 1, on fixed pairs."""
    n_classes = np.unique(y).size
    similar, dissimilar = fixed_pairs(y, 20 * n_classes**2)
    d_s = (X[similar[:, 0]] - X[similar[:, 1]]) @ L.T
    d_d = (X[dissimilar[:, 0]] - X[dissimilar[:, 1]]) @ L.T
    return float(np.sqrt((d_d**2).sum(axis=1)).sum() / np.sqrt((d_s**2).sum()))


def main():
    method, data_path, n_neighbors = sys.argv[1], sys.argv[2], int(sys.argv[3])
    params = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    with np.load(data_path) as d:
        X, y, X_test, y_test = d["X"], d["y"], d["X_test"], d["y_test"]
    from sklearn.neighbors import KNeighborsClassifier

    regression = y.dtype.kind == "f"
    n_classes = None if regression else int(np.unique(y).size)
    estimator, version, kind = make(method, n_neighbors, n_classes, X.shape[0], params)
    result_extra = {}
    start = time.perf_counter()
    if estimator is not None:
        estimator.fit(X, y)
    fit_seconds = time.perf_counter() - start
    result = {
        "status": "ok",
        "fit_seconds": fit_seconds,
        "version": version,
        "n_train": int(X.shape[0]),
    }
    if regression:
        from sklearn.neighbors import KNeighborsRegressor

        if estimator is not None:
            X, X_test = estimator.transform(X), estimator.transform(X_test)
        y_hat = KNeighborsRegressor(n_neighbors).fit(X, y).predict(X_test)
        result["rmse"] = float(np.sqrt(np.mean((y_hat - y_test) ** 2)))
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n_iter = getattr(estimator, "n_iter_", None)
        if n_iter is not None:
            result["n_iter"] = int(n_iter)
        print(json.dumps(result))
        return
    if kind == "classifier":
        accuracy = float(np.mean(estimator.predict(X_test) == y_test))
    else:
        if kind == "transformer":
            components = getattr(estimator, "components_", None)
            if components is not None and not np.all(np.isfinite(components)):
                print(json.dumps({"status": "failed", "detail": "NaN or inf in components_"}))
                return
            if "MMC" in method:
                result_extra = {"objective": mmc_objective(np.asarray(components), X, y)}
            if method.endswith("POLA"):
                similar, dissimilar = fixed_pairs(y_test, 1000, seed=1)
                index_pairs = np.vstack([similar, dissimilar])
                truth = np.r_[np.ones(len(similar)), -np.ones(len(dissimilar))]
                pairs = np.stack([X_test[index_pairs[:, 0]], X_test[index_pairs[:, 1]]], axis=1)
                result_extra = {
                    "pair_accuracy": float(np.mean(estimator.predict_pairs(pairs) == truth))
                }
            X, X_test = estimator.transform(X), estimator.transform(X_test)
        knn = KNeighborsClassifier(n_neighbors).fit(X, y)
        accuracy = float(knn.score(X_test, y_test))
    result["accuracy"] = accuracy
    result.update(result_extra)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_iter = getattr(estimator, "n_iter_", None)
    if n_iter is not None:
        result["n_iter"] = int(n_iter)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
