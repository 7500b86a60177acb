"""Constraints from labels: target neighbours and impostors.

Everything here works on already validated arrays, in blocks, so memory stays
O(block * n) rather than O(n^2).
"""

import warnings

import numpy as np
from sklearn.neighbors import NearestNeighbors

__all__ = [
    "find_impostors",
    "find_target_neighbors",
    "pair_squared_distances",
    "sample_chunklets",
    "sample_pairs",
    "squared_distances_rows",
]

# Largest number of distance-matrix entries computed at once (~128 MB in float64).
_BLOCK_ENTRIES = 2**24


def _block_size(n_columns):
    return max(1, _BLOCK_ENTRIES // max(1, n_columns))


def find_target_neighbors(Z, y, n_neighbors):
    """Nearest same-class points of every point, in the space of ``Z``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_dims)
        Points (already embedded).
    y : ndarray of shape (n_samples,)
        Integer class labels.
    n_neighbors : int
        Target neighbours per point.

    Returns
    -------
    targets : ndarray of shape (n_samples, k)
        Indices of each point's target neighbours, nearest first, where ``k``
        is ``n_neighbors`` or less when every class is smaller than
        ``n_neighbors + 1``; ``-1`` pads the rows of points whose class has
        fewer than ``k + 1`` members (a class of one point gets none).
    """
    n_samples = Z.shape[0]
    classes, counts = np.unique(y, return_counts=True)
    k = int(min(n_neighbors, counts.max() - 1))
    small = classes[counts - 1 < n_neighbors]
    if small.size:
        warnings.warn(
            f"{small.size} class(es) have n_neighbors={n_neighbors} or fewer points "
            f"(smallest: {counts.min()}); their points get only the other points of "
            "their class as target neighbours.",
            UserWarning,
        )
    targets = np.full((n_samples, max(k, 0)), -1, dtype=np.intp)
    for label, count in zip(classes, counts):
        members = np.flatnonzero(y == label)
        k_class = min(k, count - 1)
        if k_class < 1:
            continue
        nn = NearestNeighbors(n_neighbors=k_class).fit(Z[members])
        neigh = nn.kneighbors(return_distance=False)
        targets[members, :k_class] = members[neigh]
    return targets


def squared_distances_rows(Z, rows, cols):
    """``||Z[rows] - Z[cols]||^2`` elementwise, for index arrays of equal shape."""
    diff = Z[rows] - Z[cols]
    return np.einsum("...j,...j->...", diff, diff)


def pair_squared_distances(Z, rows, cols):
    """``||Z[rows] - Z[cols]||^2`` for many pairs.

    Few pairs are gathered directly; many pairs (a good fraction of all n^2)
    are read off blocks of the Gram matrix ``Z Z^T``, which BLAS computes
    much faster than gathering ``2 * n_pairs`` rows of ``Z``.
    """
    n_pairs, n_samples = rows.size, Z.shape[0]
    if n_pairs * 32 < n_samples * n_samples:
        return squared_distances_rows(Z, rows, cols)
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    out = np.empty(n_pairs, dtype=Z.dtype)
    step = _block_size(n_samples)
    starts = np.arange(0, n_samples, step)
    bounds = np.searchsorted(rows, np.append(starts, n_samples))
    for start, lo, hi in zip(starts, bounds[:-1], bounds[1:]):
        if lo == hi:
            continue
        gram = Z[start : start + step] @ Z.T
        r, c = rows[lo:hi], cols[lo:hi]
        out[lo:hi] = sq_norms[r] + sq_norms[c] - 2 * gram[r - start, c]
    np.maximum(out, 0, out=out)
    result = np.empty_like(out)
    result[order] = out
    return result


def find_impostors(Z, y, radii_sq, *, max_impostors=None, dtype=np.float64):
    """Differently labelled points inside each point's squared radius.

    The search runs over pairs of classes in blocks of rows, so memory is
    O(block * n).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_dims)
        Embedded points.
    y : ndarray of shape (n_samples,)
        Integer class labels.
    radii_sq : ndarray of shape (n_samples,)
        Squared search radius of each point; points with a non-positive radius
        have no impostors.
    max_impostors : int or None, default=None
        Keep at most this many pairs: those with the smallest distance
        relative to their radius (the most violating).
    dtype : {np.float64, np.float32}, default=np.float64
        Precision of the search. float32 halves its cost; its rounding (a
        relative 1e-6 of the squared norms) is for callers to cover with a
        margin in ``radii_sq``.

    Returns
    -------
    rows : ndarray of shape (n_pairs,)
        Index ``i`` of each pair (grouped by class, not sorted).
    cols : ndarray of shape (n_pairs,)
        Index ``l`` of the impostor, ``y[l] != y[i]``.
    dist_sq : ndarray of shape (n_pairs,)
        ``||Z[i] - Z[l]||^2`` as computed by the search (in ``dtype``).
    """
    Z = np.asarray(Z, dtype=dtype)
    half_sq = np.einsum("ij,ij->i", Z, Z) / 2
    half_radii = np.asarray(radii_sq, dtype=dtype) / 2
    groups = [np.flatnonzero(y == label) for label in np.unique(y)]
    rows, cols, dists = [], [], []
    # Each pair of classes once: one block of distances serves both directions
    # (l impostor of i, and i impostor of l), halving the matrix products.
    for a, group_a in enumerate(groups):
        for group_b in groups[a + 1 :]:
            Z_b, half_b, reach_b = Z[group_b], half_sq[group_b], half_radii[group_b]
            step = _block_size(group_b.size)
            for start in range(0, group_a.size, step):
                block = group_a[start : start + step]
                # minus_half_d = -||z_i - z_l||^2 / 2
                minus_half_d = Z[block] @ Z_b.T
                minus_half_d -= half_b
                minus_half_d -= half_sq[block, None]
                for inside, forward in (
                    (minus_half_d >= -half_radii[block, None], True),
                    (minus_half_d >= -reach_b[None, :], False),
                ):
                    # flatnonzero is several times faster than a 2-D nonzero.
                    flat = np.flatnonzero(inside)
                    r, c = np.divmod(flat, group_b.size)
                    i, l = (block[r], group_b[c]) if forward else (group_b[c], block[r])
                    rows.append(i)
                    cols.append(l)
                    dists.append(np.maximum(-2 * minus_half_d.ravel()[flat], 0))
    if not rows:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty.copy(), np.empty(0, dtype=dtype)
    rows, cols, dists = np.concatenate(rows), np.concatenate(cols), np.concatenate(dists)
    if max_impostors is not None and rows.size > max_impostors:
        keep = np.argpartition(dists / radii_sq[rows], max_impostors - 1)[:max_impostors]
        rows, cols, dists = rows[keep], cols[keep], dists[keep]
    return rows, cols, dists


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
    pools = {label: list(random_state.permutation(np.flatnonzero(y == label))) for label in np.unique(y)}
    for chunk in range(n_chunks):
        ready = [label for label, pool in pools.items() if len(pool) >= chunk_size]
        if not ready:
            warnings.warn(
                f"Only {chunk} chunklets of chunk_size={chunk_size} could be drawn "
                f"(n_chunks={n_chunks} asked): the classes have too few points left.",
                UserWarning,
            )
            break
        label = ready[random_state.randint(len(ready))]
        members = [pools[label].pop() for _ in range(chunk_size)]
        chunks[members] = chunk
    return chunks


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
    order = np.argsort(y, kind="stable")
    labels_sorted = y[order]
    classes, starts, counts = np.unique(labels_sorted, return_index=True, return_counts=True)
    class_of = np.searchsorted(classes, y)
    position = np.empty_like(order)
    position[order] = np.arange(y.shape[0])

    eligible = np.flatnonzero(counts[class_of] >= 2)
    if eligible.size == 0:
        raise ValueError("No class has two points: similar pairs cannot be drawn.")
    first = eligible[random_state.randint(eligible.size, size=n_pairs)]
    c = class_of[first]
    shift = random_state.randint(1, counts[c])  # another member of the same class
    second = order[starts[c] + (position[first] - starts[c] + shift) % counts[c]]
    similar = np.column_stack([first, second])

    first = random_state.randint(y.shape[0], size=n_pairs)
    c = class_of[first]
    # Uniform over the points outside the class: skip the class's block in sorted order.
    offset = random_state.randint(y.shape[0] - counts[c])
    offset = np.where(offset >= starts[c], offset + counts[c], offset)
    dissimilar = np.column_stack([first, order[offset]])
    labels = np.concatenate([np.ones(n_pairs, dtype=int), -np.ones(n_pairs, dtype=int)])
    return np.vstack([similar, dissimilar]), labels
