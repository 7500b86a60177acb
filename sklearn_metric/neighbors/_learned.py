"""What :class:`KNNClassifier` and :class:`KNNRegressor` share: fit a learner, then search."""

from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from .._core.ann import ANN_ALGORITHMS
from .._core.compat import fit_context
from ._search import ApproximateSearch, InheritedSearch, LearnedSpaceSearch

__all__ = ["LearnedNeighborsMixin"]


class LearnedNeighborsMixin:
    """``fit``, ``kneighbors`` and ``kneighbors_graph`` in a learned metric.

    Mixed in before a scikit-learn neighbours estimator, named by the class
    attribute ``_knn_base``; the search strategy is chosen once in ``fit``
    (see ``_search.py``).
    """

    _knn_base = None

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
        self : object
            The fitted estimator.
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
        single_output = self.algorithm in ANN_ALGORITHMS or self.metric_learner is not None
        if self.algorithm in ANN_ALGORITHMS:
            tags.input_tags.sparse = False
            tags.input_tags.pairwise = False
        if self.metric_learner is not None:
            learner_tags = get_tags(self.metric_learner)
            tags.input_tags.sparse = learner_tags.input_tags.sparse
            tags.input_tags.allow_nan = learner_tags.input_tags.allow_nan
            tags.input_tags.pairwise = False
        if single_output:
            tags.target_tags.multi_output = False
            if tags.classifier_tags is not None:
                tags.classifier_tags.multi_label = False
        return tags
