"""Metric Learning for Kernel Regression (Weinberger & Tesauro, AISTATS 2007), in row blocks."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from ._core.base import MetricLearnerMixin
from ._core.compat import Interval, StrOptions, fit_context
from ._core.distances import block_rows
from ._core.init import n_components_of, starting_components
from ._core.linalg import exp_in_place
from ._core.optim import LBFGS, run_for_components
from ._core.span import components_problem

__all__ = ["MLKR", "mlkr_loss"]

# Entries of one block of the n x n kernel matrix (~32 MB in float64).


def mlkr_loss(L, X, y, block_entries=None):
    """Leave-one-out kernel-regression error of MLKR and its gradient, in row blocks.

    With ``k_ij = exp(-||L x_i - L x_j||^2)`` the leave-one-out Nadaraya-Watson
    estimate is ``yhat_i = sum_{j != i} k_ij y_j / sum_{j != i} k_ij`` and the
    loss is ``sum_i (yhat_i - y_i)^2``. Each row's kernel is shifted by its
    largest entry before exponentiating (the estimate does not change), so far
    apart points give the nearest neighbour's target instead of 0 / 0. Memory
    is O(block * n): the n x n matrices are never formed.

    Parameters
    ----------
    L : ndarray of shape (n_components, n_features)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Real targets.
    block_entries : int or None, default=None
        Largest number of matrix entries computed at once; ``None`` follows
        scikit-learn's ``working_memory`` (see ``_core.distances.block_entries``).

    Returns
    -------
    loss : float
    gradient : ndarray of shape (n_components, n_features)
        Its gradient with respect to ``L``.
    """
    n_samples, n_features = X.shape
    Z = X @ L.T
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    Z2 = 2 * Z
    loss = 0.0
    # d loss / d L = 2 Z^T (diag(r + c) - W - W^T) X for the weights
    # W_ij = d loss / d ||z_i - z_j||^2 with row sums r and column sums c,
    # accumulated over row blocks B as in NCA.
    R = np.zeros((Z.shape[1], n_samples))
    Q = np.zeros((Z.shape[1], n_features))
    diagonal = np.zeros((Z.shape[1], n_features))
    column_sums = np.zeros(n_samples)
    step = block_rows(n_samples) if block_entries is None else max(1, block_entries // n_samples)
    for start in range(0, n_samples, step):
        rows = np.arange(start, min(start + step, n_samples))
        E = Z[rows] @ Z2.T  # -||z_i - z_j||^2 up to a per-row constant
        E -= sq_norms
        E[np.arange(rows.size), rows] = -np.inf
        E -= E.max(axis=1, keepdims=True)
        exp_in_place(E)
        E /= E.sum(axis=1, keepdims=True)  # p_ij
        y_hat = E @ y
        residual = y_hat - y[rows]
        loss += residual @ residual
        # d yhat_i / d ||z_i - z_j||^2 = -p_ij (y_j - yhat_i)
        E *= y[None, :] - y_hat[:, None]
        E *= -2 * residual[:, None]
        W = E
        row_sums = W.sum(axis=1)
        column_sums += W.sum(axis=0)
        diagonal += (Z[rows] * row_sums[:, None]).T @ X[rows]
        R += Z[rows].T @ W
        Q += (W @ Z).T @ X[rows]
    gradient = 2 * (diagonal + (Z.T * column_sums) @ X - R @ X - Q)
    return loss, gradient


def _check_regression_target(estimator, y):
    """Reject class labels (strings, booleans) with a clear message; other input is
    left to ``validate_data`` (NaN, shape, None)."""
    if y is None:
        return
    y = np.asarray(y)
    if y.dtype.kind == "O":
        try:
            y.astype(np.float64)
            return  # numbers stored as objects
        except (TypeError, ValueError):
            pass
    if y.dtype.kind in "OUSb":
        kind = "binary" if y.dtype.kind == "b" else type_of_target(y, input_name="y")
        if kind in ("binary", "multiclass"):
            raise ValueError(
                f"{type(estimator).__name__} learns a metric for regression: y must hold real "
                f"targets, but it holds class labels (type_of_target(y) is {kind!r}). Use a "
                "classification learner (LMNN, NCA, LFDA, ...) for class labels."
            )


class MLKR(MetricLearnerMixin):
    """Metric Learning for Kernel Regression, with memory linear in the number of samples.

    Learns ``L`` minimising the leave-one-out squared error of Gaussian-kernel
    (Nadaraya-Watson) regression in the learned space, ``sum_i (yhat_i -
    y_i)^2`` with ``yhat_i = sum_{j != i} k_ij y_j / sum_{j != i} k_ij`` and
    ``k_ij = exp(-||L x_i - L x_j||^2)`` (Weinberger & Tesauro, 2007), by
    L-BFGS-B with the exact gradient. The kernel's width is part of ``L``.
    The kernel matrix is computed in row blocks, so memory is O(block *
    n_samples). Use it before :class:`KNNRegressor` (or any distance-based
    regressor) for continuous targets.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the learned space; ``None`` keeps ``n_features`` (or the
        rows of an ``init`` array).

    init : {"auto", "pca", "identity", "random", "covariance"} or \
            ndarray of shape (n_components, n_features), default="auto"
        Initial ``L``: ``"auto"`` is ``"pca"`` when ``n_components <
        min(n_features, n_samples)``, else ``"identity"`` (standardise ``X``
        first, or use ``"covariance"`` to whiten).

    warm_start : bool, default=False
        Start from the ``components_`` of a previous fit.

    max_iter : int, default=1000
        Most L-BFGS-B iterations.

    tol : float, default=1e-5
        Convergence tolerance of L-BFGS-B.

    callback : callable, default=None
        Called after each iteration as ``callback(components, n_iter)``.

    verbose : int, default=0
        Print one line per iteration and the training time.

    random_state : int, RandomState instance or None, default=None
        Seed of ``init="random"`` and of the PCA of ``init="pca"``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``L``.

    n_iter_ : int
        Number of iterations run.

    loss_ : float
        The leave-one-out squared error at ``components_``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    KNNRegressor : k-nearest-neighbour regression in a learned metric.

    References
    ----------
    K. Q. Weinberger and G. Tesauro. Metric learning for kernel regression.
    AISTATS 2007.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn_metric import MLKR
    >>> X, y = make_friedman1(n_samples=200, n_features=8, random_state=0)
    >>> mlkr = MLKR(n_components=5, random_state=0).fit(X, y)
    >>> mlkr.transform(X).shape
    (200, 5)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "init": [StrOptions({"auto", "pca", "identity", "random", "covariance"}), np.ndarray],
        "warm_start": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
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
        max_iter=1000,
        tol=1e-5,
        callback=None,
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.init = init
        self.warm_start = warm_start
        self.max_iter = max_iter
        self.tol = tol
        self.callback = callback
        self.verbose = verbose
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the metric from real-valued targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Real targets.

        Returns
        -------
        self : MLKR
            The fitted learner.
        """
        _check_regression_target(self, y)
        X, y = validate_data(
            self, X, y, y_numeric=True, dtype=[np.float64, np.float32], ensure_min_samples=2
        )
        X = X.astype(np.float64, copy=False)
        y = y.astype(np.float64, copy=False)
        n_components = n_components_of(self, X.shape[1])
        # No classes: a one-class label vector keeps init="auto" off LDA.
        L0 = starting_components(self, X, np.zeros(X.shape[0], dtype=np.intp), n_components)
        # Wide data: L-BFGS on the span of the points, with the same iterates.
        X_fit, L_start, lift = components_problem(X, L0)
        lbfgs = LBFGS(
            lambda flat: _flat(mlkr_loss(flat.reshape(L_start.shape), X_fit, y)),
            L_start.shape,
            name=type(self).__name__,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            callback=self.callback,
            to_callback=lambda flat: lift(flat.reshape(L_start.shape)),
        )
        result = run_for_components(lbfgs, L_start, "MLKR")
        self.components_ = lift(result.x)
        self.n_iter_ = max(1, lbfgs.n_iter)  # a fit that stops at its start evaluated it
        self.loss_ = result.fun
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _flat(loss_and_gradient):
    loss, gradient = loss_and_gradient
    return loss, gradient.ravel()
