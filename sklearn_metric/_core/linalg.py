"""Dense linear algebra shared by every learner.

Every rank decision of the package uses one rule, :func:`rank_tolerance`: a
singular value (or an eigenvalue of a positive semidefinite matrix, which is the
same thing) counts as zero when it is at most ``max(shape) * eps`` times the
largest one, the rule of :func:`numpy.linalg.matrix_rank`. Functions that take a
``tol`` use that rule when it is ``None``.

This module imports only ``_kernels`` (which imports nothing of the package), so
any layer may use it.
"""

import numpy as np
import scipy.linalg

from .kernels import scipy_blas_single_threaded

__all__ = [
    "components_from_factor",
    "components_from_psd",
    "inverse_sqrt_psd",
    "null_space",
    "project_psd",
    "project_psd_factored",
    "rank_tolerance",
    "row_span",
    "smallest_eigenpair",
    "spans_everything",
    "symmetrize",
]


def rank_tolerance(shape, dtype=np.float64):
    """Relative cut-off below which a singular value counts as zero.

    Parameters
    ----------
    shape : tuple of int
        Shape of the matrix whose rank is decided.
    dtype : dtype, default=np.float64
        Its floating-point type.

    Returns
    -------
    rtol : float
        ``max(shape) * eps(dtype)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import rank_tolerance
    >>> float(rank_tolerance((10, 3)) / np.finfo(np.float64).eps)
    10.0
    """
    dtype = dtype if np.issubdtype(dtype, np.floating) else np.float64
    return max(max(shape, default=1), 1) * float(np.finfo(dtype).eps)


# exp_in_place: arguments below this give 0 (exp(-80) = 1.8e-35, below eps^2 next to 1).
EXP_FLOOR = -80.0


def exp_in_place(E, floor=EXP_FLOOR):
    """``exp(E)`` into ``E``, with 0 where ``E < floor``, and return ``E``.

    For softmax weights (``E`` shifted so each row's largest entry is 0) and
    Gaussian affinities: the dropped values are below ``eps^2`` next to the
    largest. Left in, they and their products are subnormal numbers, which
    the CPU handles in microcode: on Yale B (1689 x 1024) NCA's gradient
    products ran 10x slower (0.65 s against 0.07 s) once most weights were.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import exp_in_place
    >>> exp_in_place(np.array([0.0, -1.0, -745.0]))
    array([1.        , 0.36787944, 0.        ])
    """
    np.putmask(E, E < floor, -np.inf)
    return np.exp(E, out=E)


def symmetrize(M):
    """``(M + M.T) / 2``: the symmetric part of a square matrix."""
    return (M + M.T) / 2


def _eigh_descending(M):
    """Eigenvalues (largest first) and matching eigenvector columns of symmetric ``M``."""
    eigvals, eigvecs = np.linalg.eigh(symmetrize(M))
    return eigvals[::-1], eigvecs[:, ::-1]


def inverse_sqrt_psd(C, tol=None):
    """Pseudo-inverse square root of a symmetric PSD matrix, by eigenvalues.

    Eigenvalues at most ``tol * max_eigenvalue`` are treated as zero: their
    directions get a zero row instead of an infinite one.

    Parameters
    ----------
    C : ndarray of shape (n_features, n_features)
        Symmetric positive semidefinite matrix.
    tol : float or None, default=None
        Relative eigenvalue cut-off; ``None`` means :func:`rank_tolerance`.

    Returns
    -------
    factors : ndarray of shape (n_features, n_features)
        Rows ``eigval**-0.5 * eigvec``, largest eigenvalue first; rows of
        dropped directions are zero. ``factors.T @ factors`` is the
        pseudo-inverse of ``C``.
    eigvals : ndarray of shape (n_features,)
        The eigenvalues of ``C``, in decreasing order.
    eigvecs : ndarray of shape (n_features, n_features)
        The matching eigenvectors, as columns.
    rank : int
        The number of eigenvalues kept.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import inverse_sqrt_psd
    >>> factors, eigvals, _, rank = inverse_sqrt_psd(np.diag([4.0, 0.0]))
    >>> factors, eigvals, rank
    (array([[0.5, 0. ],
           [0. , 0. ]]), array([4., 0.]), 1)
    """
    eigvals, eigvecs = _eigh_descending(C)
    if tol is None:
        tol = rank_tolerance(C.shape)
    top = eigvals[0] if eigvals.size else 0.0
    keep = eigvals > tol * top if top > 0 else np.zeros(eigvals.shape, dtype=bool)
    scale = np.zeros_like(eigvals)
    scale[keep] = 1.0 / np.sqrt(eigvals[keep])
    factors = scale[:, None] * eigvecs.T
    return factors, eigvals, eigvecs, int(keep.sum())


