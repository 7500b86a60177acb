"""Wide data: Mahalanobis matrices that act on the span of the training points.

With fewer samples than features (faces, text, genes), every difference of two
training points lies in the span ``U`` (orthonormal columns, rank ``r <= n - 1``)
of the centred points. A learner whose updates are built from such differences,
started from a matrix that leaves that span invariant and is a multiple of the
identity on its complement (the identity, a pseudo-inverse covariance, zero),
keeps the form

    M = U B U^T + c (I - U U^T),     B of shape (r, r), c >= 0,

so it can be solved in ``r x r`` and lifted back in O(d^2 r) instead of d^3.
Points outside the span keep the starting matrix's action there (``c``: 1 for
the identity, 0 for a pseudo-inverse covariance). :class:`SpanSplit` holds
that form; :func:`wide_span` decides when it pays.

This module imports only :mod:`._linalg`.
"""

import numpy as np
import scipy.linalg

from .linalg import rank_tolerance, row_span, symmetrize

__all__ = [
    "ReducedComponents",
    "SpanDistances",
    "SpanSplit",
    "components_problem",
    "span_coordinates",
    "wide_span",
]


def wide_span(X):
    """Orthonormal basis ``U`` (n_features, rank) of the span of the centred rows of ``X``.

    ``None`` when the centred rows can span every feature (as many samples as
    features, or more): the reduction then saves nothing.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    U : ndarray of shape (n_features, rank) or None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.span import wide_span
    >>> wide_span(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])).ravel().tolist()
    [1.0, 0.0, 0.0]
    >>> wide_span(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])) is None  # spans both
    True
    """
    n_samples, n_features = X.shape
    if n_samples - 1 >= n_features:
        return None
    U = row_span(X - X.mean(axis=0))
    return U if U.shape[1] < n_features else None


