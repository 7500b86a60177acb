"""Large Margin Nearest Neighbour (Weinberger & Saul, JMLR 2009): the estimator.

The solvers live beside it: :mod:`._lmnn_lbfgs` (L-BFGS in ``L`` over the
smoothed loss of :mod:`._lmnn_loss`, with the impostor candidates of
:mod:`._lmnn_impostors`) and :mod:`._lmnn_sdp` (the exact SDP in ``M``).
"""

import sys
from numbers import Integral, Real

import numpy as np

from .._core.base import MetricLearnerMixin, validate_labelled_data
from .._core.compat import Interval, StrOptions, fit_context
from .._core.constraints import find_target_neighbors
from .._core.init import INIT_OPTIONS, n_components_of, starting_components
from .._core.sdp import SolverFailedError, choose_sdp_solver
from .._core.tuples import validate_tuples
from .lbfgs import solve_lbfgs
from .loss import lmnn_loss
from .sdp import solve_sdp
from .triplets import solve_triplets_lbfgs, solve_triplets_sdp, triplet_loss

__all__ = ["LMNN"]

# solver="auto" uses the SDP only below these sizes (solved exactly in well under a second).
_AUTO_SDP_MAX_FEATURES = 6
_AUTO_SDP_MAX_SAMPLES = 200
# fit_triplets: solver="auto" uses the SDP up to this many triplets.
_AUTO_TRIPLETS = 2000


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
        smoothed on a width of 0.05 and impostors searched in blocks, again
        only when a sample of points finds more than 5% of its impostors
        missing (and once at the end); it scales to tens of thousands of
        points. With fewer samples than features it runs on the span of the
        training points (the same iterates with ``rank x rank`` unknowns
        instead of ``n_components x n_features``). ``"auto"`` picks ``"sdp"`` for
        at most 200 samples and 6 features (and no ``n_components``), else
        ``"lbfgs"``; if the SDP solver fails or ends inaccurate there,
        ``"auto"`` continues with ``"lbfgs"`` (``solver_`` says which ran).

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

    impostor_search : {"auto", "exact", "approximate"}, default="auto"
        How the gradient solver searches impostors in the current learned space:
        ``"exact"`` compares every pair of points (in blocks); ``"approximate"``
        looks among each point's nearest points in a faiss inverted file (the
        ``ann`` extra), searching exactly only the points with more of them inside
        their margin. Either way a rotating sample of points is checked exactly
        between searches and the solver ends with an exact search, so the
        returned ``components_`` and ``loss_`` are those of every impostor.
        ``"auto"`` is approximate from 200,000 points on when faiss is installed
        (below, the exact search is faster).

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

    References
    ----------
    K. Q. Weinberger, J. Blitzer and L. K. Saul. Distance metric learning for
    large margin nearest neighbor classification. NIPS 18, 2006.

    K. Q. Weinberger and L. K. Saul. Distance metric learning for large margin
    nearest neighbor classification. JMLR 10:207-244, 2009.

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
        "impostor_search": [StrOptions({"auto", "exact", "approximate"})],
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
        impostor_search="auto",
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
        self.impostor_search = impostor_search
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

    def _report_fallback(self, exc):
        """``solver="auto"``: the SDP failed or ended inaccurate, L-BFGS takes over
        (``solver_`` says so; ``verbose`` prints why)."""
        if self.verbose:
            print(f"[LMNN] {exc} solver='auto' continues with 'lbfgs'.", file=sys.stdout)

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
        n_components = n_components_of(self, n_features)
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
                    L, iters = solve_sdp(X, y_enc, targets, L, self)
                except SolverFailedError as exc:
                    if self.solver != "auto":
                        raise
                    self._report_fallback(exc)
                    solver = "lbfgs"
            loss = None
            if solver == "lbfgs":
                L, iters, loss = solve_lbfgs(X, y_enc, targets, L, self, n_iter)
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
        self.loss_ = lmnn_loss(L, X, y_enc, targets, self.mu) if loss is None else loss
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_triplets(self, triplets, *, preprocessor=None):
        """Learn the metric from triplets ``(i, j, l)``: ``x_j`` nearer ``x_i`` than ``x_l``.

        The LMNN objective with the triplets given instead of drawn from
        labels: ``(1 - mu)`` times the squared distances of the distinct
        ``(i, j)`` pairs, plus ``mu`` times each triplet's hinge
        ``[1 + d(i, j) - d(i, l)]_+``. ``solver="sdp"`` solves it exactly over
        every triplet (up to 20000), ``"lbfgs"`` minimises the smoothed hinge
        in ``L``; ``"auto"`` takes the SDP for at most 6 features and 2000
        triplets. ``n_passes`` does not apply (the triplets are fixed), and
        ``init="lda"`` needs labels.

        Parameters
        ----------
        triplets : array-like of shape (n_triplets, 3, n_features) or (n_triplets, 3)
            Points, or their indices into ``preprocessor``.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index triplets refer to.

        Returns
        -------
        self : LMNN
            The fitted learner.
        """
        tuples = validate_tuples(self, triplets, 3, preprocessor).compact()
        X = tuples.points.astype(np.float64, copy=False)
        if isinstance(self.init, str) and self.init == "lda":
            raise ValueError("init='lda' needs class labels; fit_triplets has none. Use 'pca'.")
        n_features = X.shape[1]
        n_components = n_components_of(self, n_features)
        small = n_features <= _AUTO_SDP_MAX_FEATURES and tuples.n_tuples <= _AUTO_TRIPLETS
        solver = self.solver if self.solver != "auto" else ("sdp" if small else "lbfgs")
        if solver == "sdp" and n_components < n_features:
            self._choose_solver(X.shape[0], n_features, n_components)  # its error
        if solver == "sdp":
            choose_sdp_solver(self.sdp_solver, 0)
            try:
                L, n_iter = solve_triplets_sdp(X, tuples.indices, self)
            except SolverFailedError as exc:
                if self.solver != "auto":
                    raise
                self._report_fallback(exc)
                solver = "lbfgs"
        if solver == "lbfgs":
            no_labels = np.zeros(X.shape[0], dtype=int)
            L0 = starting_components(self, X, no_labels, n_components)
            L, n_iter = solve_triplets_lbfgs(X, tuples.indices, L0, self)
        if not np.all(np.isfinite(L)):
            raise ValueError(
                f"The {solver} solver produced non-finite components; try standardising X."
            )
        self.components_ = L
        self.n_iter_ = n_iter
        self.solver_ = solver
        self.loss_ = triplet_loss(L, X, tuples.indices, self.mu)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
