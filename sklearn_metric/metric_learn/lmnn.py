"""metric-learn's ``LMNN``."""

from .._lmnn.lmnn import LMNN as _OurLMNN
from .base_metric import MahalanobisMixin

__all__ = ["LMNN"]


class LMNN(MahalanobisMixin):
    """Large Margin Nearest Neighbor, metric-learn's signature on :class:`sklearn_metric.LMNN`.

    ``regularization`` is the package's ``mu`` (the weight of the impostor
    term). The package fits with L-BFGS (or an SDP on small problems) to its
    own stopping rule, so metric-learn's gradient-descent settings
    ``min_iter``, ``learn_rate`` and ``convergence_tol`` have no meaning: set
    to other values, they are accepted and warned about once.

    Parameters
    ----------
    init : {"auto", "pca", "lda", "identity", "random"} or ndarray, default="auto"
    n_neighbors : int, default=3
    min_iter : int, default=50
        Ignored.
    max_iter : int, default=1000
    learn_rate : float, default=1e-7
        Ignored.
    regularization : float, default=0.5
    convergence_tol : float, default=0.001
        Ignored.
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    n_components : int or None, default=None
    random_state : int, RandomState instance or None, default=None
    k : int, default="deprecated"
        Deprecated name of ``n_neighbors``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric.metric_learn import LMNN
    >>> X, y = load_iris(return_X_y=True)
    >>> LMNN(n_neighbors=5).fit(X, y).transform(X).shape
    (150, 4)
    """

    _learner = _OurLMNN
    _renamed = {"regularization": "mu"}
    _ignored = {"min_iter": 50, "learn_rate": 1e-7, "convergence_tol": 0.001}
    _deprecated = {"k": "n_neighbors"}

    def __init__(
        self,
        init="auto",
        n_neighbors=3,
        min_iter=50,
        max_iter=1000,
        learn_rate=1e-7,
        regularization=0.5,
        convergence_tol=0.001,
        verbose=False,
        preprocessor=None,
        n_components=None,
        random_state=None,
        k="deprecated",
    ):
        self.init = init
        self.n_neighbors = n_neighbors
        self.min_iter = min_iter
        self.max_iter = max_iter
        self.learn_rate = learn_rate
        self.regularization = regularization
        self.convergence_tol = convergence_tol
        self.verbose = verbose
        self.n_components = n_components
        self.random_state = random_state
        self.k = k
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from points (or indices/keys) ``X`` and class labels ``y``.

        Returns
        -------
        self : LMNN
        """
        return self._fit_labelled(X, y, verbose=int(self.verbose))
