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
- :func:`mean_reciprocal_rank`: ``1 / rank`` of the nearest relevant reference;
- :func:`retrieval_curve`: precision@k and recall@k for every ``k`` up to a depth,
  from one ranking.

Each is the mean over the queries that have at least one relevant reference
(queries of a label absent from the references are left out). Distances are
computed in blocks of queries, so memory is O(block * n_references), never
n x n.
"""

import numpy as np

from ._ranking import (
    average_precision_at_r,
    check_index_sets,
    check_k,
    check_sets,
    collect,
    distance_blocks,
    index_reciprocal_ranks,
    mean_over_queries,
    n_references,
    n_relevant,
)

__all__ = [
    "make_retrieval_scorer",
    "mean_average_precision_at_r",
    "mean_reciprocal_rank",
    "precision_at_k",
    "r_precision",
    "recall_at_k",
    "retrieval_curve",
]


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
    k = check_k(k, n_references(X, X_ref, y_ref))
    return collect(
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
    k = check_k(k, n_references(X, X_ref, y_ref))
    return collect(
        X,
        y,
        X_ref,
        y_ref,
        lambda R: np.full(R.shape, k),
        lambda rel, R: rel.any(axis=1) * 1.0,
        index=index,
    )


def retrieval_curve(X, y, X_ref=None, y_ref=None, *, k_max=10, index=None):
    """Precision@k and recall@k for ``k = 1, ..., k_max``, from one ranking.

    Equal, for each ``k``, to :func:`precision_at_k` and :func:`recall_at_k`, at the
    cost of one search to depth ``k_max``.

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
    k_max : int, default=10
        The deepest ``k``.
    index : fitted neighbours estimator, default=None
        Rank by its ``kneighbors`` instead of exact search (see
        :func:`precision_at_k`).

    Returns
    -------
    ks : ndarray of shape (k_max,)
        ``1, ..., k_max``.
    precision : ndarray of shape (k_max,)
        Precision@k for each ``k``.
    recall : ndarray of shape (k_max,)
        Recall@k (the share of queries with a relevant reference among their ``k``
        nearest) for each ``k``.

    See Also
    --------
    sklearn_metric.metrics.precision_at_k : Precision at one ``k``.
    sklearn_metric.inspection.RetrievalCurveDisplay : Draws these curves.

    References
    ----------
    C. D. Manning, P. Raghavan and H. Schütze. Introduction to Information
    Retrieval, chapter 8. Cambridge University Press, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metrics import retrieval_curve
    >>> X, y = np.array([[0.0], [0.5], [1.0], [1.2]]), np.array([0, 1, 0, 1])
    >>> ks, precision, recall = retrieval_curve(X, y, k_max=2)
    >>> precision.tolist(), recall.tolist()
    ([0.0, 0.25], [0.0, 0.5])
    """
    k_max = check_k(k_max, n_references(X, X_ref, y_ref))
    ks = np.arange(1, k_max + 1)

    def per_query(relevant, R):
        hits = np.cumsum(relevant, axis=1)
        return np.hstack([hits / ks, (hits > 0) * 1.0])

    both = collect(X, y, X_ref, y_ref, lambda R: np.full(R.shape, k_max), per_query, index=index)
    return ks, both[:k_max], both[k_max:]


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
    return collect(
        X,
        y,
        X_ref,
        y_ref,
        lambda R: R,
        lambda rel, R: rel.sum(axis=1) / np.maximum(R, 1),
        index=index,
    )


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
    return collect(X, y, X_ref, y_ref, lambda R: R, average_precision_at_r, index=index)


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
        y, y_ref, leave_one_out = check_index_sets(index, X, y, X_ref, y_ref)
        R = n_relevant(y, y_ref, leave_one_out)
        values = index_reciprocal_ranks(index, X, y, y_ref, R, leave_one_out)
        return mean_over_queries(values, R)
    X, y, X_ref, y_ref, leave_one_out = check_sets(X, y, X_ref, y_ref)
    values, Rs = [], []
    for D, relevant, R in distance_blocks(X, y, X_ref, y_ref, leave_one_out):
        # rank = 1 + references closer than the nearest relevant one (d*), + those at
        # d* with a lower index than the first relevant one there.
        d_star = np.where(relevant, D, np.inf).min(axis=1, keepdims=True)
        at_star = D == d_star
        first = np.argmax(at_star & relevant, axis=1)
        before = np.arange(D.shape[1])[None, :] < first[:, None]
        rank = 1 + (D < d_star).sum(axis=1) + (at_star & before).sum(axis=1)
        values.append(np.where(R > 0, 1.0 / rank, 0.0))
        Rs.append(R)
    return mean_over_queries(np.concatenate(values), np.concatenate(Rs))


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
