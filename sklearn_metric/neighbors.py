"""Classifiers that use a learned metric: :class:`KNNClassifier`, :class:`EnergyClassifier`."""

import warnings
from numbers import Integral

import numpy as np
from scipy.special import softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.frozen import FrozenEstimator
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _ann
from ._compat import HasMethods, Interval, StrOptions, fit_context
from ._constraints import find_target_neighbors, squared_distances_rows
from .base import validate_labelled_data

__all__ = ["ApproximateNeighborsTransformer", "EnergyClassifier", "KNNClassifier"]

_KNN_PARAMS = (
    "n_neighbors",
    "weights",
    "algorithm",
    "leaf_size",
    "p",
    "metric",
    "metric_params",
    "n_jobs",
)

# Fitted attributes of the inner k-NN search that the outer classifier shows.
_KNN_ATTRIBUTES = (
    "classes_",
    "outputs_2d_",
    "n_samples_fit_",
    "effective_metric_",
    "effective_metric_params_",
    "_fit_method",
)


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
        ``'ivf'``: faiss threads, ``None`` and ``-1`` meaning every core (as
        scikit-learn's brute-force search uses every core).

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
        "algorithm": [StrOptions({"auto", "ball_tree", "kd_tree", "brute", *_ann.ANN_ALGORITHMS})],
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
        """Fit the metric learner, then the k-nearest neighbours classifier.

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
        for name in ("_knn", "_ann_index", "_ann_fit_X", "_y_encoded"):
            vars(self).pop(name, None)
        if self.algorithm in _ann.ANN_ALGORITHMS:
            return self._fit_ann(X, y)
        if self.algorithm_params is not None:
            raise ValueError(
                f"algorithm_params is only used by the approximate algorithms "
                f"{list(_ann.ANN_ALGORITHMS)}; got algorithm={self.algorithm!r}."
            )
        if self.metric_learner is None:
            self.metric_learner_ = None
            return self._fit(X, y)
        if self.metric == "precomputed":
            raise ValueError(
                "metric='precomputed' cannot be used with a metric_learner: the "
                "learner transforms feature vectors, not a distance matrix."
            )
        learner = clone(self.metric_learner)
        Xt = learner.fit(X, y).transform(X)
        knn = KNeighborsClassifier(**{name: getattr(self, name) for name in _KNN_PARAMS})
        knn.fit(Xt, y)
        self.metric_learner_ = learner
        self._knn = knn
        for name in _KNN_ATTRIBUTES:
            setattr(self, name, getattr(knn, name))
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(learner, name):
                setattr(self, name, getattr(learner, name))
            elif name in vars(self):
                delattr(self, name)
        return self

    def _fit_ann(self, X, y):
        """Fit the learner, then an approximate index of the transformed points."""
        _ann.check_euclidean(self)
        params = _ann.resolve_params(self.algorithm, self.algorithm_params)
        _ann.import_faiss(self.algorithm)  # before a long learner fit
        if self.metric_learner is None:
            X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
            learner, Xt = None, X
        else:
            learner = clone(self.metric_learner)
            Xt = learner.fit(X, y).transform(X)
            for name in ("n_features_in_", "feature_names_in_"):
                if hasattr(learner, name):
                    setattr(self, name, getattr(learner, name))
                elif name in vars(self):
                    delattr(self, name)
            y = column_or_1d(y, warn=True)
            check_consistent_length(Xt, y)
        check_classification_targets(y)
        self.classes_, self._y_encoded = np.unique(y, return_inverse=True)
        self._ann_fit_X = np.ascontiguousarray(Xt, dtype=np.float32)
        threads = _ann.n_threads(self.n_jobs)
        self._ann_index = _ann.EuclideanIndex(self.algorithm, params, threads)
        self._ann_index.build(self._ann_fit_X)
        self.metric_learner_ = learner
        self.outputs_2d_ = False
        self.n_samples_fit_ = self._ann_fit_X.shape[0]
        self.effective_metric_ = "euclidean"
        self.effective_metric_params_ = {}
        self._fit_method = self.algorithm
        return self

    def _ann_queries(self, X):
        """Validated queries in the learned space (``None`` stays ``None``)."""
        if X is None:
            return None
        if self.metric_learner_ is not None:
            return self.metric_learner_.transform(X)
        return validate_data(self, X, reset=False, dtype=[np.float32, np.float64])

    def _ann_kneighbors(self, X, n_neighbors, return_distance=True):
        Q = self._ann_queries(X)
        dtype = np.float64 if Q is None else Q.dtype
        n_neighbors = self.n_neighbors if n_neighbors is None else n_neighbors
        return _ann.query(
            self._ann_index, self._ann_fit_X, Q, n_neighbors, return_distance, dtype=dtype
        )

    def _ann_proba(self, X):
        dist, ind = self._ann_kneighbors(X, None)
        weights = _ann.vote_weights(dist, self.weights)
        return _ann.class_proba(ind, weights, self._y_encoded, self.classes_.shape[0])

    def _uses_ann(self):
        check_is_fitted(self, "_fit_method")
        return self._fit_method in _ann.ANN_ALGORITHMS

    def _embed(self, X):
        """Queries in the learned space (``None`` stays ``None``)."""
        return None if X is None else self.metric_learner_.transform(X)

    def _uses_learner(self):
        check_is_fitted(self, "_fit_method")
        return self.metric_learner_ is not None

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
        if self._uses_ann():
            return self.classes_[np.argmax(self._ann_proba(X), axis=1)]
        if self._uses_learner():
            return self._knn.predict(self._embed(X))
        return super().predict(X)

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
        if self._uses_ann():
            return self._ann_proba(X)
        if self._uses_learner():
            return self._knn.predict_proba(self._embed(X))
        return super().predict_proba(X)

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
        if self._uses_ann():
            return self._ann_kneighbors(X, n_neighbors, return_distance)
        if self._uses_learner():
            return self._knn.kneighbors(self._embed(X), n_neighbors, return_distance)
        return super().kneighbors(X, n_neighbors, return_distance)

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
        if self._uses_ann():
            dist, ind = self._ann_kneighbors(X, n_neighbors)
            return _ann.graph(dist, ind, self.n_samples_fit_, mode)
        if self._uses_learner():
            return self._knn.kneighbors_graph(self._embed(X), n_neighbors, mode)
        return super().kneighbors_graph(X, n_neighbors, mode)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.algorithm in _ann.ANN_ALGORITHMS:
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


class EnergyClassifier(ClassifierMixin, BaseEstimator):
    """LMNN's energy-based decision rule (Weinberger & Saul, JMLR 2009, sec. 4).

    A test point ``x`` gets the label ``c`` that minimises the LMNN loss of the
    training set with ``(x, c)`` added, in the learned metric ``D``:

        E(c) = (1 - mu) sum_{j ~> x} D(x, x_j)
               + mu sum_{j ~> x} sum_{l: y_l != c} [1 + D(x, x_j) - D(x, x_l)]_+
               + mu sum_{i, j ~> i: y_i != c} [1 + D(x_i, x_j) - D(x_i, x)]_+

    where ``j ~> x`` are the ``n_neighbors`` nearest training points of class
    ``c`` and ``j ~> i`` the target neighbours of training point ``i``.
    Computed in blocks of queries: memory is O(block * n_train).

    Parameters
    ----------
    metric_learner : estimator or None, default=None
        The metric: an :class:`~sklearn_metric.LMNN` (``None`` means
        ``LMNN()``), or any transformer whose ``transform`` maps into the
        learned space. Always cloned and refitted; pass
        ``sklearn.frozen.FrozenEstimator(learner)`` to keep a prefitted one.
        The rule uses the learner's ``n_neighbors`` and ``mu`` (3 and 0.5
        for a learner without them).

    Attributes
    ----------
    metric_learner_ : estimator
        The fitted clone of the learner.

    n_neighbors_ : int
        Target neighbours used by the rule.

    mu_ : float
        Push weight used by the rule.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import EnergyClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = EnergyClassifier().fit(X, y)
    >>> clf.predict(X[[0, 50, 100]])
    array([0, 1, 2])
    """

    _parameter_constraints: dict = {
        "metric_learner": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(self, metric_learner=None):
        self.metric_learner = metric_learner

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the metric learner and store the training set in its space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : EnergyClassifier
            The fitted classifier.
        """
        from ._lmnn import LMNN

        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        learner = LMNN() if self.metric_learner is None else clone(self.metric_learner)
        Z = np.asarray(learner.fit(X, y).transform(X), dtype=np.float64)
        inner = learner.estimator if isinstance(learner, FrozenEstimator) else learner
        self.n_neighbors_ = int(getattr(inner, "n_neighbors", 3))
        self.mu_ = float(getattr(inner, "mu", 0.5))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the learner warned already
            targets = find_target_neighbors(Z, y_enc, self.n_neighbors_)
        rows = np.repeat(np.arange(Z.shape[0]), targets.shape[1])
        valid = targets.ravel() >= 0
        margin = np.full(targets.size, -np.inf)
        margin[valid] = 1 + squared_distances_rows(Z, rows[valid], targets.ravel()[valid])
        self.metric_learner_ = learner
        self.classes_ = classes
        self._Z = Z
        self._y = y_enc
        self._margins = margin.reshape(targets.shape)  # 1 + D(x_i, x_j), -inf if padded
        return self

    def energy(self, X):
        """Energy of each test point under each class label (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        energy : ndarray of shape (n_queries, n_classes)
            ``E(c)`` for each class of ``classes_``.
        """
        check_is_fitted(self)
        Q = np.asarray(self.metric_learner_.transform(X), dtype=np.float64)
        Z, y, mu, k = self._Z, self._y, self.mu_, self.n_neighbors_
        n_classes = self.classes_.shape[0]
        onehot = np.zeros((Z.shape[0], n_classes))
        onehot[np.arange(Z.shape[0]), y] = 1
        z_norms = np.einsum("ij,ij->i", Z, Z)
        out = np.empty((Q.shape[0], n_classes))
        step = max(1, 2**21 // max(1, Z.shape[0]))
        for start in range(0, Q.shape[0], step):
            q = Q[start : start + step]
            D = np.einsum("ij,ij->i", q, q)[:, None] + z_norms[None, :] - 2 * q @ Z.T
            np.maximum(D, 0, out=D)
            # x as an impostor of training pairs (i, j): summed per class of i.
            as_impostor = np.zeros_like(D)
            for j in range(self._margins.shape[1]):
                as_impostor += np.maximum(self._margins[None, :, j] - D, 0)
            as_impostor_by_class = as_impostor @ onehot
            impostor_total = as_impostor_by_class.sum(axis=1)
            for c in range(n_classes):
                own = y == c
                D_own, D_other = D[:, own], D[:, ~own]
                k_c = min(k, D_own.shape[1])
                nearest = np.partition(D_own, k_c - 1, axis=1)[:, :k_c]
                pull = nearest.sum(axis=1)
                push = np.zeros(q.shape[0])
                for j in range(k_c):
                    push += np.maximum(1 + nearest[:, j, None] - D_other, 0).sum(axis=1)
                impostor = impostor_total - as_impostor_by_class[:, c]
                out[start : start + step, c] = (1 - mu) * pull + mu * (push + impostor)
        return out

    def decision_function(self, X):
        """Confidence scores: negative energies, as scikit-learn classifiers shape them.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        scores : ndarray of shape (n_queries,) or (n_queries, n_classes)
            With two classes, ``E(classes_[0]) - E(classes_[1])`` (positive
            means ``classes_[1]``); otherwise ``-energy(X)``.
        """
        energy = self.energy(X)
        if energy.shape[1] == 2:
            return energy[:, 0] - energy[:, 1]
        return -energy

    def predict_proba(self, X):
        """Class probabilities: a softmax of the negative energies.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_classes)
            ``exp(-E(c)) / sum_c' exp(-E(c'))``, in the order of ``classes_``.
        """
        return softmax(-self.energy(X), axis=1)

    def predict(self, X):
        """Label of least energy for each test point.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        y : ndarray of shape (n_queries,)
            Predicted class labels.
        """
        energy = self.energy(X)
        return self.classes_[np.argmin(energy, axis=1)]


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
        Its parameters, as in :class:`KNNClassifier`.

    n_jobs : int, default=None
        faiss threads (``None`` and ``-1``: every core).

    Attributes
    ----------
    n_samples_fit_ : int
        Number of indexed points.

    effective_metric_ : str
        ``'euclidean'``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn.neighbors.KNeighborsTransformer : The exact graph.

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
        "algorithm": [StrOptions(set(_ann.ANN_ALGORITHMS))],
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
        params = _ann.resolve_params(self.algorithm, self.algorithm_params)
        _ann.import_faiss(self.algorithm)
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._fit_X = np.ascontiguousarray(X, dtype=np.float32)
        self._index = _ann.EuclideanIndex(self.algorithm, params, _ann.n_threads(self.n_jobs))
        self._index.build(self._fit_X)
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
        return _ann.query(self._index, self._fit_X, Q, n_neighbors, return_distance, dtype=dtype)

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
        return _ann.graph(dist, ind, self.n_samples_fit_, self.mode)

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
