"""Large Margin Nearest Neighbour (Weinberger & Saul, JMLR 2009)."""

import sys
import time
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from ._compat import Interval, StrOptions, fit_context
from ._constraints import (
    find_impostors,
    find_target_neighbors,
    impostors_of_rows,
    pair_squared_distances,
    squared_distances_rows,
)
from ._init import INIT_OPTIONS, starting_components
from ._linalg import components_from_psd, project_psd, row_span
from ._sdp import SolverFailedError, choose_sdp_solver, lmnn_sdp_problem, solve
from .base import MetricLearnerMixin, validate_labelled_data

__all__ = ["LMNN"]

# solver="auto" uses the SDP only below these sizes (solved exactly in well under a second).
_AUTO_SDP_MAX_FEATURES = 6
_AUTO_SDP_MAX_SAMPLES = 200
# The SDP refuses active sets larger than this (dense constraint rows of n_features**2).
_SDP_MAX_TRIPLETS = 20000
# A triplet counts as violated when its margin exceeds this (units of the margin, 1).
_MARGIN_TOL = 1e-6
# Width of the quadratic part of the smoothed hinge of the gradient solver.
_HINGE_WIDTH = 0.05
# The gradient solver searches impostor candidates in (1 + slack) times the margin
# radius (a larger slack keeps them valid longer but makes every evaluation dearer).
_IMPOSTOR_SLACK = 0.05
# The gradient solver runs BLAS on one thread while its matrix products
# (n_samples x n_features times n_features x n_components) stay below this many
# multiply-adds: waking threads for each product costs more than it saves.
# Measured (one thread against two, same iterates): digits 3.3 vs 6.6 s,
# letter 3.9 vs 4.7 s, synthetic 5600 x 50 3.7 vs 4.0 s, isolet (6238 x 172)
# 17.4 vs 24.7 s, MNIST 10000 x 164 22.6 vs 24.2 s; two threads win on MNIST
# 20000 x 164 (52 vs 56 s, 5.4e8) and tie on Yale B (1689 x 1024, 1.8e9).
_SINGLE_THREAD_MAX_WORK = 4e8
# When the bound cannot prove the candidates complete, the impostors of a
# sample of the points are searched exactly, and the full search runs again
# only if one of them is missing from the candidates. The sample holds
# _SAMPLED_FRACTION of the points, or n / 20 clipped to [_MIN_SAMPLED,
# _MAX_SMALL_SAMPLE] if more: on small sets a full search costs little more.
_SAMPLED_FRACTION = 0.01
_MIN_SAMPLED = 64
_MAX_SMALL_SAMPLE = 256
# L-BFGS restarts after a failed line search.
_MAX_RESTARTS = 10


def _target_pairs(targets):
    """Flatten a padded target array into pair index arrays."""
    n_samples, k = targets.shape
    valid = targets >= 0
    rows = np.repeat(np.arange(n_samples), k)[valid.ravel()]
    return rows, targets[valid], valid


def _target_distance_grid(Z, targets, valid, rows, cols):
    """Squared target distances on the (n_samples, k) grid, -inf where padded."""
    grid = np.full(targets.shape, -np.inf)
    grid[valid] = squared_distances_rows(Z, rows, cols)
    return grid


def _margin_radii(grid):
    """Squared radius inside which a differently labelled point is an impostor."""
    radius = grid.max(axis=1, initial=-np.inf) + 1
    radius[~np.isfinite(radius)] = 0.0
    return radius


def _smoothed_hinge(z, width):
    """Value and derivative of the hinge ``max(z, 0)``, quadratic on ``[0, width]``."""
    if width == 0:
        return np.maximum(z, 0), (z > 0).astype(z.dtype)
    value = np.where(z >= width, z - width / 2, np.where(z > 0, z * z / (2 * width), 0.0))
    slope = np.clip(z / width, 0, 1)
    return value, slope


def _laplacian_product(rows, cols, weights, X):
    """``Lap @ X`` with ``X.T @ Lap @ X = sum_p w_p (x_a - x_b)(x_a - x_b)^T``."""
    n_samples = X.shape[0]
    # COO products run straight off the pair lists: no conversion to CSR, no W + W.T.
    W = sparse.coo_matrix((weights, (rows, cols)), shape=(n_samples, n_samples))
    degree = np.bincount(rows, weights, n_samples) + np.bincount(cols, weights, n_samples)
    return degree[:, None] * X - (W @ X + W.T @ X)


