"""A few queries' nearest training points, before and after learning."""

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array, column_or_1d

from ._base import axes_grid, estimator_name, learned_transform

__all__ = ["NeighborsDisplay"]


class NeighborsDisplay:
    """For each query, its nearest training points in the input space and in the
    learned space, one row each; images are drawn as images.

    Build it with :meth:`from_estimator`. With labels, each neighbour's frame is
    green when it shares its query's label and red when it does not.

    Parameters
    ----------
    X_query : ndarray of shape (n_queries, n_features)
        The queries.
    X : ndarray of shape (n_samples, n_features)
        The training points.
    neighbors : dict
        ``{view name: ndarray of shape (n_queries, n_neighbors)}``, indices into
        ``X`` nearest first; the views are drawn in this order.
    y_query : ndarray of shape (n_queries,), default=None
        The queries' labels.
    y : ndarray of shape (n_samples,), default=None
        The training points' labels.
    image_shape : tuple of int, default=None
        Shape of one point as an image (``(8, 8)`` for scikit-learn's digits);
        ``None`` draws each point's features as bars.

    Attributes
    ----------
    matches_ : dict or None
        ``{view name: bool ndarray of shape (n_queries, n_neighbors)}``: whether
        each neighbour shares its query's label (None without labels).
    ax_ : ndarray of matplotlib Axes, of shape (n_views * n_queries, 1 + n_neighbors)
        The axes drawn on: a row per query and view, the query first.
    figure_ : matplotlib Figure
        Their figure.

    See Also
    --------
    sklearn_metric.inspection.RetrievalCurveDisplay : The same question over all queries.
    sklearn_metric.KNNClassifier : Votes among these neighbours.

    References
    ----------
    K. Q. Weinberger and L. K. Saul. Distance metric learning for large margin
    nearest neighbor classification. JMLR 10, 2009.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_metric import NCA
    >>> from sklearn_metric.inspection import NeighborsDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> nca = NCA(n_components=16, max_iter=20, random_state=0).fit(X[:500], y[:500])
    >>> display = NeighborsDisplay.from_estimator(
    ...     nca, X[:500], y[:500], X[500:503], y[500:503], n_neighbors=4, image_shape=(8, 8))
    >>> display.ax_.shape, sorted(display.matches_)
    ((6, 5), ['Euclidean', 'NCA'])
    """

    def __init__(self, X_query, X, neighbors, *, y_query=None, y=None, image_shape=None):
        self.X_query = X_query
        self.X = X
        self.neighbors = neighbors
        self.y_query = y_query
        self.y = y
        self.image_shape = image_shape

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        X_query,
        y_query=None,
        *,
        n_neighbors=5,
        image_shape=None,
        ax=None,
        **kwargs,
    ):
        """Search the queries' neighbours in both spaces and draw them.

        Parameters
        ----------
        estimator : fitted estimator
            A learner, a pipeline ending in one, or a classifier fitted with a
            ``metric_learner``.
        X : array-like of shape (n_samples, n_features)
            The training points searched.
        y : array-like of shape (n_samples,) or None
            Their labels.
        X_query : array-like of shape (n_queries, n_features)
            The queries, held out from ``X`` (a query in ``X`` is its own nearest).
        y_query : array-like of shape (n_queries,), default=None
            Their labels.
        n_neighbors : int, default=5
            Neighbours per query and view.
        image_shape : tuple of int, default=None
            Shape of one point as an image.
        ax : array of matplotlib Axes, default=None
            ``2 * n_queries`` rows of ``1 + n_neighbors`` axes; new ones when None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : NeighborsDisplay
        """
        X = check_array(X)
        X_query = check_array(X_query)
        transform = learned_transform(estimator).transform
        neighbors = {}
        for name, (points, queries) in (
            ("Euclidean", (X, X_query)),
            (estimator_name(estimator), (transform(X), transform(X_query))),
        ):
            search = NearestNeighbors(n_neighbors=n_neighbors).fit(points)
            neighbors[name] = search.kneighbors(queries, return_distance=False)
        display = cls(X_query, X, neighbors, y_query=y_query, y=y, image_shape=image_shape)
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, cmap="gray_r", **kwargs):
        """Draw a row per query and view: the query, then its neighbours.

        Parameters
        ----------
        ax : array of matplotlib Axes, default=None
            ``n_views * n_queries`` rows of ``1 + n_neighbors`` axes; new ones when None.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colours of images.
        **kwargs : dict
            Passed to ``Axes.imshow`` (images) or ``Axes.bar`` (features).

        Returns
        -------
        display : NeighborsDisplay
        """
        X_query, X = np.asarray(self.X_query), np.asarray(self.X)
        views = list(self.neighbors)
        n_queries, n_neighbors = next(iter(self.neighbors.values())).shape
        shape = (len(views) * n_queries, 1 + n_neighbors)
        figure, axes = axes_grid(ax, shape, "NeighborsDisplay", (1.3 * shape[1], 1.3 * shape[0]))
        labelled = self.y is not None and self.y_query is not None
        y = column_or_1d(self.y) if labelled else None
        y_query = column_or_1d(self.y_query) if labelled else None
        self.matches_ = {} if labelled else None
        for v, view in enumerate(views):
            found = np.asarray(self.neighbors[view])
            if labelled:
                self.matches_[view] = y[found] == y_query[:, None]
            for q in range(n_queries):
                row = axes[q * len(views) + v]
                self._draw(row[0], X_query[q], cmap, kwargs)
                row[0].set_ylabel(view, fontsize="small")
                if labelled:
                    row[0].set_title(f"query: {y_query[q]}", fontsize="small")
                for j, index in enumerate(found[q]):
                    self._draw(row[1 + j], X[index], cmap, kwargs)
                    if labelled:
                        colour = "tab:green" if self.matches_[view][q, j] else "tab:red"
                        row[1 + j].set_title(str(y[index]), fontsize="small", color=colour)
                        for spine in row[1 + j].spines.values():
                            spine.set_edgecolor(colour)
                            spine.set_linewidth(2)
        self.ax_ = axes
        self.figure_ = figure
        return self

    def _draw(self, axis, point, cmap, kwargs):
        if self.image_shape is not None:
            axis.imshow(point.reshape(self.image_shape), cmap=cmap, **kwargs)
        else:
            axis.bar(np.arange(point.size), point, **kwargs)
        axis.set_xticks([])
        axis.set_yticks([])
