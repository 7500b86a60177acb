"""KNNRegressor: scikit-learn's k-NN regressor, searching in a learned metric."""

from sklearn.neighbors import KNeighborsRegressor

from .._core.ann import ANN_ALGORITHMS
from .._core.compat import HasMethods, StrOptions
from ._learned import LearnedNeighborsMixin

__all__ = ["KNNRegressor"]


class KNNRegressor(LearnedNeighborsMixin, KNeighborsRegressor):
    """k-nearest neighbours regression in a learned metric.

    A drop-in for :class:`sklearn.neighbors.KNeighborsRegressor`, as
    :class:`KNNClassifier` is for the classifier: one more parameter,
    ``metric_learner``, cloned and fitted on ``X, y`` (with real targets: a
    regression learner such as :class:`MLKR`, or any transformer); the
    training and query points are transformed once by it and the neighbour
    search runs on the transformed points. With ``metric_learner=None`` the
    class *is* ``KNeighborsRegressor``: the same predictions, neighbours,
    accepted inputs and errors.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours used by default for :meth:`kneighbors` queries.

    weights : {'uniform', 'distance'}, callable or None, default='uniform'
        Weight function used in prediction, as in ``KNeighborsRegressor``.

    algorithm : {'auto', 'ball_tree', 'kd_tree', 'brute', 'hnsw', 'ivf'}, \
            default='auto'
        Neighbour search algorithm: scikit-learn's exact searches, or the
        approximate faiss indexes of :class:`KNNClassifier` (Euclidean
        distance, dense input, one output, the ``ann`` extra).

    algorithm_params : dict, default=None
        Parameters of an approximate index, as in :class:`KNNClassifier`.
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
        Number of parallel jobs for the neighbour search (faiss threads for
        ``'hnsw'`` and ``'ivf'``).

    metric_learner : estimator or None, default=None
        Any transformer with ``fit(X, y)`` and ``transform(X)``; always
        cloned and refitted (wrap a fitted one in
        ``sklearn.frozen.FrozenEstimator`` to keep it). ``None`` searches in
        the input space.

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

    search_params_ : dict
        Approximate algorithms only: the search breadth used (see
        :class:`KNNClassifier`).

    estimated_recall_ : float
        Approximate algorithms only: recall@``n_neighbors`` measured at fit.

    search_calibration_ : list of (int, float, float)
        Approximate algorithms only: every breadth measured at fit, its recall
        and the 95% lower confidence bound the target is checked against, in
        the order tried.

    See Also
    --------
    sklearn.neighbors.KNeighborsRegressor : The same regressor in the input space.
    MLKR : A metric learned for regression.

    References
    ----------
    K. Q. Weinberger and G. Tesauro. Metric learning for kernel regression.
    AISTATS 2007.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn_metric import MLKR, KNNRegressor
    >>> X, y = make_friedman1(n_samples=300, n_features=8, random_state=0)
    >>> reg = KNNRegressor(5, metric_learner=MLKR(random_state=0)).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _knn_base = KNeighborsRegressor

    _parameter_constraints: dict = {
        **KNeighborsRegressor._parameter_constraints,
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
        """Predict the target of each query: the (weighted) mean of its neighbours' targets.

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
            Target values.
        """
        return self._fitted_search().predict(X)
