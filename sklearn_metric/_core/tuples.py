"""Tuples as input: pairs, triplets and quadruplets of points, validated once.

A tuple array is either points, of shape ``(n_tuples, t, n_features)``, or
integer indices, of shape ``(n_tuples, t)``, into a ``preprocessor``: an array
of points ``(n_points, n_features)`` or a callable that returns the points of an
array of indices. Both forms become one :class:`Tuples`: ``indices`` into the
rows of a ``points`` table, so a million pairs over ten thousand images never
copy an image per pair.

``t`` is 2 for pairs (labels ``y`` in {+1 same, -1 different}), 3 for triplets
``(anchor, positive, negative)`` (``d(a, p) < d(a, n)`` wanted), 4 for
quadruplets ``(a, b, c, d)`` (``d(a, b) < d(c, d)`` wanted).
"""

import numpy as np
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from .distances import block_rows

__all__ = ["TUPLE_NAMES", "Tuples", "check_pair_labels", "check_tuples", "validate_tuples"]

TUPLE_NAMES = {2: "pairs", 3: "triplets", 4: "quadruplets"}
_SHAPES = {
    2: "(n_pairs, 2, n_features)",
    3: "(n_triplets, 3, n_features)",
    4: "(n_quadruplets, 4, n_features)",
}


class Tuples:
    """Validated tuples: ``indices`` ``(n_tuples, t)`` into the rows of ``points``.

    Parameters
    ----------
    indices : ndarray of int of shape (n_tuples, t)
    points : ndarray of shape (n_points, n_features)
        Finite floats.
    """

    def __init__(self, indices, points):
        self.indices, self.points = indices, points

    @property
    def n_tuples(self):
        return self.indices.shape[0]

    @property
    def size(self):
        return self.indices.shape[1]

    @property
    def n_features(self):
        return self.points.shape[1]

    def column(self, j, rows=slice(None)):
        """The ``j``-th point of each tuple (of ``rows``), shape ``(n, n_features)``."""
        return self.points[self.indices[rows, j]]

    def differences(self, a, b, rows=slice(None)):
        """``x_a - x_b`` for each tuple (of ``rows``), shape ``(n, n_features)``."""
        return self.column(a, rows) - self.column(b, rows)

    def distinct(self, a=0, b=1):
        """Whether ``x_a`` and ``x_b`` differ, for each tuple (compared in blocks of
        tuples: no n_tuples x n_features array; with more tuples than points, by
        numbering the distinct points once)."""
        if self.n_tuples >= self.points.shape[0] and self.points.shape[-1] > 0:
            ids = _point_ids(self.points)
            return ids[self.indices[:, a]] != ids[self.indices[:, b]]
        block = block_rows(self.n_features)
        out = np.empty(self.n_tuples, dtype=bool)
        for start in range(0, self.n_tuples, block):
            rows = self.indices[start : start + block]
            first, second = self.points[rows[:, a]], self.points[rows[:, b]]
            out[start : start + block] = np.any(first != second, axis=1)
        return out

    def subset(self, rows):
        """The tuples of ``rows`` (the same point table)."""
        return Tuples(self.indices[rows], self.points)

    def compact(self):
        """The same tuples over a table of only the distinct points they use.

        Equal points are stored once, whichever way the tuples came (points or
        indices), so that statistics of the point table (ITML's default bounds, a
        span) do not depend on the route. Rows keep the order of their first index.
        """
        used, inverse = np.unique(self.indices, return_inverse=True)
        points = self.points[used]
        if points.shape[0] > 1 and points.shape[1] > 0:
            _, first, same = np.unique(_point_ids(points), return_index=True, return_inverse=True)
            if first.shape[0] < points.shape[0]:
                order = np.argsort(first, kind="stable")
                rank = np.empty_like(order)
                rank[order] = np.arange(order.shape[0])
                inverse = rank[same.ravel()][inverse]
                points = points[first[order]]
        return Tuples(inverse.reshape(self.indices.shape), points)

    def mapped(self, points):
        """The same tuples over another table of as many points (e.g. their coordinates
        on a span)."""
        return Tuples(self.indices, points)

    def embedded_distances(self, transform, pairs_of_columns):
        """Learned distances ``||T(x_a) - T(x_b)||`` for each ``(a, b)`` of ``pairs_of_columns``.

        ``transform`` maps points to the learned space; it is applied once to the
        points the tuples use.

        Returns
        -------
        distances : list of ndarray of shape (n_tuples,)
        """
        used, inverse = np.unique(self.indices, return_inverse=True)
        inverse = inverse.reshape(self.indices.shape)
        Z = np.asarray(transform(self.points[used]), dtype=np.float64)
        out = []
        for a, b in pairs_of_columns:
            diff = Z[inverse[:, a]] - Z[inverse[:, b]]
            out.append(np.sqrt(np.einsum("ij,ij->i", diff, diff)))
        return out


def _point_ids(points):
    """A number per row of ``points``, the same for equal rows (compared as bytes,
    after ``+ 0.0`` makes ``-0.0`` the same as ``0.0``)."""
    rows = np.ascontiguousarray(points + 0.0)
    as_bytes = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1])))
    return np.unique(as_bytes.ravel(), return_inverse=True)[1].ravel()


def _check_points(points, name):
    return check_array(points, dtype=[np.float64, np.float32], input_name=name)


