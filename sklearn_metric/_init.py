"""Initial linear maps for the iterative learners."""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils import check_random_state

from ._covariance import inverse_sqrt_psd

__all__ = ["INIT_OPTIONS", "initial_components"]

INIT_OPTIONS = {"auto", "identity", "pca", "lda", "covariance", "random"}


def initial_components(init, X, y, n_components, random_state=None):
    """Return the initial ``L`` of shape ``(n_components, n_features)``.

    Parameters
    ----------
    init : {"auto", "identity", "pca", "lda", "covariance", "random"} or ndarray
        ``"auto"`` is ``"lda"`` when ``n_components <= min(n_features,
        n_classes - 1)``, ``"pca"`` when ``n_components < n_features`` and
        ``"identity"`` otherwise (scikit-learn's NCA rule). ``"covariance"``
        whitens by the inverse square root of the covariance. An array is
        checked for shape and finiteness and used as is.
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Integer class labels.
    n_components : int
        Rows of ``L``.
    random_state : int, RandomState instance or None
        Seed of ``"random"`` and of the PCA solver.

    Returns
    -------
    L : ndarray of shape (n_components, n_features)
    """
    n_samples, n_features = X.shape
    if not isinstance(init, str):
        L = np.asarray(init, dtype=np.float64)
        if L.ndim != 2 or L.shape[1] != n_features:
            raise ValueError(
                f"The init array must have shape (n_components, {n_features}); got {L.shape}."
            )
        if L.shape[0] != n_components:
            raise ValueError(
                f"The init array has {L.shape[0]} rows but n_components={n_components}."
            )
        if not np.all(np.isfinite(L)):
            raise ValueError("The init array contains NaN or infinity.")
        return L.copy()
    n_classes = np.unique(y).size
    if init == "auto":
        if n_components <= min(n_features, n_classes - 1):
            init = "lda"
        elif n_components < n_features:
            init = "pca"
        else:
            init = "identity"
    if init == "identity":
        return np.eye(n_components, n_features)
    if init == "random":
        return check_random_state(random_state).standard_normal((n_components, n_features))
    if init == "pca":
        pca = PCA(n_components=n_components, random_state=random_state)
        return pca.fit(X).components_
    if init == "lda":
        n_lda = min(n_components, n_features, n_classes - 1)
        lda = LinearDiscriminantAnalysis(n_components=n_lda).fit(X, y)
        L = lda.scalings_.T[:n_lda]
        if n_lda < n_components:
            # LDA gives at most n_classes - 1 directions; complete with PCA ones.
            extra = PCA(n_components=n_components, random_state=random_state).fit(X).components_
            L = np.vstack([L, extra[: n_components - n_lda]])
        return L
    if init == "covariance":
        cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
        factors = inverse_sqrt_psd(cov)[0]
        return factors[:n_components]
    raise ValueError(f"init must be one of {sorted(INIT_OPTIONS)} or an array; got {init!r}.")
