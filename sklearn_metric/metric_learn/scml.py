"""metric-learn's ``SCML`` and ``SCML_Supervised``."""

from .._scml import SCML as _OurSCML
from .base_metric import MahalanobisMixin, TripletsClassifierMixin

__all__ = ["SCML", "SCML_Supervised"]


class SCML(TripletsClassifierMixin, MahalanobisMixin):
    """Sparse Compositional Metric Learning from triplets, on :class:`sklearn_metric.SCML`.

    ``output_iter`` and ``verbose`` (progress printing) are accepted and, set to
    other values, warned about once. The fitted learner predicts whether
    triplets ``(a, p, n)`` are in the right order.

    Parameters
    ----------
    beta : float, default=1e-5
    basis : {"triplet_diffs"} or ndarray, default="triplet_diffs"
    n_basis : int or None, default=None
    gamma : float, default=5e-3
    max_iter : int, default=10000
    output_iter : int, default=500
        Ignored.
    batch_size : int, default=10
    verbose : bool, default=False
        Ignored.
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metric_learn import SCML
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(20, 2) * [1.0, 5.0]
    >>> triplets = np.array([[i, (i + 1) % 20, (i + 7) % 20] for i in range(20)])
    >>> SCML(random_state=0, preprocessor=X).fit(triplets).components_.shape[1]
    2
    """

    _learner = _OurSCML
    _ignored = {"output_iter": 500, "verbose": False}

    def __init__(
        self,
        beta=1e-5,
        basis="triplet_diffs",
        n_basis=None,
        gamma=5e-3,
        max_iter=10000,
        output_iter=500,
        batch_size=10,
        verbose=False,
        preprocessor=None,
        random_state=None,
    ):
        self.beta = beta
        self.basis = basis
        self.n_basis = n_basis
        self.gamma = gamma
        self.max_iter = max_iter
        self.output_iter = output_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.random_state = random_state
        super().__init__(preprocessor)

    def fit(self, triplets):
        """Learn the metric from triplets ``(anchor, positive, negative)``.

        Returns
        -------
        self : SCML
        """
        return self._fit_tuples(self._make_learner(), "fit_triplets", triplets, 3)


class SCML_Supervised(MahalanobisMixin):
    """SCML from class labels: triplets from each point's ``k_genuine`` nearest
    same-class and ``k_impostor`` nearest other-class points.

    Parameters
    ----------
    k_genuine : int, default=3
    k_impostor : int, default=10
    beta : float, default=1e-5
    basis : {"lda", "triplet_diffs"} or ndarray, default="lda"
    n_basis : int or None, default=None
    gamma : float, default=5e-3
    max_iter : int, default=10000
    output_iter : int, default=500
        Ignored.
    batch_size : int, default=10
    verbose : bool, default=False
        Ignored.
    preprocessor : array-like, callable or None, default=None
    random_state : int, RandomState instance or None, default=None
    """

    _learner = _OurSCML
    _ignored = {"output_iter": 500, "verbose": False}

    def __init__(
        self,
        k_genuine=3,
        k_impostor=10,
        beta=1e-5,
        basis="lda",
        n_basis=None,
        gamma=5e-3,
        max_iter=10000,
        output_iter=500,
        batch_size=10,
        verbose=False,
        preprocessor=None,
        random_state=None,
    ):
        self.k_genuine = k_genuine
        self.k_impostor = k_impostor
        self.beta = beta
        self.basis = basis
        self.n_basis = n_basis
        self.gamma = gamma
        self.max_iter = max_iter
        self.output_iter = output_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.random_state = random_state
        super().__init__(preprocessor)

    def fit(self, X, y):
        """Learn the metric from class labels.

        Returns
        -------
        self : SCML_Supervised
        """
        return self._fit_labelled(X, y)
