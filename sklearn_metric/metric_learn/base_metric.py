"""metric-learn's base classes, on the package's learners.

``MahalanobisMixin`` gives every class of this module metric-learn's surface:
``preprocessor``, ``transform``, ``get_mahalanobis_matrix``, ``pair_distance``,
``pair_score``, the deprecated ``score_pairs`` and ``get_metric()`` with its
``squared=`` keyword. A class names the package's learner it runs
(``_learner``), how metric-learn's parameters map onto it (``_renamed``), and
the parameters that have no meaning for that learner (``_ignored``, with their
defaults: another value is accepted and warned about once).
"""

import contextlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.tuples import check_pair_labels, check_tuples
from .._core.warn import warn
from ..tuples import calibrate_threshold
from ._input import resolve_points, resolve_tuples
from .exceptions import NonPSDError

__all__ = [
    "BaseMetricLearner",
    "MahalanobisMixin",
    "MetricTransformer",
    "PairsClassifierMixin",
    "QuadrupletsClassifierMixin",
    "TripletsClassifierMixin",
]

# (class name, parameter) pairs already warned about in this session.
_WARNED = set()


def _is_default(value, default):
    if isinstance(value, str) or isinstance(default, str) or value is None or default is None:
        return value is default or (isinstance(value, str) and value == default)
    return np.array_equal(np.asarray(value), np.asarray(default))


@contextlib.contextmanager
def _as_non_psd_error():
    """The package's errors about a matrix that is not positive (semi)definite, raised
    as metric-learn's :class:`NonPSDError` (still a ``ValueError``)."""
    try:
        yield
    except ValueError as error:
        message = str(error)
        if "positive semidefinite" in message or "positive definite" in message:
            raise NonPSDError(message) from error
        raise


class BaseMetricLearner(BaseEstimator):
    """Base of metric-learn's learners: a ``preprocessor`` and pair scoring.

    Parameters
    ----------
    preprocessor : array-like, callable or None, default=None
        Where the input's indices (an array of points) or keys (a callable
        returning the points of an array of keys) lead; ``None``: the input
        holds the points.
    """

    # The package's learner this class runs, metric-learn's names for its
    # parameters, parameters without meaning there (with their defaults), and
    # deprecated aliases (old name -> new name), and parameters whose None keeps the
    # package learner's default.
    _learner = None
    _renamed = {}
    _ignored = {}
    _deprecated = {}
    _none_keeps_default = ()

    def __init__(self, preprocessor=None):
        self.preprocessor = preprocessor

    def _learner_params(self):
        """The package learner's parameters from this object's (warning as metric-learn did)."""
        params = self.get_params(deep=False)
        params.pop("preprocessor", None)
        for old, new in self._deprecated.items():
            value = params.pop(old, "deprecated")
            if not (isinstance(value, str) and value == "deprecated"):
                warn(
                    f"'{old}' was renamed to '{new}' in metric-learn 0.6 and is deprecated; "
                    f"its value is used as '{new}'.",
                    FutureWarning,
                )
                params[new] = value
        ours = {}
        for name, value in params.items():
            if value is None and name in self._none_keeps_default:
                continue
            if name in self._ignored:
                key = (type(self).__name__, name)
                if not _is_default(value, self._ignored[name]) and key not in _WARNED:
                    _WARNED.add(key)
                    warn(
                        f"{type(self).__name__}: '{name}' has no meaning for "
                        f"sklearn_metric's {self._learner.__name__} solver and is ignored.",
                        UserWarning,
                    )
                continue
            ours[self._renamed.get(name, name)] = value
        return ours

    def _make_learner(self, **overrides):
        params = self._learner_params()
        params.update(overrides)
        return self._learner(**params)

    def _adopt(self, learner, components=None):
        """Take the fitted package learner's metric as this object's."""
        self.learner_ = learner
        self.components_ = learner.components_ if components is None else components
        self.n_features_in_ = learner.n_features_in_
        for name in ("feature_names_in_", "n_iter_"):
            if hasattr(learner, name):
                setattr(self, name, getattr(learner, name))
        return self

    def _fit_with(self, learner, method, *args, **kwargs):
        """``learner.method(*args, **kwargs)``, then take its metric."""
        with _as_non_psd_error():
            return self._adopt(getattr(learner, method)(*args, **kwargs))

    def _fit_labelled(self, X, y, **overrides):
        """Fit the package learner on points (resolved through the preprocessor) and labels."""
        return self._fit_with(self._make_learner(**overrides), "fit", self._points(X), y)

    def _fit_tuples(self, learner, method, tuples, size, *args):
        """Fit ``learner.method`` on tuples of points, indices or keys."""
        indices, table = resolve_tuples(tuples, size, self.preprocessor)
        return self._fit_with(learner, method, indices, *args, preprocessor=table)

    def _current(self, name):
        """The value of parameter ``name``, or of its deprecated alias when that is set."""
        for old, new in self._deprecated.items():
            value = getattr(self, old)
            if new == name and not (isinstance(value, str) and value == "deprecated"):
                return value
        return getattr(self, name)

    def _points(self, X):
        return resolve_points(X, self.preprocessor)

    def _tuples(self, tuples, size):
        """Validated :class:`Tuples` of ``size`` from points, indices or keys."""
        check_is_fitted(self)
        indices, table = resolve_tuples(tuples, size, self.preprocessor)
        return check_tuples(indices, size, table, n_features=self.n_features_in_, estimator=self)

    def _distances(self, tuples, a, b):
        diff = tuples.differences(a, b) @ self.components_.T
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def pair_distance(self, pairs):
        """Learned distance of each pair (points, or indices/keys with a preprocessor).

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)

        Returns
        -------
        distances : ndarray of shape (n_pairs,)
        """
        return self._distances(self._tuples(pairs, 2), 0, 1)

    def pair_score(self, pairs):
        """Similarity of each pair: the negative learned distance.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)

        Returns
        -------
        scores : ndarray of shape (n_pairs,)
        """
        return -self.pair_distance(pairs)

    def score_pairs(self, pairs):
        """Deprecated in metric-learn 0.7: the learned distance of each pair.

        Use :meth:`pair_distance` for distances or :meth:`pair_score` for scores.
        """
        warn(
            "score_pairs is deprecated since metric-learn 0.7: use pair_distance for "
            "distances or pair_score for similarity scores.",
            FutureWarning,
        )
        return self.pair_distance(pairs)


