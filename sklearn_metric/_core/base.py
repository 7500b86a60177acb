"""The shared surface of every metric learner.

Every learner of the package learns a linear map ``L`` (``components_``, of shape
``(n_components, n_features)``) so that the learned distance is

    d(x, x') = ||L (x - x')||_2,   i.e.  M = L^T L  (positive semidefinite).

:class:`MetricLearnerMixin` gives every learner the same ``transform``,
``get_mahalanobis_matrix``, ``pair_distance``, ``pair_score``, ``get_metric``,
feature names and ``set_output`` support, and the input validation they share
(:func:`validate_labelled_data`, :func:`check_pairs`).
"""

import functools

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .sampling import pairs_from_labels
from .tuples import Tuples, check_pair_labels, check_tuples, validate_tuples

__all__ = [
    "MetricLearnerMixin",
    "MahalanobisDistance",
    "check_learned_metric",
    "check_n_components",
    "check_n_neighbors",
    "check_pairs",
    "validate_labelled_data",
    "validate_pairs",
]


class MahalanobisDistance:
    """A picklable distance callable ``d(u, v) = ||L (u - v)||_2``.

    Instances are returned by :meth:`MetricLearnerMixin.get_metric` and can be
    passed as ``metric=`` to scikit-learn estimators that accept a callable.
    For large problems prefer transforming once with the learner and searching
    in Euclidean space: a Python callable is evaluated once per pair.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        The linear map ``L``.
    """

    def __init__(self, components):
        self.components = np.array(components, dtype=np.float64)

    def __call__(self, u, v):
        u = np.asarray(u, dtype=np.float64).ravel()
        v = np.asarray(v, dtype=np.float64).ravel()
        n_features = self.components.shape[1]
        if u.shape[0] != n_features or v.shape[0] != n_features:
            raise ValueError(
                f"The metric expects vectors of {n_features} features, got "
                f"{u.shape[0]} and {v.shape[0]}."
            )
        diff = self.components @ (u - v)
        return float(np.sqrt(diff @ diff))

    def __repr__(self):
        return f"MahalanobisDistance(n_features={self.components.shape[1]})"


def validate_labelled_data(estimator, X, y, *, min_classes=2, reset=True, **kwargs):
    """Validate ``X`` and class labels ``y`` for a supervised metric learner.

    Wraps :func:`sklearn.utils.validation.validate_data` (so ``n_features_in_``
    and ``feature_names_in_`` are set) and then checks that ``y`` holds class
    labels (any hashable labels, strings included) with at least
    ``min_classes`` distinct values.

    Parameters
    ----------
    estimator : estimator instance
        The learner being fitted.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Class labels.
    min_classes : int, default=2
        The fewest distinct classes the learner can learn from.
    reset : bool, default=True
        Passed to ``validate_data``.
    **kwargs : dict
        Further arguments for ``validate_data``; by default ``dtype`` is
        ``[np.float64, np.float32]`` and ``ensure_min_samples`` is 2.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Validated data.
    y : ndarray of shape (n_samples,)
        Validated labels.
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    y_encoded : ndarray of shape (n_samples,)
        ``y`` as integers in ``0 .. n_classes - 1``.
    """
    kwargs.setdefault("dtype", [np.float64, np.float32])
    kwargs.setdefault("ensure_min_samples", 2)
    X, y = validate_data(estimator, X, y, reset=reset, **kwargs)
    check_classification_targets(y)
    classes, y_encoded = np.unique(y, return_inverse=True)
    if classes.shape[0] < min_classes:
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least {min_classes} "
            f"classes; got {classes.shape[0]} class: {classes.tolist()!r}."
        )
    return X, y, classes, y_encoded


def check_pairs(pairs, n_features=None, *, dtype=(np.float64, np.float32)):
    """Validate an array of pairs of points.

    Parameters
    ----------
    pairs : array-like of shape (n_pairs, 2, n_features)
        Each entry ``pairs[i]`` holds the two points of pair ``i``.
    n_features : int or None, default=None
        When given, the number of features each point must have.
    dtype : tuple of dtypes, default=(np.float64, np.float32)
        Accepted floating dtypes; other input is converted to the first.

    Returns
    -------
    pairs : ndarray of shape (n_pairs, 2, n_features)
        The pairs as a finite floating-point array.
    """
    pairs = check_array(
        pairs,
        dtype=list(dtype),
        allow_nd=True,
        ensure_2d=False,
        input_name="pairs",
    )
    if pairs.ndim != 3 or pairs.shape[1] != 2:
        raise ValueError(
            f"pairs must be an array of shape (n_pairs, 2, n_features); got shape {pairs.shape}."
        )
    if n_features is not None and pairs.shape[2] != n_features:
        raise ValueError(
            f"pairs have {pairs.shape[2]} features, but the metric was fitted "
            f"on {n_features} features."
        )
    return pairs


