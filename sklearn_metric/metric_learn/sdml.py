"""metric-learn's ``SDML`` and ``SDML_Supervised``."""

from .._core.tuples import check_tuples
from .._sdml import SDML as _OurSDML
from ._input import resolve_tuples
from ._supervision import labelled_pairs
from .base_metric import MahalanobisMixin, PairsClassifierMixin

__all__ = ["SDML", "SDML_Supervised"]


class _SDMLBase(MahalanobisMixin):
    _learner = _OurSDML
    _ignored = {"verbose": False}

    def _fit_sdml(self, indices, y, table):
        tuples = check_tuples(indices, 2, table, estimator=self)
        # metric-learn weighs the sum of the pairs' outer products by balance_param,
        # the package their mean: the same problem at n_pairs times the weight.
        balance = self.balance_param * tuples.n_tuples
        learner = self._make_learner(balance_param=balance)
        return self._fit_with(learner, "fit_pairs", tuples.indices, y, preprocessor=tuples.points)


class SDML(PairsClassifierMixin, _SDMLBase):
    """Sparse Determinant Metric Learning from pairs, on :class:`sklearn_metric.SDML`.

    ``balance_param`` is on metric-learn's scale (it weighs the *sum* over pairs);
    a value that makes the problem indefinite raises :class:`NonPSDError`. After
    fitting, ``threshold_`` is calibrated on the training pairs.

    Parameters
    ----------
    balance_param : float, default=0.5
    sparsity_param : float, default=0.01
    prior : {"identity", "covariance", "random"} or ndarray, default="identity"
    verbose : bool, default=False
        Ignored.
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metric_learn import SDML
    >>> X = np.array([[0.0, 0.0], [0.1, 1.0], [1.0, 0.0], [1.1, 1.0]])
    >>> pairs, y = np.array([[0, 1], [2, 3], [0, 2], [1, 3]]), np.array([1, 1, -1, -1])
    >>> SDML(balance_param=0.1, preprocessor=X).fit(pairs, y).predict(pairs).tolist()
    [1, 1, -1, -1]
    """

    def __init__(
        self,
        balance_param=0.5,
        sparsity_param=0.01,
        prior="identity",
        verbose=False,
        preprocessor=None,
        random_state=None,
    ):
        self.balance_param = balance_param
        self.sparsity_param = sparsity_param
        self.prior = prior
        self.verbose = verbose
        self.random_state = random_state
        super().__init__(preprocessor)

    def fit(self, pairs, y, calibration_params=None):
        """Learn the metric from labelled pairs, then calibrate ``threshold_`` on them.

        Returns
        -------
        self : SDML
        """
        indices, table = resolve_tuples(pairs, 2, self.preprocessor)
        self._fit_sdml(indices, y, table)
        return self._calibrated(pairs, y, calibration_params)


class SDML_Supervised(_SDMLBase):
    """SDML from class labels: ``n_constraints`` pairs of each kind drawn from them.

    Parameters
    ----------
    balance_param : float, default=0.5
    sparsity_param : float, default=0.01
    prior : {"identity", "covariance", "random"} or ndarray, default="identity"
    n_constraints : int or None, default=None
    verbose : bool, default=False
        Ignored.
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    num_constraints : default="deprecated"
        Deprecated name of ``n_constraints``.
    """

    _deprecated = {"num_constraints": "n_constraints"}

    def __init__(
        self,
        balance_param=0.5,
        sparsity_param=0.01,
        prior="identity",
        n_constraints=None,
        verbose=False,
        preprocessor=None,
        random_state=None,
        num_constraints="deprecated",
    ):
        self.balance_param = balance_param
        self.sparsity_param = sparsity_param
        self.prior = prior
        self.n_constraints = n_constraints
        self.verbose = verbose
        self.random_state = random_state
        self.num_constraints = num_constraints
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from class labels.

        Returns
        -------
        self : SDML_Supervised
        """
        indices, labels, points = labelled_pairs(
            self._points(X), y, self._current("n_constraints"), self.random_state
        )
        return self._fit_sdml(indices, labels, points)
