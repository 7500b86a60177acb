"""Retrieval quality against the depth of the search, for several learned spaces."""

import numpy as np
from sklearn.utils import check_array

from ..metrics import mean_average_precision_at_r, retrieval_curve
from ._base import axes_grid, estimator_name, learned_transform

__all__ = ["RetrievalCurveDisplay"]

_METRICS = ("precision", "recall")


def _named(estimators):
    """``{name: estimator}`` from one estimator, a list, or a dict; repeated class
    names are numbered."""
    if isinstance(estimators, dict):
        return dict(estimators)
    if not isinstance(estimators, (list, tuple)):
        estimators = [estimators]
    names = [estimator_name(estimator) for estimator in estimators]
    named, seen = {}, {}
    for name, estimator in zip(names, estimators, strict=True):
        seen[name] = seen.get(name, 0) + 1
        named[name if names.count(name) == 1 else f"{name} {seen[name]}"] = estimator
    return named


class RetrievalCurveDisplay:
    """Precision@k or recall@k against ``k``, one curve per space, with each
    space's MAP@R in the legend.

    Build it with :meth:`from_estimator`, which maps the queries and the
    references with each fitted learner and ranks the references by learned
    distance (:func:`~sklearn_metric.metrics.retrieval_curve`).

    Parameters
    ----------
    ks : ndarray of shape (k_max,)
        The depths ``1, ..., k_max``.
    curves : dict
        ``{name: {"precision": ndarray, "recall": ndarray}}``, each of shape
        ``(k_max,)``.
    map_at_r : dict, default=None
        ``{name: float}``, each space's MAP@R.

    Attributes
    ----------
    lines_ : dict
        ``{name: matplotlib Line2D}``.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        Their figure.

    See Also
    --------
    sklearn_metric.metrics.retrieval_curve : The values drawn.
    sklearn.metrics.PrecisionRecallDisplay : Precision against recall for a classifier.

    References
    ----------
    K. Musgrave, S. Belongie and S.-N. Lim. A metric learning reality check.
    ECCV 2020.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import LMNN, NCA
    >>> from sklearn_metric.inspection import RetrievalCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> learners = [NCA(random_state=0).fit(X, y), LMNN(random_state=0).fit(X, y)]
    >>> display = RetrievalCurveDisplay.from_estimator(learners, X, y, k_max=5)
    >>> sorted(display.lines_)
    ['Euclidean', 'LMNN', 'NCA']
    """

    def __init__(self, ks, curves, *, map_at_r=None):
        self.ks = ks
        self.curves = curves
        self.map_at_r = map_at_r

    @classmethod
    def from_estimator(
        cls,
        estimators,
        X,
        y,
        X_ref=None,
        y_ref=None,
        *,
        k_max=10,
        euclidean=True,
        ax=None,
        **kwargs,
    ):
        """Rank the references in each learned space and draw the curves.

        Parameters
        ----------
        estimators : fitted estimator, list of them, or dict of name to estimator
            Learners, pipelines ending in one, or classifiers fitted with a
            ``metric_learner``.
        X : array-like of shape (n_queries, n_features)
            Queries.
        y : array-like of shape (n_queries,)
            Their labels.
        X_ref : array-like of shape (n_references, n_features), default=None
            References; ``None`` ranks each query against the other queries.
        y_ref : array-like of shape (n_references,), default=None
            Their labels.
        k_max : int, default=10
            The deepest ``k``.
        euclidean : bool, default=True
            Also draw the input space's curve.
        ax : matplotlib Axes, default=None
            Where to draw.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RetrievalCurveDisplay
        """
        X = check_array(X)
        X_ref = None if X_ref is None else check_array(X_ref)
        spaces = {"Euclidean": None} if euclidean else {}
        spaces.update(_named(estimators))
        curves, map_at_r, ks = {}, {}, None
        for name, estimator in spaces.items():
            if estimator is None:
                Z, Z_ref = X, X_ref
            else:
                transform = learned_transform(estimator).transform
                Z = transform(X)
                Z_ref = None if X_ref is None else transform(X_ref)
            ks, precision, recall = retrieval_curve(Z, y, Z_ref, y_ref, k_max=k_max)
            curves[name] = {"precision": precision, "recall": recall}
            map_at_r[name] = mean_average_precision_at_r(Z, y, Z_ref, y_ref)
        return cls(ks, curves, map_at_r=map_at_r).plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, metric="precision", **kwargs):
        """Draw one curve per space.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; new axes when None.
        metric : {"precision", "recall"}, default="precision"
            Precision@k, or recall@k (the share of queries with a relevant
            reference among their ``k`` nearest).
        **kwargs : dict
            Passed to ``Axes.plot`` for every curve.

        Returns
        -------
        display : RetrievalCurveDisplay
        """
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}; got {metric!r}.")
        figure, axes = axes_grid(ax, (1, 1), "RetrievalCurveDisplay", (6.0, 4.0))
        axis = axes[0, 0]
        style = {"marker": "o", "markersize": 3, **kwargs}
        self.lines_ = {}
        for name, values in self.curves.items():
            label = name
            if self.map_at_r and name in self.map_at_r:
                label = f"{name} (MAP@R {self.map_at_r[name]:.3f})"
            dashed = {"linestyle": "--", "color": "grey"} if name == "Euclidean" else {}
            (self.lines_[name],) = axis.plot(
                np.asarray(self.ks), values[metric], label=label, **{**dashed, **style}
            )
        axis.set_xlabel("k (references retrieved)")
        axis.set_ylabel(f"{metric}@k")
        axis.legend(fontsize="small")
        self.ax_ = axis
        self.figure_ = figure
        return self