class SpanSplit:
    """A symmetric matrix ``U B U^T + c (I - U U^T)`` kept as ``(U, B, c)``.

    Parameters
    ----------
    U : ndarray of shape (n_features, rank)
        Orthonormal columns.
    B : ndarray of shape (rank, rank)
        The matrix on the span, in ``U``'s coordinates.
    c : float
        Its eigenvalue on the complement of the span.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.span import SpanSplit
    >>> split = SpanSplit(np.array([[1.0], [0.0]]), np.array([[4.0]]), 1.0)
    >>> split.full()
    array([[4., 0.],
           [0., 1.]])
    >>> split.components()
    array([[2., 0.],
           [0., 1.]])
    """

    def __init__(self, U, B, c):
        self.U = U
        self.B = symmetrize(np.atleast_2d(B))
        self.c = float(c)

    @classmethod
    def of(cls, M, U, rtol=1e-9):
        """The split of a symmetric ``M``, or ``None`` when ``M`` does not have the form.

        ``M`` has it when it maps the span into itself and is ``c`` times the
        identity on the complement, both up to ``rtol`` times its Frobenius
        norm. Costs O(d^2 r).
        """
        d, r = U.shape
        MU = M @ U
        B = U.T @ MU
        scale = max(np.linalg.norm(M), np.finfo(float).tiny)
        leak = np.linalg.norm(MU - U @ B)
        c = (np.trace(M) - np.trace(B)) / (d - r) if d > r else 0.0
        # ||M||^2 = ||B||^2 + 2 ||leak||^2 + ||P M P||^2, and P M P = c P has norm^2 c^2 (d - r).
        rest = np.linalg.norm(M) ** 2 - np.linalg.norm(B) ** 2 - 2 * leak**2
        off_identity = np.sqrt(abs(rest - c**2 * (d - r)))
        if leak > rtol * scale or off_identity > np.sqrt(rtol) * scale:
            return None
        return cls(U, B, c)

    @property
    def n_features(self):
        return self.U.shape[0]

    def full(self):
        """The ``(n_features, n_features)`` matrix."""
        UB = self.U @ self.B
        M = UB @ self.U.T - self.c * (self.U @ self.U.T)
        M[np.diag_indices_from(M)] += self.c
        return symmetrize(M)

    def eig(self):
        """Eigenvalues of ``B`` (largest first) and eigenvectors in the input space."""
        values, vectors = np.linalg.eigh(self.B)
        return values[::-1], self.U @ vectors[:, ::-1]

    def _complement(self):
        """Orthonormal basis (n_features, n_features - rank) of the complement of ``U``:
        the last columns of the full ``Q`` of ``U = Q R``, from its Householder
        reflectors applied to those columns of the identity (LAPACK ``ormqr``: 4x
        faster than forming all of ``Q`` for 4096 x 279)."""
        d, r = self.U.shape
        (reflectors, tau), _ = scipy.linalg.qr(self.U, mode="raw", check_finite=False)
        columns = np.zeros((d, d - r), order="F")
        columns[np.arange(r, d), np.arange(d - r)] = 1.0
        apply = scipy.linalg.lapack.dormqr
        work = apply("L", "N", reflectors, tau, columns, lwork=-1)[1]
        N, _, info = apply(
            "L", "N", reflectors, tau, columns, lwork=int(work[0].real), overwrite_c=1
        )
        if info != 0:  # pragma: no cover - LAPACK argument error
            raise np.linalg.LinAlgError(f"ormqr failed with info={info}")
        return N

    def components(self, n_components=None):
        """``L`` with ``L.T @ L`` the matrix (negative eigenvalues clipped), rows
        ``sqrt(eigval) * eigvec`` in decreasing order of eigenvalue, as
        :func:`~sklearn_metric._core.linalg.components_from_psd`; the first
        ``n_components`` rows only when given.

        The complement's rows (eigenvalue ``c``) are built only when kept and
        ``c > 0``; with ``c = 0`` they are zero rows.
        """
        d, r = self.U.shape
        n_rows = d if n_components is None else min(n_components, d)
        values, vectors = self.eig()
        values = np.maximum(values, 0)
        c = max(self.c, 0.0)
        n_above = int(np.count_nonzero(values >= c))  # span rows before the complement's
        n_span_first = min(n_above, n_rows)
        n_complement = min(d - r, n_rows - n_span_first)
        n_span_after = min(r - n_above, n_rows - n_span_first - n_complement)
        L = np.zeros((n_rows, d))
        span_rows = np.sqrt(values)[:, None] * vectors.T
        L[:n_span_first] = span_rows[:n_span_first]
        if n_complement and c > 0:
            N = self._complement()[:, :n_complement]
            L[n_span_first : n_span_first + n_complement] = np.sqrt(c) * N.T
        start = n_span_first + n_complement
        L[start : start + n_span_after] = span_rows[n_above : n_above + n_span_after]
        return L

    def inverse_sqrt(self, tol=None):
        """The symmetric pseudo-inverse square root, its eigenvalues and its rank.

        Eigenvalues at most ``tol`` times the largest (``None``:
        :func:`~sklearn_metric._core.linalg.rank_tolerance` of the full matrix) get
        weight zero, as :func:`~sklearn_metric._core.linalg.inverse_sqrt_psd`.

        Returns
        -------
        root : ndarray of shape (n_features, n_features)
        eigvals : ndarray of shape (n_features,)
            Every eigenvalue, in decreasing order.
        rank : int
        """
        d, r = self.U.shape
        values, vectors = self.eig()
        eigvals = np.sort(np.r_[values, np.full(d - r, self.c)])[::-1]
        tol = rank_tolerance((d, d)) if tol is None else tol
        top = eigvals[0] if eigvals.size else 0.0
        cut = tol * top if top > 0 else np.inf
        scale = np.where(values > cut, 1.0 / np.sqrt(np.where(values > cut, values, 1.0)), 0.0)
        root = (vectors * scale) @ vectors.T
        rank = int(np.count_nonzero(values > cut))
        if self.c > cut:
            s_c = 1.0 / np.sqrt(self.c)
            root -= s_c * (self.U @ self.U.T)
            root[np.diag_indices_from(root)] += s_c
            rank += d - r
        return symmetrize(root), eigvals, rank


