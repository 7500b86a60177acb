"""LMNN's impostor candidates: searched once, reused while they provably (or
by sample, up to a small tolerated fraction) still hold every impostor,
searched again when they may not.

Every predicate of :class:`ImpostorCandidates` answers the same question with
the same polarity: *can the candidates be kept?* (``True`` = yes). Only
:meth:`ImpostorCandidates.search_again`, which ends every solver run, asks
whether they held *every* impostor.
"""

import numpy as np

from .._core.ann import import_faiss
from .._core.constraints import approximate_impostors, find_impostors, impostors_of_rows
from .._core.kernels import n_threads

__all__ = [
    "APPROXIMATE_NEIGHBORS",
    "SLACK",
    "ImpostorCandidates",
    "approximate_search",
    "sample_size",
]

# Candidates are searched in (1 + slack) times the margin radius (a larger slack
# keeps them valid longer but makes every evaluation dearer).
SLACK = 0.05
# When the bound cannot prove the candidates complete, the impostors of a
# sample of the points are searched exactly, and the full search runs again
# only if too many of them are missing from the candidates (below). The sample
# holds _SAMPLED_FRACTION of the points, or n / 20 clipped to [_MIN_SAMPLED,
# _MAX_SMALL_SAMPLE] if more: on small sets a full search costs little more.
_SAMPLED_FRACTION = 0.005
_MIN_SAMPLED = 64
_MAX_SMALL_SAMPLE = 256
# Between full searches the sample may find a few impostors missing from the
# candidates: they are kept while the missing pairs are at most this fraction
# of the impostor pairs of the sampled points. Measured on MNIST (60,000 x 164):
# after the first ten iterations the sample finds 0 to 12 missing pairs of
# about 3,000 (0.4% at most), and each of those misses cost a 10 s search; in
# the first iterations 10% to 75% are missing. The loss is then a slight
# underestimate for a while; the exact search that ends every run
# (:meth:`ImpostorCandidates.search_again`) restores every impostor.
_MISSING_TOLERANCE = 0.05
# ... on sets of at least this many points only. On smaller ones a search costs
# little next to the iterations an approximate candidate set adds (isolet, 6238
# points: 124 iterations and 22.6 s with the tolerance, 107 and 19.0 s without).
_TOLERATE_FROM = 20_000
# An approximate search looks for impostors among this many nearest points of each
# point (and searches exactly the rows of points whose list ends inside their radius).
APPROXIMATE_NEIGHBORS = 32
# ... in an index calibrated for this recall of its neighbour lists: misses well within
# the tolerance above, so that a search is not followed at once by another.
APPROXIMATE_RECALL = 0.99
# impostor_search="auto" searches approximately from this many points on. Below it the
# blocked exact search (one matrix product per pair of classes) wins: on MNIST (60,000 x
# 164) an approximate search took 4.8 s against 5.5 s (index build 1.2 s, calibration
# 0.6 s, search 2.4 s, exact rows of long lists 0.6 s), and the few impostors it misses
# brought more searches: a whole fit took 259 s against 138 s. On 200,000 points of the
# shifted MNIST set one search took 39.6 s against 65.6 s (99.6% of the pairs found).
APPROXIMATE_FROM = 200_000


def approximate_search(impostor_search, n_samples):
    """Whether to search impostors approximately: as asked, or (``"auto"``) from
    ``APPROXIMATE_FROM`` points on when faiss is installed."""
    if impostor_search == "exact":
        return False
    if impostor_search == "approximate":
        import_faiss("ivf")  # an ImportError naming the extra
        return True
    if n_samples < APPROXIMATE_FROM:
        return False
    try:
        import_faiss("ivf")
    except ImportError:
        return False
    return True


