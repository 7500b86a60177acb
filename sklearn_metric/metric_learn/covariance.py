"""metric-learn's ``Covariance``."""

import numpy as np

from .._covariance import MahalanobisTransformer
from .base_metric import MahalanobisMixin

__all__ = ["Covariance"]


class Covariance(MahalanobisMixin):
    """The inverse covariance of the data as the metric (metric-learn's ``Covariance``).

    Runs :class:`sklearn_metric.MahalanobisTransformer` with the empirical
    covariance; as in metric-learn, the covariance is the unbiased one (divided
    by ``n_samples - 1``) and a singular covariance is pseudo-inverted.

    Parameters
    ----------
    preprocessor : array-like, callable or None, default=None
        See :class:`~sklearn_metric.metric_learn.base_metric.BaseMetricLearner`.

    Attributes
    ----------
    components_ : ndarray of shape (n_features, n_features)
        ``L`` with ``L^T L`` the inverse covariance.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.metric_learn import Covariance
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    >>> np.round(Covariance().fit(X).get_mahalanobis_matrix(), 3)
    array([[0.75, 0.  ],
           [0.  , 3.  ]])
    """

    _learner = MahalanobisTransformer
    _renamed = {}
    _ignored = {}

    def fit(self, X, y=None):
        """Learn the inverse covariance of ``X`` (``y`` is ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)
            Points, or indices/keys into the preprocessor.
        y : None
            Ignored.

        Returns
        -------
        self : Covariance
        """
        points = self._points(X)
        learner = self._make_learner(covariance="empirical").fit(points)
        n = np.asarray(points).shape[0]
        # metric-learn's unbiased covariance: M = (n - 1) / n times the 1/n one's inverse.
        return self._adopt(learner, learner.components_ * np.sqrt((n - 1) / n))