def _from_indices(indices, size, preprocessor):
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(
            f"Tuples of indices must hold integers; got dtype {indices.dtype}. Pass points "
            f"of shape {_SHAPES[size]}, or integer indices into the preprocessor."
        )
    if callable(preprocessor):
        unique, inverse = np.unique(indices, return_inverse=True)
        points = np.asarray(preprocessor(unique))
        if points.ndim != 2 or points.shape[0] != unique.shape[0]:
            raise ValueError(
                f"The preprocessor returned an array of shape {points.shape} for "
                f"{unique.shape[0]} indices; it must return one row of features per index."
            )
        return Tuples(inverse.reshape(indices.shape), _check_points(points, "preprocessor"))
    points = _check_points(preprocessor, "preprocessor")
    if indices.size and (indices.min() < 0 or indices.max() >= points.shape[0]):
        raise ValueError(
            f"Tuple indices must be in [0, {points.shape[0]}) for a preprocessor of "
            f"{points.shape[0]} points; got indices from {indices.min()} to {indices.max()}."
        )
    return Tuples(indices, points)


def check_tuples(tuples, size, preprocessor=None, *, n_features=None, estimator=None):
    """Validate a tuple array of ``size`` points per tuple.

    Parameters
    ----------
    tuples : array-like of shape (n_tuples, size, n_features) or (n_tuples, size)
        Points, or integer indices into ``preprocessor``.
    size : {2, 3, 4}
        Points per tuple.
    preprocessor : array-like of shape (n_points, n_features), callable or None
        Where indices point to; unused for point tuples.
    n_features : int or None, default=None
        When given, the number of features the points must have.
    estimator : estimator instance or None, default=None
        Named in the messages.

    Returns
    -------
    tuples : Tuples

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.tuples import check_tuples
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> tuples = check_tuples([[0, 1], [1, 2]], 2, preprocessor=points)
    >>> tuples.differences(0, 1).tolist()
    [[-1.0, 0.0], [1.0, -2.0]]
    """
    name = TUPLE_NAMES[size]
    owner = "" if estimator is None else f"{type(estimator).__name__}: "
    if isinstance(tuples, Tuples):
        result = tuples
    else:
        array = np.asarray(tuples)
        if array.dtype == object:
            raise TypeError(f"{owner}{name} must be a numeric array; got dtype object.")
        if array.ndim == 2 and array.shape[1] == size and preprocessor is not None:
            result = _from_indices(array, size, preprocessor)
        elif array.ndim == 2 and array.shape[1] == size and np.issubdtype(array.dtype, np.integer):
            raise ValueError(
                f"{owner}{name} of shape {array.shape} hold indices, but no preprocessor was "
                "given: pass preprocessor=<the points> (an array, or a callable returning the "
                f"points of an array of indices), or the points themselves, of shape "
                f"{_SHAPES[size]}."
            )
        elif array.ndim == 3 and array.shape[1] == size:
            points = check_array(
                array.reshape(-1, array.shape[2]) if array.shape[2] else array.reshape(0, 0),
                dtype=[np.float64, np.float32],
                input_name=name,
                ensure_min_samples=0,
            )
            if points.shape[1] == 0:
                raise ValueError(f"{owner}{name} have 0 features; at least 1 is required.")
            # One row per tuple member; a fit merges equal points with compact().
            indices = np.arange(points.shape[0]).reshape(array.shape[0], size)
            result = Tuples(indices, points)
        else:
            raise ValueError(
                f"{owner}{name} must be an array of shape {_SHAPES[size]} (points) or "
                f"(n_{name}, {size}) (indices into a preprocessor); got shape {array.shape}."
            )
    if result.n_tuples == 0:
        raise ValueError(f"{owner}no {name} were given (0 tuples).")
    if n_features is not None and result.n_features != n_features:
        raise ValueError(
            f"{owner}{name} have {result.n_features} features, but the metric was fitted on "
            f"{n_features} features."
        )
    return result


def check_pair_labels(y, n_pairs, *, both_kinds=True, estimator=None):
    """``y`` of pairs as ints in {+1, -1}; with ``both_kinds``, each kind at least once."""
    owner = "" if estimator is None else f"{type(estimator).__name__} "
    y = column_or_1d(np.asarray(y), warn=True)
    if y.shape[0] != n_pairs:
        raise ValueError(f"pairs and y have different lengths: {n_pairs} and {y.shape[0]}.")
    if y.dtype.kind not in "iufb" or not np.all(np.isin(y, [-1, 1])):
        shown = np.unique(y)[:10].tolist() if y.dtype.kind in "iuf" else "non-numeric"
        raise ValueError(f"y must hold +1 (similar) and -1 (dissimilar) only; got values {shown}.")
    y = y.astype(int)
    if both_kinds and (np.all(y == 1) or np.all(y == -1)):
        kind = "similar (+1)" if y[0] == 1 else "dissimilar (-1)"
        raise ValueError(
            f"{owner}needs both similar (+1) and dissimilar (-1) pairs; every pair given is {kind}."
        )
    return y


def validate_tuples(estimator, tuples, size, preprocessor=None, *, reset=True):
    """:func:`check_tuples` for a learner: sets (``reset``) or checks ``n_features_in_``."""
    result = check_tuples(tuples, size, preprocessor, estimator=estimator)
    if not reset and result.n_features != estimator.n_features_in_:
        raise ValueError(
            f"{TUPLE_NAMES[size]} have {result.n_features} features, but "
            f"{type(estimator).__name__} is expecting {estimator.n_features_in_} features."
        )
    if reset:
        # The mixin's feature checks (transform, pair_distance) use n_features_in_.
        validate_data(estimator, result.points[:1], reset=True, ensure_min_samples=1)
    return result
