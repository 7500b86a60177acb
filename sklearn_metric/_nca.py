"""Neighbourhood Components Analysis (Goldberger et al., NIPS 2004), in row blocks."""

from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ._core.base import MetricLearnerMixin, validate_labelled_data
from ._core.compat import Interval, StrOptions, fit_context
from ._core.distances import block_rows
from ._core.init import n_components_of, starting_components
from ._core.kernels import compiled, n_threads
from ._core.linalg import EXP_FLOOR, exp_in_place
from ._core.optim import LBFGS, run_for_components
from ._core.span import components_problem
from ._core.warn import warn

__all__ = ["NCA"]

# A block whose predecessor (on the same thread) kept fewer than this share of
# its soft-neighbour weights (the rest below exp(EXP_FLOOR) of each row's
# largest) takes W @ X from the kept entries instead of a dense GEMM (on MNIST
# 0.1 was as fast as or faster than 0.05, 0.2 and 0.3 early and late in a fit).
_GATHER_BELOW = 0.1


def _negated(value_and_gradient):
    """``(-value, -gradient.ravel())``: NCA maximises, L-BFGS minimises."""
    value, gradient = value_and_gradient
    return -value, -gradient.ravel()


def _grouped_by_class(X, y, references):
    """``X``, ``y`` and ``references`` with the points ordered by class (the objective
    and its gradient are sums over pairs: any order of the points gives them)."""
    order = np.argsort(y, kind="stable")
    if references is not None:
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        references = np.sort(position[references])
    return X[order], y[order], references


def _class_slices(y_rows, y_refs):
    """``(r0, r1, c0, c1)`` for each class among ``y_rows`` (both sorted): its rows
    ``r0:r1`` and the references ``c0:c1`` of the same class."""
    classes, starts = np.unique(y_rows, return_index=True)
    ends = np.append(starts[1:], y_rows.size)
    firsts = np.searchsorted(y_refs, classes, side="left")
    lasts = np.searchsorted(y_refs, classes, side="right")
    return list(zip(starts, ends, firsts, lasts, strict=True))


class _GradientSums:
    """Sums over the row blocks ``B`` that make NCA's gradient.

    With ``W_ij = p_ij ([y_i = y_j] - p_i)``, whose rows sum to zero,
    ``d value / d L = -2 sum_ij W_ij (z_i - z_j)(x_i - x_j)^T
    = 2 ((A - Z_r^T diag(colsum W)) X_r + Q)``, where ``A = sum_B Z_B^T W_B`` and
    ``Q = sum_B (W_B Z_r)^T X_B``. As ``W_B Z_r = (W_B X_r) L^T``, one product
    ``P_B = W_B X_r`` gives both: ``A X_r = sum_B Z_B^T P_B`` and
    ``Q = L sum_B P_B^T X_B``. That is one product over the references per block
    instead of two, the cheaper one when ``n_features < 2 n_components``.
    """

    def __init__(self, L, Z_refs, X_refs):
        self.L, self.Z_refs, self.X_refs = L, Z_refs, X_refs
        n_components, n_features = L.shape
        self.through_points = n_features < 2 * n_components
        self.A = np.zeros((n_components, Z_refs.shape[0]))
        self.Q = np.zeros((n_components, n_features))
        self.AX = np.zeros((n_components, n_features))
        self.S = np.zeros((n_features, n_features))

    def add_weights(self, W, Z_block, X_block):
        """Add a block of weights ``W`` (rows ``Z_block``, ``X_block``)."""
        if self.through_points:
            self.add_weighted_points(W @ self.X_refs, Z_block, X_block)
        else:
            self.A += Z_block.T @ W
            self.Q += (W @ self.Z_refs).T @ X_block

    def add_weighted_points(self, WX, Z_block, X_block):
        """Add a block given by ``WX = W @ X_refs``."""
        self.AX += Z_block.T @ WX
        self.S += WX.T @ X_block

    def add(self, other):
        """Add the sums of ``other`` (over other blocks)."""
        for name in ("A", "Q", "AX", "S"):
            getattr(self, name).__iadd__(getattr(other, name))

    def gradient(self, column_sums):
        """The gradient, given the column sums of ``W`` over all blocks."""
        A_X = (self.A - self.Z_refs.T * column_sums) @ self.X_refs + self.AX
        return 2 * (A_X + self.Q + self.L @ self.S)


