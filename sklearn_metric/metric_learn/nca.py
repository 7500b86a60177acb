"""metric-learn's ``NCA``."""

from .._nca import NCA as _OurNCA
from .base_metric import MahalanobisMixin

__all__ = ["NCA"]


class NCA(MahalanobisMixin):
    """Neighborhood Components Analysis, metric-learn's signature on :class:`sklearn_metric.NCA`.

    ``tol=None`` keeps the package's stopping tolerance.

    Parameters
    ----------
    init : {"auto", "pca", "lda", "identity", "random"} or ndarray, default="auto"
    n_components : int or None, default=None
    max_iter : int, default=100
    tol : float or None, default=None
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric.metric_learn import NCA
    >>> X, y = load_iris(return_X_y=True)
    >>> NCA(n_components=2, random_state=0).fit(X, y).transform(X).shape
    (150, 2)
    """

    _learner = _OurNCA
    _none_keeps_default = ("tol",)

    def __init__(
        self,
        init="auto",
        n_components=None,
        max_iter=100,
        tol=None,
        verbose=False,
        preprocessor=None,
        random_state=None,
    ):
        self.init = init
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from points (or indices/keys) ``X`` and class labels ``y``.

        Returns
        -------
        self : NCA
        """
        return self._fit_labelled(X, y, verbose=int(self.verbose))
