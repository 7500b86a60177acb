"""The one importer of scikit-learn's private API.

scikit-learn keeps ``_fit_context``, the parameter-validation helpers and the
internals of its neighbours estimators private: a release may move or rename
them. Every module of the package (and its tests) takes them from here, so such a
release breaks this one file, which then adapts by version.
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import _num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "fit_context",
    "neighbors_fit",
    "neighbors_fit_method",
    "num_samples",
    "safe_indexing",
    "set_neighbors_fit_method",
    "validate_params",
]

#: ``sklearn.base._fit_context``: validates parameters before ``fit`` runs.
fit_context = _fit_context


def neighbors_fit(estimator, X, y):
    """Fit a ``KNeighborsMixin`` estimator's search structure as its own ``fit`` does.

    ``KNeighborsClassifier.fit`` validates and indexes through the private
    ``_fit``; a subclass that adds steps around it calls it through here.
    """
    return estimator._fit(X, y)


def neighbors_fit_method(estimator):
    """The search method a fitted neighbours estimator chose (``'brute'``, ``'kd_tree'``, ...),
    or ``None`` when it is not fitted."""
    return getattr(estimator, "_fit_method", None)


#: ``sklearn.utils.validation._num_samples``: the length of any array-like.
num_samples = _num_samples

#: ``sklearn.utils._safe_indexing``: rows of an array, a sparse matrix or a DataFrame.
safe_indexing = _safe_indexing


def validate_params(estimator):
    """Validate an estimator's parameters against its ``_parameter_constraints``.

    What ``fit_context`` does before ``fit``, for methods that need it otherwise
    (the first call of ``partial_fit``).
    """
    estimator._validate_params()


def set_neighbors_fit_method(estimator, method):
    """Record the search method of a neighbours estimator whose search structure was
    built outside its ``fit`` (``'brute'``, ``'kd_tree'``, ..., or an index's name)."""
    estimator._fit_method = method
