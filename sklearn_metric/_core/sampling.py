"""Random constraints drawn from class labels: pairs, triplets, quadruplets, chunklets.

Every function takes validated integer labels and a ``random_state`` and works
with index arrays (never copies of points).
"""

import numpy as np
from sklearn.utils import check_random_state

from .warn import warn

__all__ = [
    "pairs_from_labels",
    "sample_chunklets",
    "sample_pairs",
    "sample_quadruplets",
    "sample_triplets",
]


def sample_chunklets(y, chunk_size, n_chunks, random_state):
    """Draw disjoint chunklets of ``chunk_size`` same-class points.

    Each chunklet picks its class uniformly among the classes that still have
    ``chunk_size`` unused points (every such class, the last one included, can
    be drawn), then that many unused points of it. Stops early, with a warning,
    when no class has enough points left.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Integer class labels.
    chunk_size : int
        Points per chunklet (at least 2).
    n_chunks : int
        Chunklets wanted.
    random_state : RandomState
        Source of randomness.

    Returns
    -------
    chunks : ndarray of shape (n_samples,)
        Chunklet id of each point, ``-1`` for points in no chunklet.
    """
    chunks = np.full(y.shape[0], -1, dtype=np.intp)
    pools = {
        label: list(random_state.permutation(np.flatnonzero(y == label))) for label in np.unique(y)
    }
    for chunk in range(n_chunks):
        ready = [label for label, pool in pools.items() if len(pool) >= chunk_size]
        if not ready:
            warn(
                f"Only {chunk} chunklets of chunk_size={chunk_size} could be drawn "
                f"(n_chunks={n_chunks} asked): the classes have too few points left.",
                UserWarning,
            )
            break
        label = ready[random_state.randint(len(ready))]
        members = [pools[label].pop() for _ in range(chunk_size)]
        chunks[members] = chunk
    return chunks


class _LabelIndex:
    """Class membership of ``y`` laid out for drawing partners without Python loops."""

    def __init__(self, y):
        self.y = y
        self.order = np.argsort(y, kind="stable")
        classes, self.starts, self.counts = np.unique(
            y[self.order], return_index=True, return_counts=True
        )
        self.class_of = np.searchsorted(classes, y)
        self.position = np.empty_like(self.order)
        self.position[self.order] = np.arange(y.shape[0])

    def anchors(self, n, random_state):
        """``n`` points drawn uniformly among those whose class has another point."""
        eligible = np.flatnonzero(self.counts[self.class_of] >= 2)
        if eligible.size == 0:
            raise ValueError("No class has two points: similar pairs cannot be drawn.")
        return eligible[random_state.randint(eligible.size, size=n)]

    def same_class(self, first, random_state):
        """For each of ``first``, another point of its class (uniformly)."""
        c = self.class_of[first]
        shift = random_state.randint(1, self.counts[c])
        return self.order[
            self.starts[c] + (self.position[first] - self.starts[c] + shift) % self.counts[c]
        ]

    def other_class(self, first, random_state):
        """For each of ``first``, a point of another class (uniformly)."""
        if self.counts.size < 2:
            raise ValueError(
                "Only one class: dissimilar pairs (points of different classes) cannot be drawn."
            )
        c = self.class_of[first]
        # Uniform over the points outside the class: skip the class's block in sorted order.
        offset = random_state.randint(self.y.shape[0] - self.counts[c])
        offset = np.where(offset >= self.starts[c], offset + self.counts[c], offset)
        return self.order[offset]


def sample_pairs(y, n_pairs, random_state):
    """Draw ``n_pairs`` similar and ``n_pairs`` dissimilar index pairs from labels.

    Similar pairs join two distinct points of one class (classes of one point
    are never drawn); dissimilar pairs join points of different classes. Draws
    are independent and uniform over the allowed first points.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Integer class labels with at least two classes.
    n_pairs : int
        Pairs of each kind.
    random_state : RandomState
        Source of randomness.

    Returns
    -------
    pairs : ndarray of shape (2 * n_pairs, 2)
        Index pairs, the similar ones first.
    labels : ndarray of shape (2 * n_pairs,)
        +1 for similar, -1 for dissimilar.
    """
    index = _LabelIndex(y)
    first = index.anchors(n_pairs, random_state)
    similar = np.column_stack([first, index.same_class(first, random_state)])
    first = random_state.randint(y.shape[0], size=n_pairs)
    dissimilar = np.column_stack([first, index.other_class(first, random_state)])
    labels = np.concatenate([np.ones(n_pairs, dtype=int), -np.ones(n_pairs, dtype=int)])
    return np.vstack([similar, dissimilar]), labels


def sample_triplets(y, n_triplets, random_state):
    """Draw ``(anchor, positive, negative)`` index triplets from labels.

    The positive is another point of the anchor's class, the negative a point of
    another class; anchors are uniform over the points whose class has two.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Integer class labels with at least two classes.
    n_triplets : int
    random_state : RandomState

    Returns
    -------
    triplets : ndarray of shape (n_triplets, 3)
    """
    index = _LabelIndex(y)
    anchor = index.anchors(n_triplets, random_state)
    positive = index.same_class(anchor, random_state)
    return np.column_stack([anchor, positive, index.other_class(anchor, random_state)])


