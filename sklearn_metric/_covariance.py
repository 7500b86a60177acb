"""MahalanobisTransformer: the metric of a covariance estimate (whitening)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.covariance import OAS, EmpiricalCovariance, LedoitWolf, MinCovDet
from sklearn.utils.validation import check_is_fitted, validate_data

from ._core.base import MetricLearnerMixin
from ._core.compat import HasMethods, Interval, StrOptions, fit_context
from ._core.linalg import inverse_sqrt_psd
from ._core.span import SpanSplit, wide_span
from ._core.warn import warn

__all__ = ["MahalanobisTransformer"]

_COVARIANCE_ESTIMATORS = {
    "empirical": EmpiricalCovariance,
    "ledoit_wolf": LedoitWolf,
    "oas": OAS,
    "min_cov_det": MinCovDet,
}


class MahalanobisTransformer(MetricLearnerMixin):
    """Mahalanobis metric of a covariance estimate (whitening).

    Learns ``L`` with ``L.T @ L = Sigma^{-1}`` for a covariance estimate
    ``Sigma`` of ``X``, so transformed data has identity covariance and the
    Euclidean distance after ``transform`` is the Mahalanobis distance of
    ``Sigma``. The same object scores outliers: :meth:`mahalanobis` returns
    squared distances to the fitted location and :meth:`score_samples` their
    negatives, as ``sklearn.covariance`` estimators do.

    Parameters
    ----------
    covariance : {"empirical", "ledoit_wolf", "oas", "min_cov_det"} or \
            estimator, default="empirical"
        How ``Sigma`` is estimated: the name of a ``sklearn.covariance``
        estimator, or any estimator that sets ``covariance_`` and
        ``location_`` in ``fit``. An estimator is cloned and refitted; wrap a
        prefitted one in :class:`sklearn.frozen.FrozenEstimator` to keep it.

    n_components : int, default=None
        Keep only the ``n_components`` whitened directions of largest
        variance (PCA whitening). ``None`` keeps all and uses the symmetric
        inverse square root ``Sigma^{-1/2}`` (ZCA whitening), so the output
        axes stay aligned with the input features.

    tol : float, default=None
        Relative eigenvalue cut-off of the pseudo-inverse: directions whose
        variance is at most ``tol`` times the largest are treated as
        degenerate and get weight zero (with a warning). ``None`` means
        ``n_features * eps``.

    random_state : int, RandomState instance or None, default=None
        Passed to the covariance estimators that take one (``MinCovDet``).
        For an estimator instance it is only set when not ``None``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The whitening map ``L``.

    covariance_ : ndarray of shape (n_features, n_features)
        The covariance estimate ``Sigma``.

    location_ : ndarray of shape (n_features,)
        The location estimate (the mean for ``"empirical"``).

    covariance_estimator_ : estimator
        The fitted covariance estimator.

    rank_ : int
        Number of non-degenerate directions of ``Sigma``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.covariance.EmpiricalCovariance : Maximum likelihood covariance.

    Notes
    -----
    A singular covariance (more features than samples, duplicated or
    constant columns) has no inverse. Its degenerate directions get weight
    zero (the Moore-Penrose pseudo-inverse), never NaN or inf, and a
    ``UserWarning`` says how many were dropped. Shrinkage estimators
    (``"ledoit_wolf"``, ``"oas"``) avoid the problem altogether.

    References
    ----------
    P. C. Mahalanobis. On the generalised distance in statistics. Proceedings
    of the National Institute of Sciences of India 2(1):49-55, 1936.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import MahalanobisTransformer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 2) @ np.array([[2.0, 0.0], [1.0, 0.5]])
    >>> Xt = MahalanobisTransformer().fit_transform(X)
    >>> np.round(np.cov(Xt, rowvar=False, bias=True), 6)
    array([[ 1., -0.],
           [-0.,  1.]])
    """

    _parameter_constraints: dict = {
        "covariance": [
            StrOptions(set(_COVARIANCE_ESTIMATORS)),
            HasMethods(["fit"]),
        ],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, covariance="empirical", *, n_components=None, tol=None, random_state=None):
        self.covariance = covariance
        self.n_components = n_components
        self.tol = tol
        self.random_state = random_state

    def _make_covariance_estimator(self):
        """Return an unfitted (or frozen) covariance estimator."""
        if isinstance(self.covariance, str):
            # The precision matrix is not used: skip its pseudo-inverse (d^3).
            estimator = _COVARIANCE_ESTIMATORS[self.covariance](store_precision=False)
        else:
            estimator = clone(self.covariance)
        params = estimator.get_params(deep=False)
        if "random_state" in params and (
            isinstance(self.covariance, str) or self.random_state is not None
        ):
            estimator.set_params(random_state=self.random_state)
        return estimator

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Estimate the covariance of ``X`` and learn its whitening map.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : MahalanobisTransformer
            The fitted transformer.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        n_components = self._check_n_components(X.shape[1])
        estimator = self._make_covariance_estimator()
        estimator.fit(X.astype(np.float64, copy=False), None)
        covariance = getattr(estimator, "covariance_", None)
        location = getattr(estimator, "location_", None)
        if covariance is None or location is None:
            raise TypeError(
                f"covariance={self.covariance!r} must set covariance_ and "
                "location_ when fitted, as sklearn.covariance estimators do."
            )
        covariance = np.asarray(covariance, dtype=np.float64)
        if covariance.shape != (X.shape[1], X.shape[1]):
            raise ValueError(
                f"The covariance estimator gave a matrix of shape {covariance.shape}, "
                f"but X has {X.shape[1]} features."
            )
        if not np.all(np.isfinite(covariance)):
            raise ValueError("The covariance estimator gave a covariance with NaN or inf.")

        components, rank = self._whitening(X, covariance, n_components)
        if rank < X.shape[1]:
            warn(
                f"The covariance is singular (rank {rank} < {X.shape[1]} features): "
                f"{X.shape[1] - rank} degenerate direction(s) get weight zero "
                "(pseudo-inverse). Consider covariance='ledoit_wolf'.",
                UserWarning,
            )
        self.covariance_estimator_ = estimator
        self.covariance_ = covariance
        self.location_ = np.asarray(location, dtype=np.float64).ravel()
        self.rank_ = rank
        self.components_ = components
        return self

    def _whitening(self, X, covariance, n_components):
        """The whitening rows (ZCA without ``n_components``, else the top PCA-whitened
        ones) and the rank of ``covariance``.

        Wide data (fewer samples than features) with a covariance that lives on
        the span of the centred points plus a multiple of the identity (empirical,
        Ledoit-Wolf, OAS) is decomposed there in O(d^2 n), not O(d^3).
        """
        U = wide_span(X)
        split = None if U is None else SpanSplit.of(covariance, U)
        if split is not None:
            root, _, rank = split.inverse_sqrt(self.tol)
            if self.n_components is None:
                return root, rank
            values, vectors = split.eig()
            # The kept directions are the span's unless the complement's variance c
            # is among the n_components largest: then decompose in full.
            if n_components <= np.count_nonzero(values >= split.c):
                # These are the n_components largest eigenvalues; the first rank are kept.
                top = values[:n_components]
                keep = np.arange(n_components) < rank
                scale = np.where(keep, 1.0 / np.sqrt(np.where(keep, top, 1.0)), 0.0)
                return scale[:, None] * vectors[:, :n_components].T, rank
        factors, _, eigvecs, rank = inverse_sqrt_psd(covariance, self.tol)
        if self.n_components is None:
            # Symmetric inverse square root: Sigma^{+1/2} = V diag(w^-1/2) V^T.
            return eigvecs @ factors, rank
        return factors[:n_components], rank

    def mahalanobis(self, X):
        """Squared learned distance of each sample to the fitted location.

        With ``n_components`` set, only the kept directions count.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        dist : ndarray of shape (n_samples,)
            ``||L (x - location_)||^2`` for each sample.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        Z = (X - self.location_.astype(X.dtype)) @ self.components_.T.astype(X.dtype)
        return np.einsum("ij,ij->i", Z, Z)

    def score_samples(self, X):
        """Negative squared Mahalanobis distance (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mahalanobis(X)``.
        """
        return -self.mahalanobis(X)
