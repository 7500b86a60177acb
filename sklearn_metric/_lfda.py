"""Local Fisher Discriminant Analysis (Sugiyama, JMLR 2007), closed form, in row blocks."""

from numbers import Integral, Real

import numpy as np
import scipy.linalg

from ._core.base import MetricLearnerMixin, validate_labelled_data
from ._core.compat import Interval, StrOptions, fit_context
from ._core.distances import block_rows, squared_cross
from ._core.linalg import exp_in_place, rank_tolerance, symmetrize
from ._core.span import wide_span
from ._core.warn import warn

__all__ = ["LFDA", "local_scatter_matrices"]

# Entries of one block of a class's affinity matrix (~32 MB in float64).


def _squared_distances(Xc, sq_norms, rows):
    """Squared distances from the points ``rows`` of a class to all of it (self: 0)."""
    D = squared_cross(Xc[rows], Xc, A_norms=sq_norms[rows], B_norms=sq_norms)
    D[np.arange(D.shape[0]), np.arange(rows.start, rows.stop)] = 0.0
    return D


def _kth_distance(D, k):
    """Each row's distance to its ``k``-th nearest other point (self is one of the zeros)."""
    return np.sqrt(np.partition(D, k, axis=1)[:, k])


def _affinity_terms(Xc, D, scales, rows):
    """Row sums of ``A`` and ``A @ Xc`` for the rows of ``D`` (overwritten by ``A``), with
    ``A_ij = exp(-D_ij / (s_i s_j))``, 0 where a scale is 0 (a duplicated point)."""
    inverse = np.zeros_like(scales)
    np.divide(1.0, scales, out=inverse, where=scales > 0)
    A = D
    A *= -inverse[rows, None]
    A *= inverse[None, :]
    exp_in_place(A)
    no_scale = scales == 0
    if no_scale.any():
        A[no_scale[rows], :] = 0.0
        A[:, no_scale] = 0.0
    return A.sum(axis=1), A @ Xc