def project_psd(M):
    """Nearest symmetric positive semidefinite matrix in the Frobenius norm.

    Parameters
    ----------
    M : ndarray of shape (n, n)
        A square matrix (its symmetric part is projected).

    Returns
    -------
    M_psd : ndarray of shape (n, n)
        ``M``'s symmetric part with its negative eigenvalues set to zero.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import project_psd
    >>> project_psd(np.diag([2.0, -1.0]))
    array([[2., 0.],
           [0., 0.]])
    """
    eigvals, eigvecs = np.linalg.eigh(symmetrize(M))
    return (eigvecs * np.maximum(eigvals, 0)) @ eigvecs.T


# When at most this share of the eigenpairs lies on one side of zero, LAPACK's MRRR
# driver (syevr) computes that side alone: the tridiagonal reduction plus the few wanted
# vectors, ~3.5x faster than the full divide and conquer on 1024 x 1024 here; asked for
# most of the pairs it is ~3x slower, so the full decomposition is used in between.
_PARTIAL_EIGH_SHARE = 0.25


def project_psd_factored(M, expected_rank=None):
    """:func:`project_psd` that also returns a factor, using a rank guess for speed.

    With ``expected_rank`` (say, the rank of the previous iterate of a projected
    gradient method), only the eigenpairs on the smaller side of zero are computed
    when that side is small: the positive ones when few are expected, the
    non-positive ones (subtracted from ``M``) when few are expected there. A wrong
    guess costs time, never accuracy.

    Parameters
    ----------
    M : ndarray of shape (n, n)
        A square matrix (its symmetric part is projected).
    expected_rank : int or None, default=None
        Guess of the number of positive eigenvalues; ``None`` computes them all.

    Returns
    -------
    M_psd : ndarray of shape (n, n)
        ``M``'s symmetric part with its negative eigenvalues set to zero.
    factor : ndarray of shape (rank, n) or None
        ``F`` with ``F.T @ F == M_psd``, or ``None`` when only the non-positive
        eigenpairs were computed.
    rank : int
        Number of positive eigenvalues.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import project_psd_factored
    >>> M_psd, F, rank = project_psd_factored(np.diag([4.0, -1.0]), expected_rank=1)
    >>> M_psd
    array([[4., 0.],
           [0., 0.]])
    >>> F, rank
    (array([[2., 0.]]), 1)
    """
    M = symmetrize(M)
    n = M.shape[0]
    side = None
    if expected_rank is not None and n > 1:
        if expected_rank <= _PARTIAL_EIGH_SHARE * n:
            side = (0.0, np.inf)  # LAPACK's range is half-open: (0, inf]
        elif n - expected_rank <= _PARTIAL_EIGH_SHARE * n:
            side = (-np.inf, 0.0)
    if side is not None:
        try:
            # One thread (the reduction gains little from two): scipy's idle threads
            # would spin on and slow numpy's next products (isolet MMC: 38 s -> 69 s).
            with scipy_blas_single_threaded():
                values, vectors = scipy.linalg.eigh(
                    M, subset_by_value=side, driver="evr", check_finite=False
                )
        except (np.linalg.LinAlgError, ValueError):
            side = None
    if side is None:
        values, vectors = np.linalg.eigh(M)
        keep = values > 0
        values, vectors = values[keep], vectors[:, keep]
    elif side[0] < 0:  # the non-positive side: M minus it
        M_psd = symmetrize(M - (vectors * values) @ vectors.T)
        return M_psd, None, n - values.size
    F = np.sqrt(values)[:, None] * vectors.T
    return F.T @ F, F, values.size


def components_from_psd(M):
    """A square ``L`` with ``L.T @ L = M`` for PSD ``M``, largest directions first.

    Negative eigenvalues (rounding) are clipped to zero.

    Parameters
    ----------
    M : ndarray of shape (n, n)
        Symmetric positive semidefinite matrix.

    Returns
    -------
    L : ndarray of shape (n, n)
        Rows ``sqrt(eigval) * eigvec``, in decreasing order of eigenvalue.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import components_from_psd
    >>> components_from_psd(np.diag([1.0, 9.0]))
    array([[0., 3.],
           [1., 0.]])
    """
    eigvals, eigvecs = _eigh_descending(M)
    return np.sqrt(np.maximum(eigvals, 0))[:, None] * eigvecs.T


