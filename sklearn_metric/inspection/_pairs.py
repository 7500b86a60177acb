"""How similar and dissimilar pairs spread over the learned distance."""

import numpy as np
from sklearn.utils import column_or_1d

from .._core.tuples import check_pair_labels, check_tuples
from ._base import axes_grid, estimator_name, learned_transform

__all__ = ["PairDistanceDisplay"]


def _is_pair_classifier(estimator):
    """A fitted classifier of pairs with a threshold on the learned distance (not a
    learner, such as POLA, whose own ``threshold_`` may be on another scale)."""
    return hasattr(estimator, "threshold_") and hasattr(estimator, "metric_learner_")


def _pair_distances(estimator, pairs, preprocessor):
    """Learned distances of ``pairs``: a pair classifier's own (its preprocessor), a
    learner's ``pair_distance``, or the distances between mapped points."""
    if hasattr(estimator, "pair_distance") and hasattr(estimator, "components_"):
        return estimator.pair_distance(pairs, preprocessor=preprocessor)
    if _is_pair_classifier(estimator):
        return estimator.pair_distance(pairs)
    transformer = learned_transform(estimator)
    tuples = check_tuples(pairs, 2, preprocessor, n_features=transformer.n_features_in_)
    return tuples.embedded_distances(transformer.transform, [(0, 1)])[0]


class PairDistanceDisplay:
    """Histograms of the learned distances of similar and dissimilar pairs, and
    where a threshold cuts them.

    A pair counts as similar when its distance is at most the threshold; the
    legend gives the true positive rate (similar pairs called similar) and the
    false positive rate (dissimilar pairs called similar) there. Build it with
    :meth:`from_estimator` (a fitted :class:`~sklearn_metric.PairsClassifier`
    brings its calibrated threshold) or :meth:`from_predictions` (distances).

    Parameters
    ----------
    distances : ndarray of shape (n_pairs,)
        Learned distance of each pair.
    y : ndarray of shape (n_pairs,)
        +1 for a similar pair, -1 for a dissimilar one.
    threshold : float, default=None
        The distance below which pairs are called similar; not drawn when None.
    name : str, default=None
        Title of the axes.

    Attributes
    ----------
    tpr_ : float or None
        True positive rate at the threshold.
    fpr_ : float or None
        False positive rate at the threshold.
    hist_ : dict
        ``{"similar": ..., "dissimilar": ...}``, the patches of each histogram.
    threshold_line_ : matplotlib Line2D or None
        The threshold.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        Their figure.

    See Also
    --------
    sklearn_metric.PairsClassifier : Calibrates the threshold this draws.
    sklearn.metrics.RocCurveDisplay : The rates at every threshold.

    References
    ----------
    J. V. Davis, B. Kulis, P. Jain, S. Sra and I. S. Dhillon. Information-theoretic
    metric learning. ICML 2007.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_metric.inspection import PairDistanceDisplay
    >>> distances = np.array([0.2, 0.4, 0.5, 1.1, 1.3, 0.45])
    >>> y = np.array([1, 1, 1, -1, -1, -1])
    >>> display = PairDistanceDisplay.from_predictions(distances, y, threshold=0.5)
    >>> display.tpr_, round(display.fpr_, 3)
    (1.0, 0.333)
    """

    def __init__(self, distances, y, *, threshold=None, name=None):
        self.distances = distances
        self.y = y
        self.threshold = threshold
        self.name = name

    @classmethod
    def from_estimator(
        cls, estimator, pairs, y, *, preprocessor=None, threshold="auto", ax=None, **kwargs
    ):
        """Measure the pairs with a fitted estimator and draw them.

        Parameters
        ----------
        estimator : fitted estimator
            A :class:`~sklearn_metric.PairsClassifier` (its distances and
            ``threshold_``), a learner, or a pipeline ending in one.
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor`` (a pair classifier
            uses its own).
        y : array-like of shape (n_pairs,)
            +1 for a similar pair, -1 for a dissimilar one.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.
        threshold : "auto", float or None, default="auto"
            The distance threshold to draw; "auto" takes a pair classifier's
            ``threshold_`` and draws none for other estimators (POLA's
            ``threshold_`` is on squared distances: pass its square root).
        ax : matplotlib Axes, default=None
            Where to draw.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : PairDistanceDisplay
        """
        distances = _pair_distances(estimator, pairs, preprocessor)
        if isinstance(threshold, str) and threshold == "auto":
            threshold = estimator.threshold_ if _is_pair_classifier(estimator) else None
        display = cls(distances, y, threshold=threshold, name=estimator_name(estimator))
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, distances, y, *, threshold=None, name=None, ax=None, **kwargs):
        """Draw given distances of pairs.

        Parameters
        ----------
        distances : array-like of shape (n_pairs,)
            Learned distance of each pair.
        y : array-like of shape (n_pairs,)
            +1 for a similar pair, -1 for a dissimilar one.
        threshold : float, default=None
            The threshold to draw.
        name : str, default=None
            Title of the axes.
        ax : matplotlib Axes, default=None
            Where to draw.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : PairDistanceDisplay
        """
        return cls(distances, y, threshold=threshold, name=name).plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, bins=30, hist_kw=None, line_kw=None):
        """Draw the two histograms and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; new axes when None.
        bins : int or sequence, default=30
            Bins of both histograms (shared edges).
        hist_kw : dict, default=None
            Passed to ``Axes.hist``.
        line_kw : dict, default=None
            Passed to ``Axes.axvline`` for the threshold.

        Returns
        -------
        display : PairDistanceDisplay
        """
        distances = column_or_1d(np.asarray(self.distances, dtype=np.float64))
        y = check_pair_labels(self.y, distances.shape[0], both_kinds=False)
        if not np.all(np.isfinite(distances)):
            raise ValueError("The distances must be finite.")
        figure, axes = axes_grid(ax, (1, 1), "PairDistanceDisplay", (6.0, 4.0))
        axis = axes[0, 0]
        edges = np.histogram_bin_edges(distances, bins=bins)
        style = {"alpha": 0.55, "density": True, **(hist_kw or {})}
        self.hist_ = {}
        for kind, sign, colour in (("similar", 1, "C0"), ("dissimilar", -1, "C3")):
            values = distances[y == sign]
            if values.size:
                _, _, patches = axis.hist(
                    values, bins=edges, color=colour, label=f"{kind} pairs ({values.size})", **style
                )
                self.hist_[kind] = patches
        self.tpr_ = self.fpr_ = self.threshold_line_ = None
        if self.threshold is not None:
            called_similar = distances <= self.threshold
            similar = y == 1
            self.tpr_ = float(called_similar[similar].mean()) if similar.any() else None
            self.fpr_ = float(called_similar[~similar].mean()) if (~similar).any() else None
            rates = ", ".join(
                f"{name} {rate:.2f}"
                for name, rate in (("TPR", self.tpr_), ("FPR", self.fpr_))
                if rate is not None
            )
            style = {"color": "black", "linestyle": "--", **(line_kw or {})}
            self.threshold_line_ = axis.axvline(
                self.threshold, label=f"threshold {self.threshold:.3g}: {rates}", **style
            )
        axis.set_xlabel("learned distance")
        axis.set_ylabel("density")
        if self.name:
            axis.set_title(self.name)
        axis.legend(fontsize="small")
        self.ax_ = axis
        self.figure_ = figure
        return self
