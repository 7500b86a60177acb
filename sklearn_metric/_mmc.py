"""Mahalanobis Metric for Clustering (Xing, Ng, Jordan & Russell, NIPS 2002)."""

import sys
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ._compat import Interval, StrOptions, fit_context
from ._constraints import squared_distances_rows
from ._linalg import (
    components_from_psd,
    pair_outer_sum,
    project_psd,
    project_psd_factored,
    rank_tolerance,
    row_span,
    spans_everything,
)
from ._optim import warn_not_converged
from ._sampling import pairs_from_labels
from ._sdp import SolverFailedError, choose_sdp_solver, mmc_problem, solve_for_value
from ._span import SpanSplit, wide_span
from ._tuples import Tuples
from ._warn import warn
from .base import MetricLearnerMixin, validate_labelled_data, validate_pairs

__all__ = ["MMC", "mmc_objective"]

# solver="auto" uses the SDP up to these sizes; beyond them the projected gradient
# reaches the same optimum (to ~1e-6) faster (segment, 19 features: 4.3 s by the SDP).
_AUTO_SDP_MAX_FEATURES = 5
_AUTO_SDP_MAX_PAIRS = 500


def mmc_objective(M, similar, dissimilar):
    """Xing et al.'s objective at ``M``, scale-normalised.

    Parameters
    ----------
    M : ndarray of shape (n_features, n_features) or (n_features,)
        Full or diagonal Mahalanobis matrix.
    similar, dissimilar : ndarray of shape (n_pairs, n_features)
        Differences ``a - b`` of the similar and dissimilar pairs.

    Returns
    -------
    value : float
        ``sum_D sqrt(D_M) / sqrt(sum_S D_M)``: the objective
        ``sum_D sqrt(D_M)`` at ``M`` rescaled onto the constraint
        ``sum_S D_M = 1`` (where the optimum lies).
    """
    g = _squared(M, similar).sum()
    return float(np.sqrt(_squared(M, dissimilar)).sum() / np.sqrt(g)) if g > 0 else np.inf


def _squared(M, diffs):
    if isinstance(diffs, (_PairSet, _Squares)):
        return diffs.squared(M)
    if M.ndim == 1:
        return (diffs * diffs) @ M
    return np.einsum("ij,ij->i", diffs @ M, diffs)


class _Gram:
    """The points' Gram matrices ``P M P^T`` under the last two ``M`` seen, shared by
    the pair sets over the same points (an objective, its normalisation and the
    next gradient then cost one product of the points, not five), and the factors
    ``F`` (``M = F^T F``, few rows) of the last two low-rank ``M``."""

    def __init__(self, points):
        self.points = points
        self._recent = []  # [(M, G)]: M kept referenced, so identity is meaningful
        self._factors = []  # [(M, F)]

    def of(self, M):
        for seen, G in self._recent:
            if seen is M:
                return G
        return self._remember(M, (self.points @ M) @ self.points.T)

    def factor_of(self, M):
        """The recorded ``F`` with ``M = F^T F``, or ``None``."""
        for seen, F in self._factors:
            if seen is M:
                return F
        return None

    def factored(self, M, F, gram=True):
        """Record ``M = F^T F`` (``F`` with few rows: ``P M P^T`` is then cheap, and
        computed now if ``gram``)."""
        self._factors = [(M, F), *self._factors[:1]]
        if gram:
            projected = self.points @ F.T
            self._remember(M, projected @ projected.T)

    def scaled(self, M, scaled_M, factor):
        """Record ``scaled_M = factor * M`` (if ``M``'s Gram matrix or factor is at hand)."""
        for seen, G in self._recent:
            if seen is M:
                self._remember(scaled_M, factor * G)
                break
        F = self.factor_of(M)
        if F is not None:
            self.factored(scaled_M, np.sqrt(factor) * F, gram=False)

    def _remember(self, M, G):
        self._recent = [(M, G), *self._recent[:1]]
        return G


class _Squares:
    """Pair differences as their squares, which is all a diagonal ``M`` needs
    (``D_M = squares @ M``, gradients ``squares^T w``): formed once, not at each
    evaluation (Yale B, 28880 pairs in 1024 features: 92 ms per evaluation before).
    The differences given are squared in place."""

    def __init__(self, diffs):
        self.squares = np.square(diffs, out=diffs)

    def squared(self, M):
        return self.squares @ M