def lmnn_loss(L, X, y, targets, mu):
    """The LMNN objective of the paper (exact hinge, every impostor) at ``L``.

    Parameters
    ----------
    L : ndarray of shape (n_components, n_features)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    targets : ndarray of shape (n_samples, k)
        Target neighbours, ``-1`` padded.
    mu : float

    Returns
    -------
    loss : float
        ``(1 - mu) * pull + mu * push``.
    """
    Z = X @ L.T
    rows, cols, valid = _target_pairs(targets)
    grid = _target_distance_grid(Z, targets, valid, rows, cols)
    imp_rows, imp_cols, _ = find_impostors(Z, y, _margin_radii(grid))
    d_imp = squared_distances_rows(Z, imp_rows, imp_cols)
    margins = 1 + grid[imp_rows] - d_imp[:, None]
    return float((1 - mu) * grid[valid].sum() + mu * np.maximum(margins, 0).sum())


class _GradientObjective:
    """Smoothed LMNN loss in ``L`` and its exact gradient, normalised per target pair.

    Impostor candidates are searched in a radius ``(1 + slack)`` times the
    margin radius at a reference ``L_ref`` and reused while a bound proves
    they still contain every impostor: for any ``v``,
    ``||L v|| >= ||L_ref v|| - ||(L - L_ref) L_ref^-1|| ||L_ref v||`` (square
    invertible ``L_ref``) and ``||L v|| >= ||L_ref v|| - ||L - L_ref|| ||v||``
    (any ``L``): on small sets, whose sample below would be every point.
    Otherwise (measured on digits, letter, isolet and synthetic sets the bound
    never held once, and its spectral norms cost up to a quarter of a fit) the
    impostors of a rotating sample of the points are searched exactly at every
    evaluation and the full O(n^2) search, in blocks, runs again only if the
    sample finds one missing. Impostors of unsampled points can then be missed for a while, so
    the solver ends every run with a full search (:meth:`refresh_complete`)
    and goes on if it finds a missed impostor: the final ``L`` is a
    stationary point of the loss over every impostor.
    """

    def __init__(self, X, y, targets, mu, n_components, max_impostors):
        self.X, self.y, self.targets, self.mu = X, y, targets, mu
        self.shape = (n_components, X.shape[1])
        self.rows, self.cols, self.valid = _target_pairs(targets)
        self.scale = 1.0 / max(1, self.rows.size)
        self.max_impostors = max_impostors
        centred = np.linalg.norm(X - X.mean(axis=0), axis=1)
        self.x_reach = centred + centred.max()  # bounds ||x_i - x_l|| for every l
        self.n_refresh = 0
        self.calls_since_refresh = 0
        self.capped = False
        self.first_loss = None
        self.last_rose = False
        self.imp_rows = self.imp_cols = None
        n_samples = X.shape[0]
        small_sample = min(max(n_samples // 20, _MIN_SAMPLED), _MAX_SMALL_SAMPLE)
        self.n_sampled = min(n_samples, max(small_sample, int(_SAMPLED_FRACTION * n_samples)))
        self.sample_order = np.random.RandomState(0).permutation(n_samples)
        self._whole_sample = self.n_sampled == n_samples
        self.sample_start = 0

    def refresh(self, L, Z, reach):
        """New candidates at ``L``: every other-class point within ``(1 + slack) reach``."""
        self.search_radius = (1 + _IMPOSTOR_SLACK) * reach
        rows, cols, dists = find_impostors(
            Z, self.y, self.search_radius**2, max_impostors=self.max_impostors, dtype=np.float32
        )
        # The cap only changes the loss when it cuts pairs inside the margin
        # itself, not just in the slack shell around it.
        self.capped = False
        if rows.size >= self.max_impostors:
            ratio = dists / self.search_radius[rows] ** 2
            self.capped = bool(ratio.max() < 1 / (1 + _IMPOSTOR_SLACK) ** 2)
        # Sorted by (row, column): membership tests by binary search, and the Gram
        # path of pair_squared_distances needs no sort per evaluation. The keys
        # are unique, so sorting them alone (faster than an argsort) gives the pairs.
        n_samples = self.X.shape[0]
        self.keys = np.sort(rows.astype(np.int64) * n_samples + cols)
        self.imp_rows, self.imp_cols = np.divmod(self.keys, n_samples)
        self.L_ref = L.copy()
        self.L_ref_inv = None
        if self._whole_sample and L.shape[0] == L.shape[1]:
            try:
                inverse = np.linalg.inv(L)
                if np.all(np.isfinite(inverse)) and np.linalg.cond(L) < 1e8:
                    self.L_ref_inv = inverse
            except np.linalg.LinAlgError:
                pass
        self.n_refresh += 1
        self.calls_since_refresh = 0

    def _missing(self, rows, cols):
        """Whether some of the pairs ``(rows, cols)`` are not candidates."""
        keys = rows.astype(np.int64) * self.X.shape[0] + cols
        where = np.minimum(np.searchsorted(self.keys, keys), max(0, self.keys.size - 1))
        return bool(keys.size) and (self.keys.size == 0 or bool(np.any(self.keys[where] != keys)))

    def refresh_complete(self, L):
        """Search again at ``L``; whether the old candidates held every impostor there."""
        Z = self.X @ L.T
        grid = _target_distance_grid(Z, self.targets, self.valid, self.rows, self.cols)
        reach = np.sqrt(_margin_radii(grid))
        old_keys = self.keys
        self.refresh(L, Z, reach)
        d_imp = pair_squared_distances(Z, self.imp_rows, self.imp_cols)
        inside = d_imp < reach[self.imp_rows] ** 2
        new_keys, self.keys = self.keys, old_keys
        missing = self._missing(self.imp_rows[inside], self.imp_cols[inside])
        self.keys = new_keys
        return not missing

    def sample_misses(self, Z, reach):
        """Whether some impostor of a rotating sample of points is not a candidate."""
        if self.n_sampled == self.X.shape[0]:
            return True  # as dear as the full search: just search again
        stop = self.sample_start + self.n_sampled
        rows = np.take(self.sample_order, np.arange(self.sample_start, stop), mode="wrap")
        self.sample_start = stop % self.X.shape[0]
        rows = rows[reach[rows] > 0]
        pair_rows, pair_cols = impostors_of_rows(Z, self.y, rows, reach**2)
        return self._missing(pair_rows, pair_cols)

    def _stale(self, L, Z, reach):
        """Whether the candidates may miss an impostor at ``L`` (then search them all)."""
        if self._whole_sample:
            # Small sets: the norm bound can hold, and the sample would be every point.
            return not self.candidates_valid(L, reach)
        # Larger sets: the bound never held in measurements (digits, letter, isolet,
        # synthetic), so only its spectral norms would be paid; the sample decides.
        return self.sample_misses(Z, reach)

    def candidates_valid(self, L, reach):
        """Whether the candidates provably hold every impostor at ``L``."""
        dL = L - self.L_ref
        # (1 - 1e-4) covers the float32 rounding of the search.
        radius = (1 - 1e-4) * self.search_radius
        lower = radius - np.linalg.norm(dL, 2) * self.x_reach
        if self.L_ref_inv is not None:
            rho = np.linalg.norm(dL @ self.L_ref_inv, 2)
            lower = np.maximum(lower, (1 - rho) * radius)
        return bool(np.all(lower[reach > 0] >= reach[reach > 0]))

    def __call__(self, flat):
        L = flat.reshape(self.shape)
        Z = self.X @ L.T
        mu, k = self.mu, self.targets.shape[1]
        grid = _target_distance_grid(Z, self.targets, self.valid, self.rows, self.cols)
        reach = np.sqrt(_margin_radii(grid))
        if self.imp_rows is None or self._stale(L, Z, reach):
            self.refresh(L, Z, reach)
        self.calls_since_refresh += 1
        d_imp = pair_squared_distances(Z, self.imp_rows, self.imp_cols)
        margins = 1 + grid[self.imp_rows] - d_imp[:, None]
        hinge, slope = _smoothed_hinge(margins, _HINGE_WIDTH)
        loss = (1 - mu) * grid[self.valid].sum() + mu * hinge.sum()

        slots = (self.imp_rows[:, None] * k + np.arange(k)).ravel()
        push_on_targets = np.bincount(slots, weights=slope.ravel(), minlength=grid.size)
        w_targets = (1 - mu) + mu * push_on_targets.reshape(grid.shape)[self.valid]
        w_impostors = -mu * slope.sum(axis=1)
        used = w_impostors != 0
        rows = np.concatenate([self.rows, self.imp_rows[used]])
        cols = np.concatenate([self.cols, self.imp_cols[used]])
        weights = np.concatenate([w_targets, w_impostors[used]])
        grad = 2 * Z.T @ _laplacian_product(rows, cols, weights, self.X)
        if self.first_loss is None:
            self.first_loss = loss * self.scale
        self.last_loss = loss * self.scale
        self.last_active = int(np.count_nonzero(margins > 0))
        return loss * self.scale, grad.ravel() * self.scale


def _row_span(X):
    """Orthonormal basis ``U`` (n_features, rank) of the span of the rows of ``X``.

    ``None`` when the rows can span every direction (at least as many samples
    as features): the reduction below then saves nothing.
    """
    n_samples, n_features = X.shape
    if n_samples >= n_features:
        return None
    U = row_span(X)
    return U if U.shape[1] else None


class _ReducedProblem:
    """The LMNN problem in ``L`` restricted to where its gradients live.

    Every gradient of the loss is ``L S`` with ``S = X^T Lap X``, whose rows lie
    in the span of the training points (``U``, orthonormal columns) and whose
    columns lie in the span of ``L``'s own columns. L-BFGS iterates are the
    initial ``L0`` plus combinations of gradients, so with ``L0 U = Q R``
    (``Q`` orthonormal when ``L0`` has more rows than ``U`` has columns)
    every iterate is ``L0 (I - U U^T) + Q R_k U^T``: the problem in ``R`` on
    the data ``X U`` has the same losses, the same inner products and so the
    same iterates, with ``rank x rank`` instead of ``n_components x
    n_features`` unknowns (high-dimensional sets with few points: faces).
    Points outside the span keep ``L0``'s action, as in the full problem.
    (Only L-BFGS-B's own gradient test, on the largest entry, is not
    rotation-invariant: it can stop the two runs at different iterations.)
    """

    def __init__(self, X, L0, U):
        self.U = U
        self.X = X @ U
        L0U = L0 @ U
        self.base = L0 - L0U @ U.T
        if L0U.shape[0] > L0U.shape[1]:
            self.Q, self.L0 = np.linalg.qr(L0U)
        else:
            self.Q, self.L0 = None, L0U

    def lift(self, R):
        """Full components ``L0 (I - U U^T) + Q R U^T`` of reduced ones ``R``."""
        left = R if self.Q is None else self.Q @ R
        return self.base + left @ self.U.T


class LMNN(MetricLearnerMixin):
    """Large Margin Nearest Neighbour metric learning.

    Learns ``L`` (``M = L.T @ L``) so that each point's ``n_neighbors`` target
    neighbours (nearest points of its class) are pulled close while points of
    other classes are pushed at least one unit of squared distance further
    away (Weinberger & Saul, JMLR 2009). With ``D_M(a, b) = (a - b)^T M (a - b)``
    it minimises

        (1 - mu) sum_{i, j~>i} D_M(x_i, x_j)
        + mu sum_{i, j~>i} sum_{l: y_l != y_i} [1 + D_M(x_i, x_j) - D_M(x_i, x_l)]_+

    Parameters
    ----------
    n_neighbors : int, default=3
        Number of target neighbours of each point. A class with
        ``n_neighbors`` points or fewer gets its other points as targets (with
        a warning).

    mu : float, default=0.5
        Weight of the push (impostor) term, in [0, 1]; the pull term gets
        ``1 - mu``.

    n_components : int, default=None
        Rows of ``L`` (dimension of the learned space); ``None`` keeps
        ``n_features``. A smaller value needs ``solver="lbfgs"``.

    init : {"auto", "identity", "pca", "lda", "covariance", "random"} or \
            ndarray of shape (n_components, n_features), default="auto"
        Initial ``L``; ``"auto"`` follows scikit-learn's NCA (``"lda"``,
        ``"pca"`` or ``"identity"`` by ``n_components``).

    solver : {"auto", "sdp", "lbfgs"}, default="auto"
        ``"sdp"`` solves the convex problem in ``M`` exactly with cvxpy, over an
        active set of triplets grown until no other triplet is violated.
        ``"lbfgs"`` minimises the loss in ``L`` with L-BFGS-B, with a hinge
        smoothed on a width of 0.05 and impostors searched in blocks; it
        scales to tens of thousands of points. With fewer samples than
        features it runs on the span of the training points (the same
        iterates with ``rank x rank`` unknowns instead of ``n_components x
        n_features``). ``"auto"`` picks ``"sdp"`` for
        at most 200 samples and 6 features (and no ``n_components``), else
        ``"lbfgs"``; if the SDP solver fails there, ``"auto"`` warns and
        falls back to ``"lbfgs"``.

    max_iter : int, default=1000
        L-BFGS iterations (``"lbfgs"``), or active-set rounds (``"sdp"``), per pass.

    tol : float, default=1e-5
        Convergence tolerance of the gradient solver: it stops when an
        iteration lowers the loss by less than ``tol`` times the loss (or
        times a thousandth of the initial loss, once the loss is below that),
        or when the largest entry of the gradient of the loss per target pair
        is below ``tol``.

    n_passes : int, default=1
        Passes of the multi-pass variant: each pass after the first recomputes
        the target neighbours in the learned metric and starts from its ``L``.

    max_impostors : int, default=500000
        Most impostor pairs the gradient solver keeps; beyond it only the most
        violating are used (with a warning) and the loss is an approximation.

    sdp_solver : str, default=None
        cvxpy solver of ``"sdp"``: ``None`` is Clarabel for small problems
        and SCS beyond.

    solver_options : dict, default=None
        Keyword arguments for the cvxpy solver.

    verbose : int, default=0
        Print progress to stdout.

    callback : callable, default=None
        Called after each L-BFGS iteration as ``callback(components, n_iter)``.

    warm_start : bool, default=False
        Start from the ``components_`` of a previous fit.

    random_state : int, RandomState instance or None, default=None
        Seed of ``init="random"`` and of the PCA of ``init="pca"``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``L``.

    n_iter_ : int
        Iterations (``"lbfgs"``) or active-set rounds (``"sdp"``), all passes.

    loss_ : float
        The objective above (exact hinge) at ``components_``.

    solver_ : str
        The solver used.

    classes_ : ndarray of shape (n_classes,)
        Class labels seen in fit.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn.neighbors.NeighborhoodComponentsAnalysis : Another supervised metric.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import KNNClassifier, LMNN
    >>> X, y = load_iris(return_X_y=True)
    >>> lmnn = LMNN(n_neighbors=3, solver="lbfgs").fit(X, y)
    >>> lmnn.components_.shape
    (4, 4)
    >>> KNNClassifier(3, metric_learner=LMNN()).fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "mu": [Interval(Real, 0, 1, closed="both")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "init": [StrOptions(INIT_OPTIONS), np.ndarray],
        "solver": [StrOptions({"auto", "sdp", "lbfgs"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_passes": [Interval(Integral, 1, None, closed="left")],
        "max_impostors": [Interval(Integral, 1, None, closed="left")],
        "sdp_solver": [str, None],
        "solver_options": [dict, None],
        "verbose": ["verbose"],
        "callback": [callable, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_neighbors=3,
        *,
        mu=0.5,
        n_components=None,
        init="auto",
        solver="auto",
        max_iter=1000,
        tol=1e-5,
        n_passes=1,
        max_impostors=500_000,
        sdp_solver=None,
        solver_options=None,
        verbose=0,
        callback=None,
        warm_start=False,
        random_state=None,
    ):
        self.n_neighbors = n_neighbors
        self.mu = mu
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_passes = n_passes
        self.max_impostors = max_impostors
        self.sdp_solver = sdp_solver
        self.solver_options = solver_options
        self.verbose = verbose
        self.callback = callback
        self.warm_start = warm_start
        self.random_state = random_state

    def _choose_solver(self, n_samples, n_features, n_components):
        if self.solver == "sdp":
            if n_components < n_features:
                raise ValueError(
                    f"n_components={n_components} < n_features={n_features} needs "
                    "solver='lbfgs': a rank constraint on M is not convex, so the SDP "
                    "cannot express it."
                )
            return "sdp"
        if self.solver == "lbfgs":
            return "lbfgs"
        small = n_samples <= _AUTO_SDP_MAX_SAMPLES and n_features <= _AUTO_SDP_MAX_FEATURES
        return "sdp" if small and n_components == n_features else "lbfgs"

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the metric from labelled data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LMNN
            The fitted learner.
        """
        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        X = X.astype(np.float64, copy=False)
        n_samples, n_features = X.shape
        if np.bincount(y_enc).max() < 2:
            raise ValueError(
                "LMNN needs a class with at least 2 samples to find target neighbours; "
                "every class has a single sample."
            )
        n_components = self._check_n_components(n_features)
        solver = self._choose_solver(n_samples, n_features, n_components)
        L = starting_components(self, X, y_enc, n_components)
        if solver == "sdp":
            choose_sdp_solver(self.sdp_solver, 0)  # a bad name fails before any work

        n_iter = 0
        for n_pass in range(self.n_passes):
            space = X if n_pass == 0 else X @ L.T
            targets = find_target_neighbors(space, y_enc, self.n_neighbors)
            if solver == "sdp":
                try:
                    L, iters = self._solve_sdp(X, y_enc, targets, L)
                except SolverFailedError as exc:
                    if self.solver != "auto":
                        raise
                    warnings.warn(
                        f"{exc} solver='auto' falls back to solver='lbfgs'.", ConvergenceWarning
                    )
                    solver = "lbfgs"
            if solver == "lbfgs":
                L, iters = self._solve_lbfgs(X, y_enc, targets, L, n_iter)
            n_iter += iters

        if not np.all(np.isfinite(L)):
            raise ValueError(
                f"The {solver} solver produced non-finite components; try standardising X "
                "or another init."
            )
        self.components_ = L
        self.n_iter_ = n_iter
        self.solver_ = solver
        self.classes_ = classes
        self.loss_ = lmnn_loss(L, X, y_enc, targets, self.mu)
        return self

    # -- solver="lbfgs" -------------------------------------------------------------

    def _solve_lbfgs(self, X, y, targets, L, n_iter_before):
        U = _row_span(X)
        if U is None or U.shape[1] == X.shape[1]:
            return self._solve_lbfgs_in(X, y, targets, L, n_iter_before, lift=None)
        reduced = _ReducedProblem(X, L, U)
        R, n_iter = self._solve_lbfgs_in(
            reduced.X, y, targets, reduced.L0, n_iter_before, lift=reduced.lift
        )
        return reduced.lift(R), n_iter

    def _solve_lbfgs_in(self, X, y, targets, L, n_iter_before, lift):
        """L-BFGS from ``L`` on ``X``; ``lift`` maps iterates to components_ for the callback."""
        objective = _GradientObjective(X, y, targets, self.mu, L.shape[0], self.max_impostors)
        n_iter = 0
        start = time.perf_counter()

        last_time = time.perf_counter()
        if self.verbose:
            header = f"{'Iteration':>10} {'Objective Value':>20} {'Active triplets':>16} {'Candidates':>11} {'Time(s)':>10}"
            print(f"[LMNN]\n[LMNN] {header}\n[LMNN] {'-' * len(header)}", file=sys.stdout)

        previous_loss = None

        def on_iteration(xk):
            nonlocal n_iter, last_time, previous_loss
            n_iter += 1
            if self.verbose:
                now = time.perf_counter()
                print(
                    f"[LMNN] {n_iter_before + n_iter:>10} {objective.last_loss / objective.scale:>20.6e} "
                    f"{objective.last_active:>16} {objective.imp_rows.size:>11} "
                    f"{now - last_time:>10.2f}",
                    file=sys.stdout,
                )
                last_time = now
            if self.callback is not None:
                components = xk.reshape(L.shape)
                if lift is not None:
                    components = lift(components)
                self.callback(components, n_iter_before + n_iter)
            # Stop when the loss falls by less than tol relative to itself (or to
            # a thousandth of the first loss, once the loss is smaller than that).
            loss = objective.last_loss
            objective.last_rose = previous_loss is not None and loss > previous_loss
            if previous_loss is not None:
                floor = 1e-3 * objective.first_loss
                # (A rise comes from new impostor candidates: not a sign of convergence.)
                if 0 <= previous_loss - loss <= self.tol * max(abs(loss), floor):
                    previous_loss = None
                    raise StopIteration
            previous_loss = loss

        work = float(X.shape[0]) * X.shape[1] * L.shape[0]
        n_threads = 1 if work <= _SINGLE_THREAD_MAX_WORK else None
        with threadpool_limits(limits=n_threads, user_api="blas"):
            result, L, converged = self._run_lbfgs(objective, L, on_iteration, lambda: n_iter)
        if objective.capped:
            warnings.warn(
                f"More than max_impostors={self.max_impostors} impostor pairs: only the most "
                "violating were used, so the loss is an approximation. Raise max_impostors "
                "for the exact loss.",
                UserWarning,
            )
        if not converged:
            warnings.warn(
                f"LMNN (lbfgs) stopped after max_iter={self.max_iter} iterations without "
                "converging; increase max_iter or tol.",
                ConvergenceWarning,
            )
        if self.verbose:
            print(
                f"[LMNN] lbfgs: {n_iter} iterations in {time.perf_counter() - start:.2f} s, "
                f"{objective.n_refresh} impostor searches, {result.message}",
                file=sys.stdout,
            )
        return L, n_iter

    def _run_lbfgs(self, objective, L, on_iteration, iterations_done):
        """L-BFGS-B from ``L`` until the loss over every impostor is stationary.

        Between full searches the candidates are checked by a bound and, when
        it fails, on a sample of points, so a few missing impostors can go
        unseen; when L-BFGS converges, a full search checks the candidates
        and, if it finds an impostor they missed, the run goes on with it.
        """
        while True:
            budget = self.max_iter - iterations_done()
            iterations = iterations_done()
            result, L, stalled = self._lbfgs_epoch(
                objective, L, on_iteration, iterations_done, budget
            )
            # A line search that fails without moving L ends at a kink: nothing to gain.
            # status 99: on_iteration saw the loss stop falling.
            converged = result.status in (0, 99) or stalled
            if converged and objective.last_rose and iterations_done() > iterations:
                # The run stopped on a loss that rose with new impostor candidates
                # (L-BFGS-B reads that as no progress): run again on the new set.
                converged = False
            elif converged:
                converged = objective.refresh_complete(L)
            if converged or iterations_done() >= self.max_iter:
                break
        return result, L, converged

    def _lbfgs_epoch(self, objective, L, on_iteration, iterations_done, budget):
        """Up to ``budget`` L-BFGS-B iterations, restarted after failed line searches."""
        stop = iterations_done() + budget
        for _ in range(_MAX_RESTARTS + 1):
            result = minimize(
                objective,
                L.ravel(),
                method="L-BFGS-B",
                jac=True,
                callback=on_iteration,
                # The relative decrease is checked in on_iteration: scipy's ftol
                # is absolute for losses below 1.
                options={
                    "maxiter": max(1, stop - iterations_done()),
                    "gtol": self.tol,
                    "ftol": 0.0,
                },
            )
            moved = not np.array_equal(result.x, L.ravel())
            L = result.x.reshape(L.shape)
            # A line search can fail at the hinge's kinks (status 2): restarting
            # from there with a fresh curvature memory usually goes on.
            if result.status != 2 or not moved or iterations_done() >= stop:
                break
        return result, L, result.status == 2 and not moved

    # -- solver="sdp" ---------------------------------------------------------------

    def _solve_sdp(self, X, y, targets, L):
        # The problem in M for X equals the problem in s^2 M for X / s (same
        # objective values): solving it for data of unit target distances
        # keeps the SDP well scaled whatever the units of X.
        rows, cols, _ = _target_pairs(targets)
        scale = np.sqrt(np.mean(squared_distances_rows(X, rows, cols))) if rows.size else 0.0
        if not np.isfinite(scale) or scale <= 0:
            scale = 1.0
        # The initial L only picks the first active set: it is also rescaled, to
        # unit mean squared target distance, so the set is the same in any unit.
        X_scaled = X / scale
        start = (
            np.sqrt(np.mean(squared_distances_rows(X_scaled @ L.T, rows, cols)))
            if rows.size
            else 0.0
        )
        L_start = L / start if np.isfinite(start) and start > 0 else L
        L_scaled, n_rounds = self._solve_sdp_scaled(X_scaled, y, targets, L_start)
        return L_scaled / scale, n_rounds

    def _solve_sdp_scaled(self, X, y, targets, L):
        rows, cols, valid = _target_pairs(targets)
        n_samples, k = targets.shape
        target_diffs = X[rows] - X[cols]
        pull = target_diffs.T @ target_diffs
        slot_of = np.full(targets.shape, -1, dtype=np.intp)
        slot_of[valid] = np.arange(rows.size)  # grid position -> target pair index

        active_keys = np.empty(0, dtype=np.int64)
        active = np.empty((0, 2), dtype=np.intp)  # (target pair index, impostor)
        n_rounds = 0
        converged = False
        while n_rounds < self.max_iter:
            Z = X @ L.T
            grid = _target_distance_grid(Z, targets, valid, rows, cols)
            # The first round also takes nearly violated triplets, so that the
            # first solution is not driven towards M = 0 by a too small set.
            # (widened until it holds some triplet, if any exists).
            widen = 1.5**2 if n_rounds == 0 else 1.0
            while True:
                imp_rows, imp_cols, _ = find_impostors(Z, y, widen * _margin_radii(grid))
                d_imp = squared_distances_rows(Z, imp_rows, imp_cols)
                margins = widen * (1 + grid[imp_rows]) - d_imp[:, None]
                which, slot = np.nonzero(margins > _MARGIN_TOL)
                if n_rounds > 0 or which.size or widen > 1e6:
                    break
                widen *= 16
            pair_index = slot_of[imp_rows[which], slot]
            impostor = imp_cols[which]
            keys = pair_index.astype(np.int64) * n_samples + impostor
            new = ~np.isin(keys, active_keys)
            if n_rounds > 0 and not np.any(new):
                converged = True
                break
            active_keys = np.concatenate([active_keys, keys[new]])
            active = np.vstack([active, np.column_stack([pair_index[new], impostor[new]])])
            if active.shape[0] > _SDP_MAX_TRIPLETS:
                raise SolverFailedError(
                    f"The SDP active set grew past {_SDP_MAX_TRIPLETS} triplets; this problem "
                    "is too large for solver='sdp'. Use solver='lbfgs'."
                )
            n_rounds += 1
            M = self._solve_sdp_round(X, rows, target_diffs, pull, active)
            L = components_from_psd(M)
            if self.verbose:
                print(
                    f"[LMNN] sdp round {n_rounds}: {active.shape[0]} active triplets",
                    file=sys.stdout,
                )
        if not converged:
            warnings.warn(
                f"LMNN (sdp) stopped after max_iter={self.max_iter} active-set rounds with "
                "violated triplets left; increase max_iter.",
                ConvergenceWarning,
            )
        return L, n_rounds

    def _solve_sdp_round(self, X, rows, target_diffs, pull, active):
        d_ij = target_diffs[active[:, 0]]
        d_il = X[rows[active[:, 0]]] - X[active[:, 1]]
        A = np.einsum("ti,tj->tij", d_ij, d_ij) - np.einsum("ti,tj->tij", d_il, d_il)
        n_features = X.shape[1]
        problem, M = lmnn_sdp_problem(pull, A.reshape(A.shape[0], n_features**2), self.mu)
        n_variables = n_features * (n_features + 1) // 2 + A.shape[0]
        solver = choose_sdp_solver(self.sdp_solver, n_variables)
        solve(
            problem,
            solver,
            self.solver_options,
            what="the LMNN semidefinite program",
            fallback="solver='lbfgs'",
        )
        if M.value is None:
            raise ValueError(f"The {solver} solver returned no value for M.")
        return project_psd(M.value)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
