"""The learned Mahalanobis matrix as a heatmap, and the features' relevance as bars."""

import numpy as np
from sklearn.utils import check_array

from ._base import axes_grid, estimator_name, feature_names_of, linear_map
from ._relevance import feature_relevance

__all__ = ["MetricDisplay"]

_KINDS = ("both", "matrix", "relevance")
# Above this many features, the axes name every fifth only.
_MAX_NAMED = 30


def _ticks(axis, which, names):
    step = 1 if len(names) <= _MAX_NAMED else 5
    positions = np.arange(0, len(names), step)
    getattr(axis, f"set_{which}ticks")(positions)
    rotation = 90 if which == "x" else 0
    getattr(axis, f"set_{which}ticklabels")([names[i] for i in positions], rotation=rotation)


class MetricDisplay:
    """The learned matrix ``M = L^T L`` over the input features, and each
    feature's relevance (:func:`feature_relevance`).

    Build it with :meth:`from_estimator`. Entry ``(i, j)`` of the heatmap is
    how the learned squared distance couples features ``i`` and ``j``: the
    diagonal weighs each feature, the rest tie pairs of features together.

    Parameters
    ----------
    matrix : ndarray of shape (n_features, n_features)
        The Mahalanobis matrix.
    relevance : ndarray of shape (n_features,)
        The features' shares of the learned distance.
    feature_names : list of str
        Names of the features.
    name : str, default=None
        The estimator's name, in the titles.

    Attributes
    ----------
    im_ : matplotlib AxesImage or None
        The heatmap (``kind`` "both" or "matrix").
    bars_ : matplotlib BarContainer or None
        The relevance bars (``kind`` "both" or "relevance").
    colorbar_ : matplotlib Colorbar or None
        The heatmap's colour bar.
    ax_ : matplotlib Axes, or ndarray of two (matrix, relevance)
        The axes drawn on.
    figure_ : matplotlib Figure
        Their figure.

    See Also
    --------
    sklearn_metric.inspection.feature_relevance : The relevance drawn as bars.
    sklearn_metric.inspection.EmbeddingDisplay : The points in the learned space.

    References
    ----------
    K. Q. Weinberger and L. K. Saul. Distance metric learning for large margin
    nearest neighbor classification. JMLR 10, 2009.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import LMNN
    >>> from sklearn_metric.inspection import MetricDisplay
    >>> data = load_iris(as_frame=True)
    >>> lmnn = LMNN(random_state=0).fit(data.data, data.target)
    >>> display = MetricDisplay.from_estimator(lmnn)
    >>> display.im_.get_array().shape, len(display.bars_)
    ((4, 4), 4)
    >>> display.ax_[1].get_xticklabels()[0].get_text()
    'sepal length (cm)'
    """

    def __init__(self, matrix, relevance, feature_names, *, name=None):
        self.matrix = matrix
        self.relevance = relevance
        self.feature_names = feature_names
        self.name = name

    @classmethod
    def from_estimator(cls, estimator, X=None, *, feature_names=None, ax=None, **kwargs):
        """Read the matrix and the relevance off a fitted learner and draw them.

        Parameters
        ----------
        estimator : fitted estimator
            A learner, a pipeline of affine steps ending in one (the matrix is then
            over the pipeline's input features), or a classifier fitted with a
            ``metric_learner``.
        X : array-like of shape (n_samples, n_features), default=None
            Points whose spread scales the relevance (see :func:`feature_relevance`)
            and the matrix: entry ``(i, j)`` is then multiplied by the standard
            deviations of features ``i`` and ``j`` (the matrix in standard units,
            where features measured in different units compare).
        feature_names : list of str, default=None
            Names of the features; the estimator's ``feature_names_in_`` by
            default (set when it was fitted on a DataFrame), else x0, x1, ...
        ax : matplotlib Axes or array of two, default=None
            Where to draw (two axes for ``kind="both"``).
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : MetricDisplay
        """
        L = linear_map(estimator)
        names = feature_names_of(estimator, L.shape[1], feature_names)
        relevance = feature_relevance(estimator, X)
        if X is not None:  # in units of each feature's standard deviation
            L = L * check_array(X, dtype=np.float64).std(axis=0)
        display = cls(L.T @ L, relevance, names, name=estimator_name(estimator))
        return display.plot(ax=ax, **kwargs)

    def plot(
        self, ax=None, *, kind="both", cmap="RdBu_r", colorbar=True, imshow_kw=None, bar_kw=None
    ):
        """Draw the heatmap, the bars, or both.

        Parameters
        ----------
        ax : matplotlib Axes or array of two, default=None
            Where to draw; new axes when None.
        kind : {"both", "matrix", "relevance"}, default="both"
            What to draw.
        cmap : str or matplotlib Colormap, default="RdBu_r"
            Colours of the heatmap, centred on zero.
        colorbar : bool, default=True
            Whether to add a colour bar to the heatmap.
        imshow_kw : dict, default=None
            Passed to ``Axes.imshow``.
        bar_kw : dict, default=None
            Passed to ``Axes.bar``.

        Returns
        -------
        display : MetricDisplay
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}.")
        parts = ["matrix", "relevance"] if kind == "both" else [kind]
        figure, axes = axes_grid(ax, (1, len(parts)), "MetricDisplay", (5.2 * len(parts), 4.4))
        axes = axes.ravel()
        names = list(self.feature_names)
        title = f" ({self.name})" if self.name else ""
        self.im_ = self.bars_ = self.colorbar_ = None
        for axis, part in zip(axes, parts, strict=True):
            if part == "matrix":
                bound = float(np.abs(self.matrix).max()) or 1.0
                style = {"cmap": cmap, "vmin": -bound, "vmax": bound, **(imshow_kw or {})}
                self.im_ = axis.imshow(self.matrix, **style)
                _ticks(axis, "x", names)
                _ticks(axis, "y", names)
                axis.set_title("Mahalanobis matrix" + title)
                if colorbar:
                    self.colorbar_ = figure.colorbar(self.im_, ax=axis, fraction=0.046)
            else:
                positions = np.arange(len(names))
                self.bars_ = axis.bar(positions, self.relevance, **(bar_kw or {}))
                _ticks(axis, "x", names)
                axis.set_ylabel("share of the learned distance")
                axis.set_title("feature relevance" + title)
        self.ax_ = axes if len(axes) > 1 else axes[0]
        self.figure_ = figure
        return self
