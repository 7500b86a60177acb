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
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

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


def _distance_blocks(X, y, X_ref, y_ref, leave_one_out):
    """Yield, per block of queries: squared distances to every reference (``inf`` for
    a query itself in leave-one-out), the relevance of every reference, and ``R``."""
    n_ref = X_ref.shape[0]
    ref_norms = np.einsum("ij,ij->i", X_ref, X_ref)
    labels, y_ref_codes = np.unique(y_ref, return_inverse=True)
    counts = np.bincount(y_ref_codes, minlength=labels.size)
    position = np.searchsorted(labels, y)
    known = (position < labels.size) & (labels[np.minimum(position, labels.size - 1)] == y)
    R_all = np.where(known, counts[np.minimum(position, labels.size - 1)], 0)
    if leave_one_out:
        R_all = R_all - 1
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


def _collect(X, y, X_ref, y_ref, depth, per_query):
    X, y, X_ref, y_ref, leave_one_out = _check_sets(X, y, X_ref, y_ref)
    values, Rs = [], []
    for relevant, R in _ranked_blocks(X, y, X_ref, y_ref, leave_one_out, depth):
        values.append(per_query(relevant, R))
        Rs.append(R)
    return _mean_over_queries(np.concatenate(values), np.concatenate(Rs))


def _n_references(X, X_ref):
    return (X.shape[0] - 1) if X_ref is None else np.asarray(X_ref).shape[0]


def precision_at_k(X, y, X_ref=None, y_ref=None, *, k=1):
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

    Returns
    -------
    precision : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import precision_at_k
    >>> X, y = np.array([[0.0], [0.1], [1.0], [1.2]]), np.array([0, 0, 1, 1])
    >>> precision_at_k(X, y, k=1)
    1.0
    """
    k = _check_k(k, _n_references(np.asarray(X), X_ref))
    return _collect(
        X, y, X_ref, y_ref, lambda R: np.full(R.shape, k), lambda rel, R: rel.sum(axis=1) / k
    )


def recall_at_k(X, y, X_ref=None, y_ref=None, *, k=1):
    """Fraction of queries with at least one same-label reference among their ``k`` nearest.

    The "Recall@K" of deep metric learning papers (a hit rate). Parameters as
    :func:`precision_at_k`.

    Returns
    -------
    recall : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import recall_at_k
    >>> X, y = np.array([[0.0], [0.5], [1.0], [1.2]]), np.array([0, 1, 0, 1])
    >>> recall_at_k(X, y, k=2)
    0.5
    """
    k = _check_k(k, _n_references(np.asarray(X), X_ref))
    return _collect(
        X, y, X_ref, y_ref, lambda R: np.full(R.shape, k), lambda rel, R: rel.any(axis=1) * 1.0
    )


def r_precision(X, y, X_ref=None, y_ref=None):
    """Mean precision at ``R``, each query's number of same-label references.

    Parameters as :func:`precision_at_k` (without ``k``).

    Returns
    -------
    r_precision : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import r_precision
    >>> X, y = np.array([[0.0], [0.1], [0.2], [5.0]]), np.array([0, 0, 1, 1])
    >>> r_precision(X, y)
    0.75
    """
    return _collect(
        X, y, X_ref, y_ref, lambda R: R, lambda rel, R: rel.sum(axis=1) / np.maximum(R, 1)
    )


def _average_precision_at_r(relevant, R):
    ranks = np.arange(1, relevant.shape[1] + 1)
    precision = np.cumsum(relevant, axis=1) / ranks
    return (precision * relevant).sum(axis=1) / np.maximum(R, 1)


def mean_average_precision_at_r(X, y, X_ref=None, y_ref=None):
    """MAP@R: ``1/R sum_{i <= R} P(i) rel(i)`` averaged over the queries.

    ``P(i)`` is the precision among the ``i`` nearest references and ``rel(i)``
    whether the ``i``-th is relevant (Musgrave, Belongie & Lim, "A metric learning
    reality check", 2020). Parameters as :func:`precision_at_k` (without ``k``).

    Returns
    -------
    map_at_r : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import mean_average_precision_at_r
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [0.15]])
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> round(mean_average_precision_at_r(X, y), 4)
    0.3333
    """
    return _collect(X, y, X_ref, y_ref, lambda R: R, _average_precision_at_r)


def mean_reciprocal_rank(X, y, X_ref=None, y_ref=None):
    """Mean of ``1 / rank`` of each query's nearest same-label reference.

    Parameters as :func:`precision_at_k` (without ``k``).

    Returns
    -------
    mrr : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import mean_reciprocal_rank
    >>> X, y = np.array([[0.0], [0.5], [1.0]]), np.array([0, 1, 0])
    >>> mean_reciprocal_rank(X, y)  # class 1 has one member: its query is left out
    0.5
    """
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