class ReducedComponents:
    """A problem in components ``L`` restricted to where its gradients live.

    For losses of the distances between training points (LMNN, NCA, MLKR), every
    gradient is ``L S`` with ``S = sum_ij w_ij (x_i - x_j)(x_i - x_j)^T``, whose
    rows lie in the span of the centred training points (``U``, orthonormal
    columns; differences have the same coordinates in ``X U``) and whose
    columns lie in the span of ``L``'s own columns. L-BFGS iterates are the
    initial ``L0`` plus combinations of gradients, so with ``L0 U = Q R``
    (``Q`` orthonormal when ``L0`` has more rows than ``U`` has columns)
    every iterate is ``L0 (I - U U^T) + Q R_k U^T``: the problem in ``R`` on
    the data ``X U`` has the same losses, the same inner products and so the
    same iterates, with ``rank x rank`` instead of ``n_components x
    n_features`` unknowns (wide sets with few points: faces).
    Points outside the span keep ``L0``'s action, as in the full problem.
    (Only L-BFGS-B's own gradient test, on the largest entry, is not
    rotation-invariant: it can stop the two runs at different iterations.)
    """

    def __init__(self, X, L0, U):
        self.U = U
        self.X = X @ U
        self._L0_full = L0
        L0U = L0 @ U
        self.base = L0 - L0U @ U.T
        if L0U.shape[0] > L0U.shape[1]:
            self.Q, self.L0 = np.linalg.qr(L0U)
        else:
            self.Q, self.L0 = None, L0U

    def lift(self, R):
        """Full components ``L0 (I - U U^T) + Q R U^T`` of reduced ones ``R`` (the start
        itself, without rounding, when ``R`` is the reduced start)."""
        if np.array_equal(R, self.L0):
            return self._L0_full.copy()
        left = R if self.Q is None else self.Q @ R
        return self.base + left @ self.U.T


def components_problem(X, L0):
    """The data, start and lift of an L-BFGS problem in components ``L``.

    On wide data, the problem on the span (:class:`ReducedComponents`: the same
    iterates); otherwise ``X``, ``L0`` and the identity.

    Returns
    -------
    X_fit : ndarray of shape (n_samples, n_dims)
    L_start : ndarray of shape (n_rows, n_dims)
    lift : callable
        Maps components of the solved problem (shaped as ``L_start``) to
        components of the full one.
    """
    U = wide_span(X)
    if U is None:
        return X, L0, lambda L: L
    reduced = ReducedComponents(X, L0, U)
    return reduced.X, reduced.L0, reduced.lift


def span_coordinates(X, L0):
    """The data, start and lift of a problem in components ``L`` on the span's coordinates.

    For a first-order method that is not rotation-invariant (Adam scales each
    entry of ``L`` on its own). The rows of every gradient ``G = dZ^T X_batch``
    lie in the span ``U`` (rank ``r``) of the training points themselves (not
    centred: a loss of normalised embeddings, whose ``dZ`` does not sum to
    zero over a tuple, needs the mean too), so in the coordinates
    ``[U, U_perp]`` of the input the complement's columns never move.
    The embedded training points ``L x_i = L U U^T x_i`` stay in the column
    space ``Q`` of ``L0 U``, and so do the gradients' columns: when ``L0`` has
    more rows than ``r``, the rows are taken in the coordinates
    ``[Q, Q_perp]`` too. Training ``R`` (``L0 U``, or ``Q^T L0 U``) on
    ``X U`` and lifting by ``L = L0 + (Q R - L0 U) U^T`` is the method run in
    those orthonormal bases at ``r / n_features`` of the cost; losses of
    distances and norms do not see the rotation of the rows. Unlike
    :class:`ReducedComponents`, this is not the same run as in the raw
    coordinates, only the same method in other orthonormal bases.

    Returns
    -------
    X_fit : ndarray of shape (n_samples, n_dims)
    L_start : ndarray of shape (n_rows, n_dims)
    lift : callable or None
        Maps components shaped as ``L_start`` to full ones; ``None`` when the
        data are not wide (``X`` and ``L0`` are then returned as they are).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.span import span_coordinates
    >>> X = np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 1.0]])
    >>> X_fit, L_start, lift = span_coordinates(X, np.eye(3))
    >>> X_fit.shape, L_start.shape
    ((2, 2), (2, 2))
    >>> np.allclose(lift(L_start), np.eye(3))
    True
    """
    n_samples, n_features = X.shape
    U = row_span(X) if n_samples < n_features else None
    if U is None or U.shape[1] == n_features:
        return X, L0, None
    L0U = L0 @ U
    if L0U.shape[0] > L0U.shape[1]:
        # More rows than the span's rank: the embedded training points (L x_i = L U U^T x_i)
        # and so every gradient's columns stay in the column space Q of L0 U.
        Q, L_start = np.linalg.qr(L0U)
    else:
        Q, L_start = None, L0U

    def lift(R):
        return L0 + ((R if Q is None else Q @ R) - L0U) @ U.T

    return X @ U, L_start, lift


