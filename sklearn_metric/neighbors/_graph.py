"""ApproximateNeighborsTransformer: KNeighborsTransformer's sparse graph from a faiss index."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.ann import (
    ANN_ALGORITHMS,
    EuclideanIndex,
    calibrate_for,
    import_faiss,
    resolve_params,
)
from .._core.compat import Interval, StrOptions, fit_context
from .._core.kernels import threads_for_n_jobs
from ._query import graph, query

__all__ = ["ApproximateNeighborsTransformer"]


class ApproximateNeighborsTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Sparse k-nearest-neighbour graph from an approximate (faiss) index.

    A drop-in for :class:`sklearn.neighbors.KNeighborsTransformer` (same
    ``mode``, same graph layout) whose search is the HNSW or IVF index of
    :class:`KNNClassifier`, so estimators that accept a precomputed sparse
    graph, ``KNeighborsClassifier(metric="precomputed")``, ``Isomap``,
    ``TSNE(metric="precomputed")``, ``DBSCAN`` and friends, run on millions
    of points. Distances are Euclidean; put a metric learner before it in a
    ``Pipeline`` to search in the learned metric. Needs the ``ann`` extra.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours of each sample. As in ``KNeighborsTransformer``, with
        ``mode='distance'`` each row holds ``n_neighbors + 1`` entries (a
        training point is its own first neighbour in ``fit_transform``).

    mode : {'distance', 'connectivity'}, default='distance'
        Entries are Euclidean distances or ones.

    algorithm : {'hnsw', 'ivf'}, default='hnsw'
        The index, as in :class:`KNNClassifier`.

    algorithm_params : dict, default=None
        Its parameters, as in :class:`KNNClassifier` (by default the search
        breadth is calibrated for ``target_recall=0.95``).

    n_jobs : int, default=None
        faiss threads: ``None`` means one (scikit-learn's meaning), ``-1``
        every core.

    Attributes
    ----------
    n_samples_fit_ : int
        Number of indexed points.

    effective_metric_ : str
        ``'euclidean'``.

    search_params_ : dict
        The search breadth used: ``{"ef_search": ...}`` or ``{"n_probe": ...}``.

    estimated_recall_ : float
        recall@k (``k = n_neighbors + 1``) measured at fit on a seeded sample of
        up to 1000 indexed points against exact search.

    search_calibration_ : list of (int, float, float)
        Every breadth measured at fit, its recall and the 95% lower confidence
        bound the target is checked against, in the order tried (printed with
        ``algorithm_params={"verbose": True}``).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn.neighbors.KNeighborsTransformer : The exact graph.

    References
    ----------
    Y. A. Malkov and D. A. Yashunin. Efficient and robust approximate nearest
    neighbor search using hierarchical navigable small world graphs. IEEE TPAMI
    42(4):824-836, 2020.

    J. Johnson, M. Douze and H. Jégou. Billion-scale similarity search with
    GPUs. IEEE Transactions on Big Data 7(3):535-547, 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.manifold import Isomap
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_metric import ApproximateNeighborsTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> graph = ApproximateNeighborsTransformer(n_neighbors=10).fit_transform(X)
    >>> graph.shape
    (1797, 1797)
    >>> iso = make_pipeline(ApproximateNeighborsTransformer(n_neighbors=10),
    ...                     Isomap(n_neighbors=10, metric="precomputed"))
    >>> iso.fit_transform(X).shape
    (1797, 2)
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "mode": [StrOptions({"distance", "connectivity"})],
        "algorithm": [StrOptions(set(ANN_ALGORITHMS))],
        "algorithm_params": [dict, None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        n_neighbors=5,
        *,
        mode="distance",
        algorithm="hnsw",
        algorithm_params=None,
        n_jobs=None,
    ):
        self.n_neighbors = n_neighbors
        self.mode = mode
        self.algorithm = algorithm
        self.algorithm_params = algorithm_params
        self.n_jobs = n_jobs

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Index the points of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to index (dense).
        y : None
            Ignored.

        Returns
        -------
        self : ApproximateNeighborsTransformer
            The fitted transformer.
        """
        params = resolve_params(self.algorithm, self.algorithm_params)
        import_faiss(self.algorithm)
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._fit_X = np.ascontiguousarray(X, dtype=np.float32)
        self._index = EuclideanIndex(self.algorithm, params, threads_for_n_jobs(self.n_jobs))
        self._index.build(self._fit_X)
        # The graph asks for n_neighbors + 1 in 'distance' mode (each point is its own first).
        calibrate_for(self, self._index, self._fit_X, self.n_neighbors + 1)
        self.n_samples_fit_ = X.shape[0]
        self.effective_metric_ = "euclidean"
        self._n_features_out = self.n_samples_fit_
        return self

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Approximate nearest indexed points of each query.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features), default=None
            Queries; ``None`` means the indexed points, each not its own neighbour.
        n_neighbors : int, default=None
            Neighbours per query (default: ``n_neighbors``).
        return_distance : bool, default=True
            Whether to return the distances.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            Euclidean distances, ascending; only when ``return_distance``.
        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the neighbours among the indexed points.
        """
        check_is_fitted(self)
        Q = (
            None
            if X is None
            else validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        )
        dtype = np.float64 if Q is None else Q.dtype
        n_neighbors = self.n_neighbors if n_neighbors is None else n_neighbors
        return query(self._index, self._fit_X, Q, n_neighbors, return_distance, dtype=dtype)

    def transform(self, X):
        """Sparse graph of each query's neighbours among the indexed points.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Queries.

        Returns
        -------
        Xt : sparse matrix of shape (n_queries, n_samples_fit)
            CSR, ``n_neighbors`` (+1 in ``'distance'`` mode) entries per row,
            nearest first.
        """
        dist, ind = self.kneighbors(X, self.n_neighbors + (self.mode == "distance"))
        return graph(dist, ind, self.n_samples_fit_, self.mode)

    def fit_transform(self, X, y=None):
        """Index ``X``, then the graph of ``X`` against itself (``fit(X).transform(X)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to index and query.
        y : None
            Ignored.

        Returns
        -------
        Xt : sparse matrix of shape (n_samples, n_samples)
            CSR graph; each point is its own first neighbour.
        """
        return self.fit(X).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
