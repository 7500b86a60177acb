"""KNNClassifier: scikit-learn's k-NN classifier, searching in a learned metric."""

from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, StrOptions, fit_context
from ._ann import ANN_ALGORITHMS
from ._search import ApproximateSearch, InheritedSearch, LearnedSpaceSearch

__all__ = ["KNNClassifier"]


class KNNClassifier(KNeighborsClassifier):
    """k-nearest neighbours vote in a learned metric.

    A drop-in for :class:`sklearn.neighbors.KNeighborsClassifier` with one
    more parameter, ``metric_learner``. The learner is cloned and fitted on
    ``X, y``; the training and query points are transformed once by it and
    the neighbour search runs on the transformed points with ``metric`` and
    ``p`` (Euclidean by default), so a Mahalanobis learner costs one matrix
    product, not a Python call per pair.

    With ``metric_learner=None`` the class *is* ``KNeighborsClassifier``: the
    same predictions, probabilities, neighbours, accepted inputs and errors.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours used by default for :meth:`kneighbors` queries.

    weights : {'uniform', 'distance'}, callable or None, default='uniform'
        Weight function used in prediction, as in ``KNeighborsClassifier``.

    algorithm : {'auto', 'ball_tree', 'kd_tree', 'brute', 'hnsw', 'ivf'}, \
            default='auto'
        Neighbour search algorithm. The first four are scikit-learn's exact
        searches. ``'hnsw'`` (a graph index) and ``'ivf'`` (an inverted file,
        optionally product-quantised) are approximate faiss indexes of the
        (transformed) training points, for the Euclidean distance only; they
        need the ``ann`` extra (``pip install 'sklearn_metric[ann]'``) and take
        dense input.

    algorithm_params : dict, default=None
        Parameters of an approximate index (``None``: the defaults below,
        which reach recall@10 >= 0.95 on the package's benchmarks). For
        ``'hnsw'``: ``M`` (32, graph degree), ``ef_construction`` (80) and
        ``ef_search`` (64, raised to ``n_neighbors`` when smaller; larger is
        slower and more exact). For ``'ivf'``: ``n_lists`` (``None``:
        ``4 * sqrt(n_samples)`` cells), ``n_probe`` (24 cells scanned per
        query), ``pq_m`` (``None``: vectors stored exactly; an integer
        dividing the dimension: bytes per compressed vector), ``pq_bits``
        (8), ``refine`` (16: exact re-ranking of ``refine * n_neighbors``
        candidates when ``pq_m`` is set, from an exact copy of the points;
        0: only the ``pq_m``-byte codes are kept, distances approximate) and
        ``seed`` (0, k-means).
        Must be ``None`` for the exact algorithms.

    leaf_size : int, default=30
        Leaf size passed to ``BallTree`` or ``KDTree``.

    p : float, default=2
        Power parameter of the Minkowski metric.

    metric : str or callable, default='minkowski'
        Distance used in the (transformed) space. ``'precomputed'`` is only
        allowed without a ``metric_learner``.

    metric_params : dict, default=None
        Additional keyword arguments for the metric function.

    n_jobs : int, default=None
        Number of parallel jobs for the neighbour search. For ``'hnsw'`` and
        ``'ivf'``: faiss threads, with scikit-learn's meaning: ``None`` is one
        thread and ``-1`` every core.

    metric_learner : estimator or None, default=None
        Any transformer with ``fit(X, y)`` and ``transform(X)`` (a learner of
        this package, a ``Pipeline``, ...). It is always cloned and refitted;
        pass ``sklearn.frozen.FrozenEstimator(learner)`` to use a prefitted
        one as is. ``None`` searches neighbours in the input space.

    Attributes
    ----------
    metric_learner_ : estimator or None
        The fitted clone of ``metric_learner``.

    classes_ : ndarray of shape (n_classes,)
        Class labels known to the classifier.

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

    outputs_2d_ : bool
        False when ``y``'s shape is (n_samples, ) or (n_samples, 1) during fit,
        otherwise True.

    See Also
    --------
    sklearn.neighbors.KNeighborsClassifier : The same classifier in the input space.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn_metric import KNNClassifier, MahalanobisTransformer
    >>> X, y = load_wine(return_X_y=True)
    >>> clf = KNNClassifier(3, metric_learner=MahalanobisTransformer()).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints: dict = {
        **KNeighborsClassifier._parameter_constraints,
        "algorithm": [StrOptions({"auto", "ball_tree", "kd_tree", "brute", *ANN_ALGORITHMS})],
        "algorithm_params": [dict, None],
        "metric_learner": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(
        self,
        n_neighbors=5,
        *,
        weights="uniform",
        algorithm="auto",
        algorithm_params=None,
        leaf_size=30,
        p=2,
        metric="minkowski",
        metric_params=None,
        n_jobs=None,
        metric_learner=None,
    ):
        super().__init__(
            n_neighbors=n_neighbors,
            weights=weights,
            algorithm=algorithm,
            leaf_size=leaf_size,
            p=p,
            metric=metric,
            metric_params=metric_params,
            n_jobs=n_jobs,
        )
        self.algorithm_params = algorithm_params
        self.metric_learner = metric_learner

    @fit_context(
        # metric_learner is fitted here and validates its own parameters.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Fit the metric learner, then the k-nearest neighbours search.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or \
                (n_samples, n_samples) if metric='precomputed'
            Training data.

        y : {array-like, sparse matrix} of shape (n_samples,) or \
                (n_samples, n_outputs)
            Target values (one output only with a ``metric_learner``).

        Returns
        -------
        self : KNNClassifier
            The fitted classifier.
        """
        vars(self).pop("_search", None)
        if self.algorithm in ANN_ALGORITHMS:
            self._search = ApproximateSearch.fit(self, X, y)
            return self
        if self.algorithm_params is not None:
            raise ValueError(
                f"algorithm_params is only used by the approximate algorithms "
                f"{list(ANN_ALGORITHMS)}; got algorithm={self.algorithm!r}."
            )
        if self.metric_learner is None:
            self._search = InheritedSearch.fit(self, X, y)
        else:
            self._search = LearnedSpaceSearch.fit(self, X, y)
        return self

    def _fitted_search(self):
        check_is_fitted(self, "_search")
        return self._search

    def predict(self, X):
        """Predict the class labels for the provided data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), \
                or (n_queries, n_indexed) if metric == 'precomputed', or None
            Test samples. If `None`, predictions for all indexed points are
            returned; in this case, points are not considered their own
            neighbors.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
            Class labels for each data sample.
        """
        return self._fitted_search().predict(X)

    def predict_proba(self, X):
        """Return probability estimates for the test data X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), \
                or (n_queries, n_indexed) if metric == 'precomputed', or None
            Test samples. If `None`, predictions for all indexed points are
            returned; in this case, points are not considered their own
            neighbors.

        Returns
        -------
        p : ndarray of shape (n_queries, n_classes), or a list of n_outputs \
                of such arrays if n_outputs > 1.
            The class probabilities of the input samples, classes in the
            order of ``classes_``.
        """
        return self._fitted_search().predict_proba(X)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Find the K-neighbors of a point, in the learned space.

        Parameters
        ----------
        X : {array-like, sparse matrix}, shape (n_queries, n_features), \
            or (n_queries, n_indexed) if metric == 'precomputed', default=None
            The query points. If not provided, neighbors of each indexed
            point are returned; a point is then not its own neighbor.

        n_neighbors : int, default=None
            Number of neighbors (default: the ``n_neighbors`` parameter).

        return_distance : bool, default=True
            Whether or not to return the distances.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            Distances in the learned space; only when return_distance=True.

        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the nearest points in the training set.
        """
        return self._fitted_search().kneighbors(X, n_neighbors, return_distance)

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        """Compute the (weighted) graph of k-Neighbors, in the learned space.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), \
            or (n_queries, n_indexed) if metric == 'precomputed', default=None
            The query points; ``None`` means the training points, each not
            its own neighbor.

        n_neighbors : int, default=None
            Number of neighbors (default: the ``n_neighbors`` parameter).

        mode : {'connectivity', 'distance'}, default='connectivity'
            Type of returned matrix.

        Returns
        -------
        A : sparse-matrix of shape (n_queries, n_samples_fit)
            `A[i, j]` is the weight of the edge from `i` to `j`.
        """
        return self._fitted_search().kneighbors_graph(X, n_neighbors, mode)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.algorithm in ANN_ALGORITHMS:
            tags.input_tags.sparse = False
            tags.input_tags.pairwise = False
            tags.target_tags.multi_output = False
            tags.classifier_tags.multi_label = False
        if self.metric_learner is not None:
            learner_tags = get_tags(self.metric_learner)
            tags.input_tags.sparse = learner_tags.input_tags.sparse
            tags.input_tags.allow_nan = learner_tags.input_tags.allow_nan
            tags.input_tags.pairwise = False
            tags.classifier_tags.multi_label = False
            tags.target_tags.multi_output = False
        return tags