class MetricTransformer(TransformerMixin):
    """Learners that map points into the learned space (``transform``)."""


class MahalanobisMixin(MetricTransformer, BaseMetricLearner):
    """A Mahalanobis metric ``M = L^T L``, ``L`` being ``components_``."""

    def transform(self, X):
        """``X`` (points, or indices/keys with a preprocessor) in the learned space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, self._points(X), reset=False, dtype=[np.float64, np.float32])
        return X @ self.components_.T

    def get_mahalanobis_matrix(self):
        """The learned ``M = L^T L``, of shape (n_features, n_features)."""
        check_is_fitted(self)
        M = self.components_.T @ self.components_
        return (M + M.T) / 2

    def get_metric(self):
        """The learned distance as a function ``metric(u, v, squared=False)`` of two points."""
        check_is_fitted(self)
        L = self.components_.copy()

        def metric(u, v, squared=False):
            diff = L @ (np.asarray(u, dtype=np.float64) - np.asarray(v, dtype=np.float64))
            value = float(diff @ diff)
            return value if squared else float(np.sqrt(value))

        return metric


class _TupleClassifier(ClassifierMixin):
    """Shared by the pair, triplet and quadruplet classifiers."""

    classes_ = np.array([-1, 1])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


class PairsClassifierMixin(_TupleClassifier):
    """A pair learner that classifies pairs: similar (+1) when the learned distance is
    at most ``threshold_``, set on the training pairs (``calibration_params``) or by
    :meth:`calibrate_threshold` / :meth:`set_threshold`."""

    def _fit_pairs(self, learner, pairs, y, calibration_params=None):
        """Fit ``learner`` on the pairs, then set ``threshold_`` on them."""
        self._fit_tuples(learner, "fit_pairs", pairs, 2, y)
        return self._calibrated(pairs, y, calibration_params)

    def _calibrated(self, pairs, y, calibration_params):
        params = dict(calibration_params or {})
        unknown = set(params) - {"strategy", "min_rate", "beta"}
        if unknown:
            raise ValueError(
                "calibration_params takes 'strategy', 'min_rate' and 'beta'; got "
                f"{sorted(unknown)}."
            )
        return self.calibrate_threshold(pairs, y, **params)

    def decision_function(self, pairs):
        """``pair_score``: the negative learned distance (higher: more similar)."""
        return self.pair_score(pairs)

    def predict(self, pairs):
        """+1 (similar) where the learned distance is at most ``threshold_``, else -1."""
        check_is_fitted(self, "threshold_")
        return np.where(self.pair_distance(pairs) <= self.threshold_, 1, -1)

    def score(self, pairs, y):
        """ROC AUC of :meth:`decision_function` against the +1/-1 labels ``y``."""
        return roc_auc_score(y, self.decision_function(pairs))

    def set_threshold(self, threshold):
        """Set the distance threshold of :meth:`predict`."""
        self.threshold_ = float(threshold)
        return self

    def calibrate_threshold(
        self, pairs_valid, y_valid, strategy="accuracy", min_rate=None, beta=1.0
    ):
        """Set ``threshold_`` as best for ``strategy`` on labelled pairs.

        ``strategy`` is ``"accuracy"``, ``"f_beta"``, ``"max_tpr"`` or ``"max_tnr"``
        (the last two keep the other rate at least ``min_rate``); see
        :func:`sklearn_metric.tuples.calibrate_threshold`.
        """
        distances = self.pair_distance(pairs_valid)
        y = check_pair_labels(y_valid, distances.shape[0], estimator=self)
        self.threshold_ = calibrate_threshold(distances, y, strategy, min_rate=min_rate, beta=beta)
        return self


class TripletsClassifierMixin(_TupleClassifier):
    """A triplet learner that predicts whether each triplet ``(a, p, n)`` is in the
    right order: +1 when ``d(a, p) < d(a, n)``."""

    def decision_function(self, triplets):
        """``d(a, n) - d(a, p)`` of each triplet (positive: in the right order)."""
        tuples = self._tuples(triplets, 3)
        return self._distances(tuples, 0, 2) - self._distances(tuples, 0, 1)

    def predict(self, triplets):
        """The sign of :meth:`decision_function`."""
        return np.sign(self.decision_function(triplets))

    def score(self, triplets):
        """The share of triplets in the right order."""
        return float(np.mean(self.predict(triplets) == 1))


class QuadrupletsClassifierMixin(_TupleClassifier):
    """A quadruplet learner that predicts whether ``d(a, b) < d(c, d)`` for each
    quadruplet ``(a, b, c, d)``."""

    def decision_function(self, quadruplets):
        """``d(c, d) - d(a, b)`` of each quadruplet (positive: in the right order)."""
        tuples = self._tuples(quadruplets, 4)
        return self._distances(tuples, 2, 3) - self._distances(tuples, 0, 1)

    def predict(self, quadruplets):
        """The sign of :meth:`decision_function`."""
        return np.sign(self.decision_function(quadruplets))

    def score(self, quadruplets):
        """The share of quadruplets in the right order."""
        return float(np.mean(self.predict(quadruplets) == 1))
