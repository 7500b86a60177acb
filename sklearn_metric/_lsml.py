"""Least Squared-residual Metric Learning (Liu, Guo, Zhang, Jojic & Wang, ICDM 2012)."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.utils import check_random_state

from ._core.base import MetricLearnerMixin, validate_labelled_data
from ._core.compat import Interval, StrOptions, fit_context
from ._core.distances import squared_distances_rows
from ._core.init import on_span, prior_matrix, prior_split
from ._core.linalg import (
    components_from_psd,
)
from ._core.optim import LBFGS, Exit
from ._core.products import pair_outer_sum, times_upper_transposed, upper_of_product
from ._core.sampling import sample_quadruplets
from ._core.span import SpanSplit
from ._core.tuples import Tuples, validate_tuples

__all__ = ["LSML", "lsml_objective"]

# Distances below this are treated as this in the derivative of sqrt.
_TINY = 1e-12


def lsml_objective(
    L, near, far, M0_inv, regularization, points=None, *, triangular=False, centred=False
):
    """LSML's loss in ``L`` (``M = L^T L``) and its gradient.

    ``sum_q H(d(a, b) - d(c, d)) + regularization * (tr(M M0^-1) - log det M)``
    with ``d`` the learned (not squared) distance and ``H(r) = r^2`` for
    ``r > 0``, else 0: each quadruplet wants its near pair ``(a, b)`` closer
    than its far pair ``(c, d)``; the LogDet divergence keeps ``M`` near the
    prior ``M0`` and positive definite.

    Parameters
    ----------
    L : ndarray of shape (n_features, n_features)
        Square and invertible.
    near, far : ndarray of shape (n_quadruplets, n_features) or (n_quadruplets, 2)
        ``x_a - x_b`` and ``x_c - x_d``; with ``points``, the index pairs
        ``(a, b)`` and ``(c, d)`` into its rows.
    M0_inv : ndarray of shape (n_features, n_features) or None
        ``None`` stands for the identity (one product fewer).
    regularization : float
    points : ndarray of shape (n_points, n_features) or None, default=None
        The points, when ``near`` and ``far`` index them: many quadruplets
        over few points then cost O(n_points * n_features^2) per evaluation
        instead of O(n_quadruplets * n_features^2).
    triangular : bool, default=False
        ``L`` is upper triangular (``M``'s Cholesky factor) and the gradient
        is the one in its upper triangle: ``log det M`` is then the sum of
        ``log L_ii^2`` and its gradient ``2 / L_ii`` on the diagonal, with no
        factorisation or inverse of ``L``; its products skip the zero half.
    centred : bool, default=False
        ``points`` have column means of zero (saves centring them for the
        gradient's sum over pairs).

    Returns
    -------
    loss : float
    gradient : ndarray of shape (n_features, n_features)
    """
    if triangular:
        diagonal = np.abs(np.diag(L))
    else:  # one LU factorisation gives log|det L| and L^-T
        with warnings.catch_warnings():  # a singular L is an infinite loss, not a warning
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            lu, pivots = scipy.linalg.lu_factor(L, check_finite=False)
        diagonal = np.abs(np.diag(lu))
    if not np.all(diagonal > 0) or not np.all(np.isfinite(diagonal)):
        return np.inf, np.zeros_like(L)
    logdet = np.sum(np.log(diagonal))
    times_L_T = times_upper_transposed if triangular else (lambda X, L: X @ L.T)
    if points is None:
        Zn, Zf = times_L_T(near, L), times_L_T(far, L)
        d_near = np.sqrt(np.einsum("ij,ij->i", Zn, Zn))
        d_far = np.sqrt(np.einsum("ij,ij->i", Zf, Zf))
    else:
        Z = times_L_T(points, L)
        d_near = np.sqrt(squared_distances_rows(Z, near[:, 0], near[:, 1]))
        d_far = np.sqrt(squared_distances_rows(Z, far[:, 0], far[:, 1]))
    residual = np.maximum(d_near - d_far, 0)
    L_M0_inv = L if M0_inv is None else L @ M0_inv
    loss = residual @ residual + regularization * (np.sum(L_M0_inv * L) - 2 * logdet)
    # d d / d L = L v v^T / d, over the violated comparisons only; a pair of equal
    # points adds nothing (and must not: through the points it would add and take
    # away the same large terms).
    violated = residual > 0
    w_near = np.where(d_near > 0, residual / np.maximum(d_near, _TINY), 0.0)[violated]
    w_far = np.where(d_far > 0, residual / np.maximum(d_far, _TINY), 0.0)[violated]
    if points is None:
        product = upper_of_product if triangular else (lambda A, B: A.T @ B)
        grad = 2 * (
            product(Zn[violated] * w_near[:, None], near[violated])
            - product(Zf[violated] * w_far[:, None], far[violated])
        )
    else:
        pairs = np.concatenate([near[violated], far[violated]])
        weights = np.concatenate([w_near, -w_far])
        grad = 2 * pair_outer_sum(
            Z, points, pairs[:, 0], pairs[:, 1], weights, L=L, upper=triangular, centred=centred
        )
    if triangular:
        # Only the upper triangle of the gradient; that of L^-T (lower triangular) is
        # its diagonal, 1 / L_ii.
        grad += (2 * regularization) * (L if M0_inv is None else np.triu(L_M0_inv))
        grad[np.diag_indices_from(grad)] -= (2 * regularization) / np.diag(L)
    else:
        grad += (2 * regularization) * L_M0_inv
        eye = np.eye(L.shape[0])
        grad -= (2 * regularization) * scipy.linalg.lu_solve(
            (lu, pivots), eye, trans=1, check_finite=False
        )
    return float(loss), grad


def _by_points(quadruplets):
    """Whether LSML's evaluations are cheaper through the points than through the
    quadruplets' differences (3 products of n_points rows against 2 to 4 of n_quadruplets)."""
    return 3 * quadruplets.points.shape[0] + quadruplets.n_features < 2 * quadruplets.n_tuples


class LSML(MetricLearnerMixin):
    """Least Squared-residual Metric Learning (LSML), from relative comparisons.

    Each quadruplet ``(a, b, c, d)`` says ``d(a, b) < d(c, d)``. LSML minimises
    the squared residuals of the violated comparisons plus a LogDet
    divergence to a prior ``M0`` (Liu et al., 2012). Solved by L-BFGS in ``L``,
    ``M``'s upper triangular (Cholesky) factor: ``M = L^T L`` stays positive
    semidefinite at every step, the LogDet term keeps it definite, and
    ``log det M`` is read off ``L``'s diagonal, with no factorisation of ``L``.

    ``fit(X, y)`` draws ``n_constraints`` quadruplets from the labels (a
    same-class pair, then a pair of two classes); ``fit_quadruplets`` takes
    them explicitly.

    Parameters
    ----------
    prior : {"identity", "covariance", "random"} or ndarray of shape \
            (n_features, n_features), default="identity"
        ``M0``, as in :class:`ITML`; also the starting point.

    regularization : float, default=1.0
        Weight of the LogDet divergence to ``M0``.

    n_constraints : int or None, default=None
        Quadruplets drawn by ``fit(X, y)``; ``None`` means ``20 * n_classes**2``.

    n_components : int or None, default=None
        Keep the ``n_components`` directions of largest eigenvalue of ``M``.

    max_iter : int, default=1000
        Most L-BFGS iterations.

    tol : float, default=1e-3
        Convergence tolerance of L-BFGS (its ``gtol`` and ``ftol``).

    verbose : int, default=0
        Print the L-BFGS table.

    random_state : int, RandomState instance or None, default=None
        Seed of the quadruplet drawing and of ``prior="random"``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        ``L`` (or the truncation of ``M``'s eigendecomposition).

    prior_ : ndarray of shape (n_features, n_features)
        ``M0``.

    n_iter_ : int
        L-BFGS iterations (at least 1).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.SCML : A metric from triplets over a basis.
    sklearn_metric.QuadrupletClassifier : Scores the order of quadruplets.

    References
    ----------
    E. Y. Liu, Z. Guo, X. Zhang, V. Jojic and W. Wang. Metric learning from
    relative comparisons by minimizing squared residual. ICDM 2012.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import LSML
    >>> X, y = load_iris(return_X_y=True)
    >>> lsml = LSML(random_state=0).fit(X, y)
    >>> lsml.transform(X).shape
    (150, 4)
    """

    _parameter_constraints: dict = {
        "prior": [StrOptions({"identity", "covariance", "random"}), np.ndarray],
        "regularization": [Interval(Real, 0, None, closed="neither")],
        "n_constraints": [Interval(Integral, 1, None, closed="left"), None],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        prior="identity",
        regularization=1.0,
        n_constraints=None,
        n_components=None,
        max_iter=1000,
        tol=1e-3,
        verbose=0,
        random_state=None,
    ):
        self.prior = prior
        self.regularization = regularization
        self.n_constraints = n_constraints
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the metric from quadruplets drawn from class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LSML
            The fitted learner.
        """
        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        self._check_n_components(X.shape[1])
        X = X.astype(np.float64, copy=False)
        n = self.n_constraints or 20 * classes.size**2
        q = sample_quadruplets(y_enc, n, check_random_state(self.random_state))
        return self._fit(Tuples(q, X).compact())

    @fit_context(prefer_skip_nested_validation=True)
    def fit_quadruplets(self, quadruplets, *, preprocessor=None):
        """Learn the metric from quadruplets ``(a, b, c, d)`` meaning ``d(a, b) < d(c, d)``.

        Parameters
        ----------
        quadruplets : array-like of shape (n_quadruplets, 4, n_features) or \
                (n_quadruplets, 4)
            Points, or their indices into ``preprocessor``.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index quadruplets refer to.

        Returns
        -------
        self : LSML
            The fitted learner.
        """
        tuples = validate_tuples(self, quadruplets, 4, preprocessor)
        self._check_n_components(tuples.n_features)
        tuples = tuples.compact()
        return self._fit(tuples.mapped(tuples.points.astype(np.float64, copy=False)))

    def _fit(self, quadruplets):
        points, n_features = quadruplets.points, quadruplets.n_features
        n_components = self._check_n_components(n_features)
        # Wide data: gradients stay on the span of the points (see prior_split), and
        # the complement keeps the prior, where LogDet's gradient vanishes.
        split = prior_split(self.prior, points)
        solved = on_span(quadruplets, split)
        if _by_points(solved):
            # Distances depend on differences only: centred points keep more digits and
            # spare the gradient's sum over pairs centring them at each evaluation.
            on = solved.points - solved.points.mean(axis=0)
            near, far = solved.indices[:, :2], solved.indices[:, 2:]
        else:
            near, far, on = solved.differences(0, 1), solved.differences(2, 3), None
        if split is None:
            M0 = prior_matrix(self.prior, points, n_features, self.random_state)
        else:
            M0 = split.B
        M0_inv = np.linalg.inv(M0)
        M0_inv = (M0_inv + M0_inv.T) / 2
        if np.array_equal(M0_inv, np.eye(M0_inv.shape[0])):
            M0_inv = None
        # M = L^T L with L upper triangular (M's Cholesky factor): n (n + 1) / 2
        # unknowns, and log det M with its gradient read off L's diagonal.
        L0 = _upper_factor(M0)
        # The upper triangle as a mask: the same row-major order as triu_indices, and
        # four times faster to scatter and gather (1 ms against 4 at 1024 features).
        upper = np.triu(np.ones(L0.shape, dtype=bool))

        L = np.zeros_like(L0)  # the lower triangle stays zero

        def objective(flat):
            L[upper] = flat
            loss, grad = lsml_objective(
                L, near, far, M0_inv, self.regularization, on, triangular=True, centred=True
            )
            return loss, grad[upper]

        lbfgs = LBFGS(
            objective,
            (int(upper.sum()),),
            name=type(self).__name__,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            numpy_solver=False,  # no real gain on LSML (see optim.LARGE_PROBLEM)
        )
        result = lbfgs.run(L0[upper])
        if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
            raise ValueError("LSML produced a non-finite metric; try standardising X.")
        if result.exit is Exit.MAX_ITER:
            lbfgs.warn_not_converged("LSML", reason=result.message)
        lbfgs.report_training_time()
        L[upper] = result.x
        M = L.T @ L
        if split is None:
            self.components_ = components_from_psd(M)[:n_components]
            self.prior_ = M0
        else:
            self.components_ = SpanSplit(split.U, M, split.c).components(n_components)
            self.prior_ = prior_matrix(self.prior, points, n_features, self.random_state)
        # A start that is already stationary counts its one evaluation as an iteration.
        self.n_iter_ = max(1, lbfgs.n_iter)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _upper_factor(M):
    """An upper triangular ``R`` with ``R^T R = M`` and a non-negative diagonal, for
    PSD ``M`` (from the QR factorisation of a square root: also when ``M`` is
    singular, where Cholesky fails)."""
    R = np.linalg.qr(components_from_psd(M), mode="r")
    return np.where(np.diag(R) < 0, -1.0, 1.0)[:, None] * R
