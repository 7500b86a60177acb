"""Structured products: with an upper triangular factor (only its non-zero half), and
sums of outer products of pair differences weighted per pair (through the sparse
pair graph, compiled when large)."""

import numpy as np
from scipy import sparse

from .kernels import compiled, run_split, split_bounds

__all__ = ["pair_outer_sum", "times_upper_transposed", "upper_of_product"]


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
    >>> from sklearn_metric._core.products import times_upper_transposed
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
    >>> from sklearn_metric._core.products import upper_of_product
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
    >>> from sklearn_metric._core.products import pair_outer_sum
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
