"""How much each input feature counts in a learned distance."""

import numpy as np
from sklearn.utils import check_array

from ._base import linear_map

__all__ = ["feature_relevance"]


def feature_relevance(estimator, X=None):
    """Share of each input feature in the learned distance.

    The learned distance is ``||L (x - x')||``; moving a point by one unit along
    feature ``j`` moves it by ``||L[:, j]||`` in the learned space. The relevance of
    ``j`` is that column norm, times the standard deviation of feature ``j`` in ``X``
    when ``X`` is given (the typical move of a point along ``j``, so features in
    different units compare), divided by the sum over the features.

    Parameters
    ----------
    estimator : fitted estimator
        A metric learner, a pipeline of affine steps ending in one (scalers, PCA; the
        steps are composed into one ``L`` on the pipeline's input features), or a
        classifier fitted with a ``metric_learner``.
    X : array-like of shape (n_samples, n_features), default=None
        Points whose spread scales each feature; ``None`` weighs a unit change of
        every feature the same (right for standardised inputs).

    Returns
    -------
    relevance : ndarray of shape (n_features,)
        Non-negative, summing to 1.

    See Also
    --------
    sklearn_metric.inspection.MetricDisplay : Draws the relevance and the matrix.

    References
    ----------
    J. Goldberger, S. Roweis, G. Hinton and R. Salakhutdinov. Neighbourhood
    components analysis. NIPS 2004 (the learned map as a feature weighting).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import MahalanobisTransformer
    >>> from sklearn_metric.inspection import feature_relevance
    >>> X = np.random.RandomState(0).standard_normal((500, 2)) * [1.0, 4.0]
    >>> learner = MahalanobisTransformer().fit(X)
    >>> feature_relevance(learner).round(1).tolist()  # whitening shrinks feature 1
    [0.8, 0.2]
    >>> feature_relevance(learner, X).round(1).tolist()  # per standard deviation
    [0.5, 0.5]
    """
    L = linear_map(estimator)
    relevance = np.linalg.norm(L, axis=0)
    if X is not None:
        X = check_array(X, dtype=np.float64)
        if X.shape[1] != L.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the estimator was fitted on {L.shape[1]}."
            )
        relevance = relevance * X.std(axis=0)
    total = relevance.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError(
            "No feature moves the learned distance (the map, or the spread of X, is zero)."
        )
    return relevance / total
