"""Neighbourhood Components Analysis (Goldberger et al., NIPS 2004), in row blocks."""

import warnings
from numbers import Integral, Real

import numpy as np

from ._compat import Interval, StrOptions, fit_context
from ._init import n_components_of, starting_components
from ._optim import LBFGS, run_for_components
from ._span import components_problem
from .base import MetricLearnerMixin, validate_labelled_data

__all__ = ["NCA"]

# Entries of one block of the n x n soft-neighbour matrix (~32 MB in float64).
_BLOCK_ENTRIES = 2**22


def _negated(value_and_gradient):
    """``(-value, -gradient.ravel())``: NCA maximises, L-BFGS minimises."""
    value, gradient = value_and_gradient
    return -value, -gradient.ravel()


def nca_objective(L, X, y, block_entries=_BLOCK_ENTRIES):
    """Expected leave-one-out accuracy of NCA and its gradient, in row blocks.

    ``p_ij = exp(-||L x_i - L x_j||^2) / sum_{k != i} exp(-||L x_i - L x_k||^2)``
    and the objective is ``sum_i sum_{j: y_j = y_i} p_ij``. Memory is
    O(block * n): the n x n matrices are never formed.

    Parameters
    ----------
    L : ndarray of shape (n_components, n_features)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    block_entries : int
        Largest number of matrix entries computed at once.

    Returns
    -------
    value : float
        The objective (to maximise).
    gradient : ndarray of shape (n_components, n_features)
        Its gradient with respect to ``L``.
    """
    n_samples, n_features = X.shape
    Z = X @ L.T
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    Z2 = 2 * Z
    value = 0.0
    # d value / d L = 2 Z^T (W + W^T - diag(colsum W)) X. Over row blocks B it is
    # accumulated as R = sum_B Z_B^T W_B (r x n) and Q = sum_B (W_B Z)^T X_B.
    R = np.zeros((Z.shape[1], n_samples))
    Q = np.zeros((Z.shape[1], n_features))
    column_sums = np.zeros(n_samples)
    step = max(1, block_entries // n_samples)
    for start in range(0, n_samples, step):
        rows = np.arange(start, min(start + step, n_samples))
        # -||z_i - z_j||^2 up to a constant per row, which the softmax ignores.
        E = Z[rows] @ Z2.T
        E -= sq_norms
        E[np.arange(rows.size), rows] = -np.inf
        E -= E.max(axis=1, keepdims=True)
        np.exp(E, out=E)  # unnormalised p_ij
        total = E.sum(axis=1)
        same = y[rows, None] == y[None, :]
        p = np.einsum("ij,ij->i", E, same) / total
        value += p.sum()
        # W_ij = p_ij ([y_i = y_j] - p_i): rows of the weight matrix.
        E *= np.where(same, ((1 - p) / total)[:, None], (-p / total)[:, None])
        W = E
        column_sums += W.sum(axis=0)
        if rows.size == n_samples:
            # One block holds all of W: symmetrise it in place, one product less.
            W += W.T
            W[np.diag_indices(n_samples)] -= column_sums
            return value, 2 * (Z.T @ W) @ X
        R += Z[rows].T @ W
        Q += (W @ Z).T @ X[rows]
    gradient = 2 * ((R - Z.T * column_sums) @ X + Q)
    return value, gradient


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
        Seed of ``init="random"`` and of the PCA of ``init="pca"``.

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

        lbfgs = LBFGS(
            lambda flat: _negated(nca_objective(flat.reshape(L_start.shape), X_fit, y_enc)),
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
        self.n_iter_ = lbfgs.n_iter
        self.objective_ = -result.fun
        return self

    @staticmethod
    def _warn_constant_objective(classes, y_enc):
        """One class, or only singleton classes: the objective does not depend on ``L``."""
        if classes.size == 1:
            reason = "there is a single class, so every neighbour is of the same class"
        elif np.bincount(y_enc).max() < 2:
            reason = "every class has a single sample, so no point has a same-class neighbour"
        else:
            return
        warnings.warn(
            f"{reason}: the NCA objective is constant and components_ is the init.",
            UserWarning,
            stacklevel=3,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