def components_from_factor(F, n_rows=None):
    """:func:`components_from_psd` of ``M = F.T @ F``, without forming ``M``.

    By the thin SVD of ``F``: O(k^2 d) for ``k`` rows instead of O(d^3), for a
    metric of low rank in many features.

    Parameters
    ----------
    F : ndarray of shape (k, n)
    n_rows : int, default=None
        Rows returned (``None``: ``n``, the square ``L``); past ``F``'s rank they are zero.

    Returns
    -------
    L : ndarray of shape (n_rows, n)
        Rows ``singular_value * right_singular_vector``, largest first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import components_from_factor
    >>> np.abs(components_from_factor(np.array([[0.0, 3.0]])))  # rows up to sign
    array([[0., 3.],
           [0., 0.]])
    """
    n = F.shape[1]
    n_rows = n if n_rows is None else n_rows
    _, s, Vt = scipy.linalg.svd(F, full_matrices=False, check_finite=False)
    k = min(s.size, n_rows)
    L = np.zeros((n_rows, n))
    L[:k] = s[:k, None] * Vt[:k]
    return L


def smallest_eigenpair(M):
    """The smallest eigenvalue of symmetric ``M`` and a unit eigenvector of it.

    Only that pair is computed (``scipy.linalg.eigh`` with ``subset_by_index``).

    Parameters
    ----------
    M : ndarray of shape (n, n)
        Symmetric matrix.

    Returns
    -------
    value : float
    vector : ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import smallest_eigenpair
    >>> value, vector = smallest_eigenpair(np.diag([3.0, -2.0, 5.0]))
    >>> float(value), np.abs(vector).tolist()
    (-2.0, [0.0, 1.0, 0.0])
    """
    values, vectors = scipy.linalg.eigh(M, subset_by_index=[0, 0], check_finite=False)
    return float(values[0]), vectors[:, 0]


def _right_singular(A, full):
    """Right singular vectors of ``A`` (as rows; all ``n_features`` of them when
    ``full``, else at most ``n_samples``) and the rank of ``A``."""
    A = np.atleast_2d(A)
    _, s, Vt = scipy.linalg.svd(A, full_matrices=full, check_finite=False)
    top = s[0] if s.size else 0.0
    rank = int(np.count_nonzero(s > rank_tolerance(A.shape, A.dtype) * top)) if top > 0 else 0
    return Vt, rank


def row_span(X):
    """Orthonormal basis of the span of the rows of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    U : ndarray of shape (n_features, rank)
        Orthonormal columns spanning the rows of ``X`` (rank by
        :func:`rank_tolerance`); a zero ``X`` gives ``rank = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import row_span
    >>> U = row_span(np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]))
    >>> U.shape, np.abs(U).ravel().tolist()
    ((3, 1), [1.0, 0.0, 0.0])
    """
    Vt, rank = _right_singular(X, full=False)
    return Vt[:rank].T


def spans_everything(X):
    """Whether the rows of ``X`` certainly span every direction, without an SVD.

    ``True`` when ``X^T X`` minus ``1e-10`` of its trace still has a Cholesky
    factor: then every singular value is above ``1e-5`` of the largest, far
    above :func:`rank_tolerance` (and far above the factorisation's rounding),
    so :func:`row_span` would keep all columns. ``False`` means not certain:
    ask :func:`row_span`. On 1688 x 1024 differences: 50-90 ms against the SVD's 620-710.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    certain : bool

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import spans_everything
    >>> spans_everything(np.eye(3)), spans_everything(np.eye(3)[:2])
    (True, False)
    """
    if X.shape[0] < X.shape[1]:
        return False
    G = X.T @ X
    G[np.diag_indices_from(G)] -= 1e-10 * np.trace(G)
    try:
        np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        return False
    return True


def null_space(X):
    """Orthonormal basis of the null space of ``X``: every ``v`` with ``X v = 0``.

    The complement of :func:`row_span` with the same rank rule.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    N : ndarray of shape (n_features, n_features - rank)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import null_space
    >>> N = null_space(np.array([[1.0, 0.0], [2.0, 0.0]]))
    >>> N.shape, np.abs(N).ravel().tolist()
    ((2, 1), [0.0, 1.0])
    """
    Vt, rank = _right_singular(X, full=True)
    return Vt[rank:].T
