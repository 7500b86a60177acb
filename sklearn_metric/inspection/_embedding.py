"""The data in the learned space, beside the input space."""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils import check_array, column_or_1d

from ._base import axes_grid, estimator_name, learned_transform

__all__ = ["EmbeddingDisplay"]

_PROJECTIONS = ("auto", "first", "pca")


def _in_two_dimensions(Z, projection):
    """The first two columns of ``Z`` ("first"), or its two principal components
    ("pca"); "auto" takes "first" up to two columns. One column gets a zero second."""
    if projection not in _PROJECTIONS:
        raise ValueError(f"projection must be one of {_PROJECTIONS}; got {projection!r}.")
    Z = check_array(Z, dtype=np.float64)
    if projection == "auto":
        projection = "first" if Z.shape[1] <= 2 else "pca"
    if projection == "pca" and Z.shape[1] > 2:
        Z = PCA(n_components=2, random_state=0).fit_transform(Z)
    Z = Z[:, :2]
    return np.hstack([Z, np.zeros((Z.shape[0], 2 - Z.shape[1]))])


class EmbeddingDisplay:
    """The points in a learned space, in two dimensions, coloured by label.

    Build it with :meth:`from_estimator` (a fitted learner and its points) or
    :meth:`from_embedding` (points already mapped); both project to two
    dimensions (the first two components, or the first two principal components
    of a wider embedding). With ``euclidean``, the input space is drawn beside it,
    projected the same way.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
        The learned view's coordinates.
    y : ndarray of shape (n_samples,), default=None
        Labels that colour the points.
    euclidean : ndarray of shape (n_samples, 2), default=None
        The input space's coordinates, drawn first when given.
    name : str, default=None
        Title of the learned view (the estimator's class name by default).

    Attributes
    ----------
    ax_ : matplotlib Axes, or ndarray of two (Euclidean, learned)
        The axes drawn on.
    figure_ : matplotlib Figure
        Their figure.
    scatters_ : list of list of matplotlib PathCollection
        For each view, one collection per label.

    See Also
    --------
    sklearn_metric.inspection.MetricDisplay : The learned matrix and the features' relevance.
    sklearn.manifold.TSNE : A non-linear two-dimensional view.

    References
    ----------
    J. Goldberger, S. Roweis, G. Hinton and R. Salakhutdinov. Neighbourhood
    components analysis. NIPS 2004 (two-dimensional NCA embeddings).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import NCA
    >>> from sklearn_metric.inspection import EmbeddingDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> nca = NCA(n_components=2, random_state=0).fit(X, y)
    >>> display = EmbeddingDisplay.from_estimator(nca, X, y, compare_euclidean=True)
    >>> [ax.get_title() for ax in display.ax_]
    ['Euclidean', 'NCA']
    """

    def __init__(self, embedding, y=None, *, euclidean=None, name=None):
        self.embedding = embedding
        self.y = y
        self.euclidean = euclidean
        self.name = name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        projection="auto",
        compare_euclidean=False,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Map ``X`` with a fitted learner (or pipeline) and draw it.

        Parameters
        ----------
        estimator : fitted estimator
            A learner, a pipeline ending in one, or a classifier fitted with a
            ``metric_learner``.
        X : array-like of shape (n_samples, n_features)
            Points to map.
        y : array-like of shape (n_samples,), default=None
            Labels that colour them.
        projection : {"auto", "first", "pca"}, default="auto"
            How a wider embedding comes down to two dimensions.
        compare_euclidean : bool, default=False
            Also draw ``X`` itself, projected the same way.
        name : str, default=None
            Title of the learned view.
        ax : matplotlib Axes or array of two, default=None
            Where to draw (two axes with ``compare_euclidean``).
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : EmbeddingDisplay
        """
        transformer = learned_transform(estimator)
        X = check_array(X)
        embedding = _in_two_dimensions(transformer.transform(X), projection)
        euclidean = _in_two_dimensions(X, projection) if compare_euclidean else None
        display = cls(embedding, y, euclidean=euclidean, name=name or estimator_name(estimator))
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_embedding(
        cls, embedding, y=None, *, X=None, projection="auto", name=None, ax=None, **kwargs
    ):
        """Draw points already mapped into a learned space.

        Parameters
        ----------
        embedding : array-like of shape (n_samples, n_components)
            The mapped points.
        y : array-like of shape (n_samples,), default=None
            Labels that colour them.
        X : array-like of shape (n_samples, n_features), default=None
            The same points in the input space, drawn beside when given.
        projection : {"auto", "first", "pca"}, default="auto"
            How a wider embedding comes down to two dimensions.
        name : str, default=None
            Title of the learned view ("learned" by default).
        ax : matplotlib Axes or array of two, default=None
            Where to draw (two axes when ``X`` is given).
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : EmbeddingDisplay
        """
        euclidean = None if X is None else _in_two_dimensions(X, projection)
        display = cls(_in_two_dimensions(embedding, projection), y, euclidean=euclidean, name=name)
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, cmap="tab10", legend=True, **kwargs):
        """Draw the view(s).

        Parameters
        ----------
        ax : matplotlib Axes or array of two, default=None
            Where to draw; new axes when None.
        cmap : str or matplotlib Colormap, default="tab10"
            Colours of the labels.
        legend : bool, default=True
            Whether to name the labels in a legend.
        **kwargs : dict
            Passed to ``Axes.scatter`` (``s``, ``alpha``, ``marker``, ...).

        Returns
        -------
        display : EmbeddingDisplay
        """
        views = [("Euclidean", self.euclidean)] if self.euclidean is not None else []
        views.append((self.name or "learned", self.embedding))
        figure, axes = axes_grid(ax, (1, len(views)), "EmbeddingDisplay", (4.5 * len(views), 4.2))
        axes = axes.ravel()
        y = None if self.y is None else column_or_1d(self.y)
        labels = [None] if y is None else list(np.unique(y))
        import matplotlib as mpl

        colours = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
        style = {"s": 12, **kwargs}
        self.scatters_ = []
        for axis, (title, Z) in zip(axes, views, strict=True):
            collections = []
            for i, label in enumerate(labels):
                rows = slice(None) if label is None else y == label
                colour = colours(i / max(len(labels) - 1, 1) if colours.N > 20 else i)
                collections.append(
                    axis.scatter(
                        Z[rows, 0],
                        Z[rows, 1],
                        color=colour,
                        label=None if label is None else str(label),
                        **style,
                    )
                )
            axis.set_title(title)
            axis.set_xticks([])
            axis.set_yticks([])
            if legend and y is not None:
                axis.legend(fontsize="small", markerscale=1.5, loc="best")
            self.scatters_.append(collections)
        self.ax_ = axes if len(axes) > 1 else axes[0]
        self.figure_ = figure
        return self