class _PairSet:
    """Pairs as ``(points, index)``: their squared distances under ``M`` and their
    weighted scatter ``sum_k w_k d_k d_k^T``, by whichever is cheaper of the
    differences (O(n_pairs k^2)) and the points' Gram matrix (O(n_points k (n_points +
    k)), when many pairs share few points; ``gram`` shares it between sets).
    ``points`` are centred (MMC centres them first: the scatter relies on it)."""

    def __init__(self, points, index, gram=None):
        self.points, self.index = points, index
        n_points, k = points.shape
        self.by_points = n_points * (n_points + k) < index.shape[0] * k
        self.gram = _Gram(points) if gram is None else gram
        self._diffs = None

    def diffs(self):
        if self._diffs is None:
            self._diffs = self.points[self.index[:, 0]] - self.points[self.index[:, 1]]
        return self._diffs

    def squared(self, M):
        if M.ndim == 1:
            return _squared(M, self.diffs())
        if not self.by_points:
            F = self.gram.factor_of(M)
            if F is None:
                return _squared(M, self.diffs())
            projected = self.diffs() @ F.T  # O(n_pairs k rank), not k^2
            return np.einsum("ij,ij->i", projected, projected)
        G = self.gram.of(M)
        a, b = self.index[:, 0], self.index[:, 1]
        return G[a, a] + G[b, b] - 2 * G[a, b]

    def spanning_differences(self):
        """Differences of points that span the same space as the pairs' differences,
        one per point beyond the first of each connected part of the pair graph
        (``x_i - x_root``): at most ``n_points`` rows, however many pairs."""
        n = self.points.shape[0]
        a, b = self.index[:, 0], self.index[:, 1]
        graph = sparse.coo_array((np.ones(a.size), (a, b)), shape=(n, n))
        _, part = connected_components(graph, directed=False)
        used = np.flatnonzero(np.bincount(a, minlength=n) + np.bincount(b, minlength=n))
        root = np.empty(part.max() + 1, dtype=np.intp)
        root[part[used[::-1]]] = used[::-1]  # the first used point of each part
        members = used[used != root[part[used]]]
        return self.points[members] - self.points[root[part[members]]]

    def squared_norm(self, basis=None):
        """``sum_k ||d_k||^2``, or of the parts of the ``d_k`` off ``basis``'s span."""
        points = self.points
        if basis is not None:
            points = points - (points @ basis) @ basis.T
        return float(squared_distances_rows(points, self.index[:, 0], self.index[:, 1]).sum())

    def scatter(self, weights):
        if not self.by_points:
            d = self.diffs()
            return d.T @ (d * weights[:, None])
        a, b = self.index[:, 0], self.index[:, 1]
        return pair_outer_sum(self.points, self.points, a, b, weights, centred=True)


def _gradient(M, similar, dissimilar, grad_g=None):
    """Gradient of ``h(M) = f(M) / sqrt(g(M))`` (f: dissimilar sum, g: similar sum).

    ``similar`` and ``dissimilar`` are difference arrays or :class:`_PairSet`; for a
    full ``M``, ``grad_g`` (the similar pairs' scatter, constant) may be given.
    """
    q = np.maximum(_squared(M, dissimilar), 0)
    f = np.sqrt(q).sum()
    g = _squared(M, similar).sum()
    # d sqrt(q) / dq is infinite at q = 0 (a dissimilar pair that differs only where
    # M is zero): a finite weight there (at most 100 times the typical one) keeps the
    # step search from collapsing while pulling M towards separating that pair.
    weights = 0.5 / np.sqrt(np.maximum(q, 1e-4 * max(float(q.mean()), 1e-300)))
    if isinstance(dissimilar, _PairSet) and M.ndim == 2:
        grad_f = dissimilar.scatter(weights)
        if grad_g is None:
            grad_g = similar.scatter(np.ones(similar.index.shape[0]))
    elif M.ndim == 1:
        grad_f = _squares_of(dissimilar).T @ weights
        if grad_g is None:
            grad_g = _squares_of(similar).sum(axis=0)
    else:
        dissimilar, similar = _as_diffs(dissimilar), _as_diffs(similar)
        grad_f = dissimilar.T @ (dissimilar * weights[:, None])
        grad_g = similar.T @ similar if grad_g is None else grad_g
    return grad_f / np.sqrt(g) - f * grad_g / (2 * g**1.5)


