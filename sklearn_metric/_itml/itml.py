"""Information-Theoretic Metric Learning (Davis, Kulis, Jain, Sra & Dhillon, ICML 2007)."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .._core.base import MetricLearnerMixin, pair_tuples_for_fit, validate_pairs
from .._core.compat import Interval, StrOptions, fit_context
from .._core.distances import squared_cross
from .._core.init import on_span, prior_matrix, prior_split
from .._core.linalg import components_from_psd, project_psd
from .._core.optim import warn_not_converged
from .._core.span import SpanSplit
from .projections import block_size, itml_projections

__all__ = ["ITML"]


# The default bounds come from the squared distances between at most this many of the points.
_BOUNDS_SAMPLE = 1000


def default_bounds(points, M0, random_state):
    """The 5th and 95th percentiles of squared distances under ``M0`` between the
    points (a random sample of ``_BOUNDS_SAMPLE`` when there are more): Davis et
    al.'s choice of ``(u, l)``."""
    rng = check_random_state(random_state)
    if points.shape[0] > _BOUNDS_SAMPLE:
        points = points[rng.choice(points.shape[0], _BOUNDS_SAMPLE, replace=False)]
    Z = points @ components_from_psd(M0).T
    upper = squared_cross(Z, Z)[np.triu_indices(points.shape[0], 1)]
    return np.percentile(upper, [5, 95])


def _visiting_order(n_constraints, random_state):
    """A random permutation of the constraints: the projections converge slowly when
    the constraints come in blocks of one kind."""
    return check_random_state(random_state).permutation(n_constraints)


