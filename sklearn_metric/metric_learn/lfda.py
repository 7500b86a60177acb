"""metric-learn's ``LFDA``."""

import numpy as np

from .._lfda import LFDA as _OurLFDA
from .base_metric import MahalanobisMixin

__all__ = ["LFDA"]


class LFDA(MahalanobisMixin):
    """Local Fisher Discriminant Analysis, on :class:`sklearn_metric.LFDA`.

    ``k=None`` is metric-learn's default, ``min(7, n_features - 1)``. The
    package's LFDA follows Sugiyama (2007) in its local scaling and weighted
    embedding, so its metric may differ from metric-learn 0.7's on the same data.

    Parameters
    ----------
    n_components : int or None, default=None
    k : int or None, default=None
    embedding_type : {"weighted", "orthonormalized", "plain"}, default="weighted"
    preprocessor : array-like, callable or None, default=None

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric.metric_learn import LFDA
    >>> X, y = load_iris(return_X_y=True)
    >>> LFDA(n_components=2).fit(X, y).transform(X).shape
    (150, 2)
    """

    _learner = _OurLFDA

    def __init__(self, n_components=None, k=None, embedding_type="weighted", preprocessor=None):
        self.n_components = n_components
        self.k = k
        self.embedding_type = embedding_type
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from points (or indices/keys) ``X`` and class labels ``y``.

        Returns
        -------
        self : LFDA
        """
        points = self._points(X)
        k = self.k
        if k is None:
            k = max(1, min(7, np.shape(points)[1] - 1))
        return self._adopt(self._make_learner(k=k).fit(points, y))
