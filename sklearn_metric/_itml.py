"""Information-Theoretic Metric Learning (Davis, Kulis, Jain, Sra & Dhillon, ICML 2007)."""

from numbers import Integral, Real

import numpy as np
from scipy.linalg import blas
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ._compat import Interval, StrOptions, fit_context
from ._init import on_span, prior_matrix, prior_split
from ._kernels import compiled
from ._linalg import components_from_psd, project_psd
from ._optim import warn_not_converged
from ._span import SpanSplit
from ._tuples import Tuples
from .base import MetricLearnerMixin, pair_tuples_for_fit, pair_tuples_for_fit_pairs

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
    norms = np.einsum("ij,ij->i", Z, Z)
    squared = norms[:, None] + norms[None, :] - 2 * Z @ Z.T
    upper = squared[np.triu_indices(points.shape[0], 1)]
    return np.percentile(np.maximum(upper, 0), [5, 95])


def compiled_sweep():
    """ITML's sweep compiled with numba, or ``None`` without numba."""
    return compiled("itml_sweep")


def compiled_block():
    """ITML's projections over a block of constraints compiled with numba, or
    ``None`` without numba."""
    return compiled("itml_block")


# From this many features on, the projections run in blocks of delayed updates.
_BLOCKED_FROM = 200


def _block_size(n_features):
    """Constraints per block of delayed updates; 0 for one update at a time.

    Blocks pay a matrix product for every constraint, active or not; one update at
    a time only reads ``A`` for an inactive one, from cache when ``A`` is small:
    on isolet (172 features, most constraints inactive late) 5.1 us per constraint
    one at a time against 6.0 in blocks; on usps (256) 13.3 against 7.1, on
    olivetti's span (279) 20 against 11, on Yale B (1024) 500 against 36. Blocks
    of 32 to 128 measured best from 114 to 1024 features."""
    if n_features < _BLOCKED_FROM:
        return 0
    return int(min(128, max(32, n_features // 8)))


def itml_projections(A, diffs, sign, bounds, gamma, max_iter, tol, *, block=None):
    """Cyclic Bregman projections of ITML, each a rank-one update of ``A``.

    For each constraint ``c`` in turn (difference ``v``, ``delta`` = +1 for a
    similar pair and -1 for a dissimilar one, target ``xi_c``):
    ``p = v^T A v``,
    ``alpha = min(lambda_c, delta gamma / (gamma + 1) (1 / p - 1 / xi_c))``,
    ``beta = delta alpha / (1 - delta alpha p)``,
    ``xi_c <- gamma xi_c / (gamma + delta alpha xi_c)``, ``lambda_c -= alpha``
    and ``A <- A + beta (A v)(A v)^T``, the LogDet projection of ``A`` onto
    ``v^T A v = xi_c`` relaxed by the slack (exact as ``gamma`` grows; the
    form of the authors' reference code). The constraints are visited in
    order (the method is sequential by nature).

    One update at a time reads and writes all of ``A``: O(n_features^2) memory
    traffic per constraint. From ``_BLOCKED_FROM`` features on, the updates of
    a block of ``b`` constraints are delayed: with ``A0`` the matrix at the
    block's start and ``w_j = A v_j`` the update vectors so far,
    ``A v = A0 v + sum_j beta_j (w_j . v) w_j`` (O(b n_features) per
    constraint, ``A0 v`` for the whole block by one matrix product), and the
    block ends with ``A0 + sum_j beta_j w_j w_j^T`` by two symmetric rank-k
    updates: the same iterates up to rounding, at matrix-product speed
    (Yale B's 1024 features: 29 s -> ~3 s per sweep over 57,760 constraints).
    The per-constraint loop is compiled by numba when it is installed (the
    ``fast`` extra), else a Python loop of BLAS calls.

    Parameters
    ----------
    A : ndarray of shape (n_features, n_features)
        The prior ``M0`` (copied).
    diffs : ndarray of shape (n_constraints, n_features) or Tuples
        Pair differences, none zero, or the pairs (float64 points) whose
        differences they are, taken a block at a time.
    sign : ndarray of shape (n_constraints,)
        +1 similar, -1 dissimilar.
    bounds : tuple of float
        ``(u, l)``: the squared distance similar pairs should stay below and
        dissimilar pairs above.
    gamma : float
        Slack trade-off (larger: closer to the hard constraints).
    max_iter : int
        Most sweeps over the constraints.
    tol : float
        Stop when the dual variables change by less than ``tol`` relative to
        their norm over a sweep.
    block : int or None, default=None
        Constraints per block of delayed updates (0: one update at a time);
        ``None`` chooses by the number of features.

    Returns
    -------
    A : ndarray of shape (n_features, n_features)
    n_sweeps : int
    converged : bool
    """
    if isinstance(diffs, Tuples):
        rows_of, n_features = (lambda rows: diffs.differences(0, 1, rows)), diffs.n_features
    else:
        diffs = np.ascontiguousarray(diffs, dtype=np.float64)
        rows_of, n_features = diffs.__getitem__, diffs.shape[1]
    if block is None:
        block = _block_size(n_features)
    if block > 0:
        return _blocked_projections(A, rows_of, sign, bounds, gamma, max_iter, tol, block)
    diffs = rows_of(slice(None))
    sweep = compiled_sweep()
    if sweep is not None:
        return _compiled_projections(sweep, A, diffs, sign, bounds, gamma, max_iter, tol)
    return _blas_projections(A, diffs, sign, bounds, gamma, max_iter, tol)


def _blas_projections(A, diffs, sign, bounds, gamma, max_iter, tol):
    """:func:`itml_projections` one update at a time by two BLAS calls each."""
    gemv, ddot, dger = blas.dgemv, blas.ddot, blas.dger
    A = np.array(A, dtype=np.float64, order="F")
    u, low = bounds
    deltas = [1.0 if s > 0 else -1.0 for s in sign]
    shrink = gamma / (gamma + 1.0)
    xi = [u if s > 0 else low for s in sign]
    lam = [0.0] * diffs.shape[0]
    rows = list(diffs)
    converged = False
    n_sweeps = 0
    while n_sweeps < max_iter:
        n_sweeps += 1
        lam_old = np.array(lam)
        for c, v in enumerate(rows):
            Av = gemv(1.0, A, v)
            p = ddot(v, Av)
            delta = deltas[c]
            alpha = min(lam[c], shrink * delta * (1 / p - 1 / xi[c]))
            if alpha == 0:
                continue  # the projection moves nothing
            beta = delta * alpha / (1 - delta * alpha * p)
            xi[c] = gamma * xi[c] / (gamma + delta * alpha * xi[c])
            lam[c] -= alpha
            A = dger(beta, Av, Av, a=A, overwrite_a=1)
        if _converged(lam_old, np.array(lam), tol):
            converged = True
            break
    return (A + A.T) / 2, n_sweeps, converged


def _python_block(P, V, W, betas, deltas, xi, lam, shrink, gamma):
    """The ``itml_block`` kernel of :mod:`._kernels` as a loop of numpy calls."""
    n = 0
    for k in range(V.shape[0]):
        v = V[k]
        if n:
            W[n] = P[k] + (betas[:n] * (W[:n] @ v)) @ W[:n]
        else:
            W[n] = P[k]
        p = v @ W[n]
        delta = deltas[k]
        alpha = min(lam[k], shrink * delta * (1 / p - 1 / xi[k]))
        if alpha == 0:
            continue
        betas[n] = delta * alpha / (1 - delta * alpha * p)
        xi[k] = gamma * xi[k] / (gamma + delta * alpha * xi[k])
        lam[k] -= alpha
        n += 1
    return n


def _flush_updates(A, W, betas):
    """``A + sum_j betas[j] W[j] W[j]^T`` in ``A``'s upper triangle (``A`` in
    Fortran order, changed in place): one symmetric rank-k update per sign."""
    scale = np.sqrt(np.abs(betas))
    for sign, rows in ((1.0, betas > 0), (-1.0, betas < 0)):
        if np.any(rows):
            scaled = W[rows] * scale[rows, None]
            A = blas.dsyrk(sign, scaled.T, beta=1.0, c=A, trans=0, lower=0, overwrite_c=1)
    return A


def _blocked_projections(A, rows_of, sign, bounds, gamma, max_iter, tol, block):
    """:func:`itml_projections` in blocks of ``block`` delayed updates; only the
    upper triangle of the working matrix is kept up to date. ``rows_of(rows)`` gives
    the differences of the constraints of a slice (C order, float64)."""
    kernel = compiled_block() or _python_block
    A = np.array(A, dtype=np.float64, order="F")
    u, low = bounds
    deltas = np.where(sign > 0, 1.0, -1.0)
    xi = np.where(sign > 0, u, low).astype(np.float64)
    n_constraints, n_features = sign.shape[0], A.shape[0]
    lam = np.zeros(n_constraints)
    W = np.empty((block, n_features))
    betas = np.empty(block)
    for n_sweeps in range(1, max_iter + 1):
        lam_old = lam.copy()
        for start in range(0, n_constraints, block):
            stop = min(start + block, n_constraints)
            V = rows_of(slice(start, stop))
            # (A0 V^T)^T from the upper triangle; V^T is V's memory in Fortran order.
            P = blas.dsymm(1.0, A, V.T, side=0, lower=0).T
            n = kernel(
                P,
                V,
                W,
                betas,
                deltas[start:stop],
                xi[start:stop],
                lam[start:stop],
                gamma / (gamma + 1.0),
                gamma,
            )
            if n:
                A = _flush_updates(A, W[:n], betas[:n])
        if _converged(lam_old, lam, tol):
            return _from_upper(A), n_sweeps, True
    return _from_upper(A), max_iter, False


def _from_upper(A):
    """The symmetric matrix whose upper triangle is ``A``'s."""
    return np.triu(A) + np.triu(A, 1).T


def _visiting_order(n_constraints, random_state):
    """A random permutation of the constraints: the projections converge slowly when
    the constraints come in blocks of one kind."""
    return check_random_state(random_state).permutation(n_constraints)


def _converged(lam_old, lam, tol):
    norm = np.linalg.norm(lam) + np.linalg.norm(lam_old)
    return norm == 0 or np.abs(lam_old - lam).sum() / norm < tol


def _compiled_projections(sweep, A, diffs, sign, bounds, gamma, max_iter, tol):
    """:func:`itml_projections` with the sweep compiled by numba (the same iterates up
    to rounding)."""
    A = np.array(A, dtype=np.float64, order="C")
    u, low = bounds
    deltas = np.where(sign > 0, 1.0, -1.0)
    xi = np.where(sign > 0, u, low).astype(np.float64)
    lam = np.zeros(diffs.shape[0])
    scratch = np.empty(diffs.shape[1])
    for n_sweeps in range(1, max_iter + 1):
        lam_old = lam.copy()
        sweep(A, diffs, deltas, xi, lam, gamma / (gamma + 1.0), gamma, scratch)
        if _converged(lam_old, lam, tol):
            return (A + A.T) / 2, n_sweeps, True
    return (A + A.T) / 2, max_iter, False


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
        (non-singular), a random positive definite matrix, or a given
        positive definite matrix.

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
        return self._fit(*pair_tuples_for_fit_pairs(self, pairs, y, preprocessor))

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
        block = _block_size(solved.n_features)
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
