"""Mahalanobis Metric for Clustering (Xing, Ng, Jordan & Russell, NIPS 2002)."""

from numbers import Integral, Real

import numpy as np

from .._core.base import MetricLearnerMixin, validate_labelled_data, validate_pairs
from .._core.compat import Interval, StrOptions, fit_context
from .._core.linalg import (
    components_from_psd,
    project_psd,
    rank_tolerance,
    row_span,
    spans_everything,
)
from .._core.sampling import pairs_from_labels
from .._core.sdp import SolverFailedError, choose_sdp_solver, mmc_problem, solve_for_value
from .._core.span import SpanSplit, wide_span
from .._core.tuples import Tuples
from .._core.warn import warn
from .solver import PairSet, as_diffs, mmc_objective, normalise, projected_gradient, squared

__all__ = ["MMC", "mmc_objective"]

# solver="auto" uses the SDP up to these sizes; beyond them the projected gradient
# reaches the same optimum (to ~1e-6) faster (segment, 19 features: 4.3 s by the SDP).
_AUTO_SDP_MAX_FEATURES = 5
_AUTO_SDP_MAX_PAIRS = 500


def _bounded_subspace(similar, dissimilar, diagonal):
    """Where the problem has an optimum: ``None`` (everywhere), or the basis to solve in.

    The objective grows without bound along any direction in which no similar
    pair has extent but some dissimilar pair has (for ``diagonal``: any such
    feature). Such directions are left out of ``M`` (weight zero) with a warning.
    ``similar`` and ``dissimilar`` are difference arrays for ``diagonal``, else
    :class:`PairSet`.
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
        return self._fit(pairs, y)

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
            similar = PairSet(points, similar_index).diffs()
            dissimilar = PairSet(points, dissimilar_index).diffs()
            subspace = _bounded_subspace(similar, dissimilar, True)
            if subspace is not None:
                similar, dissimilar = similar[:, subspace], dissimilar[:, subspace]
            sub_points = None
        else:
            similar = PairSet(points, similar_index)
            dissimilar = PairSet(points, dissimilar_index, similar.gram)
            subspace = _bounded_subspace(similar, dissimilar, False)
            sub_points = points if subspace is None else points @ subspace
            similar = PairSet(sub_points, similar_index)
            dissimilar = PairSet(sub_points, dissimilar_index, similar.gram)
        solver = self.solver
        if solver == "auto":
            small = n_features <= _AUTO_SDP_MAX_FEATURES and pairs.n_tuples <= _AUTO_SDP_MAX_PAIRS
            solver = "sdp" if small else "projected_gradient"
        # The problem is the same for pairs in any unit (M scales by 1 / s^2, and
        # normalise below restores the constraint): solve it for similar pairs
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
            scaled = PairSet(scaled_points, similar_index)
            scaled = scaled, PairSet(scaled_points, dissimilar_index, scaled.gram)
        if solver == "sdp":
            try:
                M, n_iter = self._solve_sdp(*map(as_diffs, scaled)), 1
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
            similar = PairSet(points, similar_index).diffs()
            dissimilar = PairSet(points, dissimilar_index).diffs()
        # On the similar pairs' span S (if not every direction): M = S M_S S^T, zero
        # off it, normalised, scored and decomposed there (no n_features^2 step).
        M = normalise(M, similar)
        self.objective_ = float(np.sqrt(np.maximum(squared(M, dissimilar), 0)).sum())
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
        return projected_gradient(
            similar,
            dissimilar,
            diagonal=self.diagonal,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            name=type(self).__name__,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
