"""metric-learn's ``Constraints``: pairs, triplets and chunklets from partial labels."""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, column_or_1d

from .._core.constraints import neighbourhood_triplets
from .._core.sampling import sample_chunklets
from .._core.warn import warn
from ..tuples import sample_pairs

__all__ = ["Constraints", "wrap_pairs"]


class Constraints:
    """Constraints drawn from partial labels, ``-1`` marking an unknown label.

    Parameters
    ----------
    partial_labels : array-like of shape (n_samples,)
        A label per point; ``-1`` for points whose label is unknown (never drawn).

    Examples
    --------
    >>> from sklearn_metric.metric_learn import Constraints
    >>> a, b, c, d = Constraints([0, 0, 1, 1, -1]).positive_negative_pairs(2, random_state=0)
    >>> len(a), len(c)
    (2, 2)
    """

    def __init__(self, partial_labels):
        labels = column_or_1d(np.asarray(partial_labels))
        self.partial_labels = labels
        self.known_label_idx = np.flatnonzero(labels != -1)
        self._known = np.unique(labels[self.known_label_idx], return_inverse=True)[1]

    def _renamed(self, old_value, value, old, new):
        if isinstance(old_value, str) and old_value == "deprecated":
            return value
        warn(f"'{old}' was renamed to '{new}' and is deprecated; its value is used.", FutureWarning)
        return old_value

    def positive_negative_pairs(
        self, n_constraints, same_length=False, random_state=None, num_constraints="deprecated"
    ):
        """``n_constraints`` similar pairs ``(a, b)`` and dissimilar pairs ``(c, d)``.

        Returns
        -------
        a, b, c, d : ndarray of int
            Indices of the points: ``(a[i], b[i])`` similar, ``(c[i], d[i])``
            dissimilar (as many of each; ``same_length`` is always met).
        """
        n = self._renamed(num_constraints, n_constraints, "num_constraints", "n_constraints")
        pairs, labels = sample_pairs(self._known, n, random_state=random_state)
        pairs = self.known_label_idx[pairs]
        similar, dissimilar = pairs[labels == 1], pairs[labels == -1]
        if same_length:
            m = min(len(similar), len(dissimilar))
            similar, dissimilar = similar[:m], dissimilar[:m]
        return similar[:, 0], similar[:, 1], dissimilar[:, 0], dissimilar[:, 1]

    def generate_knntriplets(self, X, k_genuine, k_impostor):
        """Triplets ``(anchor, positive, negative)``: each labelled point with each of its
        ``k_genuine`` nearest same-label and ``k_impostor`` nearest other-label points.

        Returns
        -------
        triplets : ndarray of shape (n_triplets, 3)
            Indices into ``X``.
        """
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[0] != self.partial_labels.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} samples, the labels {self.partial_labels.shape[0]}."
            )
        Z = X[self.known_label_idx]
        anchors = np.arange(Z.shape[0])
        triplets = neighbourhood_triplets(Z, self._known, anchors, k_genuine, k_impostor)
        return self.known_label_idx[triplets]

    def chunks(self, n_chunks=100, chunk_size=2, random_state=None, num_chunks="deprecated"):
        """Disjoint chunklets of ``chunk_size`` same-label points.

        Returns
        -------
        chunks : ndarray of shape (n_samples,)
            Chunklet id of each point, ``-1`` for points in none.
        """
        n = self._renamed(num_chunks, n_chunks, "num_chunks", "n_chunks")
        known = sample_chunklets(self._known, chunk_size, n, check_random_state(random_state))
        chunks = np.full(self.partial_labels.shape[0], -1)
        chunks[self.known_label_idx] = known
        return chunks


def wrap_pairs(X, constraints):
    """Pairs of points and their labels from ``(a, b, c, d)`` index arrays.

    Returns
    -------
    pairs : ndarray of shape (n_pairs, 2, n_features)
    y : ndarray of shape (n_pairs,)
        +1 for the pairs ``(a, b)``, -1 for ``(c, d)``.
    """
    a, b, c, d = (np.asarray(index) for index in constraints)
    first, second = np.concatenate([a, c]), np.concatenate([b, d])
    X = np.asarray(X)
    pairs = np.stack([X[first], X[second]], axis=1)
    y = np.concatenate([np.ones(len(a), dtype=int), -np.ones(len(c), dtype=int)])
    return pairs, y
