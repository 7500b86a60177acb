"""Classifiers of the order of triplets and quadruplets in a learned metric."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._core.compat import HasMethods, fit_context
from ._classifiers import TupleEstimator

__all__ = ["TripletClassifier", "QuadrupletClassifier"]


class _OrderClassifier(TupleEstimator):
    """+1 when the tuple's first distance is the smaller one (triplets, quadruplets)."""

    _columns = ((0, 1), (0, 2))

    _parameter_constraints: dict = {
        "metric_learner": [HasMethods(["fit", "transform"]), None],
        "preprocessor": ["array-like", callable, None],
    }

    def __init__(self, metric_learner=None, *, preprocessor=None):
        self.metric_learner = metric_learner
        self.preprocessor = preprocessor

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the learner on the tuples (all taken as in the wanted order).

        Parameters
        ----------
        X : array-like of shape (n_tuples, t, n_features) or (n_tuples, t)
            Tuples of points, or of indices into ``preprocessor``.
        y : None
            Ignored; every tuple states its order.

        Returns
        -------
        self
        """
        vars(self).pop("n_features_in_", None)
        tuples = self._tuples(X)
        self._set_fitted(self._fit_learner(tuples), tuples)
        return self

    def decision_function(self, X):
        """The second distance minus the first: positive when the order holds.

        Parameters
        ----------
        X : array-like of shape (n_tuples, t, n_features) or (n_tuples, t)

        Returns
        -------
        scores : ndarray of shape (n_tuples,)
        """
        check_is_fitted(self)
        near, far = self._distances(self._tuples(X), self._columns)
        return far - near

    def predict(self, X):
        """+1 when the tuple's order holds in the learned metric, else -1.

        Parameters
        ----------
        X : array-like of shape (n_tuples, t, n_features) or (n_tuples, t)

        Returns
        -------
        y : ndarray of shape (n_tuples,)
        """
        return np.where(self.decision_function(X) > 0, 1, -1)

    def score(self, X, y=None, sample_weight=None):
        """The fraction of tuples whose order holds (or the accuracy against ``y``).

        Parameters
        ----------
        X : array-like of shape (n_tuples, t, n_features) or (n_tuples, t)
        y : array-like of shape (n_tuples,) or None, default=None
            +1/-1 per tuple; ``None`` means every tuple should hold (+1).
        sample_weight : array-like of shape (n_tuples,) or None, default=None

        Returns
        -------
        score : float
        """
        predicted = self.predict(X)
        if y is None:
            y = np.ones_like(predicted)
        return float(np.average(predicted == np.asarray(y), weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


class TripletClassifier(_OrderClassifier):
    """Whether ``d(anchor, positive) < d(anchor, negative)`` in a learned metric.

    ``fit(triplets)`` fits the learner's ``fit_triplets`` (``SCML``, ``LMNN``)
    or keeps a ``FrozenEstimator``; ``predict`` gives +1 when the triplet's
    order holds, ``score`` the fraction that hold, so ``cross_val_score`` and
    ``GridSearchCV`` work on triplets.

    Parameters
    ----------
    metric_learner : estimator or None, default=None
        A learner with ``fit_triplets``, or ``FrozenEstimator`` of a fitted
        learner. ``None`` means ``SCML()``.

    preprocessor : array-like of shape (n_points, n_features), callable or None, \
            default=None
        The points that index triplets (shape ``(n_triplets, 3)``) refer to.

    Attributes
    ----------
    metric_learner_ : estimator
        The fitted learner.

    classes_ : ndarray of shape (2,)
        ``[-1, 1]``.

    n_features_in_ : int
        Number of features of the points.

    See Also
    --------
    sklearn_metric.SCML : A learner fitted on triplets.
    sklearn_metric.QuadrupletClassifier : The same prediction on quadruplets.

    References
    ----------
    M. Schultz and T. Joachims. Learning a distance metric from relative
    comparisons. NIPS 16, 2004.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import TripletClassifier
    >>> from sklearn_metric.tuples import sample_triplets
    >>> X, y = load_iris(return_X_y=True)
    >>> triplets = sample_triplets(y, 200, random_state=0)  # indices into X
    >>> clf = TripletClassifier(preprocessor=X).fit(triplets)
    >>> bool(clf.score(triplets) > 0.9)  # share of triplets whose order holds
    True
    """

    _size = 3
    _columns = ((0, 1), (0, 2))

    def _default_learner(self):
        from .._scml import SCML

        return SCML()


class QuadrupletClassifier(_OrderClassifier):
    """Whether ``d(a, b) < d(c, d)`` for quadruplets ``(a, b, c, d)`` in a learned metric.

    ``fit(quadruplets)`` fits the learner's ``fit_quadruplets`` (``LSML``) or
    keeps a ``FrozenEstimator``; ``predict`` gives +1 when the order holds.

    Parameters
    ----------
    metric_learner : estimator or None, default=None
        A learner with ``fit_quadruplets``, or ``FrozenEstimator`` of a fitted
        learner. ``None`` means ``LSML()``.

    preprocessor : array-like of shape (n_points, n_features), callable or None, \
            default=None
        The points that index quadruplets (shape ``(n_quadruplets, 4)``) refer to.

    Attributes
    ----------
    metric_learner_ : estimator
        The fitted learner.

    classes_ : ndarray of shape (2,)
        ``[-1, 1]``.

    n_features_in_ : int
        Number of features of the points.

    See Also
    --------
    sklearn_metric.LSML : A learner fitted on quadruplets.
    sklearn_metric.TripletClassifier : The same prediction on triplets.

    References
    ----------
    M. T. Law, N. Thome and M. Cord. Quadruplet-wise image similarity learning.
    ICCV 2013.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import QuadrupletClassifier
    >>> from sklearn_metric.tuples import sample_quadruplets
    >>> X, y = load_iris(return_X_y=True)
    >>> quadruplets = sample_quadruplets(y, 200, random_state=0)
    >>> clf = QuadrupletClassifier(preprocessor=X).fit(quadruplets)
    >>> bool(clf.score(quadruplets) > 0.9)  # share of quadruplets whose order holds
    True
    """

    _size = 4
    _columns = ((0, 1), (2, 3))

    def _default_learner(self):
        from .._lsml import LSML

        return LSML()
