"""The ranking behind the retrieval metrics: input checks, blocked exact distances
and rankings (or an index's), and the per-query quantities the metrics average. The
blocks follow scikit-learn's ``working_memory`` (``_core.distances.block_rows``)."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ._core.compat import num_samples, safe_indexing
from ._core.distances import block_rows, squared_cross


def check_sets(X, y, X_ref, y_ref):
    """Validated queries and references; ``leave_one_out`` when the references are the queries."""
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    y = column_or_1d(y)
    check_consistent_length(X, y)
    if (X_ref is None) != (y_ref is None):
        raise ValueError("Give both X_ref and y_ref, or neither (leave-one-out on X).")
    if X_ref is None:
        return X, y, X, y, True
    X_ref = check_array(X_ref, dtype=[np.float64, np.float32], input_name="X_ref")
    y_ref = column_or_1d(y_ref)
    check_consistent_length(X_ref, y_ref)
    if X_ref.shape[1] != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features but X_ref has {X_ref.shape[1]}: queries and "
            "references must live in the same space."
        )
    return X, y, X_ref, y_ref, False


def check_k(k, n_references):
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    if k > n_references:
        raise ValueError(f"k={k} is larger than the number of references ({n_references}).")
    return int(k)


def n_relevant(y, y_ref, leave_one_out):
    """``R`` of each query: the references with its label (itself excluded)."""
    labels, y_ref_codes = np.unique(y_ref, return_inverse=True)
    counts = np.bincount(y_ref_codes, minlength=labels.size)
    position = np.searchsorted(labels, y)
    known = (position < labels.size) & (labels[np.minimum(position, labels.size - 1)] == y)
    R_all = np.where(known, counts[np.minimum(position, labels.size - 1)], 0)
    return R_all - 1 if leave_one_out else R_all


def distance_blocks(X, y, X_ref, y_ref, leave_one_out):
    """Yield, per block of queries: squared distances to every reference (``inf`` for
    a query itself in leave-one-out), the relevance of every reference, and ``R``."""
    n_ref = X_ref.shape[0]
    ref_norms = np.einsum("ij,ij->i", X_ref, X_ref)
    R_all = n_relevant(y, y_ref, leave_one_out)
    step = block_rows(n_ref)
    for start in range(0, X.shape[0], step):
        rows = np.arange(start, min(start + step, X.shape[0]))
        D = squared_cross(X[rows], X_ref, B_norms=ref_norms)
        if leave_one_out:
            D[np.arange(rows.size), rows] = np.inf  # a query is not its own reference
        relevant = y_ref[None, :] == y[rows, None]
        if leave_one_out:
            relevant[np.arange(rows.size), rows] = False
        yield D, relevant, R_all[rows]


def _ranked_blocks(X, y, X_ref, y_ref, leave_one_out, depth):
    """Yield, per block of queries: the relevance of each query's ``depth(R)`` nearest
    references in rank order (``(block, K)`` booleans, ``K`` the block's largest depth,
    padded with False) and each query's ``R``.

    Exact: references tied at a query's cut-off distance enter in index order.
    """
    n_ref = X_ref.shape[0]
    for D, all_relevant, R in distance_blocks(X, y, X_ref, y_ref, leave_one_out):
        rows = np.arange(D.shape[0])
        k = np.minimum(depth(R), n_ref - leave_one_out)
        K = int(k.max())
        if K < 1:
            yield np.zeros((rows.size, 0), dtype=bool), R
            continue
        # The K nearest of each row, exactly: every reference closer than the
        # K-th distance, then the tied ones in index order.
        kth = np.partition(D, K - 1, axis=1)[:, K - 1]
        closer = D < kth[:, None]
        tied = D == kth[:, None]
        need = K - closer.sum(axis=1)
        chosen = closer | (tied & (np.cumsum(tied, axis=1) <= need[:, None]))
        cols = np.nonzero(chosen)[1].reshape(rows.size, K)  # ascending index per row
        order = np.argsort(np.take_along_axis(D, cols, axis=1), axis=1, kind="stable")
        cols = np.take_along_axis(cols, order, axis=1)
        relevant = np.take_along_axis(all_relevant, cols, axis=1)
        relevant &= np.arange(K)[None, :] < k[:, None]  # each row's own depth
        yield relevant, R


def mean_over_queries(values, R):
    """Mean of per-query values (rows of ``values``) over the queries with a relevant
    reference: a float, or an array for a row of values per query."""
    has = R > 0
    if not has.any():
        raise ValueError(
            "No query has a relevant reference (a reference with its label): the "
            "retrieval metric is undefined."
        )
    mean = values[has].mean(axis=0)
    return float(mean) if mean.ndim == 0 else mean


def check_index_sets(index, X, y, X_ref, y_ref):
    """Queries and reference labels for a search through a fitted ``index``;
    ``leave_one_out`` when ``y_ref`` is None (the index holds ``X`` itself)."""
    if not hasattr(index, "kneighbors"):
        raise TypeError(
            "index must be a fitted neighbours estimator with a kneighbors method "
            f"(KNNClassifier, ApproximateNeighborsTransformer, NearestNeighbors, ...); "
            f"got {type(index).__name__}."
        )
    check_is_fitted(index)
    y = column_or_1d(y)
    check_consistent_length(X, y)
    leave_one_out = y_ref is None
    if leave_one_out:
        if X_ref is not None:
            raise ValueError("Give y_ref with X_ref (the index's reference labels).")
        y_ref = y
    else:
        y_ref = column_or_1d(y_ref)
        if X_ref is not None:
            check_consistent_length(X_ref, y_ref)
    n_fit = getattr(index, "n_samples_fit_", None)
    if n_fit is not None and n_fit != y_ref.shape[0]:
        where = "X (leave-one-out)" if leave_one_out else "y_ref"
        raise ValueError(
            f"The index holds {n_fit} points but {where} has {y_ref.shape[0]}: fit the "
            "index on the references."
        )
    return y, y_ref, leave_one_out


def _index_search(index, X, rows, K, leave_one_out):
    """The ``K`` nearest references of the queries ``rows`` by ``index.kneighbors``, in
    its order; in leave-one-out each query's own index is dropped (or, when the index
    did not return it, the farthest)."""
    ind = index.kneighbors(
        safe_indexing(X, rows), n_neighbors=K + leave_one_out, return_distance=False
    )
    if not leave_one_out:
        return ind
    drop = ind == rows[:, None]
    drop[~drop.any(axis=1), -1] = True
    return ind[~drop].reshape(rows.size, K)


def _index_ranked_blocks(index, X, y, y_ref, leave_one_out, depth):
    """As :func:`_ranked_blocks`, the ranking being the fitted ``index``'s."""
    R_all = n_relevant(y, y_ref, leave_one_out)
    k_all = np.minimum(depth(R_all), y_ref.shape[0] - leave_one_out)
    step = min(4096, block_rows(int(k_all.max(initial=0))))
    for start in range(0, y.shape[0], step):
        rows = np.arange(start, min(start + step, y.shape[0]))
        k, K = k_all[rows], int(k_all[rows].max())
        if K < 1:
            yield np.zeros((rows.size, 0), dtype=bool), R_all[rows]
            continue
        relevant = y_ref[_index_search(index, X, rows, K, leave_one_out)] == y[rows, None]
        relevant &= np.arange(K)[None, :] < k[:, None]
        yield relevant, R_all[rows]


