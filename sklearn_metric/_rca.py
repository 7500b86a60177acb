"""Relevant Component Analysis (Bar-Hillel, Hertz, Shental & Weinshall, ICML 2003)."""

from numbers import Integral, Real

import numpy as np
from scipy.linalg import eigh
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, validate_data

from ._core.base import MetricLearnerMixin, validate_labelled_data
from ._core.compat import Interval, fit_context
from ._core.linalg import inverse_sqrt_psd, rank_tolerance
from ._core.sampling import sample_chunklets
from ._core.span import SpanSplit, wide_span
from ._core.warn import warn

__all__ = ["RCA"]


def within_chunklet_covariance(X, chunks):
    """Covariance of points around their chunklet means, and the number of points used.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    chunks : ndarray of shape (n_samples,)
        Chunklet id of each point; ``-1`` marks points in no chunklet.

    Returns
    -------
    C_w : ndarray of shape (n_features, n_features)
    n_used : int
        Points in chunklets of at least two points.
    """
    in_chunk = chunks >= 0
    ids, inverse, counts = np.unique(chunks[in_chunk], return_inverse=True, return_counts=True)
    keep = counts[inverse] >= 2
    Xc = X[in_chunk][keep]
    inverse = np.unique(inverse[keep], return_inverse=True)[1]
    if Xc.shape[0] == 0:
        raise ValueError(
            "RCA needs at least one chunklet of two or more points; every chunklet has "
            "fewer than two."
        )
    sums = np.zeros((inverse.max() + 1, X.shape[1]))
    np.add.at(sums, inverse, Xc)
    means = sums / np.bincount(inverse)[:, None]
    centred = Xc - means[inverse]
    return centred.T @ centred / Xc.shape[0], Xc.shape[0]


