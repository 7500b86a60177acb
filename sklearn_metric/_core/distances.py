"""Squared Euclidean distances, the one home of their formulas: between every row of
two sets (the Gram-matrix form), of given pairs of rows (gathered in chunks, or by a
compiled kernel), and in blocks of rows whose size follows one working-memory
setting, scikit-learn's ``working_memory`` (see :func:`block_entries`)."""

import numpy as np
from sklearn import get_config

from .kernels import compiled, run_split, split_bounds

__all__ = [
    "block_entries",
    "block_rows",
    "pair_squared_distances",
    "squared_cross",
    "squared_distances_rows",
]

# A blocked computation holds up to about this many float64 arrays of its block's
# shape at once (distances, kernel values, masks, their products).
_ARRAYS_PER_BLOCK = 8


def block_entries():
    """Entries of one block of the package's blocked computations.

    Every blocked loop (neighbour and impostor searches, NCA, MLKR and LFDA
    objectives, ranking metrics, energies) sizes its blocks from scikit-learn's
    ``working_memory`` setting (``sklearn.set_config`` or ``config_context``, in
    MiB, 1024 by default): one block-shaped float64 array takes an eighth of it,
    since a block's computation holds up to about eight such arrays at once. The
    default gives blocks of 2**24 entries (128 MiB).

    The blocks are written here over :func:`squared_cross` rather than taken from
    ``sklearn.metrics.pairwise_distances_chunked``: with squared distances reduced
    block by block (10,000 queries against 20,000 references, 64 dimensions) these
    blocks took 2.6-2.9 s, ``pairwise_distances_chunked`` 4.2-5.4 s (Euclidean,
    squared in the reduction: it takes square roots and checks the references
    again for every chunk) and 5.9-7.0 s with ``metric="sqeuclidean"`` (SciPy's
    ``cdist``).

    Returns
    -------
    entries : int
    """
    return max(1, int(get_config()["working_memory"] * 2**20) // (8 * _ARRAYS_PER_BLOCK))


def block_rows(n_columns):
    """Rows of a block of ``n_columns`` entries each (see :func:`block_entries`)."""
    return max(1, block_entries() // max(1, n_columns))


def squared_cross(A, B, *, A_norms=None, B_norms=None):
    """``||a_i - b_j||^2`` for every row ``a_i`` of ``A`` and ``b_j`` of ``B``.

    The Gram form ``|a|^2 + |b|^2 - 2 a.b`` (one matrix product), clipped at zero
    where rounding makes it negative. Pass the rows' squared norms when they are
    known (a block of queries against the same references).

    Parameters
    ----------
    A : ndarray of shape (n_a, n_features)
    B : ndarray of shape (n_b, n_features)
    A_norms, B_norms : ndarray of shape (n_a,), (n_b,), default=None
        ``einsum("ij,ij->i", A, A)`` and the same for ``B``.

    Returns
    -------
    D : ndarray of shape (n_a, n_b)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.distances import squared_cross
    >>> squared_cross(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[3.0, 4.0]]))
    array([[25.],
           [13.]])
    """
    if A_norms is None:
        A_norms = np.einsum("ij,ij->i", A, A)
    if B_norms is None:
        B_norms = np.einsum("ij,ij->i", B, B)
    D = A_norms[:, None] + B_norms[None, :]
    D -= 2 * A @ B.T
    return np.maximum(D, 0, out=D)


# Entries (pairs x dimensions) gathered at once by squared_distances_rows (16 MiB
# in float64): bounds the temporary memory. Smaller chunks were no faster on MNIST
# (164 dimensions) within the run-to-run noise, and slowed LMNN on digits by 40%:
# glibc then serves the fit's other arrays from fresh (page-faulting) mappings.
_PAIR_CHUNK_ENTRIES = 2**21


# From this many entries (pairs x dimensions) on, squared_distances_rows runs the
# compiled kernel (when numba is installed), split over threads of as many entries
# each at least: no gathered copies. 500,000 pairs of MNIST (164 dimensions): 280 ms
# gathered, 75 ms compiled, 40 ms on two threads; LSML's 28,880 pairs of Yale B
# (1024): 78 ms gathered. Smaller calls stay on numpy, so small fits never wait for
# a compilation.
_COMPILED_MIN_ENTRIES = 2**23


def squared_distances_rows(Z, rows, cols):
    """``||Z[rows] - Z[cols]||^2`` elementwise, for index arrays of equal shape.

    Works in chunks of pairs, so the gathered rows take O(chunk * n_dims)
    memory however many pairs there are. The compiled kernel visits the pairs
    sorted by ``rows``: each row of ``Z`` is then read once from memory, not once
    per pair, and threads share rows, not the cache (LSML's 28880 pairs on Yale B,
    1024 dimensions: 17-22 ms -> 8-9 ms with ``Z`` in cache, sort included; little
    gain when ``Z`` has left the cache).
    """
    rows, cols = np.asarray(rows), np.asarray(cols)
    flat_rows, flat_cols = rows.ravel(), cols.ravel()
    out = np.empty(flat_rows.size, dtype=np.result_type(Z.dtype, np.float32))
    n_dims = max(1, Z.shape[1])
    large = flat_rows.size * n_dims >= _COMPILED_MIN_ENTRIES
    kernel = compiled("pair_distances") if large else None
    if kernel is not None and Z.dtype in (np.float32, np.float64):
        order = None
        if not np.all(flat_rows[1:] >= flat_rows[:-1]):
            order = np.argsort(flat_rows, kind="stable")
            flat_rows, flat_cols = flat_rows[order], flat_cols[order]
        args = (
            np.ascontiguousarray(Z),
            np.ascontiguousarray(flat_rows),
            np.ascontiguousarray(flat_cols),
            out,
        )
        bounds = split_bounds(flat_rows.size, max(1, _COMPILED_MIN_ENTRIES // n_dims))
        run_split(kernel, args, bounds)
        if order is not None:
            out[order] = out.copy()
        return out.reshape(rows.shape)
    chunk = max(256, _PAIR_CHUNK_ENTRIES // max(1, Z.shape[1]))
    for start in range(0, flat_rows.size, chunk):
        stop = start + chunk
        diff = Z[flat_rows[start:stop]]
        diff -= Z[flat_cols[start:stop]]
        out[start:stop] = np.einsum("ij,ij->i", diff, diff)
    return out.reshape(rows.shape)


def pair_squared_distances(Z, rows, cols):
    """``||Z[rows] - Z[cols]||^2`` for many pairs.

    Few pairs are gathered directly; many pairs (a good fraction of all n^2)
    are read off blocks of the Gram matrix ``Z Z^T``, which BLAS computes
    much faster than gathering ``2 * n_pairs`` rows of ``Z``.
    """
    n_pairs, n_samples = rows.size, Z.shape[0]
    if n_pairs * 32 < n_samples * n_samples:
        return squared_distances_rows(Z, rows, cols)
    presorted = bool(np.all(rows[1:] >= rows[:-1]))  # impostor lists come sorted by row
    order = None if presorted else np.argsort(rows, kind="stable")
    if order is not None:
        rows, cols = rows[order], cols[order]
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    out = np.empty(n_pairs, dtype=Z.dtype)
    step = block_rows(n_samples)
    starts = np.arange(0, n_samples, step)
    bounds = np.searchsorted(rows, np.append(starts, n_samples))
    for start, lo, hi in zip(starts, bounds[:-1], bounds[1:], strict=True):
        if lo == hi:
            continue
        gram = Z[start : start + step] @ Z.T
        r, c = rows[lo:hi], cols[lo:hi]
        out[lo:hi] = sq_norms[r] + sq_norms[c] - 2 * gram[r - start, c]
    np.maximum(out, 0, out=out)
    if order is None:
        return out
    result = np.empty_like(out)
    result[order] = out
    return result