def collect(X, y, X_ref, y_ref, depth, per_query, index=None):
    if index is None:
        X, y, X_ref, y_ref, leave_one_out = check_sets(X, y, X_ref, y_ref)
        blocks = _ranked_blocks(X, y, X_ref, y_ref, leave_one_out, depth)
    else:
        y, y_ref, leave_one_out = check_index_sets(index, X, y, X_ref, y_ref)
        blocks = _index_ranked_blocks(index, X, y, y_ref, leave_one_out, depth)
    values, Rs = [], []
    for relevant, R in blocks:
        values.append(per_query(relevant, R))
        Rs.append(R)
    return mean_over_queries(np.concatenate(values), np.concatenate(Rs))


def n_references(X, X_ref, y_ref=None):
    if y_ref is not None:
        return len(y_ref)
    return (num_samples(X) - 1) if X_ref is None else num_samples(X_ref)


def average_precision_at_r(relevant, R):
    ranks = np.arange(1, relevant.shape[1] + 1)
    precision = np.cumsum(relevant, axis=1) / ranks
    return (precision * relevant).sum(axis=1) / np.maximum(R, 1)


def index_reciprocal_ranks(index, X, y, y_ref, R, leave_one_out):
    """``1 / rank`` of each query's first relevant reference in ``index``'s ranking:
    searched 16 deep, then 4 times deeper for the queries still without one."""
    deepest = y_ref.shape[0] - leave_one_out
    values = np.zeros(y.shape[0])
    todo, K = np.flatnonzero(R > 0), min(16, deepest)
    while todo.size:
        for start in range(0, todo.size, 4096):
            rows = todo[start : start + 4096]
            relevant = y_ref[_index_search(index, X, rows, K, leave_one_out)] == y[rows, None]
            found = relevant.any(axis=1)
            values[rows[found]] = 1.0 / (1 + np.argmax(relevant[found], axis=1))
        todo = todo[values[todo] == 0]
        if K == deepest:
            break
        K = min(4 * K, deepest)
    return values
