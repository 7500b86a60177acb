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
from scipy import sparse

from .kernels import compiled, run_split, scipy_blas_single_threaded, split_bounds

__all__ = [
    "components_from_factor",
    "components_from_psd",
    "inverse_sqrt_psd",
    "null_space",
    "pair_outer_sum",
    "project_psd",
    "project_psd_factored",
    "rank_tolerance",
    "row_span",
    "smallest_eigenpair",
    "spans_everything",
    "symmetrize",
    "times_upper_transposed",
    "upper_of_product",
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


# Square sizes from which the triangular products below go by blocks (smaller
# ones: one product, then the triangle).
_TRIANGLE_MIN = 256
_TRIANGLE_BLOCKS = 4


def _triangle_bounds(n):
    return np.linspace(0, n, _TRIANGLE_BLOCKS + 1).astype(np.intp)


def times_upper_transposed(X, R):
    """``X @ R.T`` for an upper triangular ``R``, skipping its zero half.

    Column block ``B`` of the product only takes ``X``'s columns from ``B``'s
    start on: about 5/8 of the multiply-adds of the dense product in four
    blocks (on 1689 x 1024 points and a 1024-square ``R``: 10-20% less time
    than the dense product here).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    R : ndarray of shape (n_features, n_features)
        Upper triangular (what lies below the diagonal is not read).

    Returns
    -------
    Z : ndarray of shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import times_upper_transposed
    >>> times_upper_transposed(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 3.0]]))
    array([[3., 6.]])
    """
    n = R.shape[0]
    if n < _TRIANGLE_MIN:
        return X @ np.triu(R).T
    Z = np.empty((X.shape[0], n), dtype=np.result_type(X, R))
    bounds = _triangle_bounds(n)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        Z[:, start:stop] = X[:, start:] @ np.triu(R[start:stop, start:]).T
    return Z


def upper_of_product(A, B):
    """``np.triu(A.T @ B)``, without the products below the diagonal.

    Row block ``B`` of the result only takes ``B``'s columns from its start
    on (the gradient in an upper triangular factor needs no more).

    Parameters
    ----------
    A : ndarray of shape (n_samples, n)
    B : ndarray of shape (n_samples, n)

    Returns
    -------
    U : ndarray of shape (n, n)
        Upper triangular.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import upper_of_product
    >>> upper_of_product(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]))
    array([[3., 4.],
           [0., 8.]])
    """
    n = A.shape[1]
    if n < _TRIANGLE_MIN:
        return np.triu(A.T @ B)
    U = np.zeros((n, n), dtype=np.result_type(A, B))
    bounds = _triangle_bounds(n)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        U[start:stop, start:] = A[:, start:stop].T @ B[:, start:]
        # The diagonal block was computed whole: clear its lower part.
        U[start:stop, start:stop][np.tril_indices(stop - start, -1)] = 0
    return U


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


# From this many entries (pairs x features) on, _graph_product runs the compiled
# kernel (when numba is installed) split over threads. 500,000 pairs of MNIST (164
# dimensions): 160 ms in scipy's sparse product (one thread), 47 ms compiled on two
# threads; 14,440 pairs of Yale B (1024): 7.1 ms against 3.2 ms; 2,000 of them 1.7
# against 1.3 ms; below, equal.
_COMPILED_MIN_ENTRIES = 2**21


def _graph_product(indptr, cols, weights, X):
    """``W @ X`` for the pair graph ``W`` given in compressed rows."""
    n_samples = indptr.size - 1
    large = cols.size * X.shape[1] >= _COMPILED_MIN_ENTRIES
    kernel = compiled("row_weighted_sums") if large else None
    if kernel is None or X.dtype != np.float64 or weights.dtype != np.float64:
        W = sparse.csr_array((weights, cols, indptr), shape=(n_samples, X.shape[0]))
        return W @ X
    out = np.empty((n_samples, X.shape[1]))
    args = (
        indptr,
        np.ascontiguousarray(cols),
        np.ascontiguousarray(weights),
        np.ascontiguousarray(X),
        out,
    )
    # Split by rows (each thread writes rows of its own), about as many pairs each.
    row_bounds = np.searchsorted(indptr, split_bounds(cols.size))
    row_bounds[0], row_bounds[-1] = 0, n_samples  # every row, empty ones too
    run_split(kernel, args, row_bounds)
    return out


# What a sparse product costs per entry in dense multiply-adds (scipy / the compiled
# kernel against BLAS here: 1.7 to 4.6 against 100 GFlop/s, sorting included;
# LMNN on MNIST takes the product with L, on Yale B the Laplacian).
_SPARSE_COST = 30


def _compressed_rows(rows, cols, weights, n_samples):
    """The pair graph ``W`` (``W[a_p, b_p] = w_p``) in compressed rows: ``indptr``
    and the pairs' columns and weights sorted by row."""
    if rows.size > 1 and not np.all(rows[1:] >= rows[:-1]):
        order = np.argsort(rows, kind="stable")
        rows, cols, weights = rows[order], cols[order], weights[order]
    return np.searchsorted(rows, np.arange(n_samples + 1)), cols, weights


def pair_outer_sum(Z, X, rows, cols, weights, L=None, *, upper=False, centred=False):
    """``sum_p w_p (Z[a_p] - Z[b_p])^T (X[a_p] - X[b_p])`` over pairs ``(a_p, b_p)``.

    The gradient of ``sum_p w_p ||L (x_a - x_b)||^2`` in ``L`` is twice this
    with ``Z = X @ L.T``. It equals ``Z^T Lap X`` for the Laplacian ``Lap = D - W
    - W^T`` of the weighted pair graph ``W``. With few pairs per point it is
    computed as ``Z^T (D X - W X - W^T X)``: two sparse products of
    n_pairs * n_features and one dense product of n_samples * n_dims *
    n_features (the least dense work: a single product). With many pairs per
    point and few dims, as ``(D Z - W Z)^T X - Z^T (W X)``: sparse work
    n_pairs * (n_dims + n_features), dense twice as much. Never an
    n_pairs-by-n_features array. Given ``L`` (``Z = X @ L.T``) and many pairs
    over many points in few features (LMNN on MNIST), as ``L (X^T D X - C -
    C^T)`` with ``C = X^T (W X)``: one sparse product, no sort, and dense work
    O(n_samples * n_features^2 + n_features^2 * n_dims).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_dims)
    X : ndarray of shape (n_samples, n_features)
    rows, cols : ndarray of shape (n_pairs,)
        The pairs; sorted by ``rows`` saves a sort.
    weights : ndarray of shape (n_pairs,)
    L : ndarray of shape (n_dims, n_features) or None, default=None
        The map with ``Z = X @ L.T``, if there is one.
    upper : bool, default=False
        Only the upper triangle is wanted (square ``S``; the gradient in an
        upper triangular ``L``): the rest is returned as zero, and through the
        Laplacian the products below the diagonal are skipped.
    centred : bool, default=False
        ``X`` and ``Z`` have column means of zero already (otherwise they are
        centred here: far from the origin, differences would be lost to
        cancellation).

    ``Z`` given as ``X`` itself (the scatter ``X^T Lap X``) is symmetric: only
    its upper triangle is computed, then mirrored.

    Returns
    -------
    S : ndarray of shape (n_dims, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.linalg import pair_outer_sum
    >>> X = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    >>> S = pair_outer_sum(X, X, np.array([0, 2]), np.array([1, 0]), np.array([1.0, 0.5]))
    >>> S.tolist()  # 1 * (1, 2)^T (1, 2) + 0.5 * (3, 1)^T (3, 1)
    [[5.5, 3.5], [3.5, 4.5]]
    """
    n_samples, n_features = X.shape
    n_dims = Z.shape[1]
    # A sparse product costs about _SPARSE_COST dense multiply-adds per entry.
    dense_saved = n_samples * n_features**2 + n_features**2 * n_dims
    if L is not None and _SPARSE_COST * rows.size * n_features > dense_saved:
        degree = np.bincount(rows, weights, n_samples) + np.bincount(cols, weights, n_samples)
        C = X.T @ _graph_product(*_compressed_rows(rows, cols, weights, n_samples), X)
        inner = (degree[:, None] * X).T @ X
        inner -= C
        inner -= C.T
        return np.triu(L @ inner) if upper else L @ inner
    # The Laplacian takes constants to zero: centring changes nothing but the rounding
    # (data far from the origin would lose its differences to cancellation).
    if not centred:
        same = Z is X
        X = X - X.mean(axis=0)
        Z = X if same else Z - Z.mean(axis=0)
    degree = np.bincount(rows, weights, n_samples) + np.bincount(cols, weights, n_samples)
    by_rows = _compressed_rows(rows, cols, weights, n_samples)
    WX = _graph_product(*by_rows, X)
    if rows.size * (n_features - n_dims) <= n_samples * n_dims * n_features:
        lap_X = degree[:, None] * X
        lap_X -= WX
        lap_X -= _graph_product(*_compressed_rows(cols, rows, weights, n_samples), X)
        if upper or Z is X:  # X^T Lap X is symmetric: its upper triangle mirrored
            U = upper_of_product(Z, lap_X)
            return U if upper else U + np.triu(U, 1).T
        return Z.T @ lap_X
    pulled = degree[:, None] * Z
    pulled -= _graph_product(*by_rows, Z)
    S = pulled.T @ X
    S -= Z.T @ WX
    return np.triu(S) if upper else S
