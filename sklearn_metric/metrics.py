"""Retrieval metrics: how well a (learned) space ranks a reference set for each query.

A reference point is *relevant* to a query when it has the query's label. The
references are ranked by Euclidean distance to the query (pass points already
mapped by a learner's ``transform``, or use :func:`make_retrieval_scorer`), ties
broken by reference index. With no reference set, every point is a query against
all the others (leave-one-out). ``R`` is a query's number of relevant references.

- :func:`precision_at_k`: the fraction of the ``k`` nearest that are relevant;
- :func:`recall_at_k`: whether any of the ``k`` nearest is relevant (the
  "Recall@K" of the deep metric learning literature);
- :func:`r_precision`: precision at ``R``;
- :func:`mean_average_precision_at_r`: MAP@R (Musgrave, Belongie & Lim, 2020),
  ``1/R sum_{i <= R} P(i) rel(i)``;
- :func:`mean_reciprocal_rank`: ``1 / rank`` of the nearest relevant reference.

Each is the mean over the queries that have at least one relevant reference
(queries of a label absent from the references are left out). Distances are
computed in blocks of queries, so memory is O(block * n_references), never
n x n.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ._core.compat import num_samples, safe_indexing

__all__ = [
    "make_retrieval_scorer",
    "mean_average_precision_at_r",
    "mean_reciprocal_rank",
    "precision_at_k",
    "r_precision",
    "recall_at_k",
]

# Entries of one block of the query x reference distance matrix (~32 MB in float64).
_BLOCK_ENTRIES = 2**22


def _check_sets(X, y, X_ref, y_ref):
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


def _check_k(k, n_references):
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    if k > n_references:
        raise ValueError(f"k={k} is larger than the number of references ({n_references}).")
    return int(k)


def _n_relevant(y, y_ref, leave_one_out):
    """``R`` of each query: the references with its label (itself excluded)."""
    labels, y_ref_codes = np.unique(y_ref, return_inverse=True)
    counts = np.bincount(y_ref_codes, minlength=labels.size)
    position = np.searchsorted(labels, y)
    known = (position < labels.size) & (labels[np.minimum(position, labels.size - 1)] == y)
    R_all = np.where(known, counts[np.minimum(position, labels.size - 1)], 0)
    return R_all - 1 if leave_one_out else R_all


def _distance_blocks(X, y, X_ref, y_ref, leave_one_out):
    """Yield, per block of queries: squared distances to every reference (``inf`` for
    a query itself in leave-one-out), the relevance of every reference, and ``R``."""
    n_ref = X_ref.shape[0]
    ref_norms = np.einsum("ij,ij->i", X_ref, X_ref)
    R_all = _n_relevant(y, y_ref, leave_one_out)
    step = max(1, _BLOCK_ENTRIES // max(1, n_ref))
    for start in range(0, X.shape[0], step):
        rows = np.arange(start, min(start + step, X.shape[0]))
        D = np.einsum("ij,ij->i", X[rows], X[rows])[:, None] + ref_norms - 2 * X[rows] @ X_ref.T
        np.maximum(D, 0, out=D)
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
    for D, all_relevant, R in _distance_blocks(X, y, X_ref, y_ref, leave_one_out):
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


def _mean_over_queries(values, R):
    """Mean of per-query values over the queries with a relevant reference."""
    has = R > 0
    if not has.any():
        raise ValueError(
            "No query has a relevant reference (a reference with its label): the "
            "retrieval metric is undefined."
        )
    return float(values[has].mean())


def _check_index_sets(index, X, y, X_ref, y_ref):
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
    R_all = _n_relevant(y, y_ref, leave_one_out)
    k_all = np.minimum(depth(R_all), y_ref.shape[0] - leave_one_out)
    step = max(1, min(4096, _BLOCK_ENTRIES // max(1, int(k_all.max(initial=0)))))
    for start in range(0, y.shape[0], step):
        rows = np.arange(start, min(start + step, y.shape[0]))
        k, K = k_all[rows], int(k_all[rows].max())
        if K < 1:
            yield np.zeros((rows.size, 0), dtype=bool), R_all[rows]
            continue
        relevant = y_ref[_index_search(index, X, rows, K, leave_one_out)] == y[rows, None]
        relevant &= np.arange(K)[None, :] < k[:, None]
        yield relevant, R_all[rows]


def _collect(X, y, X_ref, y_ref, depth, per_query, index=None):
    if index is None:
        X, y, X_ref, y_ref, leave_one_out = _check_sets(X, y, X_ref, y_ref)
        blocks = _ranked_blocks(X, y, X_ref, y_ref, leave_one_out, depth)
    else:
        y, y_ref, leave_one_out = _check_index_sets(index, X, y, X_ref, y_ref)
        blocks = _index_ranked_blocks(index, X, y, y_ref, leave_one_out, depth)
    values, Rs = [], []
    for relevant, R in blocks:
        values.append(per_query(relevant, R))
        Rs.append(R)
    return _mean_over_queries(np.concatenate(values), np.concatenate(Rs))


def _n_references(X, X_ref, y_ref=None):
    if y_ref is not None:
        return len(y_ref)
    return (num_samples(X) - 1) if X_ref is None else num_samples(X_ref)


def precision_at_k(X, y, X_ref=None, y_ref=None, *, k=1, index=None):
    """Mean fraction of each query's ``k`` nearest references that share its label.

    Parameters
    ----------
    X : array-like of shape (n_queries, n_dims)
        Query points (in the space to evaluate).
    y : array-like of shape (n_queries,)
        Their labels.
    X_ref : array-like of shape (n_references, n_dims), default=None
        Reference points; ``None`` ranks each point of ``X`` against the others.
    y_ref : array-like of shape (n_references,), default=None
        Their labels.
    k : int, default=1
        Neighbours looked at.
    index : fitted neighbours estimator, default=None
        Rank by ``index.kneighbors`` instead of exact search: a fitted
        :class:`~sklearn_metric.KNNClassifier`,
        :class:`~sklearn_metric.ApproximateNeighborsTransformer`,
        :class:`sklearn.neighbors.NearestNeighbors`, ... holding the references
        (fitted on them; on ``X`` for leave-one-out, with ``y_ref=None``).
        ``X`` is then what the index queries (raw points for a classifier
        with a ``metric_learner``), ``X_ref`` may be omitted (``y_ref`` gives
        the references' labels), and an approximate index gives the metric
        of its approximate ranking.

    Returns
    -------
    precision : float

    See Also
    --------
    sklearn_metric.metrics.recall_at_k : The share of the relevant items found.
    sklearn_metric.metrics.r_precision : Precision at R, each query's number of relevant items.

    References
    ----------
    C. D. Manning, P. Raghavan and H. Schütze. Introduction to Information
    Retrieval, chapter 8. Cambridge University Press, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import precision_at_k
    >>> X, y = np.array([[0.0], [0.1], [1.0], [1.2]]), np.array([0, 0, 1, 1])
    >>> precision_at_k(X, y, k=1)
    1.0
    """
    k = _check_k(k, _n_references(X, X_ref, y_ref))
    return _collect(
        X,
        y,
        X_ref,
        y_ref,
        lambda R: np.full(R.shape, k),
        lambda rel, R: rel.sum(axis=1) / k,
        index=index,
    )


def recall_at_k(X, y, X_ref=None, y_ref=None, *, k=1, index=None):
    """Fraction of queries with at least one same-label reference among their ``k`` nearest.

    The "Recall@K" of deep metric learning papers (a hit rate).

    Parameters
    ----------
    X : array-like of shape (n_queries, n_dims)
        Query points (in the space to evaluate).
    y : array-like of shape (n_queries,)
        Their labels.
    X_ref : array-like of shape (n_references, n_dims), default=None
        Reference points; ``None`` ranks each point of ``X`` against the others.
    y_ref : array-like of shape (n_references,), default=None
        Their labels.
    k : int, default=1
        Neighbours looked at.
    index : fitted neighbours estimator, default=None
        Rank by its ``kneighbors`` instead of exact search (see
        :func:`precision_at_k`).

    Returns
    -------
    recall : float

    See Also
    --------
    sklearn_metric.metrics.precision_at_k : The share of the k retrieved that are relevant.
    sklearn_metric.metrics.mean_reciprocal_rank : The rank of the first relevant item.

    References
    ----------
    C. D. Manning, P. Raghavan and H. Schütze. Introduction to Information
    Retrieval, chapter 8. Cambridge University Press, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import recall_at_k
    >>> X, y = np.array([[0.0], [0.5], [1.0], [1.2]]), np.array([0, 1, 0, 1])
    >>> recall_at_k(X, y, k=2)
    0.5
    """
    k = _check_k(k, _n_references(X, X_ref, y_ref))
    return _collect(
        X,
        y,
        X_ref,
        y_ref,
        lambda R: np.full(R.shape, k),
        lambda rel, R: rel.any(axis=1) * 1.0,
        index=index,
    )


def r_precision(X, y, X_ref=None, y_ref=None, *, index=None):
    """Mean precision at ``R``, each query's number of same-label references.

    Parameters
    ----------
    X : array-like of shape (n_queries, n_dims)
        Query points (in the space to evaluate).
    y : array-like of shape (n_queries,)
        Their labels.
    X_ref : array-like of shape (n_references, n_dims), default=None
        Reference points; ``None`` ranks each point of ``X`` against the others.
    y_ref : array-like of shape (n_references,), default=None
        Their labels.
    index : fitted neighbours estimator, default=None
        Rank by its ``kneighbors`` instead of exact search (see
        :func:`precision_at_k`).

    Returns
    -------
    r_precision : float

    See Also
    --------
    sklearn_metric.metrics.precision_at_k : Precision at a fixed k.
    sklearn_metric.metrics.mean_average_precision_at_r : MAP@R, which also
        weighs the ranks of the hits.

    References
    ----------
    K. Musgrave, S. Belongie and S.-N. Lim. A metric learning reality check.
    ECCV 2020.

    C. D. Manning, P. Raghavan and H. Schütze. Introduction to Information
    Retrieval, chapter 8. Cambridge University Press, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import r_precision
    >>> X, y = np.array([[0.0], [0.1], [0.2], [5.0]]), np.array([0, 0, 1, 1])
    >>> r_precision(X, y)
    0.75
    """
    return _collect(
        X,
        y,
        X_ref,
        y_ref,
        lambda R: R,
        lambda rel, R: rel.sum(axis=1) / np.maximum(R, 1),
        index=index,
    )


def _average_precision_at_r(relevant, R):
    ranks = np.arange(1, relevant.shape[1] + 1)
    precision = np.cumsum(relevant, axis=1) / ranks
    return (precision * relevant).sum(axis=1) / np.maximum(R, 1)


def mean_average_precision_at_r(X, y, X_ref=None, y_ref=None, *, index=None):
    """MAP@R: ``1/R sum_{i <= R} P(i) rel(i)`` averaged over the queries.

    ``P(i)`` is the precision among the ``i`` nearest references and ``rel(i)``
    whether the ``i``-th is relevant (Musgrave, Belongie & Lim, "A metric learning
    reality check", 2020). Through an ``index``, each query is searched ``R``
    deep, so an approximate index needs a breadth of that order.

    Parameters
    ----------
    X : array-like of shape (n_queries, n_dims)
        Query points (in the space to evaluate).
    y : array-like of shape (n_queries,)
        Their labels.
    X_ref : array-like of shape (n_references, n_dims), default=None
        Reference points; ``None`` ranks each point of ``X`` against the others.
    y_ref : array-like of shape (n_references,), default=None
        Their labels.
    index : fitted neighbours estimator, default=None
        Rank by its ``kneighbors`` instead of exact search (see
        :func:`precision_at_k`).

    Returns
    -------
    map_at_r : float

    See Also
    --------
    sklearn_metric.metrics.r_precision : Precision at R, without the ranking of the hits.
    sklearn_metric.metrics.precision_at_k : Precision at a fixed k.

    References
    ----------
    K. Musgrave, S. Belongie and S.-N. Lim. A metric learning reality check.
    ECCV 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import mean_average_precision_at_r
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [0.15]])
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> round(mean_average_precision_at_r(X, y), 4)
    0.3333
    """
    return _collect(X, y, X_ref, y_ref, lambda R: R, _average_precision_at_r, index=index)


def mean_reciprocal_rank(X, y, X_ref=None, y_ref=None, *, index=None):
    """Mean of ``1 / rank`` of each query's nearest same-label reference.

    Parameters
    ----------
    X : array-like of shape (n_queries, n_dims)
        Query points (in the space to evaluate).
    y : array-like of shape (n_queries,)
        Their labels.
    X_ref : array-like of shape (n_references, n_dims), default=None
        Reference points; ``None`` ranks each point of ``X`` against the others.
    y_ref : array-like of shape (n_references,), default=None
        Their labels.
    index : fitted neighbours estimator, default=None
        Rank by its ``kneighbors`` instead of exact search (see
        :func:`precision_at_k`).

    Returns
    -------
    mrr : float

    See Also
    --------
    sklearn_metric.metrics.precision_at_k : Precision at a fixed k.
    sklearn_metric.metrics.mean_average_precision_at_r : MAP@R.

    References
    ----------
    E. M. Voorhees. The TREC-8 question answering track report. TREC 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import mean_reciprocal_rank
    >>> X, y = np.array([[0.0], [0.5], [1.0]]), np.array([0, 1, 0])
    >>> mean_reciprocal_rank(X, y)  # class 1 has one member: its query is left out
    0.5
    """
    if index is not None:
        y, y_ref, leave_one_out = _check_index_sets(index, X, y, X_ref, y_ref)
        R = _n_relevant(y, y_ref, leave_one_out)
        values = _index_reciprocal_ranks(index, X, y, y_ref, R, leave_one_out)
        return _mean_over_queries(values, R)
    X, y, X_ref, y_ref, leave_one_out = _check_sets(X, y, X_ref, y_ref)
    values, Rs = [], []
    for D, relevant, R in _distance_blocks(X, y, X_ref, y_ref, leave_one_out):
        # rank = 1 + references closer than the nearest relevant one (d*), + those at
        # d* with a lower index than the first relevant one there.
        d_star = np.where(relevant, D, np.inf).min(axis=1, keepdims=True)
        at_star = D == d_star
        first = np.argmax(at_star & relevant, axis=1)
        before = np.arange(D.shape[1])[None, :] < first[:, None]
        rank = 1 + (D < d_star).sum(axis=1) + (at_star & before).sum(axis=1)
        values.append(np.where(R > 0, 1.0 / rank, 0.0))
        Rs.append(R)
    return _mean_over_queries(np.concatenate(values), np.concatenate(Rs))


def _index_reciprocal_ranks(index, X, y, y_ref, R, leave_one_out):
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


_METRICS = {
    "precision_at_k": precision_at_k,
    "recall_at_k": recall_at_k,
    "r_precision": r_precision,
    "map_at_r": mean_average_precision_at_r,
    "mrr": mean_reciprocal_rank,
}


class _RetrievalScorer:
    """``scorer(estimator, X, y)``: the metric, leave-one-out on ``estimator.transform(X)``."""

    def __init__(self, name, kwargs):
        self.name, self.kwargs = name, kwargs

    def __call__(self, estimator, X, y):
        Z = estimator.transform(X) if hasattr(estimator, "transform") else X
        return _METRICS[self.name](Z, y, **self.kwargs)

    def __repr__(self):
        args = "".join(f", {key}={value!r}" for key, value in self.kwargs.items())
        return f"make_retrieval_scorer({self.name!r}{args})"


def make_retrieval_scorer(metric="map_at_r", **kwargs):
    """A scorer for ``GridSearchCV(scoring=...)`` or ``cross_val_score``: the retrieval
    metric of the held-out fold, leave-one-out, in the space of the fitted
    estimator's ``transform`` (a learner or a pipeline ending in one).

    Parameters
    ----------
    metric : {"map_at_r", "r_precision", "precision_at_k", "recall_at_k", "mrr"}, \
            default="map_at_r"
    **kwargs : dict
        ``k`` for the ``@k`` metrics.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float`` (higher is better).

    See Also
    --------
    sklearn_metric.metrics.precision_at_k : One of the metrics it scores.
    sklearn_metric.metrics.mean_average_precision_at_r : Another (MAP@R).
    sklearn.metrics.make_scorer : The classification counterpart.

    References
    ----------
    K. Musgrave, S. Belongie and S.-N. Lim. A metric learning reality check.
    ECCV 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_metric import NCA
    >>> from sklearn_metric.metrics import make_retrieval_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_val_score(NCA(max_iter=10), X, y, cv=3,
    ...                          scoring=make_retrieval_scorer("precision_at_k", k=3))
    >>> scores.shape
    (3,)
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}; got {metric!r}.")
    if kwargs and metric not in ("precision_at_k", "recall_at_k"):
        raise ValueError(f"{metric} takes no parameters; got {sorted(kwargs)}.")
    return _RetrievalScorer(metric, kwargs)