def _project_psd_keeping_factor(M, similar, expected_rank=None):
    """``M``'s projection onto the PSD cone and its rank. When the factor ``F``
    (``F^T F`` over the positive eigenpairs) has few rows, it is recorded for the
    pair sets: squared distances then cost O(n_pairs k rank), or the points' Gram
    matrix comes from ``F``. MMC's iterates often have low rank (4 of 1024 at the end
    on Yale B, 3 of 172 on isolet), and ``expected_rank``, the last iterate's, lets
    the eigensolver compute only the few positive pairs."""
    projected, F, rank = project_psd_factored(M, expected_rank)
    if F is not None and isinstance(similar, _PairSet) and F.shape[0] < F.shape[1] // 2:
        similar.gram.factored(projected, F, gram=similar.by_points)
    return projected, rank


# Sufficient increase asked of a step, relative to the first-order prediction.
_ARMIJO = 1e-4


def _spectral_step(s, y, step):
    """Barzilai and Borwein's step ``<s, s> / <s, y>`` from the last move ``s`` and
    the gradient's change ``y`` (its decrease: the objective is maximised), kept
    within a factor 1e3 of the classic ``step``; ``1.5 * step`` where the
    curvature seen along ``s`` is not positive (``<s, y> <= 0``)."""
    sy = float(np.vdot(s, y))
    if not sy > 0:
        return 1.5 * step
    return float(np.clip(np.vdot(s, s) / sy, step * 1e-3, step * 1e3))


def _squares_of(pairs):
    if isinstance(pairs, _Squares):
        return pairs.squares
    diffs = _as_diffs(pairs)
    return diffs * diffs


def _as_diffs(pairs):
    return pairs.diffs() if isinstance(pairs, _PairSet) else pairs


def _bounded_subspace(similar, dissimilar, diagonal):
    """Where the problem has an optimum: ``None`` (everywhere), or the basis to solve in.

    The objective grows without bound along any direction in which no similar
    pair has extent but some dissimilar pair has (for ``diagonal``: any such
    feature). Such directions are left out of ``M`` (weight zero) with a warning.
    ``similar`` and ``dissimilar`` are difference arrays for ``diagonal``, else
    :class:`_PairSet`.
    Returns an orthonormal basis of shape (n_features, k), or for ``diagonal`` a
    boolean mask of the features kept.
    """
    if diagonal:
        extent = np.linalg.norm(similar, axis=0)
        free = extent <= rank_tolerance(similar.shape) * extent.max()
        if not np.any(dissimilar[:, free] != 0):
            return None
        kept, dropped = ~free, int(free.sum())
    else:
        # The span of the similar pairs (thin SVD of one difference per point: no
        # n_features^2 null-space basis, no n_pairs rows), unless they surely span all.
        spanning = similar.spanning_differences()
        if spans_everything(spanning):
            return None
        kept = row_span(spanning)
        dropped = similar.points.shape[1] - kept.shape[1]
        if not dropped or dissimilar.squared_norm(kept) <= 1e-16 * dissimilar.squared_norm():
            return None
    warn(
        f"The MMC problem is unbounded along {dropped} direction(s) where no similar pair "
        "has extent but dissimilar pairs do; M is learned without them (weight zero "
        "there). Similar pairs spanning every feature avoid this.",
        UserWarning,
    )
    return kept


def _normalise(M, similar):
    g = _squared(M, similar).sum()
    if not g > 1e-300:
        raise ValueError(
            "The MMC problem is unbounded: the similar pairs have no extent along some "
            "direction where dissimilar pairs do. Add similar pairs or use diagonal=True."
        )
    normalised = M / g
    if isinstance(similar, _PairSet):
        similar.gram.scaled(M, normalised, 1 / g)
    return normalised


