"""Initial linear maps for the iterative learners."""

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils import check_random_state

from ._linalg import inverse_sqrt_psd

__all__ = ["INIT_OPTIONS", "initial_components", "starting_components"]

INIT_OPTIONS = {"auto", "identity", "pca", "lda", "covariance", "random"}


def _lda_directions(X, y, n_directions):
    """LDA's scalings (at most ``n_directions``), or None without within-class spread."""
    means = np.zeros((y.max() + 1, X.shape[1]))
    np.add.at(means, y, X)
    means /= np.bincount(y)[:, None]
    if not np.any(X - means[y]):
        return None
    lda = LinearDiscriminantAnalysis(n_components=n_directions).fit(X, y)
    return lda.scalings_.T[:n_directions]


def initial_components(init, X, y, n_components, random_state=None):
    """Return the initial ``L`` of shape ``(n_components, n_features)``.

    Parameters
    ----------
    init : {"auto", "identity", "pca", "lda", "covariance", "random"} or ndarray
        ``"auto"`` is ``"lda"`` when ``n_components <= min(n_features,
        n_classes - 1)`` (and there are more samples than classes), ``"pca"`` when ``n_components < n_features`` and
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
        if n_components <= min(n_features, n_classes - 1) and n_samples > n_classes:
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
        if n_samples <= n_classes:
            raise ValueError(
                f"init='lda' needs more samples than classes; got {n_samples} samples of "
                f"{n_classes} classes. Use init='pca' or 'identity'."
            )
        n_lda = min(n_components, n_features, n_classes - 1)
        L = _lda_directions(X, y, n_lda)
        if L is None:
            warnings.warn(
                "init='lda' needs some spread of the points within their classes; every "
                "class holds copies of one point, so init='pca' is used instead.",
                UserWarning,
            )
            return PCA(n_components=n_components, random_state=random_state).fit(X).components_
        n_lda = L.shape[0]
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


def starting_components(estimator, X, y, n_components):
    """The first ``L`` of an iterative learner's fit.

    The previous fit's ``components_`` when ``estimator.warm_start`` is set and
    there is one, else :func:`initial_components` from ``estimator.init`` and
    ``estimator.random_state``.

    Parameters
    ----------
    estimator : estimator instance
        A learner with ``init``, ``random_state`` and optionally ``warm_start``.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer class labels.
    n_components : int

    Returns
    -------
    L : ndarray of shape (n_components, n_features)
    """
    if getattr(estimator, "warm_start", False) and hasattr(estimator, "components_"):
        previous = estimator.components_
        if previous.shape != (n_components, X.shape[1]):
            raise ValueError(
                f"warm_start needs components_ of shape {(n_components, X.shape[1])}; "
                f"the previous fit has {previous.shape}."
            )
        return previous.copy()
    return initial_components(estimator.init, X, y, n_components, estimator.random_state)
