"""metric-learn's ``ITML`` and ``ITML_Supervised``."""

import numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.utils import check_random_state

from .._core.tuples import check_tuples
from .._itml.itml import ITML as _OurITML
from ._input import resolve_tuples
from ._supervision import labelled_pairs
from .base_metric import MahalanobisMixin, PairsClassifierMixin

__all__ = ["ITML", "ITML_Supervised"]

# The default bounds look at the distances between at most this many of the points.
_BOUNDS_SAMPLE = 3000


def metric_learn_bounds(points, random_state=None):
    """metric-learn's default ITML bounds: the 5th and 95th percentiles of the
    Euclidean (not squared) distances between the distinct points, the zero
    distances of each point to itself included, a zero lower bound becoming 1e-9.
    Above ``_BOUNDS_SAMPLE`` points, of a random sample of them."""
    if points.shape[0] > _BOUNDS_SAMPLE:
        rng = check_random_state(random_state)
        points = points[np.sort(rng.choice(points.shape[0], _BOUNDS_SAMPLE, replace=False))]
    low, high = np.percentile(pairwise_distances(points), (5, 95))
    return np.array([low if low > 0 else 1e-9, high])


class _ITMLBase(MahalanobisMixin):
    _learner = _OurITML
    _ignored = {"verbose": False}
    _deprecated = {"convergence_threshold": "tol"}

    def _fit_itml(self, indices, y, table, bounds):
        tuples = check_tuples(indices, 2, table, estimator=self).compact()
        if bounds is None:
            bounds = metric_learn_bounds(tuples.points, self.random_state)
        learner = self._make_learner(bounds=tuple(np.asarray(bounds, dtype=float)))
        self._fit_with(learner, "fit_pairs", tuples.indices, y, preprocessor=tuples.points)
        self.bounds_ = learner.bounds_
        return self


class ITML(PairsClassifierMixin, _ITMLBase):
    """Information Theoretic Metric Learning from pairs, on :class:`sklearn_metric.ITML`.

    ``fit(pairs, y)`` takes pairs of points, or of indices/keys with a
    ``preprocessor``, labelled +1/-1. Default ``bounds`` follow metric-learn:
    percentiles of plain (not squared) distances between the pairs' points (see
    :func:`metric_learn_bounds`). After fitting, ``threshold_`` is calibrated on
    the training pairs (``calibration_params``), so the learner predicts pairs.

    Parameters
    ----------
    gamma : float, default=1.0
    max_iter : int, default=1000
    tol : float, default=1e-3
    prior : {"identity", "covariance", "random"} or ndarray, default="identity"
    verbose : bool, default=False
        Ignored.
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    convergence_threshold : float, default="deprecated"
        Deprecated name of ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metric_learn import ITML
    >>> X = np.array([[0.0, 0.0], [0.1, 1.0], [1.0, 0.0], [1.1, 1.0]])
    >>> pairs, y = np.array([[0, 1], [2, 3], [0, 2], [1, 3]]), np.array([1, 1, -1, -1])
    >>> itml = ITML(preprocessor=X, random_state=0).fit(pairs, y)
    >>> itml.predict(pairs).tolist()
    [1, 1, -1, -1]
    """

    def __init__(
        self,
        gamma=1.0,
        max_iter=1000,
        tol=1e-3,
        prior="identity",
        verbose=False,
        preprocessor=None,
        random_state=None,
        convergence_threshold="deprecated",
    ):
        self.gamma = gamma
        self.max_iter = max_iter
        self.tol = tol
        self.prior = prior
        self.verbose = verbose
        self.random_state = random_state
        self.convergence_threshold = convergence_threshold
        super().__init__(preprocessor)

    def fit(self, pairs, y, bounds=None, calibration_params=None):
        """Learn the metric from labelled pairs, then calibrate ``threshold_`` on them.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
        y : array-like of shape (n_pairs,)
            +1 similar, -1 dissimilar.
        bounds : array-like of 2 floats or None, default=None
            ``(u, l)``; ``None`` takes metric-learn's default.
        calibration_params : dict or None, default=None
            ``strategy``, ``min_rate`` and ``beta`` of :meth:`calibrate_threshold`.

        Returns
        -------
        self : ITML
        """
        indices, table = resolve_tuples(pairs, 2, self.preprocessor)
        self._fit_itml(indices, y, table, bounds)
        return self._calibrated(pairs, y, calibration_params)


class ITML_Supervised(_ITMLBase):
    """ITML from class labels: ``n_constraints`` pairs of each kind drawn from them.

    Parameters
    ----------
    gamma : float, default=1.0
    max_iter : int, default=1000
    tol : float, default=1e-3
    n_constraints : int or None, default=None
        ``None``: ``20 * n_classes**2``.
    prior : {"identity", "covariance", "random"} or ndarray, default="identity"
    verbose : bool, default=False
        Ignored.
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    num_constraints, convergence_threshold : default="deprecated"
        Deprecated names of ``n_constraints`` and ``tol``.
    """

    _deprecated = {"num_constraints": "n_constraints", "convergence_threshold": "tol"}

    def __init__(
        self,
        gamma=1.0,
        max_iter=1000,
        tol=1e-3,
        n_constraints=None,
        prior="identity",
        verbose=False,
        preprocessor=None,
        random_state=None,
        num_constraints="deprecated",
        convergence_threshold="deprecated",
    ):
        self.gamma = gamma
        self.max_iter = max_iter
        self.tol = tol
        self.n_constraints = n_constraints
        self.prior = prior
        self.verbose = verbose
        self.random_state = random_state
        self.num_constraints = num_constraints
        self.convergence_threshold = convergence_threshold
        super().__init__(preprocessor)

    def fit(self, X, y, bounds=None):
        """Learn the metric from class labels.

        Returns
        -------
        self : ITML_Supervised
        """
        indices, labels, points = labelled_pairs(
            self._points(X), y, self._current("n_constraints"), self.random_state
        )
        return self._fit_itml(indices, labels, points, bounds)
