"""KNNClassifier: scikit-learn's k-NN classifier, searching in a learned metric."""

from sklearn.neighbors import KNeighborsClassifier

from .._core.ann import ANN_ALGORITHMS
from .._core.compat import HasMethods, StrOptions
from ._learned import LearnedNeighborsMixin

__all__ = ["KNNClassifier"]


class KNNClassifier(LearnedNeighborsMixin, KNeighborsClassifier):
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

    algorithm : {'auto', 'ball_tree', 'kd_tree', 'brute', 'hnsw', 'ivf', 'lsh'}, \
            default='auto'
        Neighbour search algorithm. The first four are scikit-learn's exact
        searches. ``'hnsw'`` (a graph index), ``'ivf'`` (an inverted file,
        optionally product-quantised) and ``'lsh'`` (random-hyperplane hashing,
        re-ranked exactly) are approximate faiss indexes of the (transformed)
        training points, for the Euclidean distance only; they need the
        ``ann`` extra (``pip install 'sklearn_metric[ann]'``) and take dense
        input.

    algorithm_params : dict, default=None
        Parameters of an approximate index. By default its search breadth is
        calibrated at fit for ``target_recall`` (0.95): the index searches a
        seeded sample of its points (a tenth, at most 1000) held out of the
        build, compares with exact search over the others and keeps the
        smallest ``ef_search`` (HNSW), ``n_probe`` (IVF) or ``refine`` (LSH)
        whose recall@``n_neighbors`` meets the target with 95% confidence
        (``search_params_``, ``estimated_recall_``); the sample is then indexed.
        An explicit ``ef_search`` / ``n_probe`` is used as given (not with
        ``target_recall``).
        ``verbose`` (False) prints each breadth tried and its recall (kept in
        ``search_calibration_``). Also, for ``'hnsw'``: ``M``
        (32, graph degree), ``ef_construction`` (80) and ``refine`` (0; ``r``
        re-ranks ``r * n_neighbors`` candidates exactly, from an exact copy of
        the points). For ``'lsh'``: ``n_bits`` (``None``: 8 per dimension) and
        ``refine`` (the breadth: ``refine * n_neighbors`` candidates by Hamming
        distance re-ranked exactly; calibrated by default). For ``'ivf'``:
        ``n_lists`` (``None``: ``4 * sqrt(n_samples)`` cells), ``pq_m``
        (``None``: vectors stored exactly; an integer dividing the dimension:
        bytes per compressed vector), ``pq_bits`` (8), ``refine`` (16: exact
        re-ranking of ``refine * n_neighbors`` candidates when ``pq_m`` is
        set, from an exact copy of the points; 0: only the ``pq_m``-byte codes
        are kept, distances approximate) and ``seed`` (0, k-means).
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

    search_params_ : dict
        Approximate algorithms only: the search breadth used,
        ``{"ef_search": ...}`` or ``{"n_probe": ...}``.

    estimated_recall_ : float
        Approximate algorithms only: recall@``n_neighbors`` measured at fit.

    search_calibration_ : list of (int, float, float)
        Approximate algorithms only: every breadth measured at fit, its recall
        and the 95% lower confidence bound the target is checked against, in
        the order tried.

    See Also
    --------
    sklearn.neighbors.KNeighborsClassifier : The same classifier in the input space.

    References
    ----------
    T. M. Cover and P. E. Hart. Nearest neighbor pattern classification. IEEE
    Transactions on Information Theory 13(1):21-27, 1967.

    K. Q. Weinberger and L. K. Saul. Distance metric learning for large margin
    nearest neighbor classification. JMLR 10:207-244, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn_metric import KNNClassifier, MahalanobisTransformer
    >>> X, y = load_wine(return_X_y=True)
    >>> clf = KNNClassifier(3, metric_learner=MahalanobisTransformer()).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    _knn_base = KNeighborsClassifier

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