class MMC(MetricLearnerMixin):
    """Mahalanobis Metric for Clustering (Xing et al., 2002).

    Maximises ``sum_{dissimilar} sqrt(D_M(a, b))`` subject to
    ``sum_{similar} D_M(a, b) <= 1`` and ``M`` positive semidefinite (or
    diagonal and non-negative with ``diagonal=True``). The problem is convex
    (a concave objective); the constraint is tight at the optimum.

    ``fit(X, y)`` draws ``n_constraints`` distinct similar and as many dissimilar pairs
    from class labels; ``fit_pairs(pairs, y)`` takes explicit pairs with ``y``
    in {+1 similar, -1 dissimilar}. Pairs of two identical points carry no
    information and are dropped.

    Note that the problem itself can favour a low-rank ``M`` that does not
    help k-NN classification or verification: it is solved as stated. On one
    fold of Yale faces (77 images in 64 PCA dimensions, 1960 pairs) this solver reaches
    the objective 965 with a rank-1 ``M`` (test ROC AUC 0.63), where
    metric-learn's MMC stops at 348 with rank 6 (AUC 0.73): its higher AUC
    comes from not reaching the optimum. Where that matters, compare with
    :class:`ITML` or :class:`LSML`, which stay close to a prior.

    Parameters
    ----------
    n_components : int, default=None
        Keep the ``n_components`` leading directions of the learned ``M``
        (its eigendecomposition truncated: the best rank-``n_components``
        approximation of ``M``). Approximate dimensionality reduction: the
        problem is solved at full rank, then truncated. ``None`` keeps all.

    diagonal : bool, default=False
        Learn a diagonal ``M`` (feature weights).

    solver : {"auto", "sdp", "projected_gradient"}, default="auto"
        ``"sdp"`` states the problem in cvxpy; ``"projected_gradient"`` is the
        scalable iterative solver: a gradient step on the scale-normalised
        objective, projection onto the PSD cone (or the non-negative orthant),
        and rescaling onto the constraint. Steps alternate between the
        classic one (grown 1.5 times after each success) and Barzilai and
        Borwein's (spectral: from the last move and the gradient's change),
        halved until the objective increases enough (Armijo). On Yale B this
        takes 61 iterations where the classic steps alone took 108, on usps
        133 where they took 162, and on segment it ends at 135.706 (the SDP's
        optimum: 135.708) in 473 where they were at 135.67 after max_iter=1000.
        ``"auto"`` uses the SDP up to 5 features and 500 pairs, and continues
        with the projected gradient if the SDP solver fails or ends inaccurate
        (``solver_`` says which ran).

    n_constraints : int, default=None
        Distinct pairs of each kind drawn by ``fit``; ``None`` means
        ``20 * n_classes**2``. Classes too small to hold that many similar
        pairs give all of them, and as many dissimilar ones.

    max_iter : int, default=5000
        Iterations of the projected gradient solver. Small, badly conditioned
        problems can need over a thousand cheap iterations to reach ``tol``
        (breast_cancer, standardised: up to about 1,500).

    tol : float, default=1e-8
        It stops when a classic step improves the objective by less than
        ``tol`` relative.

    sdp_solver : str, default=None
        cvxpy solver of ``"sdp"`` (``None``: Clarabel, SCS for large problems).

    solver_options : dict, default=None
        Keyword arguments for the cvxpy solver.

    verbose : int, default=0
        Print progress.

    random_state : int, RandomState instance or None, default=None
        Seed of the pair sampling.

    Attributes
    ----------
    components_ : ndarray of shape (n_features, n_features)
        ``L`` with ``L.T @ L = M``.

    objective_ : float
        ``sum_D sqrt(D_M)`` at the solution (where ``sum_S D_M = 1``).

    n_iter_ : int
        Iterations of the projected gradient solver (1 for the SDP).

    solver_ : str
        The solver used.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.ITML : A metric from pairs by Bregman projections.
    sklearn_metric.PairsClassifier : Same/different prediction on pairs with a threshold.

    References
    ----------
    E. P. Xing, A. Y. Ng, M. I. Jordan and S. Russell. Distance metric learning,
    with application to clustering with side-information. NIPS 15, 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import MMC
    >>> pairs = np.array([[[0.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [1.5, 2.0]],
    ...                   [[0.0, 0.0], [3.0, 0.0]], [[0.0, 1.0], [2.0, 1.0]]])
    >>> mmc = MMC(diagonal=True).fit_pairs(pairs, [1, 1, -1, -1])
    >>> np.round(np.diag(mmc.get_mahalanobis_matrix()), 3)  # only the first axis separates
    array([0.8, 0. ])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "diagonal": ["boolean"],
        "solver": [StrOptions({"auto", "sdp", "projected_gradient"})],
        "n_constraints": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "sdp_solver": [str, None],
        "solver_options": [dict, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        diagonal=False,
        solver="auto",
        n_constraints=None,
        max_iter=5000,
        tol=1e-8,
        sdp_solver=None,
        solver_options=None,
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.diagonal = diagonal
        self.solver = solver
        self.n_constraints = n_constraints
        self.max_iter = max_iter
        self.tol = tol
        self.sdp_solver = sdp_solver
        self.solver_options = solver_options
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
        self : MMC
            The fitted learner.
        """
        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        self._check_n_components(X.shape[1])
        self._check_sdp_solver()
        index_pairs, labels = pairs_from_labels(y_enc, self.n_constraints, self.random_state)
        return self._fit(Tuples(index_pairs, X).compact(), labels)

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
        self : MMC
            The fitted learner.
        """
        pairs, y = validate_pairs(self, pairs, y, preprocessor=preprocessor)
        self._check_n_components(pairs.n_features)
        self._check_sdp_solver()
        return self._fit(pairs.compact(), y)

    def _check_sdp_solver(self):
        """A bad ``sdp_solver`` name fails before any work."""
        if self.solver != "projected_gradient":
            choose_sdp_solver(self.sdp_solver, 0)

    def _fit(self, pairs, y):
        n_features = pairs.n_features
        points = pairs.points.astype(np.float64)
        # Only differences of points matter: centred, they keep more digits.
        points -= points.mean(axis=0)
        # Wide data: the pairs are differences of points, which lie on the span of the
        # centred points; the (rotation-invariant) full-matrix problem is solved in its
        # coordinates and lifted. The diagonal problem depends on the axes: in full.
        U = None if self.diagonal else wide_span(points)
        if U is not None:
            points = points @ U
        informative = Tuples(pairs.indices, points).distinct()
        for label, kind in ((1, "similar"), (-1, "dissimilar")):
            mine = y == label
            if np.any(mine) and not np.any(mine & informative):
                warn(
                    f"All {mine.sum()} {kind} pairs join two identical points and carry no "
                    "information; they are dropped.",
                    UserWarning,
                )
        similar_index = pairs.indices[(y == 1) & informative]
        dissimilar_index = pairs.indices[(y == -1) & informative]
        if similar_index.shape[0] == 0 or dissimilar_index.shape[0] == 0:
            raise ValueError(
                "MMC needs both similar (+1) and dissimilar (-1) pairs of distinct points; "
                f"got {similar_index.shape[0]} similar and {dissimilar_index.shape[0]} "
                "dissimilar."
            )
        if self.diagonal:
            similar = _PairSet(points, similar_index).diffs()
            dissimilar = _PairSet(points, dissimilar_index).diffs()
            subspace = _bounded_subspace(similar, dissimilar, True)
            if subspace is not None:
                similar, dissimilar = similar[:, subspace], dissimilar[:, subspace]
            sub_points = None
        else:
            similar = _PairSet(points, similar_index)
            dissimilar = _PairSet(points, dissimilar_index, similar.gram)
            subspace = _bounded_subspace(similar, dissimilar, False)
            sub_points = points if subspace is None else points @ subspace
            similar = _PairSet(sub_points, similar_index)
            dissimilar = _PairSet(sub_points, dissimilar_index, similar.gram)
        solver = self.solver
        if solver == "auto":
            small = n_features <= _AUTO_SDP_MAX_FEATURES and pairs.n_tuples <= _AUTO_SDP_MAX_PAIRS
            solver = "sdp" if small else "projected_gradient"
        # The problem is the same for pairs in any unit (M scales by 1 / s^2, and
        # _normalise below restores the constraint): solve it for similar pairs
        # of unit mean squared length, so that the solvers see well-scaled data.
        if self.diagonal:
            scale = np.sqrt(np.mean(np.sum(similar**2, axis=1)))
        else:
            scale = np.sqrt(similar.squared_norm() / similar_index.shape[0])
        if not (np.isfinite(scale) and scale > 0):
            scale = 1.0
        if self.diagonal:
            scaled = similar / scale, dissimilar / scale
        else:
            scaled_points = sub_points / scale
            scaled = _PairSet(scaled_points, similar_index)
            scaled = scaled, _PairSet(scaled_points, dissimilar_index, scaled.gram)
        if solver == "sdp":
            try:
                M, n_iter = self._solve_sdp(*map(_as_diffs, scaled)), 1
            except SolverFailedError as exc:
                if self.solver != "auto":
                    raise
                if self.verbose:  # auto: the projected gradient takes over (solver_)
                    print(f"[MMC] {exc} solver='auto' continues with 'projected_gradient'.")
                solver = "projected_gradient"
        if solver == "projected_gradient":
            M, n_iter = self._solve_projected_gradient(*scaled)
        n_components = self._check_n_components(n_features)
        n_rows = min(n_components, points.shape[1])
        if self.diagonal and subspace is not None:
            full = np.zeros(points.shape[1])
            full[subspace] = M
            M = full
            similar = _PairSet(points, similar_index).diffs()
            dissimilar = _PairSet(points, dissimilar_index).diffs()
        # On the similar pairs' span S (if not every direction): M = S M_S S^T, zero
        # off it, normalised, scored and decomposed there (no n_features^2 step).
        M = _normalise(M, similar)
        self.objective_ = float(np.sqrt(np.maximum(_squared(M, dissimilar), 0)).sum())
        if subspace is not None and not self.diagonal:
            components = SpanSplit(subspace, M, 0.0).components(n_rows)
        else:
            components = components_from_psd(np.diag(M) if M.ndim == 1 else M)[:n_rows]
        if U is not None:  # from the span's coordinates; rows past its rank are zero
            components = np.vstack([components, np.zeros((n_components - n_rows, U.shape[1]))])
            components = components @ U.T
        self.components_ = components
        self.n_iter_ = n_iter
        self.solver_ = solver
        return self

    def _solve_sdp(self, similar, dissimilar):
        problem, variable, n_variables = mmc_problem(similar, dissimilar, self.diagonal)
        value = solve_for_value(
            problem,
            variable,
            n_variables,
            self.sdp_solver,
            self.solver_options,
            what="the MMC problem",
            fallback="solver='projected_gradient'",
            strict=self.solver == "auto",  # auto: an inaccurate SDP goes to the gradient
        )
        return np.maximum(value, 0) if self.diagonal else project_psd(value)

    def _solve_projected_gradient(self, similar, dissimilar):
        n_features = (similar.points if isinstance(similar, _PairSet) else similar).shape[1]
        if self.diagonal:  # the differences are squared once (the caller's copies)
            similar, dissimilar = _Squares(similar), _Squares(dissimilar)
        M = np.ones(n_features) if self.diagonal else np.eye(n_features)
        M = _normalise(M, similar)
        value = mmc_objective(M, similar, dissimilar)
        grad_g = None  # the similar pairs' scatter (or its diagonal): constant
        if self.diagonal:
            grad_g = similar.squares.sum(axis=0)
        elif isinstance(similar, _PairSet):
            grad_g = similar.scatter(np.ones(similar.index.shape[0]))
        step = None  # the classic step: grown 1.5 times on success, halved on failure
        previous = None  # (M, gradient) of the last accepted iterate
        spectral_ok = True  # the spectral step made progress last time it was tried
        rank = n_features  # of the iterate M
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            grad = _gradient(M, similar, dissimilar, grad_g)
            if step is None:
                step = 0.1 * np.linalg.norm(M) / max(np.linalg.norm(grad), 1e-300)
            # Every other step is spectral: alone, they crawl where the classic ones
            # would not (usps: 292 iterations against 162), and vice versa.
            spectral = previous is not None and spectral_ok and n_iter % 2 == 0
            trial = step
            if spectral:
                trial = _spectral_step(M - previous[0], previous[1] - grad, step)
            while True:
                projected = M + trial * grad
                if self.diagonal:
                    projected = np.maximum(projected, 0)
                else:
                    projected, candidate_rank = _project_psd_keeping_factor(
                        projected, similar, rank
                    )
                # Armijo's sufficient increase along the projection arc.
                wanted = _ARMIJO * np.vdot(grad, projected - M)
                candidate = _normalise(projected, similar)
                new_value = mmc_objective(candidate, similar, dissimilar)
                if new_value >= value + wanted or trial < 1e-20:
                    break
                trial /= 2
            improvement = (new_value - value) / max(abs(value), 1e-300)
            previous = None
            if new_value >= value:
                previous = M, grad
                M, value = candidate, new_value
                if not self.diagonal:
                    rank = candidate_rank
                step = max(step, 1.5 * trial) if spectral else 1.5 * trial
            elif not spectral:
                step = trial
            stalled = 0 <= improvement < self.tol or trial < 1e-20
            if spectral:
                # A spectral step too short to progress: the next one is classic.
                spectral_ok, stalled = not stalled, False
            else:
                spectral_ok = True
            if self.verbose:
                print(
                    f"[MMC] iteration {n_iter:4d} objective {value:.8e} step {step:.3e}",
                    file=sys.stdout,
                )
            if stalled:
                converged = True
                break
        if not converged:
            warn_not_converged(type(self).__name__, "MMC (projected_gradient)", self.max_iter)
        return M, n_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