def nca_objective(L, X, y, block_entries=None, references=None):
    """Expected leave-one-out accuracy of NCA and its gradient, in row blocks.

    ``p_ij = exp(-||L x_i - L x_j||^2) / sum_{k != i} exp(-||L x_i - L x_k||^2)``
    and the objective is ``sum_i sum_{j: y_j = y_i} p_ij``. Memory is
    O(block * n): the n x n matrices are never formed. With ``references``,
    ``j`` and ``k`` run over those points only (a sub-sampled neighbourhood):
    O(n * n_references) work instead of O(n^2).

    Parameters
    ----------
    L : ndarray of shape (n_components, n_features)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    block_entries : int or None, default=None
        Largest number of matrix entries computed at once; ``None`` follows
        scikit-learn's ``working_memory`` (see ``_core.distances.block_entries``).
    references : ndarray of shape (n_references,) or None, default=None
        Sorted distinct row indices of the candidate neighbours; ``None`` is
        every point (exact NCA).

    Returns
    -------
    value : float
        The objective (to maximise).
    gradient : ndarray of shape (n_components, n_features)
        Its gradient with respect to ``L``.
    """
    n_samples, n_features = X.shape
    if np.any(y[1:] < y[:-1]):
        # Grouped by class, each row's same-class references are one slice of columns.
        X, y, references = _grouped_by_class(X, y, references)
    Z = X @ L.T
    if references is None:  # every point: no gathered copies
        references = np.arange(n_samples)
        Z_refs, X_refs, y_refs = Z, X, y
    else:
        Z_refs, X_refs, y_refs = Z[references], X[references], y[references]
    n_refs = references.size
    sq_norms = np.einsum("ij,ij->i", Z_refs, Z_refs)
    Z2_refs = None
    # Where each row meets itself among the references (-1: it is not one).
    self_column = np.full(n_samples, -1)
    self_column[references] = np.arange(n_refs)
    step = block_rows(n_refs) if block_entries is None else max(1, block_entries // n_refs)
    kernel = compiled("nca_softmax_rows") if step < n_samples else None
    if kernel is not None:
        refs = (Z_refs, X_refs, y_refs, sq_norms)
        return _compiled_blocks(kernel, L, Z, X, y, refs, self_column, step)
    value = 0.0
    sums = _GradientSums(L, Z_refs, X_refs)
    column_sums = np.zeros(n_refs)
    for start in range(0, n_samples, step):
        rows = np.arange(start, min(start + step, n_samples))
        # -||z_i - z_j||^2 up to a constant per row, which the softmax ignores.
        if rows.size == n_samples == n_refs:
            E = Z @ Z.T  # symmetric: half the work (BLAS syrk)
            E *= 2
        else:
            if Z2_refs is None:
                Z2_refs = 2 * Z_refs
            E = Z[rows] @ Z2_refs.T
        E -= sq_norms
        own = self_column[rows] >= 0
        E[np.flatnonzero(own), self_column[rows][own]] = -np.inf
        E -= E.max(axis=1, keepdims=True)
        exp_in_place(E)  # unnormalised p_ij
        total = E.sum(axis=1)
        slices = _class_slices(y[rows], y_refs)
        same_mass = np.empty(rows.size)
        for r0, r1, c0, c1 in slices:
            same_mass[r0:r1] = E[r0:r1, c0:c1].sum(axis=1)
        p = same_mass / total
        value += p.sum()
        # W_ij = p_ij ([y_i = y_j] - p_i), in place: one pass, no n x n mask.
        inside, outside = ((1 - p) / total)[:, None], (-p / total)[:, None]
        for r0, r1, c0, c1 in slices:
            E[r0:r1, :c0] *= outside[r0:r1]
            E[r0:r1, c0:c1] *= inside[r0:r1]
            E[r0:r1, c1:] *= outside[r0:r1]
        W = E
        column_sums += W.sum(axis=0)
        if rows.size == n_samples == n_refs:
            # One block holds all of W: symmetrise it in place, one product less.
            W += W.T
            W[np.diag_indices(n_samples)] -= column_sums
            return value, 2 * (Z.T @ W) @ X
        sums.add_weights(W, Z[rows], X[rows])
    return value, sums.gradient(column_sums)


def _compiled_blocks(kernel, L, Z, X, y, refs, self_column, step):
    """:func:`nca_objective` over several row blocks with the compiled kernel: the
    same sums, one pass over each row of a block while it is in cache.

    The blocks are shared out among :func:`n_threads` threads, each running the
    whole pipeline of a block (distances, kernel, products) with BLAS on one
    thread: OpenBLAS's own threads spin for a while after each product, and
    beside them the kernel ran at half speed (3.5 against 1.9 ns per entry on
    2 cores). Once a thread's weights are sparse (most below ``exp(EXP_FLOOR)``
    of their row's largest, as they become when ``L`` grows), its next block
    gathers ``W_B X_refs`` from the kept entries instead of taking a dense
    product (see :class:`_GradientSums`)."""
    Z_refs, X_refs, y_refs, sq_norms = refs
    n_samples = Z.shape[0]
    n_refs, n_features = X_refs.shape
    # -||z_i - z_j||^2 up to a constant per row (which the softmax ignores) by one
    # product: [z_i, 1] . [2 z_j, -||z_j||^2].
    Z_ones = np.hstack([Z, np.ones((n_samples, 1))])
    Z2_refs = np.hstack([2 * Z_refs, -sq_norms[:, None]])
    # Each row's same-class references (both sorted by class): firsts[i]:lasts[i].
    firsts = np.searchsorted(y_refs, y, side="left")
    lasts = np.searchsorted(y_refs, y, side="right")
    # As many blocks for each thread, taken from one shared iterator.
    n_workers = n_threads()
    n_blocks = n_workers * -(-n_samples // (step * n_workers))
    step = -(-n_samples // n_blocks)
    starts = iter(range(0, n_samples, step))
    empty = np.empty((0, 0))

    def run_blocks():
        sums = _GradientSums(L, Z_refs, X_refs)
        colsums = np.zeros((1, n_refs))
        value = 0.0
        gather = False
        for start in starts:
            stop = min(start + step, n_samples)
            n_rows = stop - start
            E = Z_ones[start:stop] @ Z2_refs.T
            p = np.empty(n_rows)
            counts = np.empty(n_rows, dtype=np.int64)
            WX = np.empty((n_rows, n_features)) if gather else empty
            args = (E, start, self_column, firsts, lasts, EXP_FLOOR, gather, X_refs)
            kernel(*args, p, counts, colsums, WX, np.array([0, n_rows]), 0, n_rows)
            value += p.sum()
            if gather:
                sums.add_weighted_points(WX, Z[start:stop], X[start:stop])
            else:
                sums.add_weights(E, Z[start:stop], X[start:stop])
            gather = counts.sum() < _GATHER_BELOW * n_rows * n_refs
        return value, sums, colsums[0]

    with threadpool_limits(limits=1, user_api="blas"):
        if n_workers == 1:
            results = [run_blocks()]
        else:
            with ThreadPoolExecutor(n_workers - 1) as pool:
                futures = [pool.submit(run_blocks) for _ in range(n_workers - 1)]
                results = [run_blocks()] + [future.result() for future in futures]
    value, sums, column_sums = results[0]
    for other_value, other_sums, other_column_sums in results[1:]:
        value += other_value
        sums.add(other_sums)
        column_sums += other_column_sums
    return value, sums.gradient(column_sums)


class NCA(MetricLearnerMixin):
    """Neighbourhood Components Analysis, with memory linear in the number of samples.

    Learns ``L`` maximising the expected leave-one-out accuracy of the
    stochastic nearest-neighbour rule ``p_ij ∝ exp(-||L x_i - L x_j||^2)``
    (Goldberger, Roweis, Hinton & Salakhutdinov, 2004) with L-BFGS-B and the
    exact gradient. The same parameters as scikit-learn's
    ``NeighborhoodComponentsAnalysis``, so switching is a change of import;
    the softmax and gradient are computed in row blocks, so memory is
    O(block * n_samples) rather than several n x n matrices.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the learned space; ``None`` keeps ``n_features`` (or the
        rows of an ``init`` array).

    init : {"auto", "pca", "lda", "identity", "random", "covariance"} or \
            ndarray of shape (n_components, n_features), default="auto"
        Initial ``L``, chosen as scikit-learn's NCA does for ``"auto"``.

    warm_start : bool, default=False
        Start from the ``components_`` of a previous fit.

    max_iter : int, default=50
        Most L-BFGS-B iterations.

    n_references : int or None, default=None
        Sub-sampled neighbourhoods: the softmax of every point runs over one
        fixed random subset of ``n_references`` points (drawn once per fit
        with ``random_state``), not over all the others, so an evaluation
        costs O(n_samples * n_references * n_features) instead of
        O(n_samples^2 * n_features) and the objective stays deterministic for
        L-BFGS. Every point still contributes its leave-one-out term. ``None``
        (or a value of at least ``n_samples``) is exact NCA. Meant for sets of
        tens of thousands of points, where an exact evaluation's ``n_samples^2``
        products dominate (fit times on MNIST are in the benchmark report).

    tol : float, default=1e-5
        Convergence tolerance of L-BFGS-B.

    callback : callable, default=None
        Called after each iteration as ``callback(transformation, n_iter)``
        with the flattened ``L`` (shape ``(n_components * n_features,)``), as
        scikit-learn's NCA does.

    verbose : int, default=0
        Print one line per iteration (objective, time) and the training time,
        in scikit-learn's format.

    random_state : int, RandomState instance or None, default=None
        Seed of ``init="random"``, of the PCA of ``init="pca"`` and of the
        draw of ``n_references``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``L``.

    n_iter_ : int
        Number of iterations run.

    objective_ : float
        The objective (expected number of correctly classified points) at
        ``components_``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn.neighbors.NeighborhoodComponentsAnalysis : The same model, with n x n memory.

    Notes
    -----
    One class, or classes of one sample each, make the objective constant:
    the fit then warns and returns the initial ``L`` (scikit-learn's NCA fits
    silently).

    References
    ----------
    J. Goldberger, S. Roweis, G. Hinton and R. Salakhutdinov. Neighbourhood
    components analysis. NIPS 17, 2005.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import NCA
    >>> X, y = load_iris(return_X_y=True)
    >>> nca = NCA(n_components=2, random_state=0).fit(X, y)
    >>> nca.transform(X).shape
    (150, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "init": [
            StrOptions({"auto", "pca", "lda", "identity", "random", "covariance"}),
            np.ndarray,
        ],
        "warm_start": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_references": [Interval(Integral, 2, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callback": [callable, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        init="auto",
        warm_start=False,
        max_iter=50,
        n_references=None,
        tol=1e-5,
        callback=None,
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.init = init
        self.warm_start = warm_start
        self.max_iter = max_iter
        self.n_references = n_references
        self.tol = tol
        self.callback = callback
        self.verbose = verbose
        self.random_state = random_state

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
        self : NCA
            The fitted learner.
        """
        X, y, classes, y_enc = validate_labelled_data(self, X, y, min_classes=1)
        X = X.astype(np.float64, copy=False)
        n_components = n_components_of(self, X.shape[1])
        self._warn_constant_objective(classes, y_enc)
        L0 = starting_components(self, X, y_enc, n_components)
        # Wide data: L-BFGS on the span of the points, with the same iterates.
        X_fit, L_start, lift = components_problem(X, L0)

        def to_callback(flat):  # scikit-learn's NCA passes the flat vector
            return lift(flat.reshape(L_start.shape)).ravel()

        references = self._draw_references(X.shape[0])
        # The objective groups the points by class; once here, not at every evaluation.
        X_fit, y_fit, references = _grouped_by_class(X_fit, y_enc, references)

        lbfgs = LBFGS(
            lambda flat: _negated(
                nca_objective(flat.reshape(L_start.shape), X_fit, y_fit, references=references)
            ),
            L_start.shape,
            name=type(self).__name__,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            callback=self.callback,
            to_callback=to_callback,
            display=lambda loss: -loss,
        )
        result = run_for_components(lbfgs, L_start, "NCA")
        self.components_ = lift(result.x)
        self.n_iter_ = max(1, lbfgs.n_iter)  # a fit that stops at its start evaluated it
        self.objective_ = -result.fun
        return self

    def _draw_references(self, n_samples):
        """Sorted row indices of the sub-sampled neighbourhood, or ``None`` (every point)."""
        if self.n_references is None or self.n_references >= n_samples:
            return None
        rng = check_random_state(self.random_state)
        return np.sort(rng.choice(n_samples, self.n_references, replace=False))

    @staticmethod
    def _warn_constant_objective(classes, y_enc):
        """One class, or only singleton classes: the objective does not depend on ``L``."""
        if classes.size == 1:
            reason = "there is a single class, so every neighbour is of the same class"
        elif np.bincount(y_enc).max() < 2:
            reason = "every class has a single sample, so no point has a same-class neighbour"
        else:
            return
        warn(
            f"{reason}: the NCA objective is constant and components_ is the init.",
            UserWarning,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