class SpanDistances:
    """Distances to the training points in every lift of a :class:`ReducedComponents`,
    without the lifted ``(n_components, n_features)`` matrices.

    For ``L = L0 (I - U U^T) + Q R U^T`` and a training point ``x_i`` (on the
    span: ``(I - U U^T)(x_i - m) = 0`` with ``m`` the training mean),
    ``L (x - x_i) = a(x) + Q R U^T (x - x_i)`` with ``a(x) = L0 (I - U U^T)(x - m)``,
    so ``||L (x - x_i)||^2 = ||Q^T a(x) + R U^T (x - x_i)||^2 + ||a(x) - Q Q^T a(x)||^2``.
    :meth:`features` maps points to ``[U^T x, Q^T a(x), ||a(x) - Q Q^T a(x)||]``
    and :meth:`components` maps ``R`` to ``[[R, I, 0], [0, 0, 1]]``; their
    product gives those distances in ``rank + k + 1`` dimensions (``k`` the
    rows of ``R``), whatever ``n_features``. Only distances from a point to
    a training point are preserved.

    Parameters
    ----------
    reduced : ReducedComponents
    mean : ndarray of shape (n_features,)
        Mean of the training points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.span import ReducedComponents, SpanDistances, wide_span
    >>> rng = np.random.RandomState(0)
    >>> X, L0 = rng.randn(3, 5), rng.randn(4, 5)
    >>> reduced = ReducedComponents(X, L0, wide_span(X))
    >>> span = SpanDistances(reduced, X.mean(axis=0))
    >>> R = reduced.L0 + 0.1
    >>> q = rng.randn(1, 5)
    >>> direct = np.linalg.norm((q - X) @ reduced.lift(R).T, axis=1)
    >>> Lr = span.components(R)
    >>> F, F_train = span.features(q), span.features(X, on_span=True)
    >>> via_span = np.linalg.norm((F - F_train) @ Lr.T, axis=1)
    >>> bool(np.allclose(direct, via_span))
    True
    """

    def __init__(self, reduced, mean):
        self.U = reduced.U
        self.Q = reduced.Q
        self.L0 = reduced._L0_full
        self.L0U = self.L0 @ self.U
        self.mean = mean

    @property
    def n_rows(self):
        return self.L0.shape[0] if self.Q is None else self.Q.shape[1]

    @property
    def n_dims(self):
        """Dimension of :meth:`features`."""
        return self.U.shape[1] + self.n_rows + 1

    def features(self, X, on_span=False):
        """``[U^T x, Q^T a(x), ||a(x) - Q Q^T a(x)||]`` of each row; the training points
        (``on_span``) have exactly zero ``a``."""
        S = X @ self.U
        k = self.n_rows
        if on_span:
            return np.hstack([S, np.zeros((X.shape[0], k + 1))])
        centred = X - self.mean
        A = centred @ self.L0.T - (centred @ self.U) @ self.L0U.T
        if self.Q is None:
            return np.hstack([S, A, np.zeros((X.shape[0], 1))])
        QA = A @ self.Q
        rest = np.linalg.norm(A - QA @ self.Q.T, axis=1)
        return np.hstack([S, QA, rest[:, None]])

    def components(self, R):
        """``[[R, I, 0], [0, 0, 1]]`` of reduced components ``R`` (k, rank), or of a stack
        of them (n, k, rank)."""
        R = np.asarray(R)
        k, r = R.shape[-2:]
        out = np.zeros(R.shape[:-2] + (k + 1, r + k + 1))
        out[..., :k, :r] = R
        out[..., :k, r : r + k] = np.eye(k)
        out[..., k, r + k] = 1.0
        return out

    def lift(self, R):
        """The full components ``L0 (I - U U^T) + Q R U^T`` of ``R`` (k, rank), or of a
        stack of them (n, k, rank)."""
        left = R if self.Q is None else self.Q @ R
        return self.L0 + (left - self.L0U) @ self.U.T
