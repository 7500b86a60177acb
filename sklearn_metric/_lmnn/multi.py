"""Multi-metric LMNN (Weinberger & Saul, JMLR 2009, sec. 5): one metric per class or cluster."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.cluster import KMeans
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.base import MetricLearnerMixin, check_n_neighbors, validate_labelled_data
from .._core.compat import Interval, StrOptions, fit_context
from .._core.constraints import find_target_neighbors
from .._core.distances import block_rows, squared_cross
from .._core.optim import LBFGS, run_for_components
from .._core.span import ReducedComponents, SpanDistances, wide_span
from .._core.warn import warn
from .clusters import cluster_means, merge_small_clusters
from .energy import block_energy
from .lmnn import LMNN
from .multi_loss import MultiMetricObjective, local_squared_distances

__all__ = ["MultiMetricLMNN"]

# Restarts of L-BFGS after a failed line search (the smoothed hinge has kinks).
_MAX_RESTARTS = 10


class MultiMetricLMNN(ClassifierMixin, MetricLearnerMixin):
    """Multi-metric Large Margin Nearest Neighbour: a metric per class or per cluster.

    One Mahalanobis metric cannot fit data whose classes are shaped
    differently in different regions (concentric rings, a class made of
    several clusters). Multi-metric LMNN (Weinberger & Saul, 2009) learns one
    map ``L_c`` per class (``n_metrics="classes"``) or per k-means cluster of
    the training set (an int), jointly: the distance from any point ``x`` to
    a training point ``x_j`` is measured in ``x_j``'s metric,
    ``D(x, x_j) = ||L_{c(j)} (x - x_j)||^2``, and LMNN's loss (pull target
    neighbours, push impostors of other classes beyond a unit margin) is
    minimised with those distances, so its margin constraints compare
    distances under different metrics. Every ``L_c`` starts from a global
    :class:`LMNN` fit (the paper's recipe) and all are refined together by
    L-BFGS on the smoothed hinge, impostors searched in blocks at every step.

    Memory is O(n_samples * n_metrics * n_components) for the points embedded
    by every metric (the impostor search itself is blocked): on isolet (6238
    points, 172 dimensions) 104 metrics of full rank peak at 2.4 GB; lower
    ``n_components`` or ``n_metrics`` on large sets.

    Wide data (fewer samples than features: faces): every ``L_c`` moves only
    on the span of the centred training points, as LMNN's, so the joint phase
    solves for ``rank x rank`` blocks with the same iterates as the full
    problem, and the fitted model measures distances to the training points
    in ``2 rank + 1`` dimensions; ``components_per_metric_`` is then built
    when read (``n_metrics * n_components * n_features`` floats). On 280
    olivetti faces (4096 pixels, 40 metrics) the fit takes seconds instead of
    running out of 16 GiB.

    It is also the classifier in the learned local metrics (``predict``,
    ``predict_proba``, ``score``, ``kneighbors``): a query is compared with
    each training point in that point's metric — transformed once per metric,
    searched among that metric's points, the per-metric nearest merged — by a
    k-NN vote (``rule="knn"``) or by LMNN's energy rule (``rule="energy"``,
    see :class:`EnergyClassifier`) with the local metrics: distances to a
    training point in its metric, and a query labelled ``c`` measured, as an
    impostor of training pairs, in the metric of class ``c`` (one metric per
    class) or of its nearest cluster centre (clusters).
    ``transform`` applies the global LMNN metric (``components_``), since a
    single map cannot represent several metrics.

    Parameters
    ----------
    n_metrics : "classes" or int, default="classes"
        One metric per class, or this many metrics from k-means clusters of
        the training points in the global LMNN metric (``random_state``).
        Clusters of fewer than ``n_neighbors + 1`` points are merged into
        the nearest cluster, with a warning. A cluster may hold a single
        class (with ``"classes"`` every one does).

    n_neighbors : int, default=3
        Target neighbours of each point (found in the global metric) and the
        neighbours that vote in ``predict``.

    mu : float, default=0.5
        Weight of the push (impostor) term against the pull term, in [0, 1].

    rule : {"knn", "energy"}, default="knn"
        The decision rule of ``predict`` and ``predict_proba``: a majority
        vote of the ``n_neighbors`` nearest training points, or the label of
        least LMNN energy (probabilities: a softmax of the negative energies).

    n_components : int, default=None
        Rows of every ``L_c``; ``None`` keeps ``n_features``.

    max_iter : int, default=500
        Most L-BFGS iterations of the joint (multi-metric) phase; the global
        LMNN fit uses its own default budget.

    tol : float, default=1e-4
        Relative decrease of the loss below which the joint phase stops. On
        breast_cancer and digits the joint phase stops after 140-180
        iterations with a 3-NN test accuracy as good as after 400 at ``1e-5``
        (which fits the training set's triplets more closely).

    verbose : int, default=0
        Print one line per iteration of the joint phase.

    random_state : int, RandomState instance or None, default=None
        Seed of the global LMNN's initialisation and of k-means.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The global LMNN map, used by ``transform``.

    components_per_metric_ : ndarray of shape (n_metrics, n_components, n_features)
        The learned map of each metric.

    metric_of_point_ : ndarray of shape (n_samples,)
        The metric of each training point.

    cluster_centers_ : ndarray of shape (n_metrics, n_features)
        Mean of each metric's training points, in the input space.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    global_lmnn_ : LMNN
        The fitted global LMNN the metrics start from.

    n_iter_ : int
        Iterations of the joint phase.

    loss_ : float
        The (smoothed) multi-metric loss at the end, per target pair.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    LMNN : One global metric.

    References
    ----------
    K. Q. Weinberger and L. K. Saul. Distance metric learning for large margin
    nearest neighbor classification. JMLR 10:207-244, 2009 (section 5).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import MultiMetricLMNN
    >>> rng = np.random.RandomState(0)
    >>> angle = rng.uniform(0, 2 * np.pi, 200)
    >>> radius = np.repeat([1.0, 2.0], 100)
    >>> X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    >>> y = np.repeat([0, 1], 100)
    >>> clf = MultiMetricLMNN(random_state=0).fit(X, y)
    >>> clf.components_per_metric_.shape
    (2, 2, 2)
    """

    _parameter_constraints: dict = {
        "n_metrics": [StrOptions({"classes"}), Interval(Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "mu": [Interval(Real, 0, 1, closed="both")],
        "rule": [StrOptions({"knn", "energy"})],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_metrics="classes",
        *,
        n_neighbors=3,
        mu=0.5,
        rule="knn",
        n_components=None,
        max_iter=500,
        tol=1e-4,
        verbose=0,
        random_state=None,
    ):
        self.n_metrics = n_metrics
        self.n_neighbors = n_neighbors
        self.mu = mu
        self.rule = rule
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the global metric, then the local metrics jointly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : MultiMetricLMNN
            The fitted learner.
        """
        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        X = X.astype(np.float64, copy=False)
        if self.n_metrics != "classes" and self.n_metrics > X.shape[0]:
            raise ValueError(
                f"n_metrics={self.n_metrics} is larger than the number of samples ({X.shape[0]})."
            )
        self._check_n_components(X.shape[1])
        lmnn = LMNN(
            n_neighbors=self.n_neighbors,
            mu=self.mu,
            n_components=self.n_components,
            random_state=self.random_state,
        ).fit(X, y_enc)
        L = lmnn.components_
        # Wide data: every L_c moves only on the span of the points (ReducedComponents),
        # so the joint phase runs there, with the same iterates.
        U = wide_span(X)
        reduced = None if U is None else ReducedComponents(X, L, U)
        X_fit, L_fit = (X, L) if reduced is None else (reduced.X, reduced.L0)
        Z = X_fit @ L_fit.T  # the training points' distances of X @ L.T
        assign = self._assign(Z, y_enc)
        n_metrics = assign.max() + 1
        targets = find_target_neighbors(Z, y_enc, self.n_neighbors)
        objective = MultiMetricObjective(
            X_fit, y_enc, targets, assign, n_metrics, L_fit.shape[0], self.mu
        )
        lbfgs = LBFGS(
            objective,
            objective.shape,
            name=type(self).__name__,
            max_iter=self.max_iter,
            tol=self.tol,
            relative_tol=True,
            verbose=self.verbose,
            max_restarts=_MAX_RESTARTS,
            columns=[
                ("Active", 10, lambda: objective.last_active),
                ("Searches", 9, lambda: objective.candidates.n_searches),
            ],
        )
        L0 = np.broadcast_to(L_fit, objective.shape)
        result = run_for_components(
            lbfgs, L0, "MultiMetricLMNN (lbfgs)", is_complete=objective.search_again
        )
        self.global_lmnn_ = lmnn
        self.components_ = L
        self.metric_of_point_ = assign
        self.cluster_centers_ = cluster_means(X, assign, n_metrics)
        self.classes_ = classes
        self.n_iter_ = max(1, lbfgs.n_iter)  # a fit that stops at its start evaluated it
        self.loss_ = result.fun
        span = None if reduced is None else SpanDistances(reduced, X.mean(axis=0))
        if span is not None and span.n_dims < X.shape[1]:
            # Distances to the training points in rank + k + 1 dimensions, not n_features.
            self._span = span
            self._reduced_components = result.x
            self._local_components = span.components(result.x)
            features = span.features(X, on_span=True)
        else:
            self._span = None
            self._local_components = result.x if span is None else span.lift(result.x)
            features = X
        self._index(features, y_enc, targets)
        return self

    @property
    def components_per_metric_(self):
        """ndarray of shape (n_metrics, n_components, n_features): the map of each metric.

        On wide data it is built when read, from the span form the fit keeps
        (``n_metrics * n_components * n_features`` floats).
        """
        if not hasattr(self, "_local_components"):
            raise AttributeError(
                "'MultiMetricLMNN' object has no attribute 'components_per_metric_'"
            )
        if self._span is None:
            return self._local_components
        return self._span.lift(self._reduced_components)

    def _features(self, X):
        """The points as the local components see them (themselves, off wide data)."""
        return X if self._span is None else self._span.features(X)

    def _assign(self, Z, y_enc):
        """The metric of each training point: its class, or its k-means cluster."""
        if self.n_metrics == "classes":
            return y_enc.copy()
        km = KMeans(self.n_metrics, n_init=4, random_state=self.random_state).fit(Z)
        assign = np.unique(km.labels_, return_inverse=True)[1]
        empty = self.n_metrics - (assign.max() + 1)
        assign, merged = merge_small_clusters(Z, assign, self.n_neighbors + 1)
        if empty or merged:
            warn(
                f"MultiMetricLMNN: {empty + merged} of the n_metrics={self.n_metrics} "
                f"clusters were empty or held fewer than n_neighbors + 1 = "
                f"{self.n_neighbors + 1} points; their points use the nearest cluster's "
                f"metric ({assign.max() + 1} metrics are learned).",
                UserWarning,
            )
        return assign

    def _index(self, X, y_enc, targets):
        """Each metric's training points (``X``: their features), embedded by it and
        indexed for search, and the margins ``1 + D(x_i, x_j)`` of the target pairs for
        the energy rule."""
        self._X_train, self._y_train = X, y_enc
        Zs = [X @ L.T for L in self._local_components]
        rows = np.repeat(np.arange(X.shape[0]), targets.shape[1])
        valid = targets.ravel() >= 0
        margins = np.full(targets.size, -np.inf)
        margins[valid] = 1 + local_squared_distances(
            Zs, self.metric_of_point_, rows[valid], targets.ravel()[valid]
        )
        self._margins = margins.reshape(targets.shape)
        self._members, self._searches = [], []
        for c, L in enumerate(self._local_components):
            members = np.flatnonzero(self.metric_of_point_ == c)
            self._members.append(members)
            self._searches.append(NearestNeighbors().fit(X[members] @ L.T))

    _private_fitted_attributes = (
        "_X_train",
        "_y_train",
        "_members",
        "_searches",
        "_margins",
        "_span",
        "_local_components",
        "_reduced_components",
    )

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """The nearest training points of each query, each in its own metric.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features), default=None
            Queries; ``None`` means the training points, each not its own neighbour.
        n_neighbors : int, default=None
            Neighbours per query (default: ``n_neighbors``).
        return_distance : bool, default=True
            Whether to return the distances.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            ``||L_{c(j)} (x - x_j)||``, ascending; only when ``return_distance``.
        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the neighbours among the training points.
        """
        check_is_fitted(self)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        n_train = self._y_train.shape[0]
        is_train = X is None
        if is_train:
            Q = self._X_train
        else:
            Q = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
            Q = self._features(Q.astype(np.float64, copy=False))
        check_n_neighbors(k, n_train, Q.shape[0], is_train)  # scikit-learn's checks and words
        dists, inds = [], []
        for L, members, search in zip(
            self._local_components, self._members, self._searches, strict=True
        ):
            # One extra neighbour for the training points: a point may find itself.
            k_c = min(k + is_train, members.size)
            d, i = search.kneighbors(Q @ L.T, k_c)
            dists.append(d)
            inds.append(members[i])
        dist, ind = np.hstack(dists), np.hstack(inds)
        if is_train:
            dist = np.where(ind == np.arange(n_train)[:, None], np.inf, dist)
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        dist = np.take_along_axis(dist, order, axis=1)
        ind = np.take_along_axis(ind, order, axis=1)
        return (dist, ind) if return_distance else ind

    def energy(self, X):
        """LMNN's energy of each query under each class label, in the local metrics.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Queries.

        Returns
        -------
        energy : ndarray of shape (n_queries, n_classes)
            ``E(c)`` for each class of ``classes_`` (lower is better).
        """
        check_is_fitted(self)
        Q = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        Q = Q.astype(np.float64, copy=False)
        query_metric = None if self.n_metrics == "classes" else self._query_metric(Q)
        Q = self._features(Q)
        X_train, y, assign = self._X_train, self._y_train, self.metric_of_point_
        Ls = self._local_components
        n_classes = self.classes_.shape[0]
        out = np.empty((Q.shape[0], n_classes))
        step = block_rows(X_train.shape[0] * max(1, len(Ls)))
        for start in range(0, Q.shape[0], step):
            q = Q[start : start + step]
            # (queries, train, metrics): ||L_c (x_i - q)||^2 for every metric c.
            per_metric = np.stack([squared_cross(q @ L.T, X_train @ L.T) for L in Ls], axis=2)
            D = np.take_along_axis(per_metric, assign[None, :, None], axis=2)[:, :, 0]
            if self.n_metrics == "classes":
                # A query labelled c is measured in class c's metric.
                impostor = [np.ascontiguousarray(per_metric[:, :, c]) for c in range(n_classes)]
                impostor_distances = impostor.__getitem__
            else:
                own = per_metric[np.arange(q.shape[0]), :, query_metric[start : start + step]]
                impostor_distances = lambda c, own=own: own  # noqa: E731
            out[start : start + step] = block_energy(
                D, impostor_distances, y, self._margins, self.mu, self.n_neighbors, n_classes
            )
        return out

    def _query_metric(self, Q):
        """The metric of each query: the cluster whose centre is nearest in the global metric."""
        L = self.components_
        centres = self.cluster_centers_ @ L.T
        return np.argmin(squared_cross(Q @ L.T, centres), axis=1)

    def predict_proba(self, X):
        """Class frequencies among the ``n_neighbors`` nearest training points.
        With ``rule="energy"``: a softmax of the negative energies.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Queries.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_classes)
            Columns in the order of ``classes_``.
        """
        if self.rule == "energy":
            energy = self.energy(X)
            energy -= energy.min(axis=1, keepdims=True)
            proba = np.exp(-energy)
            return proba / proba.sum(axis=1, keepdims=True)
        ind = self.kneighbors(X, return_distance=False)
        labels = self._y_train[ind]
        proba = np.zeros((ind.shape[0], self.classes_.shape[0]))
        for j in range(ind.shape[1]):  # k columns, each vectorised over the queries
            proba[np.arange(ind.shape[0]), labels[:, j]] += 1
        return proba / ind.shape[1]

    def predict(self, X):
        """The majority class among the ``n_neighbors`` nearest training points (or the
        class of least energy, with ``rule="energy"``).

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Queries.

        Returns
        -------
        y : ndarray of shape (n_queries,)
            Predicted class labels.
        """
        check_is_fitted(self)
        if self.rule == "energy":
            return self.classes_[np.argmin(self.energy(X), axis=1)]
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
