"""Public samplers of index tuples from class labels, optionally within groups.

The drawing itself is the shared layer's (:mod:`sklearn_metric._core.sampling`); these
functions validate their input, encode any label type, and restrict every tuple to
the points of one group when ``groups`` is given.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state, column_or_1d

from .._core import sampling as _sampling

__all__ = ["sample_pairs", "sample_quadruplets", "sample_triplets"]


def _check_count(n, name):
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}.")
    return int(n)


def _check_labels(y, groups):
    y = column_or_1d(y, warn=True)
    if y.shape[0] == 0:
        raise ValueError("y is empty: tuples cannot be drawn from no points.")
    _, codes = np.unique(y, return_inverse=True)
    if groups is None:
        return codes, None
    groups = column_or_1d(groups, warn=True)
    if groups.shape[0] != y.shape[0]:
        raise ValueError(
            f"groups has {groups.shape[0]} entries but y has {y.shape[0]}: "
            "give one group per point."
        )
    return codes, np.unique(groups, return_inverse=True)[1]


def _shares(n, sizes):
    """``n`` split over groups in proportion to their sizes (largest remainder)."""
    exact = n * sizes / sizes.sum()
    shares = np.floor(exact).astype(np.intp)
    order = np.argsort(shares - exact, kind="stable")  # largest remainder first
    shares[order[: n - shares.sum()]] += 1
    return shares


def _draw(draw, y, n, groups, random_state):
    """``draw(codes, n, rng)`` on all points, or on each group with its share of ``n``.

    Returns ``(members, drawn)`` pairs: the indices of a group's points (``None`` for
    all points) and what ``draw`` returned on them, in indices local to the group.
    """
    codes, group_codes = _check_labels(y, groups)
    random_state = check_random_state(random_state)
    if group_codes is None:
        return [(None, draw(codes, n, random_state))]
    members = [np.flatnonzero(group_codes == g) for g in range(group_codes.max() + 1)]
    usable = [
        m for m in members if np.unique(codes[m]).size >= 2 and np.bincount(codes[m]).max() >= 2
    ]
    if not usable:
        raise ValueError(
            "No group holds two classes and a class with two points: tuples cannot be "
            "drawn within a group."
        )
    shares = _shares(n, np.array([m.size for m in usable]))
    return [
        (m, draw(np.unique(codes[m], return_inverse=True)[1], int(k), random_state))
        for m, k in zip(usable, shares, strict=True)
        if k > 0
    ]


def _global(members, tuples):
    return tuples if members is None else members[tuples]


def sample_pairs(y, n_pairs, *, groups=None, random_state=None):
    """Draw similar and dissimilar index pairs from class labels.

    ``n_pairs`` similar pairs (two distinct points of one class) and ``n_pairs``
    dissimilar pairs (points of two classes), as indices into the points that
    ``y`` labels. Give those points as the ``preprocessor`` of a pair learner or
    of :class:`~sklearn_metric.PairsClassifier`, and the pairs as its ``X``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels (any type); at least two classes, one with two points.

    n_pairs : int
        Pairs of each kind.

    groups : array-like of shape (n_samples,), default=None
        A group for each point. When given, both points of every pair come from one
        group, so that ``groups[pairs[:, 0]]`` is the group of each pair and
        ``GroupKFold`` or ``GroupShuffleSplit`` on it keeps the points (for example
        the identities of a verification task) of training and test pairs apart.
        The pairs are shared among the groups in proportion to their sizes; groups
        with a single class are skipped.

    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    pairs : ndarray of shape (2 * n_pairs, 2)
        Index pairs, the similar ones first.

    labels : ndarray of shape (2 * n_pairs,)
        +1 for a similar pair, -1 for a dissimilar one.

    See Also
    --------
    sample_triplets : Anchor, positive and negative triplets.
    sklearn_metric.PairsClassifier : Verification on pairs with a calibrated threshold.

    References
    ----------
    J. V. Davis, B. Kulis, P. Jain, S. Sra and I. S. Dhillon. Information-theoretic
    metric learning. ICML 2007 (pairs drawn from labels as constraints).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.tuples import sample_pairs
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> pairs, labels = sample_pairs(y, 3, random_state=0)
    >>> pairs.shape, labels.tolist()
    ((6, 2), [1, 1, 1, -1, -1, -1])
    >>> bool(np.all(y[pairs[:3, 0]] == y[pairs[:3, 1]]))
    True
    """
    n_pairs = _check_count(n_pairs, "n_pairs")
    parts = _draw(_sampling.sample_pairs, y, n_pairs, groups, random_state)
    # Each part holds its similar pairs, then its dissimilar ones: gather by kind.
    similar, dissimilar = [], []
    for members, (pairs, _) in parts:
        half = pairs.shape[0] // 2
        similar.append(_global(members, pairs[:half]))
        dissimilar.append(_global(members, pairs[half:]))
    labels = np.concatenate([np.ones(n_pairs, dtype=int), -np.ones(n_pairs, dtype=int)])
    return np.vstack(similar + dissimilar), labels


def sample_triplets(y, n_triplets, *, groups=None, random_state=None):
    """Draw ``(anchor, positive, negative)`` index triplets from class labels.

    The positive is another point of the anchor's class, the negative a point of
    another class, so ``d(anchor, positive) < d(anchor, negative)`` is wanted
    (the input of :meth:`SCML.fit_triplets <sklearn_metric.SCML.fit_triplets>` and
    :class:`~sklearn_metric.TripletClassifier`).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels (any type); at least two classes, one with two points.

    n_triplets : int
        Triplets to draw.

    groups : array-like of shape (n_samples,), default=None
        A group for each point; when given, every triplet lies within one group
        (see :func:`sample_pairs`).

    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    triplets : ndarray of shape (n_triplets, 3)
        Indices into the points that ``y`` labels.

    See Also
    --------
    sample_pairs : Similar and dissimilar pairs.
    sample_quadruplets : Quadruplets for LSML.

    References
    ----------
    M. Schultz and T. Joachims. Learning a distance metric from relative
    comparisons. NIPS 16, 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.tuples import sample_triplets
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> t = sample_triplets(y, 4, random_state=0)
    >>> bool(np.all(y[t[:, 0]] == y[t[:, 1]]) and np.all(y[t[:, 0]] != y[t[:, 2]]))
    True
    """
    n_triplets = _check_count(n_triplets, "n_triplets")
    parts = _draw(_sampling.sample_triplets, y, n_triplets, groups, random_state)
    return np.vstack([_global(members, t) for members, t in parts])


def sample_quadruplets(y, n_quadruplets, *, groups=None, random_state=None):
    """Draw ``(a, b, c, d)`` index quadruplets from class labels.

    ``(a, b)`` is a similar pair and ``(c, d)`` a dissimilar one, so
    ``d(a, b) < d(c, d)`` is wanted (the input of
    :meth:`LSML.fit_quadruplets <sklearn_metric.LSML.fit_quadruplets>` and
    :class:`~sklearn_metric.QuadrupletClassifier`).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels (any type); at least two classes, one with two points.

    n_quadruplets : int
        Quadruplets to draw.

    groups : array-like of shape (n_samples,), default=None
        A group for each point; when given, every quadruplet lies within one group
        (see :func:`sample_pairs`).

    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    quadruplets : ndarray of shape (n_quadruplets, 4)
        Indices into the points that ``y`` labels.

    See Also
    --------
    sample_pairs : Similar and dissimilar pairs.
    sample_triplets : Triplets for SCML.

    References
    ----------
    E. Y. Liu, Z. Guo, X. Zhang, V. Jojic and W. Wang. Metric learning from
    relative comparisons by minimizing squared residual. ICDM 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.tuples import sample_quadruplets
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> q = sample_quadruplets(y, 4, random_state=0)
    >>> bool(np.all(y[q[:, 0]] == y[q[:, 1]]) and np.all(y[q[:, 2]] != y[q[:, 3]]))
    True
    """
    n_quadruplets = _check_count(n_quadruplets, "n_quadruplets")
    parts = _draw(_sampling.sample_quadruplets, y, n_quadruplets, groups, random_state)
    return np.vstack([_global(members, q) for members, q in parts])