class RCA(MetricLearnerMixin):
    """Relevant Component Analysis: whitening by the within-chunklet covariance.

    A chunklet is a set of points known to share a (possibly unknown) label.
    RCA learns ``L = C_w^{-1/2}``, where ``C_w`` is the covariance of points
    around their chunklet means, so that variability shared inside chunklets
    (irrelevant to the label) is scaled down. It is closed-form.

    ``fit(X, y)`` makes chunklets from class labels (any labels, ``-1``
    included, are classes): with ``chunk_size=None`` each class is one
    chunklet; otherwise ``n_chunks`` chunklets of ``chunk_size`` points are
    drawn within classes (see ``sample_chunklets``). ``fit_chunklets(X,
    chunks)`` takes chunklet ids directly, ``-1`` marking points in no chunklet.

    Parameters
    ----------
    n_components : int, default=None
        Reduce to this many dimensions first by the Fisher discriminant of the
        chunklets (directions of largest total over within-chunklet variance),
        as in the paper; ``None`` keeps all.

    chunk_size : int, default=None
        Points per sampled chunklet; ``None`` uses each class as one chunklet.

    n_chunks : int, default=100
        Chunklets to sample when ``chunk_size`` is set.

    shrinkage : float, default=1e-6
        Ridge, relative to the mean eigenvalue of ``C_w``, added when ``C_w`` is
        rank-deficient (with a warning): directions with no within-chunklet
        variance then get a large finite weight instead of an infinite one.

    random_state : int, RandomState instance or None, default=None
        Seed of the chunklet sampling.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``L``.

    within_covariance_ : ndarray of shape (n_features, n_features)
        ``C_w`` (before any ridge).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.MahalanobisTransformer : Whitening by the total covariance.
    sklearn_metric.LFDA : Local Fisher discriminant analysis.

    References
    ----------
    A. Bar-Hillel, T. Hertz, N. Shental and D. Weinshall. Learning a
    Mahalanobis metric from equivalence constraints. JMLR 6:937-965, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import RCA
    >>> rng = np.random.RandomState(0)
    >>> chunks = np.repeat(np.arange(20), 5)  # 20 chunklets of 5 points
    >>> X = rng.randn(100, 2) * [3.0, 0.5] + 10 * rng.randn(20, 2)[chunks]
    >>> rca = RCA().fit_chunklets(X, chunks)
    >>> np.round(rca.get_mahalanobis_matrix(), 2)  # the noisy first axis counts less
    array([[0.14, 0.1 ],
           [0.1 , 4.78]])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "chunk_size": [Interval(Integral, 2, None, closed="left"), None],
        "n_chunks": [Interval(Integral, 1, None, closed="left")],
        "shrinkage": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self, n_components=None, *, chunk_size=None, n_chunks=100, shrinkage=1e-6, random_state=None
    ):
        self.n_components = n_components
        self.chunk_size = chunk_size
        self.n_chunks = n_chunks
        self.shrinkage = shrinkage
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the metric from class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels; each class is a chunklet, or chunklets are sampled in
            classes when ``chunk_size`` is set.

        Returns
        -------
        self : RCA
            The fitted learner.
        """
        X, y, _, y_enc = validate_labelled_data(self, X, y)
        if self.chunk_size is None:
            chunks = y_enc
        else:
            chunks = sample_chunklets(
                y_enc, self.chunk_size, self.n_chunks, check_random_state(self.random_state)
            )
        return self._fit(X, chunks)

    @fit_context(prefer_skip_nested_validation=True)
    def fit_chunklets(self, X, chunks):
        """Learn the metric from chunklet ids.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        chunks : array-like of shape (n_samples,)
            Integer chunklet id of each point; ``-1`` marks points in no chunklet.

        Returns
        -------
        self : RCA
            The fitted learner.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        chunks = check_array(chunks, ensure_2d=False, dtype=None, input_name="chunks")
        if chunks.ndim != 1 or chunks.shape[0] != X.shape[0]:
            raise ValueError(
                f"chunks must be a 1-D array of length n_samples={X.shape[0]}; "
                f"got shape {chunks.shape}."
            )
        if not np.issubdtype(chunks.dtype, np.integer):
            raise TypeError(f"chunks must hold integer chunklet ids; got dtype {chunks.dtype}.")
        return self._fit(X, chunks.astype(np.intp))

    def _fit(self, X, chunks):
        X = X.astype(np.float64, copy=False)
        n_components = self._check_n_components(X.shape[1])
        C_w, _ = within_chunklet_covariance(X, chunks)
        self.within_covariance_ = C_w
        # Wide data: C_w lives on the span of the centred points; solve there.
        U = wide_span(X)
        split = None if U is None else SpanSplit.of(C_w, U)
        if split is not None:
            components = self._fit_on_span(X, split, n_components)
            if components is not None:
                self.components_ = components
                return self
        C_reg = self._regularised(C_w)
        if n_components < X.shape[1]:
            # Fisher discriminant of the chunklets: directions of largest total
            # over within-chunklet variance, then RCA in that subspace.
            C_total = np.cov(X, rowvar=False, bias=True)
            _, vectors = eigh(C_total, C_reg)
            basis = vectors[:, ::-1][:, :n_components]
            factors = inverse_sqrt_psd(basis.T @ C_reg @ basis)[0]
            components = factors @ basis.T
        else:
            factors, _, eigvecs, _ = inverse_sqrt_psd(C_reg)
            components = eigvecs @ factors  # symmetric C_w^{-1/2}
        if not np.all(np.isfinite(components)):
            raise ValueError("RCA produced non-finite components.")
        self.components_ = components
        return self

    def _fit_on_span(self, X, split, n_components):
        """RCA with ``C_w = U B U^T`` (zero off the span ``U``): the ridge, the root and
        the Fisher discriminant in ``rank x rank``. ``None`` when ``n_components``
        exceeds the span's rank (then solved in full)."""
        U, d = split.U, X.shape[1]
        if U.shape[1] < n_components < d:
            return None
        values = np.linalg.eigvalsh(split.B)
        eigvals = np.sort(np.r_[values, np.full(d - U.shape[1], split.c)])
        ridge = self._ridge(eigvals, d)
        B_reg = split.B + ridge * np.eye(U.shape[1])
        if n_components == d:
            return SpanSplit(U, B_reg, split.c + ridge).inverse_sqrt()[0]
        # Total covariance on the span (it has none off it); the complement's
        # generalised eigenvalues are zero, so the leading directions are the span's.
        Z = (X - X.mean(axis=0)) @ U
        _, vectors = eigh(Z.T @ Z / X.shape[0], B_reg)
        V = vectors[:, ::-1][:, :n_components]
        factors = inverse_sqrt_psd(V.T @ B_reg @ V)[0]
        return factors @ (U @ V).T

    def _regularised(self, C_w):
        eigvals = np.linalg.eigvalsh(C_w)
        ridge = self._ridge(eigvals, C_w.shape[0])
        return C_w + ridge * np.eye(C_w.shape[0]) if ridge else C_w

    def _ridge(self, eigvals, n_features):
        """The ridge added to a rank-deficient ``C_w`` (eigenvalues ascending), with
        the warning; 0 when it has full rank."""
        C_w_shape = (n_features, n_features)
        top = eigvals[-1]
        if top <= 0:
            raise ValueError(
                "The within-chunklet covariance is zero: every chunklet holds identical "
                "points, so RCA has nothing to learn."
            )
        rank = int(np.sum(eigvals > rank_tolerance(C_w_shape) * top))
        if rank == n_features:
            return 0.0
        warn(
            f"The within-chunklet covariance is rank-deficient (rank {rank} < "
            f"{n_features}); a ridge of shrinkage={self.shrinkage} times its mean "
            "eigenvalue is added, so directions without within-chunklet variance "
            "get a large finite weight.",
            UserWarning,
        )
        return self.shrinkage * eigvals.mean()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
