"""Initial linear maps for the iterative learners."""

import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils import check_random_state

from .base import check_n_components
from .linalg import inverse_sqrt_psd, rank_tolerance
from .span import SpanSplit, wide_span
from .warn import warn

__all__ = [
    "INIT_OPTIONS",
    "initial_components",
    "n_components_of",
    "prior_matrix",
    "starting_components",
]

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


def _check_init_array(init, n_features, n_components):
    """The ``init`` array as a float copy, with scikit-learn's NCA messages for bad shapes."""
    L = np.asarray(init, dtype=np.float64)
    if L.ndim != 2:
        raise ValueError(f"The init array must be 2-dimensional; got shape {L.shape}.")
    if L.shape[1] != n_features:
        raise ValueError(
            f"The input dimensionality ({L.shape[1]}) of the given linear transformation "
            f"`init` must match the dimensionality of the given inputs `X` ({n_features})."
        )
    if L.shape[0] > L.shape[1]:
        raise ValueError(
            f"The output dimensionality ({L.shape[0]}) of the given linear transformation "
            f"`init` cannot be greater than its input dimensionality ({L.shape[1]})."
        )
    if L.shape[0] != n_components:
        raise ValueError(
            "The preferred dimensionality of the projected space `n_components` "
            f"({n_components}) does not match the output dimensionality of the given "
            f"linear transformation `init` ({L.shape[0]})!"
        )
    if not np.all(np.isfinite(L)):
        raise ValueError("The init array contains NaN or infinity.")
    return L.copy()


class _Timed:
    """Prints ``what... done in N.NNs`` around a step when ``verbose`` (as scikit-learn's NCA)."""

    def __init__(self, what, verbose):
        self.what, self.verbose = what, verbose

    def __enter__(self):
        self.start = time.perf_counter()
        if self.verbose:
            print(f"{self.what}... ", end="", file=sys.stdout)
            sys.stdout.flush()

    def __exit__(self, *exc):
        if self.verbose and exc[0] is None:
            print(f"done in {time.perf_counter() - self.start:5.2f}s", file=sys.stdout)


def _pca_components(X, n_components, random_state):
    return PCA(n_components=n_components, random_state=random_state).fit(X).components_


def initial_components(init, X, y, n_components, random_state=None, verbose=0):
    """Return the initial ``L`` of shape ``(n_components, n_features)``.

    Parameters
    ----------
    init : {"auto", "identity", "pca", "lda", "covariance", "random"} or ndarray
        ``"auto"`` is ``"lda"`` when ``n_components <= min(n_features,
        n_classes - 1)`` (and there are more samples than classes), ``"pca"``
        when ``n_components < min(n_features, n_samples)`` and ``"identity"``
        otherwise (scikit-learn's NCA rule). ``"covariance"`` whitens by the
        inverse square root of the covariance. An array is checked for shape
        and finiteness and used as is.
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Integer class labels.
    n_components : int
        Rows of ``L``.
    random_state : int, RandomState instance or None
        Seed of ``"random"`` and of the PCA solver.
    verbose : int, default=0
        Print how long the PCA or LDA took (as scikit-learn's NCA does).

    Returns
    -------
    L : ndarray of shape (n_components, n_features)
    """
    n_samples, n_features = X.shape
    if not isinstance(init, str):
        return _check_init_array(init, n_features, n_components)
    n_classes = np.unique(y).size
    if init == "auto":
        if n_components <= min(n_features, n_classes - 1) and n_samples > n_classes:
            init = "lda"
        elif n_components < min(n_features, n_samples):
            init = "pca"
        else:
            init = "identity"
    if init == "identity":
        return np.eye(n_components, n_features)
    if init == "random":
        return check_random_state(random_state).standard_normal((n_components, n_features))
    if init == "pca":
        with _Timed("Finding principal components", verbose):
            return _pca_components(X, n_components, random_state)
    if init == "lda":
        if n_samples <= n_classes:
            raise ValueError(
                f"init='lda' needs more samples than classes; got {n_samples} samples of "
                f"{n_classes} classes. Use init='pca' or 'identity'."
            )
        n_lda = min(n_components, n_features, n_classes - 1)
        with _Timed("Finding most discriminative components", verbose):
            L = _lda_directions(X, y, n_lda)
        if L is None:
            warn(
                "init='lda' needs some spread of the points within their classes; every "
                "class holds copies of one point, so init='pca' is used instead.",
                UserWarning,
            )
            return _pca_components(X, n_components, random_state)
        n_lda = L.shape[0]
        if n_lda < n_components:
            # LDA gives at most n_classes - 1 directions; complete with PCA ones.
            extra = _pca_components(X, n_components, random_state)
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
        if previous.shape[1] != X.shape[1]:
            raise ValueError(
                f"The new inputs dimensionality ({X.shape[1]}) does not match the input "
                "dimensionality of the previously learned transformation "
                f"({previous.shape[1]})."
            )
        if previous.shape[0] != n_components:
            raise ValueError(
                f"warm_start needs components_ of shape {(n_components, X.shape[1])}; "
                f"the previous fit has {previous.shape}."
            )
        return previous.copy()
    return initial_components(
        estimator.init,
        X,
        y,
        n_components,
        estimator.random_state,
        verbose=getattr(estimator, "verbose", 0),
    )


