"""metric-learn's ``RCA`` and ``RCA_Supervised``."""

from .._rca import RCA as _OurRCA
from .base_metric import MahalanobisMixin

__all__ = ["RCA", "RCA_Supervised"]


class RCA(MahalanobisMixin):
    """Relevant Components Analysis from chunklets, on :class:`sklearn_metric.RCA`.

    Parameters
    ----------
    n_components : int or None, default=None
    preprocessor : array-like, callable or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metric_learn import RCA
    >>> rng = np.random.RandomState(0)
    >>> chunks = np.repeat(np.arange(20), 5)
    >>> X = rng.randn(100, 2) * [3.0, 0.5] + 10 * rng.randn(20, 2)[chunks]
    >>> RCA().fit(X, chunks).components_.shape
    (2, 2)
    """

    _learner = _OurRCA

    def __init__(self, n_components=None, preprocessor=None):
        self.n_components = n_components
        super().__init__(preprocessor)

    def fit(self, X, chunks):
        """Learn the metric from chunklet ids (``-1``: in no chunklet).

        Returns
        -------
        self : RCA
        """
        return self._adopt(self._make_learner().fit_chunklets(self._points(X), chunks))


class RCA_Supervised(RCA):
    """RCA from class labels: ``n_chunks`` chunklets of ``chunk_size`` points drawn
    within classes.

    Parameters
    ----------
    n_components : int or None, default=None
    n_chunks : int, default=100
    chunk_size : int, default=2
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    num_chunks : int, default="deprecated"
        Deprecated name of ``n_chunks``.
    """

    _deprecated = {"num_chunks": "n_chunks"}

    def __init__(
        self,
        n_components=None,
        n_chunks=100,
        chunk_size=2,
        preprocessor=None,
        random_state=None,
        num_chunks="deprecated",
    ):
        self.n_chunks = n_chunks
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.num_chunks = num_chunks
        super().__init__(n_components, preprocessor)

    def fit(self, X, y):
        """Learn the metric from class labels.

        Returns
        -------
        self : RCA_Supervised
        """
        return self._fit_labelled(X, y)
