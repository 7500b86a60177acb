"""Fit one weakly supervised method on one prepared tuple set; print one JSON line.

    python _fit_tuples_one.py METHOD TUPLES.npz

Runs under our environment or the peers' (metric-learn 0.7.0); imports only what
METHOD needs. Every method gets the same arrays: point pairs for the pair learners,
point triplets for SCML, point quadruplets for LSML, the training points and labels
for LMNN. Fit time is wall time around ``fit`` alone; the learned map is applied to
the test and training points and the pair distances are returned.
"""

import json
import sys
import time
import warnings

import numpy as np

PAIR_LEARNERS = {"ITML", "SDML", "MMC", "POLA"}
# sklearn_metric.ITML_same_bounds: our ITML given the bounds metric-learn's ITML takes by
# default, the 5th and 95th percentiles of the *unsquared* Euclidean distances between
# the pairs' points (ours, as Davis et al., takes them of the squared distances the
# bounds constrain): the same problem as metric-learn's, for a like-for-like time.
SAME_BOUNDS = "_same_bounds"


def _metric_learn_bounds(pairs):
    from sklearn.metrics import pairwise_distances

    points = np.unique(pairs.reshape(-1, pairs.shape[-1]), axis=0)
    return tuple(np.percentile(pairwise_distances(points), (5, 95)))


def _make(method):
    family, _, name = method.partition(".")
    name = name.removesuffix(SAME_BOUNDS)
    if family == "sklearn_metric":
        import sklearn_metric as lib
    elif family == "metric_learn":
        import metric_learn as lib
    else:
        raise ValueError(f"unknown method {method!r}")
    cls = getattr(lib, name)
    kwargs = {"random_state": 0} if "random_state" in cls().get_params() else {}
    return cls(**kwargs), lib.__version__


def _fit(est, name, family, d, same_bounds=False):
    if name == "LMNN":
        return est.fit(d["X_train"], d["y_train"])
    if name in PAIR_LEARNERS:
        pairs, y = d["X_train"][d["train_pairs"]], d["train_labels"]
        if same_bounds:
            est.set_params(bounds=_metric_learn_bounds(pairs))
        return est.fit_pairs(pairs, y) if family == "sklearn_metric" else est.fit(pairs, y)
    if name == "SCML":
        triplets = d["X_train"][d["triplets"]]
        return est.fit_triplets(triplets) if family == "sklearn_metric" else est.fit(triplets)
    if name == "LSML":
        quads = d["X_train"][d["quadruplets"]]
        return est.fit_quadruplets(quads) if family == "sklearn_metric" else est.fit(quads)
    raise ValueError(f"no protocol for {name}")


def _distances(Z, pairs):
    diff = Z[pairs[:, 0]] - Z[pairs[:, 1]]
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def main():
    method, path = sys.argv[1:3]
    d = dict(np.load(path))
    result = {"method": method}
    if method == "euclidean":
        transform, result["version"], result["fit_seconds"] = (lambda X: X), "", 0.0
    else:
        family, _, name = method.partition(".")
        same_bounds = name.endswith(SAME_BOUNDS)
        name = name.removesuffix(SAME_BOUNDS)
        est, result["version"] = _make(method)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            _fit(est, name, family, d, same_bounds)
            result["fit_seconds"] = time.perf_counter() - start
        transform = est.transform
        iterations = getattr(est, "n_iter_", None)
        if iterations is not None and family == "metric_learn" and name == "ITML":
            iterations += 1  # metric-learn's ITML stores the index of its last sweep
        result["iterations"] = -1 if iterations is None else int(iterations)
    Z_test, Z_train = transform(d["X_test"]), transform(d["X_train"])
    if not (np.all(np.isfinite(Z_test)) and np.all(np.isfinite(Z_train))):
        raise ValueError("non-finite learned map")
    result["test_distances"] = _distances(Z_test, d["test_pairs"]).tolist()
    result["train_distances"] = _distances(Z_train, d["train_pairs"]).tolist()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
