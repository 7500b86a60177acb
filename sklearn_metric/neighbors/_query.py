"""Answers from a fitted index: k-NN queries (a training point never its own
neighbour), the sparse k-NN graph, and the votes and averages of the neighbours, as
scikit-learn's neighbours estimators compute them."""

import numpy as np

from .._core.base import check_n_neighbors

__all__ = [
    "check_euclidean",
    "class_proba",
    "drop_self",
    "graph",
    "query",
    "vote_weights",
    "weighted_mean",
]


def drop_self(distances, indices):
    """Remove each query's own index from ``k + 1`` neighbours (or the farthest)."""
    m, k1 = indices.shape
    is_self = indices == np.arange(m)[:, None]
    # At most one match per row (indices are distinct); without one, drop the last.
    no_self = ~is_self.any(axis=1)
    is_self[no_self, k1 - 1] = True
    keep = ~is_self
    return distances[keep].reshape(m, k1 - 1), indices[keep].reshape(m, k1 - 1)


def check_euclidean(estimator):
    """ValueError unless the estimator's metric is the Euclidean distance."""
    metric = getattr(estimator, "metric", "minkowski")
    p = getattr(estimator, "p", 2)
    euclidean = metric in ("euclidean", "l2") or (metric == "minkowski" and p == 2)
    if not euclidean or getattr(estimator, "metric_params", None):
        raise ValueError(
            f"algorithm={estimator.algorithm!r} searches Euclidean distances only "
            f"(metric='minkowski' with p=2, or 'euclidean'); got metric={metric!r}, "
            f"p={p!r}, metric_params={getattr(estimator, 'metric_params', None)!r}. "
            "A learned metric is applied by transforming first, so any Mahalanobis "
            "metric is served through metric_learner."
        )


def query(index, fit_X, Q, n_neighbors, return_distance, dtype=np.float64):
    """k-NN of the rows of ``Q`` (``None``: the indexed points, each without itself)."""
    query_is_train = Q is None
    n_queries = index.n_samples if query_is_train else Q.shape[0]
    check_n_neighbors(n_neighbors, index.n_samples, n_queries, query_is_train)
    if query_is_train:
        dist, ind = drop_self(*index.search(fit_X, n_neighbors + 1))
    else:
        dist, ind = index.search(Q, n_neighbors)
    if return_distance:
        return dist.astype(dtype, copy=False), ind
    return ind


def graph(dist, ind, n_samples_fit, mode):
    """CSR k-NN graph in scikit-learn's layout (one row per query, nearest first)."""
    from scipy.sparse import csr_matrix

    if mode not in ("connectivity", "distance"):
        raise ValueError(
            'Unsupported mode, must be one of "connectivity", or "distance" but got '
            f'"{mode}" instead'
        )
    n_queries, k = ind.shape
    data = np.ones(ind.size, dtype=dist.dtype) if mode == "connectivity" else dist.ravel()
    indptr = np.arange(0, n_queries * k + 1, k)
    return csr_matrix((data, ind.ravel(), indptr), shape=(n_queries, n_samples_fit))


def vote_weights(dist, weights):
    """scikit-learn's neighbour weights: uniform, inverse distance, or a callable."""
    if weights in (None, "uniform"):
        return np.ones_like(dist)
    if weights == "distance":
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        exact = np.isinf(w)
        rows = exact.any(axis=1)
        w[rows] = exact[rows]  # a query on an indexed point: only the exact matches vote
        return w
    return np.asarray(weights(dist), dtype=np.float64)


def class_proba(ind, weights, y_encoded, n_classes):
    """Weighted class frequencies among the neighbours, rows summing to 1."""
    n_queries, k = ind.shape
    proba = np.zeros((n_queries, n_classes))
    rows = np.arange(n_queries)
    for j in range(k):  # k columns, each vectorised over the queries (rows distinct)
        proba[rows, y_encoded[ind[:, j]]] += weights[:, j]
    total = proba.sum(axis=1, keepdims=True)
    total[total == 0] = 1
    return proba / total


def weighted_mean(y, ind, weights):
    """Each query's weighted mean of its neighbours' targets (rows or multi-output rows)."""
    total = weights.sum(axis=1)
    total[total == 0] = 1
    if y.ndim == 1:
        return np.einsum("ij,ij->i", weights, y[ind]) / total
    return np.einsum("ij,ijk->ik", weights, y[ind]) / total[:, None]