class ITML(MetricLearnerMixin):
    """Information-Theoretic Metric Learning (ITML).

    Finds the Mahalanobis matrix ``M`` closest to a prior ``M0`` in LogDet
    divergence, ``tr(M M0^-1) - log det(M M0^-1) - n_features``, subject to
    similar pairs having squared distance at most ``u`` and dissimilar pairs at
    least ``l``, softened by slack variables weighted by ``gamma`` (Davis et
    al., 2007). Solved by cyclic Bregman projections onto one constraint at a
    time, each a rank-one update of ``M`` (O(n_features^2), no matrix inverse or
    eigendecomposition inside the loop; from 200 features on, the updates of a
    block of constraints are delayed and applied together by matrix products, the
    same iterates up to rounding); ``M`` stays positive definite. The
    constraints are visited in one random order (drawn with ``random_state``),
    not in the order given: pairs grouped by kind (all similar, then all
    dissimilar) make the cyclic projections converge far more slowly (on
    letter, test ROC AUC 0.79 against 0.84 after 1000 sweeps).

    ``fit(X, y)`` draws ``n_constraints`` distinct similar and as many dissimilar pairs
    from the labels; ``fit_pairs(pairs, y)`` takes explicit pairs.

    Parameters
    ----------
    gamma : float, default=1.0
        Slack trade-off: larger values enforce the bounds more strictly.

    max_iter : int, default=5000
        Most sweeps over the constraints.

    tol : float, default=1e-2
        Stop when the dual variables change by less than ``tol`` (relative)
        over a sweep. On iris and digits (standardised), ``1e-2`` gives the
        same 3-NN test accuracy as ``1e-3`` in a third to a fifth of the sweeps
        (digits: about 1,600-1,850 sweeps against 5,200-5,700).

    prior : {"identity", "covariance", "random"} or ndarray of shape \
            (n_features, n_features), default="identity"
        ``M0``: the identity, the inverse covariance of the training points
        (when it is singular, with a warning: its inverse where the points vary
        and the mean of its eigenvalues elsewhere), a random positive definite
        matrix, or a given positive definite matrix (refused when singular to
        working precision).

    bounds : tuple of 2 floats or None, default=None
        ``(u, l)``, bounds on squared distances; ``None`` takes the 5th and
        95th percentiles of the squared distances under ``M0`` between the
        points the pairs use (between 1000 of them, drawn with
        ``random_state``, when there are more).

    n_constraints : int or None, default=None
        Distinct pairs of each kind drawn by ``fit(X, y)``; ``None`` means
        ``20 * n_classes**2``. Classes too small to hold that many similar
        pairs give all of them, and as many dissimilar ones.

    n_components : int or None, default=None
        Keep the ``n_components`` directions of largest eigenvalue of ``M``
        (an approximation of the best rank-``n_components`` metric).

    verbose : int, default=0
        Print the number of sweeps at the end.

    random_state : int, RandomState instance or None, default=None
        Seed of the pair drawing, of the order the constraints are visited in,
        of the sample behind the default bounds and of ``prior="random"``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        ``L`` with ``L.T @ L = M`` (or its truncation).

    bounds_ : ndarray of shape (2,)
        The ``(u, l)`` used.

    prior_ : ndarray of shape (n_features, n_features)
        ``M0``.

    n_iter_ : int
        Sweeps run.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.SDML : A sparse inverse covariance from pairs.
    sklearn_metric.MMC : A metric from pairs by a convex program.
    sklearn_metric.PairsClassifier : Same/different prediction on pairs with a threshold.

    References
    ----------
    J. V. Davis, B. Kulis, P. Jain, S. Sra and I. S. Dhillon.
    Information-theoretic metric learning. ICML 2007.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import ITML
    >>> X, y = load_iris(return_X_y=True)
    >>> itml = ITML(random_state=0).fit(X, y)
    >>> itml.transform(X).shape
    (150, 4)
    """

    _parameter_constraints: dict = {
        "gamma": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "prior": [StrOptions({"identity", "covariance", "random"}), np.ndarray],
        "bounds": [tuple, list, np.ndarray, None],
        "n_constraints": [Interval(Integral, 1, None, closed="left"), None],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        gamma=1.0,
        max_iter=5000,
        tol=1e-2,
        prior="identity",
        bounds=None,
        n_constraints=None,
        n_components=None,
        verbose=0,
        random_state=None,
    ):
        self.gamma = gamma
        self.max_iter = max_iter
        self.tol = tol
        self.prior = prior
        self.bounds = bounds
        self.n_constraints = n_constraints
        self.n_components = n_components
        self.verbose = verbose
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the metric from pairs drawn from class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : ITML
            The fitted learner.
        """
        return self._fit(*pair_tuples_for_fit(self, X, y))

    @fit_context(prefer_skip_nested_validation=True)
    def fit_pairs(self, pairs, y, *, preprocessor=None):
        """Learn the metric from explicit pairs.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            The two points of each pair, or their indices into ``preprocessor``.
        y : array-like of shape (n_pairs,)
            +1 for a similar pair, -1 for a dissimilar one.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        self : ITML
            The fitted learner.
        """
        pairs, y = validate_pairs(self, pairs, y, preprocessor=preprocessor, both_kinds=True)
        self._check_n_components(pairs.n_features)
        return self._fit(pairs, y)

    def _check_bounds(self):
        if self.bounds is None:
            return None
        bounds = np.asarray(self.bounds, dtype=np.float64)
        if bounds.shape != (2,) or not np.all(np.isfinite(bounds)) or not 0 < bounds[0]:
            raise ValueError(
                "bounds must be two finite numbers (u, l) with u > 0: the squared distance "
                f"similar pairs stay below and dissimilar pairs above; got {self.bounds!r}."
            )
        return bounds

    def _fit(self, pairs, sign):
        points, n_features = pairs.points, pairs.n_features
        n_components = self._check_n_components(n_features)
        bounds = self._check_bounds()
        # Wide data: every projection stays on the span of the points (see prior_split),
        # so the pairs are differences of the points' coordinates there.
        split = prior_split(self.prior, points)
        solved = on_span(pairs, split)
        solved = solved.mapped(np.asarray(solved.points, dtype=np.float64))
        distinct = solved.distinct()
        solved, sign = solved.subset(distinct), sign[distinct]
        order = _visiting_order(sign.shape[0], self.random_state)
        solved, sign = solved.subset(order), sign[order]
        if not (np.any(sign > 0) and np.any(sign < 0)):
            raise ValueError(
                "ITML needs both similar (+1) and dissimilar (-1) pairs of distinct points; "
                f"got {np.sum(sign > 0)} similar and {np.sum(sign < 0)} dissimilar."
            )
        if split is None:
            M0 = prior_matrix(self.prior, points, n_features, self.random_state)
            start = M0
        else:
            start = split.B
        if bounds is None:
            bounds = default_bounds(solved.points, start, self.random_state)
        if not bounds[0] > 0:
            raise ValueError(
                f"The bound u={bounds[0]:g} on similar pairs' squared distance must be "
                "positive; the points are too close to each other for the default bounds: "
                "pass bounds=(u, l)."
            )
        block = block_size(solved.n_features)
        # Blocks take their pairs' differences as they go (no n_pairs x n_features copy).
        diffs = solved if block else solved.differences(0, 1)
        # One update at a time calls BLAS on single vectors: one thread. Blocks of
        # updates are matrix products (two threads: 70 -> 43 us per constraint on
        # 1024 features).
        with threadpool_limits(limits=None if block else 1, user_api="blas"):
            A, n_sweeps, converged = itml_projections(
                start,
                diffs,
                sign,
                tuple(bounds),
                self.gamma,
                self.max_iter,
                self.tol,
                block=block,
            )
        if not np.all(np.isfinite(A)):
            raise ValueError(
                "ITML produced a non-finite metric; try a larger gamma or standardising X."
            )
        if not converged:
            warn_not_converged(type(self).__name__, "ITML", self.max_iter, steps="sweeps")
        if self.verbose:
            print(f"[ITML] {n_sweeps} sweeps over {sign.shape[0]} constraints")
        if split is None:
            self.components_ = components_from_psd(project_psd(A))[:n_components]
            self.prior_ = M0
        else:
            self.components_ = SpanSplit(split.U, A, split.c).components(n_components)
            self.prior_ = prior_matrix(self.prior, points, n_features, self.random_state)
        self.bounds_ = np.asarray(bounds, dtype=np.float64)
        self.n_iter_ = n_sweeps
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
