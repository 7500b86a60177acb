"""metric-learn's ``MLKR``."""

from .._mlkr import MLKR as _OurMLKR
from .base_metric import MahalanobisMixin

__all__ = ["MLKR"]


class MLKR(MahalanobisMixin):
    """Metric Learning for Kernel Regression, on :class:`sklearn_metric.MLKR`.

    ``tol=None`` keeps the package's stopping tolerance.

    Parameters
    ----------
    n_components : int or None, default=None
    init : {"auto", "pca", "lda", "identity", "random"} or ndarray, default="auto"
    tol : float or None, default=None
    max_iter : int, default=1000
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_metric.metric_learn import MLKR
    >>> X, y = load_diabetes(return_X_y=True)
    >>> MLKR(n_components=3, random_state=0).fit(X, y).transform(X).shape
    (442, 3)
    """

    _learner = _OurMLKR
    _none_keeps_default = ("tol",)

    def __init__(
        self,
        n_components=None,
        init="auto",
        tol=None,
        max_iter=1000,
        verbose=False,
        preprocessor=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.init = init
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.random_state = random_state
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from points (or indices/keys) ``X`` and real targets ``y``.

        Returns
        -------
        self : MLKR
        """
        return self._fit_labelled(X, y, verbose=int(self.verbose))