def sample_quadruplets(y, n_quadruplets, random_state):
    """Draw ``(a, b, c, d)`` index quadruplets from labels: ``(a, b)`` of one class,
    ``(c, d)`` of two classes, so that ``d(a, b) < d(c, d)`` is wanted.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Integer class labels with at least two classes.
    n_quadruplets : int
    random_state : RandomState

    Returns
    -------
    quadruplets : ndarray of shape (n_quadruplets, 4)
    """
    pairs, _ = sample_pairs(y, n_quadruplets, random_state)
    return np.hstack([pairs[:n_quadruplets], pairs[n_quadruplets:]])


# A kind of pair is enumerated (then drawn without replacement) when it has at most
# this many times the pairs wanted; beyond, distinct pairs come from repeated draws.
_ENUMERATE_FACTOR = 4
_MAX_DRAW_ROUNDS = 50


def _first_occurrences(pairs, n_samples):
    """Rows of ``pairs`` that are the first of their unordered pair, in order."""
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    _, first = np.unique(low.astype(np.int64) * n_samples + high, return_index=True)
    return pairs[np.sort(first)]


def _every_pair(y, index, similar):
    """Every unordered pair of distinct points of one class (``similar``) or of two."""
    # Class by class (with the later classes for dissimilar pairs): memory is the
    # number of pairs enumerated, never n_samples^2.
    blocks = [np.empty((0, 2), dtype=np.intp)]
    for start, count in zip(index.starts, index.counts, strict=True):
        members = index.order[start : start + count]
        if similar:
            i, j = np.triu_indices(count, 1)
            blocks.append(np.column_stack([members[i], members[j]]))
        else:
            later = index.order[start + count :]
            blocks.append(np.column_stack([np.repeat(members, later.size), np.tile(later, count)]))
    pairs = np.concatenate(blocks)
    if similar:
        return pairs
    pairs.sort(axis=1)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]  # row-major (i < j): a fixed order


def _distinct_pairs(y, index, n_pairs, similar, random_state):
    """Up to ``n_pairs`` distinct pairs of one kind (all of them when there are fewer)."""
    n_samples = y.shape[0]
    n_similar = int(np.sum(index.counts * (index.counts - 1) // 2))
    population = n_similar if similar else n_samples * (n_samples - 1) // 2 - n_similar
    if population <= _ENUMERATE_FACTOR * n_pairs:
        pairs = _every_pair(y, index, similar)
        return pairs[random_state.permutation(pairs.shape[0])[:n_pairs]]
    pairs = np.empty((0, 2), dtype=np.intp)
    for _ in range(_MAX_DRAW_ROUNDS):
        wanted = n_pairs - pairs.shape[0]
        if wanted <= 0:
            break
        if similar:
            first = index.anchors(wanted, random_state)
            drawn = np.column_stack([first, index.same_class(first, random_state)])
        else:
            first = random_state.randint(n_samples, size=wanted)
            drawn = np.column_stack([first, index.other_class(first, random_state)])
        pairs = _first_occurrences(np.vstack([pairs, drawn]), n_samples)
    return pairs[:n_pairs]


def pairs_from_labels(y, n_constraints, random_state):
    """Index pairs and +1/-1 labels drawn from class labels for a pair learner's ``fit(X, y)``.

    ``n_constraints`` distinct pairs of each kind (``None``: ``20 * n_classes**2``,
    the convention of metric-learn's supervised pair learners). The pairs are a set,
    as in Davis et al.'s ITML: when one kind has fewer distinct pairs than that (small
    classes), every pair of that kind is used and the other kind is cut to as many,
    so both kinds weigh the same (a warning says so when ``n_constraints`` was given).
    Repeated constraints would only slow the solvers (ITML's cyclic projections on
    Yale faces: 1000 sweeps without converging on 4500 draws of 385 similar pairs,
    189 sweeps on the 385).
    """
    n_pairs = n_constraints or 20 * np.unique(y).size ** 2
    random_state = check_random_state(random_state)
    index = _LabelIndex(y)
    if not np.any(index.counts >= 2):
        index.anchors(1, random_state)  # raises: no class has two points
    similar = _distinct_pairs(y, index, n_pairs, True, random_state)
    if index.counts.size < 2:
        index.other_class(np.zeros(1, dtype=np.intp), random_state)  # raises: one class
    dissimilar = _distinct_pairs(y, index, n_pairs, False, random_state)
    n_each = min(similar.shape[0], dissimilar.shape[0])
    if n_constraints is not None and n_each < n_constraints:
        warn(
            f"Only {n_each} distinct pairs of each kind could be drawn "
            f"(n_constraints={n_constraints} asked): the classes have too few points.",
            UserWarning,
        )
    labels = np.concatenate([np.ones(n_each, dtype=int), -np.ones(n_each, dtype=int)])
    return np.vstack([similar[:n_each], dissimilar[:n_each]]), labels
