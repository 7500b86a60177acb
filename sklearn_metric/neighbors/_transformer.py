"""KNNTransformer: scikit-learn's exact k-NN graph, in a learned metric."""

from sklearn.base import clone
from sklearn.neighbors import KNeighborsTransformer
from sklearn.utils.validation import check_is_fitted

from .._core.compat import HasMethods, fit_context

__all__ = ["KNNTransformer"]

# The transformer's parameters that its inner KNeighborsTransformer shares.
_GRAPH_PARAMS = ("mode", "n_neighbors", "algorithm", "leaf_size", "metric", "p", "metric_params")
_GRAPH_PARAMS += ("n_jobs",)


class KNNTransformer(KNeighborsTransformer):
    """Sparse k-nearest-neighbour graph in a learned metric, exactly.

    A drop-in for :class:`sklearn.neighbors.KNeighborsTransformer` with one
    more parameter, ``metric_learner``: the learner is cloned, fitted on
    ``X, y`` and the graph is built between transformed points, so
    ``Isomap``, ``TSNE``, ``SpectralClustering`` and ``DBSCAN`` given
    ``metric="precomputed"`` (after it in a ``Pipeline``) work in the learned
    metric. With ``metric_learner=None`` the class *is*
    ``KNeighborsTransformer``. For millions of points see
    :class:`ApproximateNeighborsTransformer`.

    Parameters
    ----------
    mode : {'distance', 'connectivity'}, default='distance'
        Type of returned matrix, as in ``KNeighborsTransformer`` (in
        ``'distance'`` mode each row holds ``n_neighbors + 1`` entries).

    n_neighbors : int, default=5
        Number of neighbours of each sample.

    algorithm : {'auto', 'ball_tree', 'kd_tree', 'brute'}, default='auto'
        Exact search algorithm.

    leaf_size : int, default=30
        Leaf size passed to ``BallTree`` or ``KDTree``.

    metric : str or callable, default='minkowski'
        Distance in the (transformed) space; ``'precomputed'`` only without
        a ``metric_learner``.

    p : float, default=2
        Power parameter of the Minkowski metric.

    metric_params : dict, default=None
        Additional keyword arguments for the metric function.

    n_jobs : int, default=None
        Number of parallel jobs for the neighbour search.

    metric_learner : estimator or None, default=None
        Any transformer with ``fit(X, y)`` and ``transform(X)``, cloned and
        refitted (wrap a fitted one in ``sklearn.frozen.FrozenEstimator``).

    Attributes
    ----------
    metric_learner_ : estimator or None
        The fitted clone of ``metric_learner``.

    effective_metric_ : str or callable
        The distance metric used in the (transformed) space.

    effective_metric_params_ : dict
        Additional keyword arguments for the metric function.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    n_samples_fit_ : int
        Number of samples in the fitted data.

    See Also
    --------
    sklearn.neighbors.KNeighborsTransformer : The same graph in the input space.

    References
    ----------
    T. M. Cover and P. E. Hart. Nearest neighbor pattern classification. IEEE
    Transactions on Information Theory 13(1):21-27, 1967.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.manifold import Isomap
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_metric import LFDA, KNNTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> iso = make_pipeline(
    ...     KNNTransformer(n_neighbors=10, metric_learner=LFDA(n_components=20)),
    ...     Isomap(n_neighbors=10, metric="precomputed"))
    >>> iso.fit_transform(X, y).shape
    (1797, 2)
    """

    _parameter_constraints: dict = {
        **KNeighborsTransformer._parameter_constraints,
        "metric_learner": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(
        self,
        *,
        mode="distance",
        n_neighbors=5,
        algorithm="auto",
        leaf_size=30,
        metric="minkowski",
        p=2,
        metric_params=None,
        n_jobs=None,
        metric_learner=None,
    ):
        super().__init__(
            mode=mode,
            n_neighbors=n_neighbors,
            algorithm=algorithm,
            leaf_size=leaf_size,
            metric=metric,
            p=p,
            metric_params=metric_params,
            n_jobs=n_jobs,
        )
        self.metric_learner = metric_learner

    @fit_context(
        # metric_learner is fitted here and validates its own parameters.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None):
        """Fit the metric learner (on ``X, y``), then index the transformed points.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,), default=None
            Targets for the metric learner; ignored without one.

        Returns
        -------
        self : KNNTransformer
            The fitted transformer.
        """
        vars(self).pop("_graph", None)
        if self.metric_learner is None:
            self.metric_learner_ = None
            return KNeighborsTransformer.fit(self, X)
        if self.metric == "precomputed":
            raise ValueError(
                "metric='precomputed' cannot be used with a metric_learner: the "
                "learner transforms feature vectors, not a distance matrix."
            )
        learner = clone(self.metric_learner)
        Xt = learner.fit(X, y).transform(X)
        graph = KNeighborsTransformer(**{name: getattr(self, name) for name in _GRAPH_PARAMS})
        graph.fit(Xt)
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(learner, name):
                setattr(self, name, getattr(learner, name))
            elif name in vars(self):
                delattr(self, name)
        for name in ("effective_metric_", "effective_metric_params_", "n_samples_fit_"):
            setattr(self, name, getattr(graph, name))
        self._n_features_out = graph.n_samples_fit_
        self.metric_learner_, self._graph = learner, graph
        return self

    def _inner(self):
        check_is_fitted(self, "metric_learner_")
        return getattr(self, "_graph", None)

    def _embed(self, X):
        return None if X is None else self.metric_learner_.transform(X)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Find the k nearest training points of each query, in the learned metric.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), default=None
            Queries; ``None`` means the training points, each not its own neighbour.
        n_neighbors : int, default=None
            Number of neighbours (default: ``n_neighbors``).
        return_distance : bool, default=True
            Whether to return the distances.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            Distances in the learned space; only when ``return_distance``.
        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the neighbours among the training points.
        """
        graph = self._inner()
        if graph is None:
            return KNeighborsTransformer.kneighbors(self, X, n_neighbors, return_distance)
        return graph.kneighbors(self._embed(X), n_neighbors, return_distance)

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        """Sparse graph of each query's nearest training points, in the learned metric.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), default=None
            Queries; ``None`` means the training points.
        n_neighbors : int, default=None
            Number of neighbours (default: ``n_neighbors``).
        mode : {'connectivity', 'distance'}, default='connectivity'
            Type of returned matrix.

        Returns
        -------
        A : sparse matrix of shape (n_queries, n_samples_fit)
            ``A[i, j]`` is the weight of the edge from ``i`` to ``j``.
        """
        graph = self._inner()
        if graph is None:
            return KNeighborsTransformer.kneighbors_graph(self, X, n_neighbors, mode)
        return graph.kneighbors_graph(self._embed(X), n_neighbors, mode)

    def transform(self, X):
        """Sparse graph of each query's neighbours among the training points.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features)
            Queries.

        Returns
        -------
        Xt : sparse matrix of shape (n_queries, n_samples_fit)
            ``n_neighbors`` (+1 in ``'distance'`` mode) entries per row.
        """
        graph = self._inner()
        if graph is None:
            return KNeighborsTransformer.transform(self, X)
        return graph.transform(self._embed(X))

    def fit_transform(self, X, y=None):
        """Fit, then the graph of the training points against themselves.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,), default=None
            Targets for the metric learner.

        Returns
        -------
        Xt : sparse matrix of shape (n_samples, n_samples)
            Each point is its own first neighbour in ``'distance'`` mode.
        """
        return self.fit(X, y).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.metric_learner is not None:
            tags.input_tags.pairwise = False
            tags.input_tags.sparse = False
        return tags
