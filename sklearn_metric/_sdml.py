"""Sparse Determinant Metric Learning (Qi, Tang, Zha, Chua & Zhang, ICML 2009)."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.linalg import eigh
from scipy.sparse.csgraph import connected_components
from sklearn.covariance import graphical_lasso

from ._core.base import MetricLearnerMixin, pair_tuples_for_fit, validate_pairs
from ._core.compat import Interval, StrOptions, fit_context
from ._core.init import prior_matrix
from ._core.linalg import inverse_sqrt_psd, row_span

__all__ = ["SDML", "lasso_blocks"]

# balance_param="auto" takes this fraction of the largest weight that keeps the
# problem positive definite (and at most 1).
_AUTO_FRACTION = 0.5


def pair_loss_matrix(diffs, sign):
    """``K = mean_p y_p v_p v_p^T``: similar pairs count +1, dissimilar -1."""
    return (diffs * sign[:, None]).T @ diffs / diffs.shape[0]


def largest_safe_balance(S0, K, span=None):
    """The supremum of ``eta`` for which ``S0 + eta K`` stays positive definite.

    ``S0`` is positive definite; with ``W = S0^{-1/2}``, ``S0 + eta K`` is
    positive definite iff ``1 + eta * lambda_min(W K W) > 0``. ``S0=None``
    stands for the identity; then ``span``, an orthonormal basis ``U`` of a
    space holding the pairs' differences (so ``K = U (U^T K U) U^T``), makes
    it an eigenproblem of ``U^T K U``: rank x rank, not n_features^2 (the other
    eigenvalues of ``K`` are 0 and do not bound ``eta``).
    """
    if S0 is None:
        A = K if span is None else span.T @ K @ span
    else:
        W = inverse_sqrt_psd(S0)[0]
        A = W @ K @ W.T
    if A.shape[0] == 0:
        return np.inf
    smallest = eigh(A, eigvals_only=True, subset_by_index=[0, 0])[0]
    return np.inf if smallest >= 0 else -1.0 / smallest


def _components_by_blocks(precision, singles, blocks):
    """:func:`~sklearn_metric._core.linalg.components_from_psd` of a block-diagonal
    ``precision``: the eigenpairs of each block, largest first over all blocks."""
    n = precision.shape[0]
    values = [precision[singles, singles]]
    rows, columns, entries = [np.arange(singles.size)], [singles], [np.ones(singles.size)]
    count = singles.size
    for block in blocks:
        block_values, vectors = np.linalg.eigh(precision[np.ix_(block, block)])
        values.append(block_values)
        rows.append(np.repeat(np.arange(count, count + block.size), block.size))
        columns.append(np.tile(block, block.size))
        entries.append(vectors.T.ravel())
        count += block.size
    values = np.concatenate(values)
    rows = np.concatenate(rows)
    position = np.empty(n, dtype=np.intp)  # each eigenpair's row: largest first
    position[np.argsort(-values, kind="stable")] = np.arange(n)
    components = np.zeros((n, n))
    scale = np.sqrt(np.maximum(values, 0))
    components[position[rows], np.concatenate(columns)] = np.concatenate(entries) * scale[rows]
    return components


def lasso_blocks(S, alpha):
    """The blocks the graphical lasso of ``S`` splits into, at off-diagonal penalty ``alpha``.

    Its solution is block diagonal along the connected components of the graph
    with an edge wherever ``|S_ij| > alpha`` (``i != j``), and each block is the
    graphical lasso of its part of ``S`` (Witten, Friedman & Simon, 2011;
    Mazumder & Hastie, 2012); a lone feature's precision is ``1 / S_ii``. On the
    face sets every feature is alone: the 4096-feature solve of olivetti took
    141 s and is diagonal.

    Returns
    -------
    singles : ndarray of int
        The features alone in their component.
    blocks : list of ndarray of int
        The components of two or more features.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._sdml import lasso_blocks
    >>> S = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 2.0]])
    >>> singles, blocks = lasso_blocks(S, alpha=0.1)
    >>> singles.tolist(), [b.tolist() for b in blocks]
    ([2], [[0, 1]])
    """
    linked = np.abs(S) > alpha
    np.fill_diagonal(linked, False)
    _, component = connected_components(sparse.csr_array(linked), directed=False)
    alone = np.bincount(component)[component] == 1
    singles = np.flatnonzero(alone)
    linked_features = np.flatnonzero(~alone)
    order = linked_features[np.argsort(component[linked_features], kind="stable")]
    starts = np.flatnonzero(np.diff(component[order], prepend=-1))
    return singles, np.split(order, starts[1:]) if order.size else []


class SDML(MetricLearnerMixin):
    """Sparse Determinant Metric Learning (SDML).

    Learns a sparse Mahalanobis matrix ``M`` by the graphical lasso:

        min_M  tr(S M) - log det M + sparsity_param * ||M||_1 (off-diagonal),
        S = M0^{-1} + balance_param * K,  K = mean_p y_p (x_a - x_b)(x_a - x_b)^T,

    so that ``M`` stays close (in LogDet) to the prior ``M0`` while similar
    pairs (``y = +1``) shrink and dissimilar ones (``-1``) grow (Qi et al.,
    2009), solved by ``sklearn.covariance.graphical_lasso`` on each block of
    features that the penalty leaves linked (the solution is block diagonal
    along them, and diagonal where no ``|S_ij|`` exceeds ``sparsity_param``).
    The problem needs
    ``S`` positive definite: ``balance_param="auto"`` takes half of the largest
    weight that keeps it so (at most 1); a given weight that does not is
    reported with the largest one that would, before any solver runs.

    ``fit(X, y)`` draws ``n_constraints`` distinct similar and as many dissimilar pairs
    from the labels; ``fit_pairs(pairs, y)`` takes explicit pairs.

    Parameters
    ----------
    balance_param : "auto" or float, default="auto"
        Weight of the pair term ``K`` (``K`` is a mean over pairs, so the weight
        does not grow with their number).

    sparsity_param : float, default=0.01
        L1 weight on the off-diagonal entries of ``M`` (``alpha`` of the
        graphical lasso).

    prior : {"identity", "covariance", "random"} or ndarray of shape \
            (n_features, n_features), default="identity"
        ``M0``, as in :class:`ITML`.

    n_constraints : int or None, default=None
        Distinct pairs of each kind drawn by ``fit(X, y)``; ``None`` means
        ``20 * n_classes**2``. Classes too small to hold that many similar
        pairs give all of them, and as many dissimilar ones.

    n_components : int or None, default=None
        Keep the ``n_components`` directions of largest eigenvalue of ``M``.

    max_iter : int, default=100
        Iterations of the graphical lasso.

    tol : float, default=1e-4
        Tolerance of the graphical lasso.

    random_state : int, RandomState instance or None, default=None
        Seed of the pair drawing and of ``prior="random"``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        ``L`` with ``L.T @ L = M`` (or its truncation).

    precision_ : ndarray of shape (n_features, n_features)
        The sparse ``M`` of the graphical lasso.

    balance_param_ : float
        The weight used.

    n_iter_ : int
        Iterations of the graphical lasso: the most of its independent blocks
        (``lasso_blocks``); 1 when every feature is alone (the diagonal
        solution, in closed form: one step, no solver run).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.ITML : A LogDet-regularised metric from pairs.
    sklearn.covariance.graphical_lasso : The sparse inverse covariance solver used.

    References
    ----------
    G.-J. Qi, J. Tang, Z.-J. Zha, T.-S. Chua and H.-J. Zhang. An efficient
    sparse metric learning in high-dimensional space via l1-penalized
    log-determinant regularization. ICML 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import SDML
    >>> X, y = load_iris(return_X_y=True)
    >>> sdml = SDML(random_state=0).fit(X, y)
    >>> sdml.transform(X).shape
    (150, 4)
    """

    _parameter_constraints: dict = {
        "balance_param": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "sparsity_param": [Interval(Real, 0, None, closed="left")],
        "prior": [StrOptions({"identity", "covariance", "random"}), np.ndarray],
        "n_constraints": [Interval(Integral, 1, None, closed="left"), None],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        balance_param="auto",
        sparsity_param=0.01,
        prior="identity",
        n_constraints=None,
        n_components=None,
        max_iter=100,
        tol=1e-4,
        random_state=None,
    ):
        self.balance_param = balance_param
        self.sparsity_param = sparsity_param
        self.prior = prior
        self.n_constraints = n_constraints
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
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
        self : SDML
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
        self : SDML
            The fitted learner.
        """
        pairs, y = validate_pairs(self, pairs, y, preprocessor=preprocessor, both_kinds=True)
        self._check_n_components(pairs.n_features)
        return self._fit(pairs, y)

    def _balance(self, S0, K, span=None):
        """The pair weight: checked to keep ``S0 + eta K`` positive definite."""
        safe = largest_safe_balance(S0, K, span)
        if self.balance_param == "auto":
            return min(1.0, _AUTO_FRACTION * safe)
        if self.balance_param >= safe:
            raise ValueError(
                f"The SDML problem is not positive definite: M0^-1 + balance_param * K "
                f"stays positive definite only for balance_param < {safe:.6g}, and "
                f"balance_param={self.balance_param:g} was given. Lower balance_param "
                "(or use balance_param='auto'), or choose another prior."
            )
        return float(self.balance_param)

    def _fit(self, pairs, sign):
        diffs, points, n_features = pairs.differences(0, 1), pairs.points, pairs.n_features
        n_components = self._check_n_components(n_features)
        K = pair_loss_matrix(diffs, sign)
        if isinstance(self.prior, str) and self.prior == "identity":
            # M0^-1 = I; the pairs' differences lie in the span of the centred points.
            span = row_span(points - points.mean(axis=0)) if points.shape[0] <= n_features else None
            eta = self._balance(None, K, span)
            S = K * eta
            S[np.diag_indices(n_features)] += 1.0
        else:
            M0 = prior_matrix(self.prior, points, n_features, self.random_state)
            S0 = np.linalg.inv(M0)
            S0 = (S0 + S0.T) / 2
            eta = self._balance(S0, K)
            S = S0 + eta * K
        S = (S + S.T) / 2
        singles, blocks = lasso_blocks(S, self.sparsity_param)
        precision, n_iter = self._graphical_lasso(S, singles, blocks)
        self.precision_ = precision
        self.balance_param_ = eta
        self.n_iter_ = n_iter
        self.components_ = _components_by_blocks(precision, singles, blocks)[:n_components]
        return self

    def _graphical_lasso(self, S, singles, blocks):
        """The graphical lasso of ``S``, block by block (see ``lasso_blocks``).

        Returns the precision and the most iterations any block took (1 when every
        block is a single feature: the diagonal solution is one closed-form step).
        """
        precision = np.zeros_like(S)
        precision[singles, singles] = 1.0 / S[singles, singles]
        n_iter = 1  # a fit that ran took a step, even in closed form
        for block in blocks:
            sub, block_iter = self._graphical_lasso_block(S[np.ix_(block, block)])
            precision[np.ix_(block, block)] = sub
            n_iter = max(n_iter, block_iter)
        return precision, n_iter

    def _graphical_lasso_block(self, S):
        """The graphical lasso of ``S``: coordinate descent, then LARS if that fails."""
        failures = []
        for mode in ("cd", "lars"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)
                    _, precision, n_iter = graphical_lasso(
                        S,
                        alpha=self.sparsity_param,
                        mode=mode,
                        tol=self.tol,
                        max_iter=self.max_iter,
                        return_n_iter=True,
                    )
            except (FloatingPointError, RuntimeWarning, np.linalg.LinAlgError) as exc:
                failures.append(f"{mode}: {exc}")
                continue
            if np.all(np.isfinite(precision)):
                return (precision + precision.T) / 2, n_iter
            failures.append(f"{mode}: non-finite precision")
        raise ValueError(
            "The graphical lasso failed on the SDML problem ("
            + "; ".join(failures)
            + "). Raise sparsity_param, lower balance_param, or standardise X."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