def validate_pairs(estimator, pairs, y, *, reset=True, preprocessor=None, both_kinds=False):
    """The one entry point of pair input: points, or indices into ``preprocessor``.

    Every pair learner's ``fit_pairs`` (and POLA's ``partial_fit_pairs``) comes here.
    Checks the pairs and their +1/-1 labels, sets (``reset``) or checks
    ``n_features_in_``, and stores each distinct point once, as float64, whichever
    way the pairs came.

    Parameters
    ----------
    estimator : estimator instance
        The learner (named in messages; gets ``n_features_in_``).
    pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
        The two points of each pair, or their indices into ``preprocessor``.
    y : array-like of shape (n_pairs,)
        +1 for a similar pair, -1 for a dissimilar one.
    reset : bool, default=True
        Whether this starts a fit (``False`` for a ``partial_fit``).
    preprocessor : array-like of shape (n_points, n_features), callable or None
        The points that index pairs refer to.
    both_kinds : bool, default=False
        Require at least one pair of each kind.

    Returns
    -------
    pairs : Tuples
        See :class:`sklearn_metric._core.tuples.Tuples`; float64 points, each once.
    y : ndarray of int of shape (n_pairs,)
    """
    tuples = validate_tuples(estimator, pairs, 2, preprocessor, reset=reset)
    y = check_pair_labels(y, tuples.n_tuples, both_kinds=both_kinds, estimator=estimator)
    tuples = tuples.compact()
    return tuples.mapped(tuples.points.astype(np.float64, copy=False)), y


def pair_tuples_for_fit(estimator, X, y):
    """A pair learner's ``fit(X, y)``: pairs drawn from labels (``estimator.n_constraints``
    of each kind, ``estimator.random_state``).

    Returns
    -------
    pairs : Tuples
        The pairs, over a float64 table of only the points they use.
    labels : ndarray of shape (n_pairs,)
        +1 similar, -1 dissimilar.
    """
    X, y, _, y_enc = validate_labelled_data(estimator, X, y)
    estimator._check_n_components(X.shape[1])  # before drawing any pair
    X = X.astype(np.float64, copy=False)
    index_pairs, labels = pairs_from_labels(y_enc, estimator.n_constraints, estimator.random_state)
    return Tuples(index_pairs, X).compact(), labels


def check_n_components(n_components, n_features):
    """``n_components``, or scikit-learn's NCA error when it exceeds ``n_features``."""
    if n_components > n_features:
        raise ValueError(
            "The preferred dimensionality of the projected space `n_components` "
            f"({n_components}) cannot be greater than the given data dimensionality "
            f"({n_features})!"
        )
    return n_components


# Methods that learn a model from scratch: the metric they learn is checked, and
# when one raises, the learner forgets any previous model (see
# MetricLearnerMixin.__init_subclass__).
_FIT_METHODS = ("fit", "fit_pairs", "fit_triplets", "fit_quadruplets", "fit_chunklets")


def check_learned_metric(learner):
    """Raise ``ValueError`` when ``learner.components_`` is not finite or all zero.

    Every fit method of a :class:`MetricLearnerMixin` subclass ends here, so no learner
    returns a metric under which distances are not finite or all zero.
    """
    components = getattr(learner, "components_", None)
    if components is None:
        return
    name = type(learner).__name__
    if not np.all(np.isfinite(components)):
        raise ValueError(
            f"{name} learned a non-finite metric (components_ holds NaN or infinity); "
            "standardise X, or check the data and the parameters."
        )
    if not np.any(components):
        raise ValueError(
            f"{name} learned an all-zero metric, under which every distance is 0 (constant "
            "data, or parameters that weigh the data out); check the data and the parameters."
        )


def _forget_on_failure(fit):
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        try:
            fitted = fit(self, *args, **kwargs)
            check_learned_metric(self)
            return fitted
        except BaseException:
            self._forget_fit()
            raise

    return wrapper


class MetricLearnerMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of every Mahalanobis metric learner of the package.

    A subclass learns ``components_`` (``L``) in ``fit`` and gets from this
    class everything that only depends on ``L``:

    - ``transform(X) = X @ L.T`` (dtype float32 is preserved);
    - ``get_mahalanobis_matrix()``, ``M = L.T @ L``;
    - ``pair_distance(pairs)`` and ``pair_score(pairs)``;
    - ``get_metric()``, a callable usable as ``metric=`` in scikit-learn;
    - ``get_feature_names_out()`` and ``set_output(transform="pandas")``.
    """

    # Private state of a fitted model, forgotten with the public attributes.
    _private_fitted_attributes = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _FIT_METHODS:
            if name in cls.__dict__:
                setattr(cls, name, _forget_on_failure(cls.__dict__[name]))

    def _forget_fit(self):
        """Drop every fitted attribute: a fit that raised leaves the learner unfitted
        rather than holding a previous model next to the failed fit's state."""
        for name in list(vars(self)):
            fitted = name.endswith("_") and not name.startswith("_")
            if fitted or name in self._private_fitted_attributes:
                delattr(self, name)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "components_")

    # -- what the subclasses learn -------------------------------------------------

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def _check_n_components(self, n_features):
        """Return the number of components to learn, checked against ``n_features``."""
        n_components = getattr(self, "n_components", None)
        if n_components is None:
            return n_features
        return check_n_components(n_components, n_features)

    # -- the shared surface --------------------------------------------------------

    def transform(self, X):
        """Map ``X`` into the learned space: ``X @ components_.T``.

        Euclidean distances between transformed points are the learned
        distances between the original points.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to transform.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Transformed data, float32 when ``X`` is float32, else float64.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
        )
        L = self.components_.astype(X.dtype, copy=False)
        return np.asarray(X @ L.T)

    def get_mahalanobis_matrix(self):
        """Return the learned Mahalanobis matrix ``M = L.T @ L``.

        Returns
        -------
        M : ndarray of shape (n_features, n_features)
            Symmetric positive semidefinite matrix of the learned metric.
        """
        check_is_fitted(self)
        L = self.components_
        M = L.T @ L
        return (M + M.T) / 2

    def pair_distance(self, pairs, *, preprocessor=None):
        """Learned distance between the two points of each pair.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor`` (as ``fit_pairs``
            takes them).
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        distances : ndarray of shape (n_pairs,)
            ``||L (a - b)||_2`` for each pair ``(a, b)`` (not squared).
        """
        check_is_fitted(self)
        tuples = check_tuples(
            pairs, 2, preprocessor, n_features=self.n_features_in_, estimator=self
        )
        diff = tuples.differences(0, 1) @ self.components_.T
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def pair_score(self, pairs, *, preprocessor=None):
        """Similarity score of each pair: the negative learned distance.

        Higher means more similar, the convention of scikit-learn scores.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor``.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        scores : ndarray of shape (n_pairs,)
            ``-pair_distance(pairs)``.
        """
        return -self.pair_distance(pairs, preprocessor=preprocessor)

    def get_metric(self):
        """Return the learned distance as a callable ``metric(u, v)``.

        The callable can be passed as ``metric=`` to scikit-learn estimators,
        e.g. ``KNeighborsClassifier(metric=learner.get_metric())``. For speed,
        prefer :class:`~sklearn_metric.KNNClassifier` or ``transform``: they
        apply the metric once, not once per pair.

        Returns
        -------
        metric : MahalanobisDistance
            Picklable callable returning ``||L (u - v)||_2``.
        """
        check_is_fitted(self)
        return MahalanobisDistance(self.components_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def check_n_neighbors(n_neighbors, n_samples_fit, n_queries, query_is_train):
    """scikit-learn's checks (and messages) of a k-NN query's ``n_neighbors``."""
    if not isinstance(n_neighbors, int | np.integer) or isinstance(n_neighbors, bool):
        raise TypeError(f"n_neighbors does not take {type(n_neighbors)} value, enter integer value")
    if n_neighbors <= 0:
        raise ValueError(f"Expected n_neighbors > 0. Got {n_neighbors}")
    available = n_samples_fit - 1 if query_is_train else n_samples_fit
    if n_neighbors > available:
        inequality = (
            "n_neighbors < n_samples_fit" if query_is_train else "n_neighbors <= n_samples_fit"
        )
        raise ValueError(
            f"Expected {inequality}, but n_neighbors = {n_neighbors}, "
            f"n_samples_fit = {n_samples_fit}, n_samples = {n_queries}"
        )
