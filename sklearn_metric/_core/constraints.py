"""Constraints from labels: target neighbours and impostors (one metric or one per point).

Everything here works on already validated arrays, in blocks, so memory stays
O(block * n) rather than O(n^2). Random pairs, triplets, quadruplets and
chunklets drawn from labels are in ``_sampling``.
"""

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.neighbors import NearestNeighbors

from .ann import EuclideanIndex, resolve_params
from .distances import block_rows, pair_squared_distances, squared_distances_rows
from .warn import warn

__all__ = [
    "approximate_impostors",
    "find_impostors",
    "find_target_neighbors",
    "impostors_of_rows",
    "local_metric_impostors",
    "neighbourhood_triplets",
]


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
        warn(
            f"{small.size} class(es) have n_neighbors={n_neighbors} or fewer points "
            f"(smallest: {counts.min()}); their points get only the other points of "
            "their class as target neighbours.",
            UserWarning,
        )
    targets = np.full((n_samples, max(k, 0)), -1, dtype=np.intp)
    for label, count in zip(classes, counts, strict=True):
        members = np.flatnonzero(y == label)
        k_class = min(k, count - 1)
        if k_class < 1:
            continue
        if count <= _SMALL_CLASS:
            neigh = _nearest_others(Z[members], k_class)
        else:
            nn = NearestNeighbors(n_neighbors=k_class).fit(Z[members])
            neigh = nn.kneighbors(return_distance=False)
        targets[members, :k_class] = members[neigh]
    return targets


# Classes up to this size search their target neighbours with plain numpy: at that
# size the per-call start-up of scikit-learn's threaded search costs more than the search.
_SMALL_CLASS = 512


def _nearest_others(Z, k):
    """Indices of each row's ``k`` nearest other rows of ``Z``, nearest first.

    For small sets (``n <= _SMALL_CLASS``): exact squared differences (no
    Gram-matrix cancellation, so the answer does not depend on the unit or the
    origin), ties among the k kept going to the lower index.
    """
    n_samples = Z.shape[0]
    D = cdist(Z, Z, "sqeuclidean")
    np.fill_diagonal(D, np.inf)  # not its own neighbour
    if k < n_samples - 1:
        columns = np.argpartition(D, k - 1, axis=1)[:, :k]
    else:  # every other row is a neighbour; self (inf) sorts last
        columns = np.broadcast_to(np.arange(n_samples), D.shape)
    dists = np.take_along_axis(D, columns, axis=1)
    order = np.lexsort((columns, dists), axis=1)[:, :k]
    return np.take_along_axis(columns, order, axis=1)


def neighbourhood_triplets(Z, y, anchors, n_genuine, n_impostors):
    """``(anchor, positive, negative)`` triplets from each anchor's neighbourhood.

    Every anchor is paired with each of its ``n_genuine`` nearest points of
    its class and each of its ``n_impostors`` nearest points of other classes
    (Euclidean distances between the rows of ``Z``; scikit-learn's neighbour
    search, class by class, so memory stays bounded): the triplets a k-NN rule
    depends on, as LMNN's target neighbours and impostors. An anchor whose
    class or whose complement is smaller gets what there is (none when it is
    alone in its class).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer class labels.
    anchors : ndarray of shape (n_anchors,)
        Indices of the anchors.
    n_genuine, n_impostors : int

    Returns
    -------
    triplets : ndarray of shape (n_triplets, 3)
        At most ``n_anchors * n_genuine * n_impostors`` rows, class by class.
    """
    found = [np.empty((0, 3), dtype=np.intp)]
    for label in np.unique(y[anchors]):
        rows = anchors[y[anchors] == label]
        members, others = np.flatnonzero(y == label), np.flatnonzero(y != label)
        kg, ki = min(n_genuine, members.size - 1), min(n_impostors, others.size)
        if kg < 1 or ki < 1:
            continue
        near = NearestNeighbors(n_neighbors=kg + 1).fit(Z[members])
        genuine = _drop_self(members[near.kneighbors(Z[rows], return_distance=False)], rows)
        far = NearestNeighbors(n_neighbors=ki).fit(Z[others])
        impostors = others[far.kneighbors(Z[rows], return_distance=False)]
        found.append(
            np.column_stack(
                [
                    np.repeat(rows, kg * ki),
                    np.repeat(genuine, ki, axis=1).ravel(),
                    np.tile(impostors, (1, kg)).ravel(),
                ]
            )
        )
    return np.vstack(found)


