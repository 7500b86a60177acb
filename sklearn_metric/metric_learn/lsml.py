"""metric-learn's ``LSML`` and ``LSML_Supervised``."""

from .._core.warn import warn
from .._lsml import LSML as _OurLSML
from .base_metric import MahalanobisMixin, QuadrupletsClassifierMixin

__all__ = ["LSML", "LSML_Supervised"]


def _warn_weights(weights):
    if weights is not None:
        warn(
            "LSML: quadruplet weights are not supported by sklearn_metric's LSML; every "
            "quadruplet weighs the same.",
            UserWarning,
        )


class LSML(QuadrupletsClassifierMixin, MahalanobisMixin):
    """Least Squared-residual Metric Learning from quadruplets, on :class:`sklearn_metric.LSML`.

    ``fit(quadruplets)`` wants ``d(a, b) < d(c, d)`` for each ``(a, b, c, d)``;
    the fitted learner predicts whether quadruplets are in that order.

    Parameters
    ----------
    tol : float, default=1e-3
    max_iter : int, default=1000
    prior : {"identity", "covariance", "random"} or ndarray, default="identity"
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric.metric_learn import Constraints, LSML
    >>> X, y = load_iris(return_X_y=True)
    >>> a, b, c, d = Constraints(y).positive_negative_pairs(30, random_state=0)
    >>> quadruplets = np.column_stack([a, b, c, d])
    >>> LSML(preprocessor=X).fit(quadruplets).score(quadruplets) > 0.9
    True
    """

    _learner = _OurLSML

    def __init__(
        self,
        tol=1e-3,
        max_iter=1000,
        prior="identity",
        verbose=False,
        preprocessor=None,
        random_state=None,
    ):
        self.tol = tol
        self.max_iter = max_iter
        self.prior = prior
        self.verbose = verbose
        self.random_state = random_state
        super().__init__(preprocessor)

    def fit(self, quadruplets, weights=None):
        """Learn the metric from quadruplets.

        Returns
        -------
        self : LSML
        """
        _warn_weights(weights)
        learner = self._make_learner(verbose=int(self.verbose))
        return self._fit_tuples(learner, "fit_quadruplets", quadruplets, 4)


class LSML_Supervised(MahalanobisMixin):
    """LSML from class labels: quadruplets drawn from them.

    Parameters
    ----------
    tol : float, default=1e-3
    max_iter : int, default=1000
    prior : {"identity", "covariance", "random"} or ndarray, default="identity"
    n_constraints : int or None, default=None
    weights : None
        Not supported (a warning when given).
    verbose : bool, default=False
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    num_constraints : default="deprecated"
        Deprecated name of ``n_constraints``.
    """

    _learner = _OurLSML
    _ignored = {"weights": None}
    _deprecated = {"num_constraints": "n_constraints"}

    def __init__(
        self,
        tol=1e-3,
        max_iter=1000,
        prior="identity",
        n_constraints=None,
        weights=None,
        verbose=False,
        preprocessor=None,
        random_state=None,
        num_constraints="deprecated",
    ):
        self.tol = tol
        self.max_iter = max_iter
        self.prior = prior
        self.n_constraints = n_constraints
        self.weights = weights
        self.verbose = verbose
        self.random_state = random_state
        self.num_constraints = num_constraints
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from class labels.

        Returns
        -------
        self : LSML_Supervised
        """
        return self._fit_labelled(X, y, verbose=int(self.verbose))