def n_components_of(estimator, n_features):
    """Rows of ``L`` to learn: ``n_components``, else the rows of an ``init`` array,
    else ``n_features`` (scikit-learn's NCA rule).

    Raises
    ------
    ValueError
        When ``n_components`` exceeds ``n_features``.
    """
    if estimator.n_components is not None:
        return check_n_components(estimator.n_components, n_features)
    init = estimator.init
    if isinstance(init, np.ndarray) and init.ndim == 2:
        return init.shape[0]
    return n_features


def _inverse_covariance(points, n_features):
    """The inverse of the points' covariance; on the directions in which the points do
    not vary (a singular covariance), the mean of its eigenvalues on the others."""
    cov = np.atleast_2d(np.cov(points, rowvar=False, bias=True))
    factors, eigvals, eigvecs, rank = inverse_sqrt_psd(cov)
    M0 = factors.T @ factors
    if rank == 0:
        raise ValueError(
            "prior='covariance' needs points that vary; every feature is constant. "
            "Use prior='identity'."
        )
    if rank < n_features:
        fill = float(np.mean(1.0 / eigvals[:rank]))
        null = eigvecs[:, rank:]
        M0 += fill * (null @ null.T)
        warn(
            f"prior='covariance': the points' covariance has rank {rank} < {n_features} "
            "features, so it has no inverse. The prior is its inverse on the directions "
            f"in which the points vary and {fill:.3g} (the mean of that inverse's "
            "eigenvalues) on the other ones; drop constant or collinear features to "
            "silence this warning."
        )
    return M0


def prior_matrix(prior, points, n_features, random_state=None):
    """The prior Mahalanobis matrix ``M0`` (symmetric positive definite) of ITML, SDML, LSML.

    Parameters
    ----------
    prior : {"identity", "covariance", "random"} or ndarray of shape (n_features, n_features)
        The identity, the inverse covariance of ``points`` (when it is singular,
        with a warning: its inverse on the directions in which the points vary and
        the mean of that inverse's eigenvalues on the others), a random positive
        definite matrix, or a given one: symmetric,
        and positive definite beyond rounding (its smallest eigenvalue above
        ``rank_tolerance`` times its largest).
    points : ndarray of shape (n_points, n_features)
    n_features : int
    random_state : int, RandomState instance or None, default=None
        Seed of ``"random"``.

    Returns
    -------
    M0 : ndarray of shape (n_features, n_features)
    """
    if isinstance(prior, str):
        if prior == "identity":
            return np.eye(n_features)
        if prior == "covariance":
            return _inverse_covariance(points, n_features)
        # "random": a random symmetric positive definite matrix.
        A = check_random_state(random_state).standard_normal((n_features, n_features))
        return A @ A.T / n_features + np.eye(n_features) * 1e-3
    M0 = np.asarray(prior, dtype=np.float64)
    if M0.shape != (n_features, n_features):
        raise ValueError(
            f"The prior array must have shape ({n_features}, {n_features}); got {M0.shape}."
        )
    if not np.all(np.isfinite(M0)) or not np.allclose(M0, M0.T):
        raise ValueError("The prior array must be a finite symmetric matrix.")
    values = np.linalg.eigvalsh(M0)
    # The rank tolerance decides, as for every rank: an eigenvalue within rounding of
    # zero makes the prior singular, whatever its sign came out as.
    if values[0] <= rank_tolerance(M0.shape) * max(values[-1], 0.0):
        raise ValueError(
            "The prior array must be positive definite (its LogDet must be finite); its "
            f"smallest eigenvalue is {values[0]:.3g} against a largest of {values[-1]:.3g}, "
            "which is singular to working precision."
        )
    return M0


def prior_split(prior, points):
    """The prior as a :class:`~sklearn_metric._core.span.SpanSplit` on the span of ``points``,
    or ``None`` when the problem is solved in full.

    Wide data (fewer points than features) whose constraints are differences of
    ``points`` (so lie in the span of the centred points), with a prior that
    leaves that span invariant (``"identity"``, or an array of that form),
    reduce to the span: ITML's projections and LSML's gradients never leave it,
    and the complement keeps the prior's metric. ``"random"`` priors mix the
    span with its complement and are solved in full, as is ``"covariance"``
    (on wide data, filled in off the span by :func:`prior_matrix`).

    Parameters
    ----------
    prior : {"identity", "covariance", "random"} or ndarray
    points : ndarray of shape (n_points, n_features)
        The points whose differences are the constraints.

    Returns
    -------
    split : SpanSplit or None
    """
    if isinstance(prior, str) and prior != "identity":
        return None
    U = wide_span(points)
    if U is None:
        return None
    if isinstance(prior, str):
        return SpanSplit(U, np.eye(U.shape[1]), 1.0)
    return SpanSplit.of(prior_matrix(prior, points, points.shape[1]), U)


def on_span(tuples, split):
    """``tuples`` over the coordinates of their points on ``split.U`` (centred: the
    differences are the same), or ``tuples`` itself without a split."""
    if split is None:
        return tuples
    points = tuples.points
    return tuples.mapped((points - points.mean(axis=0)) @ split.U)