def _drop_self(neighbours, rows):
    """Each row's ``k + 1`` neighbours without the row itself (the last one when
    the row is not among them, as with duplicate points)."""
    is_self = neighbours == rows[:, None]
    missing = ~is_self.any(axis=1)
    is_self[missing, -1] = True
    first = is_self.argmax(axis=1)  # one column per row to drop
    keep = np.ones(neighbours.shape, dtype=bool)
    keep[np.arange(neighbours.shape[0]), first] = False
    return neighbours[keep].reshape(neighbours.shape[0], -1)


def _distance_factors(Z):
    """``(left, right)`` with ``left[i] @ right[l] = -||z_i - z_l||^2 / 2``.

    ``left = [Z, |z|^2 / 2, 1]`` and ``right = [Z, -1, -|z|^2 / 2]``: the norms
    ride in the matrix product, which saves two passes over every block of
    distances.
    """
    half_sq = np.einsum("ij,ij->i", Z, Z)[:, None] / 2
    ones = np.ones_like(half_sq)
    return np.hstack([Z, half_sq, ones]), np.hstack([Z, -ones, -half_sq])


def find_impostors(Z, y, radii_sq, *, max_impostors=None, dtype=np.float64):
    """Differently labelled points inside each point's squared radius.

    The search runs class by class against the points of every later class (each
    pair of classes once), in blocks of rows, so memory is O(block * n + pairs
    kept).

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
        relative to their radius (the most violating). The search tightens
        its radii as it goes so that it never holds more than about twice
        this many pairs.
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
    radii_sq = np.asarray(radii_sq, dtype=np.float64)
    left, right = _distance_factors(Z)
    # The points ordered by class: the classes after one are then a single slice, so
    # a set of many small classes costs one product per class, not one per pair.
    order = np.argsort(y, kind="stable")
    counts = np.unique(y, return_counts=True)[1]
    ends = np.cumsum(counts)
    kept = _KeptPairs(radii_sq, max_impostors)
    no_radius = radii_sq <= 0
    # Each pair of classes once: one block of distances serves both directions
    # (l impostor of i, and i impostor of l), halving the matrix products.
    for begin, end in zip(ends[:-1] - counts[:-1], ends[:-1], strict=True):
        group_a, later = order[begin:end], order[end:]
        right_later = right[later]
        step = block_rows(later.size)
        for start in range(0, group_a.size, step):
            block = group_a[start : start + step]
            minus_half_d = left[block] @ right_later.T  # -||z_i - z_l||^2 / 2
            half_radii = (kept.scale * radii_sq / 2).astype(dtype)
            half_radii[no_radius] = -np.inf  # no pair, not even at distance 0
            radii_rows, radii_cols = half_radii[block], half_radii[later]
            # The pairs inside either point's radius, then the two directions
            # told apart on those few (flatnonzero is several times faster
            # than a 2-D nonzero).
            inside = minus_half_d >= -radii_rows[:, None]
            inside |= minus_half_d >= -radii_cols
            flat = np.flatnonzero(inside)
            r, c = np.divmod(flat, later.size)
            values = minus_half_d.ravel()[flat]
            dists = np.maximum(-2 * values, 0)
            forward = values >= -radii_rows[r]
            backward = values >= -radii_cols[c]
            kept.add(block[r[forward]], later[c[forward]], dists[forward])
            kept.add(later[c[backward]], block[r[backward]], dists[backward])
    return kept.result()


def approximate_impostors(
    Z, y, radii_sq, *, n_neighbors, max_impostors=None, threads=1, target_recall=0.95
):
    """:func:`find_impostors` through an approximate index: the impostors among each
    point's ``n_neighbors`` nearest points found by a faiss inverted file (its search
    breadth calibrated for ``target_recall``), and, for the points whose
    ``n_neighbors``-th neighbour still lies inside their radius (they may have more
    impostors than were looked at), an exact search of their rows.

    Impostors the index misses are missed; callers check a sample exactly.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_dims)
        Embedded points.
    y : ndarray of shape (n_samples,)
        Integer class labels.
    radii_sq : ndarray of shape (n_samples,)
        Squared search radius of each point.
    n_neighbors : int
        Neighbours looked at per point.
    max_impostors : int or None, default=None
        Keep at most this many pairs, the most violating (as :func:`find_impostors`).
    threads : int, default=1
        faiss threads.
    target_recall : float, default=0.95
        Recall of the index's neighbour lists (1 searches every cell: exact).

    Returns
    -------
    rows, cols : ndarray of shape (n_pairs,)
    dist_sq : ndarray of shape (n_pairs,)
    """
    Z = np.ascontiguousarray(Z, dtype=np.float32)
    radii_sq = np.asarray(radii_sq, dtype=np.float64)
    k = min(n_neighbors + 1, Z.shape[0])  # + the point itself
    params = resolve_params("ivf", {"target_recall": target_recall})
    index = EuclideanIndex("ivf", params, threads)
    index.build(Z)
    index.calibrate(Z, k)
    dist, ind = index.search(Z, k)
    dist_sq = dist.astype(np.float64) ** 2
    overflow = dist_sq[:, -1] < radii_sq  # the whole list inside the radius: look further
    inside = (dist_sq < radii_sq[:, None]) & (y[ind] != y[:, None]) & ~overflow[:, None]
    rows, slot = np.nonzero(inside)
    cols, dists = ind[rows, slot], dist_sq[rows, slot]
    if np.any(overflow):
        more_rows, more_cols = impostors_of_rows(Z, y, np.flatnonzero(overflow), radii_sq)
        rows, cols = np.concatenate([rows, more_rows]), np.concatenate([cols, more_cols])
        dists = np.concatenate([dists, pair_squared_distances(Z, more_rows, more_cols)])
    kept = _KeptPairs(radii_sq, max_impostors)
    kept.add(rows, cols, dists)
    return kept.result()


class _KeptPairs:
    """Pairs found by :func:`find_impostors`, trimmed to the most violating ones.

    When more than twice ``max_impostors`` pairs are held, only the
    ``max_impostors`` with the smallest ``dist / radius`` stay, and ``scale``
    (a factor on every radius) drops to the largest ratio kept: later blocks
    then skip pairs that could not be kept anyway.
    """

    def __init__(self, radii_sq, max_impostors):
        self.radii_sq, self.max_impostors = radii_sq, max_impostors
        self.scale = 1.0
        self.rows, self.cols, self.dists = [], [], []
        self.size = 0

    def add(self, rows, cols, dists):
        self.rows.append(rows)
        self.cols.append(cols)
        self.dists.append(dists)
        self.size += rows.size
        if self.max_impostors is not None and self.size > 2 * self.max_impostors:
            self._trim()

    def _trim(self):
        rows, cols, dists = self._concatenated()
        ratio = dists / self.radii_sq[rows]
        keep = np.argpartition(ratio, self.max_impostors - 1)[: self.max_impostors]
        self.scale = min(self.scale, float(ratio[keep].max()))
        self.rows, self.cols, self.dists = [rows[keep]], [cols[keep]], [dists[keep]]
        self.size = keep.size

    def _concatenated(self):
        return np.concatenate(self.rows), np.concatenate(self.cols), np.concatenate(self.dists)

    def result(self):
        if not self.rows:
            empty = np.empty(0, dtype=np.intp)
            return empty, empty.copy(), np.empty(0)
        if self.max_impostors is not None and self.size > self.max_impostors:
            self._trim()
        return self._concatenated()


def impostors_of_rows(Z, y, rows, radii_sq):
    """The pairs ``(i, l)``, ``i`` in ``rows``, with ``y[l] != y[i]`` inside ``radii_sq[i]``.

    One direction only (the impostors of the given points), in blocks of
    rows; O(len(rows) * n) work.

    Returns
    -------
    pair_rows, pair_cols : ndarray of shape (n_pairs,)
    """
    left, right = _distance_factors(Z)
    found_rows, found_cols = [], []
    step = block_rows(Z.shape[0])
    for start in range(0, rows.size, step):
        block = rows[start : start + step]
        minus_half_d = left[block] @ right.T  # -||z_i - z_l||^2 / 2
        inside = minus_half_d >= -radii_sq[block, None] / 2
        inside &= y[block, None] != y[None, :]
        r, c = np.divmod(np.flatnonzero(inside), Z.shape[0])
        found_rows.append(block[r])
        found_cols.append(c)
    if not found_rows:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    return np.concatenate(found_rows), np.concatenate(found_cols)


def _as_float32_rows(Z, rows):
    """``Z[rows]`` in float32, without a copy of the other rows (all: one conversion)."""
    if rows.size == Z.shape[0]:
        return np.asarray(Z, dtype=np.float32)
    return np.asarray(Z[rows], dtype=np.float32)


def local_metric_impostors(Zs, assign, y, radii_sq):
    """Impostors when each reference point has its own metric (multi-metric LMNN).

    Point ``l`` is an impostor of ``i`` when ``y[l] != y[i]`` and
    ``||Zs[assign[l]][i] - Zs[assign[l]][l]||^2 <= radii_sq[i]``: the distance
    to ``l`` is measured in ``l``'s metric. For each metric, its points are
    searched in blocks of query rows, and the other-class pairs within reach
    kept (float32 inner products: a relative 1e-6 of the squared norms, for
    callers to cover with a margin in ``radii_sq``), so memory is
    O(block * n_c + pairs kept); the distances of the pairs found are then
    computed exactly. Only the queries (points of positive radius) and each
    metric's points are read, so a sample of queries costs a sample's rows.

    Parameters
    ----------
    Zs : ndarray of shape (n_metrics, n_samples, n_dims)
        Every point embedded by each metric.
    assign : ndarray of shape (n_samples,)
        The metric of each point, ``0 .. n_metrics - 1``.
    y : ndarray of shape (n_samples,)
        Integer class labels.
    radii_sq : ndarray of shape (n_samples,)
        Squared search radius of each query point; a non-positive radius finds none.

    Returns
    -------
    rows, cols : ndarray of shape (n_pairs,)
        Query ``i`` and impostor ``l`` of each pair.
    dist_sq : ndarray of shape (n_pairs,)
        ``||Zs[assign[l]][i] - Zs[assign[l]][l]||^2``.
    """
    found_rows, found_cols = [], []
    active = np.flatnonzero(radii_sq > 0)
    active_y = y[active]
    for c, Z in enumerate(Zs):
        members = np.flatnonzero(assign == c)
        if members.size == 0 or active.size == 0:
            continue
        Z_members, Z_active = _as_float32_rows(Z, members), _as_float32_rows(Z, active)
        half_members = np.einsum("ij,ij->i", Z_members, Z_members) / 2
        half_active = np.einsum("ij,ij->i", Z_active, Z_active) / 2
        # ||z_i - z_l||^2 <= r_i^2  <=>  z_i . z_l - |z_l|^2 / 2 >= (|z_i|^2 - r_i^2) / 2
        thresholds = (half_active - radii_sq[active] / 2).astype(np.float32)
        y_members = y[members]
        step = block_rows(members.size)
        for start in range(0, active.size, step):
            stop = min(start + step, active.size)
            G = Z_active[start:stop] @ Z_members.T
            G -= half_members
            flat = np.flatnonzero(G >= thresholds[start:stop, None])  # 1-D: ~3x np.nonzero
            r, col = np.divmod(flat, members.size)
            other = active_y[start + r] != y_members[col]  # same-class pairs: no impostor
            found_rows.append(active[start + r[other]])
            found_cols.append(members[col[other]])
    if not found_rows:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0)
    rows, cols = np.concatenate(found_rows), np.concatenate(found_cols)
    dist_sq = np.empty(rows.size)
    metric = assign[cols]
    for c in np.unique(metric):
        pairs = metric == c
        dist_sq[pairs] = squared_distances_rows(Zs[c], rows[pairs], cols[pairs])
    return rows, cols, dist_sq
