"""How a fitted :class:`KNNClassifier` or :class:`KNNRegressor` searches: chosen once in ``fit``.

Each search object answers ``predict``, ``predict_proba`` (classifier),
``kneighbors`` and ``kneighbors_graph`` for the estimator, whose class names
its scikit-learn counterpart as ``_knn_base`` (``KNeighborsClassifier`` or
``KNeighborsRegressor``):

- :class:`InheritedSearch`: no learner, exact search: scikit-learn's own
  methods on the estimator itself;
- :class:`LearnedSpaceSearch`: exact search by an inner scikit-learn estimator
  on the points mapped by the fitted learner;
- :class:`ApproximateSearch`: a faiss index (HNSW or IVF) of the (mapped) points.

``fit(clf, X, y)`` of each sets the estimator's fitted attributes
(``classes_``, ``n_samples_fit_``, ``effective_metric_``, ...) as scikit-learn's
``fit`` would.
"""

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .._core import ann
from .._core.compat import neighbors_fit, neighbors_fit_method, set_neighbors_fit_method
from .._core.kernels import threads_for_n_jobs
from . import _query

__all__ = ["ApproximateSearch", "InheritedSearch", "LearnedSpaceSearch"]

# The classifier's parameters that its inner KNeighborsClassifier shares.
_KNN_PARAMS = (
    "n_neighbors",
    "weights",
    "algorithm",
    "leaf_size",
    "p",
    "metric",
    "metric_params",
    "n_jobs",
)

# Fitted attributes of the inner k-NN search that the outer estimator shows (those
# the inner one has: a regressor has no classes_ and no outputs_2d_).
_KNN_ATTRIBUTES = (
    "classes_",
    "outputs_2d_",
    "n_samples_fit_",
    "effective_metric_",
    "effective_metric_params_",
)


def _fit_learner(clf, X, y):
    """Clone and fit ``clf.metric_learner``; the classifier takes its feature attributes."""
    learner = clone(clf.metric_learner)
    Xt = learner.fit(X, y).transform(X)
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(learner, name):
            setattr(clf, name, getattr(learner, name))
        elif name in vars(clf):
            delattr(clf, name)
    clf.metric_learner_ = learner
    return learner, Xt


class InheritedSearch:
    """No learner and an exact algorithm: the estimator is its scikit-learn base class."""

    def __init__(self, clf):
        self.clf = clf

    @classmethod
    def fit(cls, clf, X, y):
        clf.metric_learner_ = None
        neighbors_fit(clf, X, y)
        return cls(clf)

    def predict(self, X):
        return self.clf._knn_base.predict(self.clf, X)

    def predict_proba(self, X):
        return self.clf._knn_base.predict_proba(self.clf, X)

    def kneighbors(self, X, n_neighbors, return_distance):
        return self.clf._knn_base.kneighbors(self.clf, X, n_neighbors, return_distance)

    def kneighbors_graph(self, X, n_neighbors, mode):
        return self.clf._knn_base.kneighbors_graph(self.clf, X, n_neighbors, mode)


class LearnedSpaceSearch:
    """Exact search by an inner scikit-learn estimator in the learned space."""

    def __init__(self, learner, knn):
        self.learner, self.knn = learner, knn

    @classmethod
    def fit(cls, clf, X, y):
        if clf.metric == "precomputed":
            raise ValueError(
                "metric='precomputed' cannot be used with a metric_learner: the "
                "learner transforms feature vectors, not a distance matrix."
            )
        learner, Xt = _fit_learner(clf, X, y)
        knn = clf._knn_base(**{name: getattr(clf, name) for name in _KNN_PARAMS})
        knn.fit(Xt, y)
        for name in _KNN_ATTRIBUTES:
            if hasattr(knn, name):
                setattr(clf, name, getattr(knn, name))
        set_neighbors_fit_method(clf, neighbors_fit_method(knn))
        return cls(learner, knn)

    def _embed(self, X):
        """Queries in the learned space (``None``, the training points, stays ``None``)."""
        return None if X is None else self.learner.transform(X)

    def predict(self, X):
        return self.knn.predict(self._embed(X))

    def predict_proba(self, X):
        return self.knn.predict_proba(self._embed(X))

    def kneighbors(self, X, n_neighbors, return_distance):
        return self.knn.kneighbors(self._embed(X), n_neighbors, return_distance)

    def kneighbors_graph(self, X, n_neighbors, mode):
        return self.knn.kneighbors_graph(self._embed(X), n_neighbors, mode)


class ApproximateSearch:
    """A faiss index of the (learned-space) training points."""

    def __init__(self, clf, index, fit_X, y_fit):
        # y_fit: class codes (classifier) or float targets (regressor).
        self.clf, self.index, self.fit_X, self.y_fit = clf, index, fit_X, y_fit

    @classmethod
    def fit(cls, clf, X, y):
        _query.check_euclidean(clf)
        params = ann.resolve_params(clf.algorithm, clf.algorithm_params)
        ann.import_faiss(clf.algorithm)  # before a long learner fit
        classifier = is_classifier(clf)
        if clf.metric_learner is None:
            X, y = validate_data(
                clf, X, y, dtype=[np.float32, np.float64], y_numeric=not classifier
            )
            clf.metric_learner_, Xt = None, X
        else:
            _, Xt = _fit_learner(clf, X, y)
            y = column_or_1d(y, warn=True)
            check_consistent_length(Xt, y)
        if classifier:
            check_classification_targets(y)
            clf.classes_, y_fit = np.unique(y, return_inverse=True)
        else:
            y_fit = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        fit_X = np.ascontiguousarray(Xt, dtype=np.float32)
        index = ann.EuclideanIndex(clf.algorithm, params, threads_for_n_jobs(clf.n_jobs))
        index.build(fit_X)
        ann.calibrate_for(clf, index, fit_X, clf.n_neighbors)
        if classifier:
            clf.outputs_2d_ = False
        clf.n_samples_fit_ = fit_X.shape[0]
        clf.effective_metric_ = "euclidean"
        clf.effective_metric_params_ = {}
        set_neighbors_fit_method(clf, clf.algorithm)
        return cls(clf, index, fit_X, y_fit)

    def _queries(self, X):
        """Validated queries in the learned space (``None`` stays ``None``)."""
        clf = self.clf
        if X is None:
            return None
        if clf.metric_learner_ is not None:
            return clf.metric_learner_.transform(X)
        return validate_data(clf, X, reset=False, dtype=[np.float32, np.float64])

    def kneighbors(self, X, n_neighbors, return_distance=True):
        Q = self._queries(X)
        dtype = np.float64 if Q is None else Q.dtype
        n_neighbors = self.clf.n_neighbors if n_neighbors is None else n_neighbors
        return _query.query(self.index, self.fit_X, Q, n_neighbors, return_distance, dtype=dtype)

    def predict_proba(self, X):
        dist, ind = self.kneighbors(X, None)
        weights = _query.vote_weights(dist, self.clf.weights)
        return _query.class_proba(ind, weights, self.y_fit, self.clf.classes_.shape[0])

    def predict(self, X):
        if is_classifier(self.clf):
            return self.clf.classes_[np.argmax(self.predict_proba(X), axis=1)]
        dist, ind = self.kneighbors(X, None)
        return _query.weighted_mean(self.y_fit, ind, _query.vote_weights(dist, self.clf.weights))

    def kneighbors_graph(self, X, n_neighbors, mode):
        dist, ind = self.kneighbors(X, n_neighbors)
        return _query.graph(dist, ind, self.clf.n_samples_fit_, mode)