def sample_size(n_samples):
    small_sample = min(max(n_samples // 20, _MIN_SAMPLED), _MAX_SMALL_SAMPLE)
    return min(n_samples, max(small_sample, int(_SAMPLED_FRACTION * n_samples)))


class ImpostorCandidates:
    """Impostor pairs ``(i, l)`` (``y_l != y_i``) searched around a reference ``L``.

    A search at ``L_ref`` keeps every other-class point within ``(1 + SLACK)``
    times each point's margin radius. At a later ``L`` they still hold every
    impostor when a bound proves it: for any ``v``,
    ``||L v|| >= ||L_ref v|| - ||(L - L_ref) L_ref^-1|| ||L_ref v||`` (square
    invertible ``L_ref``) and ``||L v|| >= ||L_ref v|| - ||L - L_ref|| ||v||``
    (any ``L``). That bound is only tried on small sets, whose sample below
    would be every point: on digits, letter, isolet and synthetic sets it never
    held, and its spectral norms cost up to a quarter of a fit. Larger sets
    search the impostors of a rotating sample of points exactly instead, and
    search everything again only when the sample finds more than
    ``_MISSING_TOLERANCE`` of its impostor pairs missing (none on sets of
    fewer than ``_TOLERATE_FROM`` points); a few impostors can
    then be missed for a while, so a solver ends with :meth:`search_again` at
    its last ``L`` (and goes on if that found one missing).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    max_impostors : int
        Most candidate pairs kept by a search (the most violating first).

    Attributes
    ----------
    rows, cols : ndarray of shape (n_candidates,)
        The candidate pairs, sorted by ``(row, column)``; ``None`` before the
        first search.
    n_searches : int
        Full searches so far.
    capped : bool
        The last search cut pairs inside the margin itself (the loss over the
        candidates is then an approximation).
    tolerance : float
        Fraction of the sample's impostor pairs that may be missing before
        the candidates are searched again.
    """

    def __init__(self, X, y, max_impostors, approximate=False):
        self.X, self.y = X, y
        self.max_impostors = max_impostors
        self.approximate = approximate
        centred = np.linalg.norm(X - X.mean(axis=0), axis=1)
        self.x_reach = centred + centred.max()  # bounds ||x_i - x_l|| for every l
        n_samples = X.shape[0]
        self.n_sampled = sample_size(n_samples)
        # An approximate search misses a few impostors by design: tolerated.
        tolerate = n_samples >= _TOLERATE_FROM or approximate
        self.tolerance = _MISSING_TOLERANCE if tolerate else 0.0
        self.sample_order = np.random.RandomState(0).permutation(n_samples)
        self.sample_start = 0
        self.rows = self.cols = None
        self.keys = np.empty(0, dtype=np.int64)
        self.n_searches = 0
        self.capped = False

    @property
    def whole_sample(self):
        """Whether the sample would be every point (small sets)."""
        return self.n_sampled == self.X.shape[0]

    def search(self, L, Z, reach, exact=False):
        """Search anew at ``L`` (``Z = X @ L.T``): every other-class point within
        ``(1 + SLACK) * reach`` of each point; through an approximate index when
        ``approximate`` (and not ``exact``), which may miss a few."""
        self.search_radius = (1 + SLACK) * reach
        if self.approximate and not exact:
            rows, cols, dists = approximate_impostors(
                Z,
                self.y,
                self.search_radius**2,
                n_neighbors=APPROXIMATE_NEIGHBORS,
                max_impostors=self.max_impostors,
                threads=n_threads(),
                target_recall=APPROXIMATE_RECALL,
            )
        else:
            rows, cols, dists = find_impostors(
                Z, self.y, self.search_radius**2, max_impostors=self.max_impostors, dtype=np.float32
            )
        # The cap only changes the loss when it cuts pairs inside the margin
        # itself, not just in the slack shell around it.
        self.capped = False
        if rows.size >= self.max_impostors:
            ratio = dists / self.search_radius[rows] ** 2
            self.capped = bool(ratio.max() < 1 / (1 + SLACK) ** 2)
        # Sorted by (row, column): membership tests by binary search, and the Gram
        # path of pair_squared_distances needs no sort per evaluation. The keys
        # are unique, so sorting them alone (faster than an argsort) gives the pairs.
        n_samples = self.X.shape[0]
        self.keys = np.sort(rows.astype(np.int64) * n_samples + cols)
        self.rows, self.cols = np.divmod(self.keys, n_samples)
        self.L_ref = L.copy()
        self.L_ref_inv = self._reference_inverse(L)
        self.n_searches += 1

    def _reference_inverse(self, L):
        """``L^-1`` for the bound, when it is tried (small sets, square well-conditioned ``L``)."""
        if not self.whole_sample or L.shape[0] != L.shape[1]:
            return None
        try:
            inverse = np.linalg.inv(L)
        except np.linalg.LinAlgError:
            return None
        if np.all(np.isfinite(inverse)) and np.linalg.cond(L) < 1e8:
            return inverse
        return None

    def _count_present(self, rows, cols, keys=None):
        """How many pairs ``(rows, cols)`` are candidates (of ``keys``, default the current)."""
        keys_held = self.keys if keys is None else keys
        if rows.size == 0 or keys_held.size == 0:
            return 0
        wanted = rows.astype(np.int64) * self.X.shape[0] + cols
        where = np.minimum(np.searchsorted(keys_held, wanted), keys_held.size - 1)
        return int(np.count_nonzero(keys_held[where] == wanted))

    def proven_complete(self, L, reach):
        """Whether the bound proves that the candidates hold every impostor at ``L``."""
        dL = L - self.L_ref
        # (1 - 1e-4) covers the float32 rounding of the search.
        radius = (1 - 1e-4) * self.search_radius
        lower = radius - np.linalg.norm(dL, 2) * self.x_reach
        if self.L_ref_inv is not None:
            rho = np.linalg.norm(dL @ self.L_ref_inv, 2)
            lower = np.maximum(lower, (1 - rho) * radius)
        inside = reach > 0
        return bool(np.all(lower[inside] >= reach[inside]))

    def sample_complete(self, Z, reach):
        """Whether the candidates hold the impostors of the next points of a rotating
        sample, all but at most ``tolerance`` of them."""
        stop = self.sample_start + self.n_sampled
        rows = np.take(self.sample_order, np.arange(self.sample_start, stop), mode="wrap")
        self.sample_start = stop % self.X.shape[0]
        rows = rows[reach[rows] > 0]
        # float32 (half the cost): its rounding only moves pairs within a relative
        # 1e-6 of a margin, where the candidates' slack shell holds them anyway.
        pair_rows, pair_cols = impostors_of_rows(Z.astype(np.float32), self.y, rows, reach**2)
        n_missing = pair_rows.size - self._count_present(pair_rows, pair_cols)
        return n_missing <= self.tolerance * pair_rows.size

    def still_complete(self, L, Z, reach):
        """Whether the candidates can be kept at ``L``: proven on small sets, by the
        sample on larger ones. ``False`` before the first search."""
        if self.rows is None:
            return False
        if self.whole_sample and not self.approximate:  # the bound needs an exact search
            return self.proven_complete(L, reach)
        return self.sample_complete(Z, reach)

    def search_again(self, L, Z, reach, distances):
        """Search anew at ``L``; whether the previous candidates held every impostor there.

        ``distances(Z, rows, cols)`` gives squared distances of pairs.
        """
        old_keys = self.keys
        self.search(L, Z, reach, exact=True)
        inside = distances(Z, self.rows, self.cols) < reach[self.rows] ** 2
        n_inside = int(np.count_nonzero(inside))
        complete = self._count_present(self.rows[inside], self.cols[inside], keys=old_keys)
        complete = complete == n_inside
        if not complete:
            # Near the end of a run the candidates change little: exact searches from
            # here on, so that the run ends on a complete set rather than chasing the
            # few impostors each approximate search misses.
            self.approximate = False
        return complete