def _class_laplacian_scatter(Xc, k, block_entries):
    """``G = X^T (D - A) X`` of one class (``sum_ij A_ij (x_i - x_j)(x_i - x_j)^T = 2 G``)
    for the local-scaling affinity ``A_ij = exp(-||x_i - x_j||^2 / (s_i s_j))``, ``s_i``
    the distance to the ``k``-th nearest other point of the class (clipped to the
    class's size; a class of one point has no pair).

    A class whose distance matrix fits in ``block_entries`` is done in one block;
    a larger one in row blocks, in two passes (scales, then affinities), so memory
    is O(block * n_c).
    """
    n_c, n_features = Xc.shape
    if n_c < 2:
        return np.zeros((n_features, n_features))
    k = min(k, n_c - 1)
    sq_norms = np.einsum("ij,ij->i", Xc, Xc)
    step = block_rows(n_c) if block_entries is None else max(1, block_entries // n_c)
    blocks = [slice(start, min(start + step, n_c)) for start in range(0, n_c, step)]
    if len(blocks) == 1:
        D = _squared_distances(Xc, sq_norms, blocks[0])
        scales = _kth_distance(D, k)
        row_sums, AX = _affinity_terms(Xc, D, scales, blocks[0])
    else:
        scales = np.concatenate(
            [_kth_distance(_squared_distances(Xc, sq_norms, rows), k) for rows in blocks]
        )
        row_sums, AX = np.zeros(n_c), np.zeros((n_c, n_features))
        for rows in blocks:
            D = _squared_distances(Xc, sq_norms, rows)
            row_sums[rows], AX[rows] = _affinity_terms(Xc, D, scales, rows)
    AX -= row_sums[:, None] * Xc
    return -(Xc.T @ AX)  # X^T (diag(row sums) - A) X in one product


def local_scatter_matrices(X, y, k, block_entries=None):
    """LFDA's local within-class and local between-class scatter matrices.

    With the local-scaling affinity ``A_ij = exp(-||x_i - x_j||^2 / (s_i s_j))``
    (``s_i`` the distance from ``x_i`` to its ``k``-th nearest neighbour of
    its class) between points of one class,

    - ``S_w = 1/2 sum_ij W_ij (x_i - x_j)(x_i - x_j)^T`` with
      ``W_ij = A_ij / n_c`` for ``i, j`` in class ``c``, 0 across classes;
    - ``S_b`` the same with ``W_ij = A_ij (1/n - 1/n_c)`` within class ``c``
      and ``1/n`` across classes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer class labels.
    k : int
        Neighbour of the local scaling (clipped to each class's size - 1).
    block_entries : int or None, default=None
        Largest number of affinity entries computed at once; ``None`` follows
        scikit-learn's ``working_memory`` (see ``_core.distances.block_entries``).

    Returns
    -------
    S_w, S_b : ndarray of shape (n_features, n_features)
    """
    n_samples = X.shape[0]
    X = X - X.mean(axis=0)  # the scatters do not depend on the origin
    S_w = np.zeros((X.shape[1], X.shape[1]))
    # S_m = S_b + S_w (the local mixture scatter) has weights A_ij / n within a
    # class and 1 / n across: the total scatter X^T X (weights 1 / n everywhere,
    # X centred) with, in each class, the uniform 1 / n replaced by A_ij / n.
    S_m = X.T @ X
    for label in np.unique(y):
        Xc = X[y == label]
        n_c = Xc.shape[0]
        G = _class_laplacian_scatter(Xc, k, block_entries)
        S_w += G / n_c
        class_sum = Xc.sum(axis=0)
        S_m += (G - n_c * Xc.T @ Xc + np.outer(class_sum, class_sum)) / n_samples
    return symmetrize(S_w), symmetrize(S_m - S_w)


class LFDA(MetricLearnerMixin):
    """Local Fisher Discriminant Analysis: Fisher's criterion on local neighbourhoods.

    Fisher discriminant analysis (LDA) asks every class to be one compact
    blob; LFDA (Sugiyama, 2007) weighs each same-class pair by an affinity
    that decays with distance, so a class made of several separate clusters
    (multimodal) is kept apart from the others without being pulled into one
    blob. ``L`` holds the leading solutions of the generalised symmetric
    eigenproblem ``S_b v = lambda S_w v`` of the local between-class and
    within-class scatter matrices (see ``local_scatter_matrices``). It is
    closed form; the affinities are computed within classes and in row
    blocks, so memory is O(block * n_c), never O(n^2).

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the embedding; ``None`` keeps ``n_features``. LFDA
        reduces dimension exactly: the leading ``n_components`` eigenvectors.

    k : int, default=7
        The neighbour (k-th nearest of the same class) whose distance sets
        each point's local scale, Sugiyama's recommended 7. A class with ``k``
        or fewer points uses its farthest other member, with a warning.

    embedding_type : {"weighted", "orthonormalized", "plain"}, default="weighted"
        ``"plain"``: the eigenvectors (normalised so ``v^T S_w v = 1``);
        ``"weighted"``: each scaled by the square root of its eigenvalue
        (negative eigenvalues count as 0), so directions count by how well
        they separate; ``"orthonormalized"``: an orthonormal basis of the same
        subspace (distances then ignore the scale of the data).

    regularization : float, default=1e-6
        When ``S_w`` is singular (more features than points, constant or
        duplicated features) this ridge, relative to the mean eigenvalue of
        ``S_w``, is added to it, with a warning.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``L``.

    eigenvalues_ : ndarray of shape (n_components,)
        The generalised eigenvalues of the kept directions, largest first.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : The global
        (unimodal) Fisher discriminant.

    References
    ----------
    M. Sugiyama. Dimensionality reduction of multimodal labeled data by local
    Fisher discriminant analysis. JMLR 8:1027-1061, 2007.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import LFDA
    >>> X, y = load_iris(return_X_y=True)
    >>> lfda = LFDA(n_components=2).fit(X, y)
    >>> lfda.transform(X).shape
    (150, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "k": [Interval(Integral, 1, None, closed="left")],
        "embedding_type": [StrOptions({"weighted", "orthonormalized", "plain"})],
        "regularization": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, n_components=None, *, k=7, embedding_type="weighted", regularization=1e-6):
        self.n_components = n_components
        self.k = k
        self.embedding_type = embedding_type
        self.regularization = regularization

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the embedding from labelled data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : LFDA
            The fitted learner.
        """
        X, y, _, y_enc = validate_labelled_data(self, X, y)
        X = X.astype(np.float64, copy=False)
        n_components = self._check_n_components(X.shape[1])
        self._warn_small_classes(y_enc)
        U = wide_span(X)
        if U is not None and self._solvable_on_span(n_components, U.shape[1]):
            # The centred points' coordinates on their span keep every distance, so
            # their scatters are U^T S_w U and U^T S_b U: rank^2 work, not n_features^2.
            B_w, B_b = local_scatter_matrices(X @ U, y_enc, self.k)
            eigvals, eigvecs = self._eig_on_span(B_w, B_b, U, n_components)
        else:
            S_w, S_b = local_scatter_matrices(X, y_enc, self.k)
            eigvals, eigvecs = self._eig(S_w, S_b, n_components)
        self.components_ = self._embedding(eigvals, eigvecs).T
        self.eigenvalues_ = eigvals
        return self

    def _eig(self, S_w, S_b, n_components):
        """The leading generalised eigenpairs of ``(S_b, S_w)`` (``S_w`` ridged if singular)."""
        S_w = self._regularized(S_w, np.linalg.eigvalsh(S_w))
        # Every eigenpair by divide and conquer ("gvd"): faster here than a subset.
        eigvals, eigvecs = scipy.linalg.eigh(S_b, S_w, driver="gvd")
        return eigvals[::-1][:n_components], eigvecs[:, ::-1][:, :n_components]

    def _solvable_on_span(self, n_components, rank):
        """Wide data: the leading pairs are the span's, and the complement's (eigenvalue
        zero) are only needed past the rank, where the weighted embedding zeroes them."""
        return n_components <= rank or self.embedding_type == "weighted"

    def _eig_on_span(self, B_w, B_b, U, n_components):
        """As :meth:`_eig` for scatters on the span ``U`` of the centred points, given
        in its coordinates (``B = U^T S U``): ``S_w`` is singular (ridged), ``S_b`` zero
        off the span, so the pairs past the rank have eigenvalue zero (zero rows of
        the weighted embedding)."""
        d, r = U.shape
        eigvals_w = np.r_[np.zeros(d - r), np.linalg.eigvalsh(B_w)]
        ridge = self._ridge(np.trace(B_w) / d, eigvals_w)  # trace(S_w) = trace(B_w)
        values, vectors = scipy.linalg.eigh(B_b, B_w + ridge * np.eye(r), driver="gvd")
        kept = min(n_components, r)
        eigvals = np.zeros(n_components)
        eigvals[:kept] = values[::-1][:kept]
        eigvecs = np.zeros((d, n_components))
        eigvecs[:, :kept] = U @ vectors[:, ::-1][:, :kept]
        return eigvals, eigvecs

    def _warn_small_classes(self, y_enc):
        counts = np.bincount(y_enc)
        if counts.min() <= self.k:
            warn(
                f"LFDA: {np.sum(counts <= self.k)} class(es) have k={self.k} or fewer "
                f"points (smallest: {counts.min()}); their local scale is the distance "
                "to their farthest other member.",
                UserWarning,
            )

    def _regularized(self, S_w, eigvals):
        """``S_w``, plus the documented ridge when it is singular."""
        ridge = self._ridge(np.trace(S_w) / S_w.shape[0], eigvals)
        return S_w + ridge * np.eye(S_w.shape[0]) if ridge else S_w

    def _ridge(self, mean_eigenvalue, eigvals):
        """The ridge for ``S_w`` with ascending ``eigvals``, with the warning; 0 when it
        is non-singular."""
        top = eigvals[-1]
        if top > 0 and eigvals[0] > rank_tolerance((eigvals.size,) * 2) * top:
            return 0.0
        ridge = self.regularization * (mean_eigenvalue if mean_eigenvalue > 0 else 1.0)
        if ridge <= 0:
            raise ValueError(
                "LFDA: the local within-class scatter is singular and regularization=0; "
                "set regularization > 0 or drop constant features."
            )
        warn(
            "LFDA: the local within-class scatter matrix is singular (more features than "
            f"points, or constant features); a ridge of {ridge:.3g} is added to it.",
            UserWarning,
        )
        return ridge

    def _embedding(self, eigvals, eigvecs):
        if self.embedding_type == "weighted":
            return eigvecs * np.sqrt(np.maximum(eigvals, 0.0))
        if self.embedding_type == "orthonormalized":
            return np.linalg.qr(eigvecs)[0]
        return eigvecs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
