"""metric-learn's ``MMC`` and ``MMC_Supervised``."""

from .._mmc.mmc import MMC as _OurMMC
from .base_metric import MahalanobisMixin, PairsClassifierMixin

__all__ = ["MMC", "MMC_Supervised"]

_SOLVER_SETTINGS = {"max_iter": 100, "max_proj": 10000, "init": "identity", "diagonal_c": 1.0}


class MMC(PairsClassifierMixin, MahalanobisMixin):
    """Mahalanobis Metric for Clustering (Xing et al.) from pairs, on :class:`sklearn_metric.MMC`.

    The package's solver runs to the optimum of Xing et al.'s problem (metric-learn's
    projected gradient often stops short of it), so metric-learn's solver settings
    ``max_iter``, ``max_proj``, ``tol``, ``init`` and ``diagonal_c`` have no
    meaning here: set to other values, they are accepted and warned about once.
    After fitting, ``threshold_`` is calibrated on the training pairs.

    Parameters
    ----------
    max_iter : int, default=100
        Ignored.
    max_proj : int, default=10000
        Ignored.
    tol : float, default=1e-3
        Ignored.
    init : str or ndarray, default="identity"
        Ignored.
    diagonal : bool, default=False
    diagonal_c : float, default=1.0
        Ignored.
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    convergence_threshold : default="deprecated"
        Deprecated name of ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric.metric_learn import MMC, Constraints
    >>> X, y = load_iris(return_X_y=True)
    >>> a, b, c, d = Constraints(y).positive_negative_pairs(30, random_state=0)
    >>> pairs = np.vstack([np.column_stack([a, b]), np.column_stack([c, d])])
    >>> y_pairs = np.r_[np.ones(30), -np.ones(30)]
    >>> MMC(preprocessor=X, random_state=0).fit(pairs, y_pairs).score(pairs, y_pairs) > 0.9
    True
    """

    _learner = _OurMMC
    _ignored = {**_SOLVER_SETTINGS, "tol": 1e-3}
    _deprecated = {"convergence_threshold": "tol"}

    def __init__(
        self,
        max_iter=100,
        max_proj=10000,
        tol=1e-3,
        init="identity",
        diagonal=False,
        diagonal_c=1.0,
        verbose=False,
        preprocessor=None,
        random_state=None,
        convergence_threshold="deprecated",
    ):
        self.max_iter = max_iter
        self.max_proj = max_proj
        self.tol = tol
        self.init = init
        self.diagonal = diagonal
        self.diagonal_c = diagonal_c
        self.verbose = verbose
        self.random_state = random_state
        self.convergence_threshold = convergence_threshold
        super().__init__(preprocessor)

    def fit(self, pairs, y, calibration_params=None):
        """Learn the metric from labelled pairs, then calibrate ``threshold_`` on them.

        Returns
        -------
        self : MMC
        """
        learner = self._make_learner(verbose=int(self.verbose))
        return self._fit_pairs(learner, pairs, y, calibration_params)


class MMC_Supervised(MahalanobisMixin):
    """MMC from class labels: ``n_constraints`` pairs of each kind drawn from them.

    Parameters
    ----------
    max_iter, max_proj, tol, init, diagonal_c
        Ignored (see :class:`MMC`).
    n_constraints : int or None, default=None
    diagonal : bool, default=False
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    num_constraints, convergence_threshold : default="deprecated"
        Deprecated names of ``n_constraints`` and ``tol``.
    """

    _learner = _OurMMC
    _ignored = {**_SOLVER_SETTINGS, "tol": 1e-6}
    _deprecated = {"num_constraints": "n_constraints", "convergence_threshold": "tol"}

    def __init__(
        self,
        max_iter=100,
        max_proj=10000,
        tol=1e-6,
        n_constraints=None,
        init="identity",
        diagonal=False,
        diagonal_c=1.0,
        verbose=False,
        preprocessor=None,
        random_state=None,
        num_constraints="deprecated",
        convergence_threshold="deprecated",
    ):
        self.max_iter = max_iter
        self.max_proj = max_proj
        self.tol = tol
        self.n_constraints = n_constraints
        self.init = init
        self.diagonal = diagonal
        self.diagonal_c = diagonal_c
        self.verbose = verbose
        self.random_state = random_state
        self.num_constraints = num_constraints
        self.convergence_threshold = convergence_threshold
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from class labels.

        Returns
        -------
        self : MMC_Supervised
        """
        return self._fit_labelled(X, y, verbose=int(self.verbose))
