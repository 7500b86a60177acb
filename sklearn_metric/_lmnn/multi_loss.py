"""The multi-metric LMNN objective (Weinberger & Saul, JMLR 2009, sec. 5) and its gradient.

Every training point ``j`` has a metric ``c(j)`` (its class, or its cluster) with
components ``L_c``, and the distance from any point ``i`` to ``j`` is measured in
``j``'s metric: ``D(i, j) = ||L_{c(j)} (x_i - x_j)||^2``. The loss is LMNN's with
those distances: ``(1 - mu) sum_{i, j ~> i} D(i, j) + mu sum_{i, j ~> i, l}
h(1 + D(i, j) - D(i, l))`` over impostors ``l`` of another class, ``h`` the
smoothed hinge of the gradient LMNN. The gradient in ``L_c`` collects the pairs
whose second point uses metric ``c``.
"""

import numpy as np
from scipy import sparse

from .._core.constraints import local_metric_impostors
from .._core.distances import block_rows, squared_distances_rows
from .impostors import SLACK, sample_size
from .loss import HINGE_WIDTH, smoothed_hinge, target_pairs

__all__ = ["MultiMetricObjective", "local_squared_distances"]


# An evaluation embeds just the rows it reads while they are at most this share of
# every point in every metric; above it, every point by every metric.
_LAZY_SHARE = 0.5


class _Embedding:
    """The points embedded by every metric, ``Zs[c] = X @ Ls[c].T``, by the rows asked.

    While the candidates hold, an evaluation reads, in metric ``c``, only the
    points of ``c``, the first points of the target and candidate pairs measured
    in ``c`` and the sample checked: on Yale B (38 metrics of 1024 x 1024, 1689
    points) about a tenth of the rows, so 0.17 s of products instead of 1.4 s.
    Rows not asked for keep what ``buffer`` held (an earlier evaluation's rows):
    the buffer is reused because a fresh one, written in scattered rows, costs
    page faults over all of it (0.7-1 s for the 525 MB of Yale B).
    """

    def __init__(self, X, Ls, buffer):
        self.X, self.Ls, self.Zs = X, Ls, buffer
        self.full = False

    def everything(self):
        """``Zs`` with every row of every metric."""
        if not self.full:
            for c, L in enumerate(self.Ls):
                np.matmul(self.X, L.T, out=self.Zs[c])
            self.full = True
        return self.Zs

    def rows(self, needed):
        """``Zs`` with (at least) the rows ``needed[c]`` of each metric ``c``."""
        if self.full or sum(r.size for r in needed) > _LAZY_SHARE * self.Zs[..., 0].size:
            return self.everything()
        for c, (L, r) in enumerate(zip(self.Ls, needed, strict=True)):
            self.Zs[c, r] = self.X[r] @ L.T
        return self.Zs


def _gradient(X, Zs, rows, cols, weights, metric, n_metrics, factor=2.0, every_row=True):
    """``factor Z_c^T Lap_c X = factor sum_p w_p (z_a - z_b)(x_a - x_b)^T`` for every
    metric ``c``, over the weighted pairs ``p = (a, b)`` whose second point uses metric
    ``c`` (``factor=2``: the gradient of the weighted sum of squared distances).

    Summed over the pairs' differences when there are fewer pairs than
    ``n_metrics * n_samples`` rows of the Laplacian form or when ``Zs`` holds
    only the pairs' rows (``every_row=False``, see :class:`_Embedding`), else
    through the Laplacian form, which reads every row. Either way each metric's
    block is written once into one fresh array (38 metrics of 1024 x 1024 on
    Yale B: 320 MB, where every extra pass costs).
    """
    if rows.size < n_metrics * X.shape[0] or not every_row:
        return _gradient_by_pairs(X, Zs, rows, cols, weights, metric, n_metrics, factor)
    return _gradient_by_laplacian(X, Zs, rows, cols, weights, metric, n_metrics, factor)


def _gradient_by_pairs(X, Zs, rows, cols, weights, metric, n_metrics, factor=2.0):
    """The gradient from the pairs' differences, metric by metric, in chunks of pairs."""
    grad = np.empty((n_metrics, Zs.shape[2], X.shape[1]))
    order = np.argsort(metric, kind="stable")
    bounds = np.searchsorted(metric[order], np.arange(n_metrics + 1))
    step = block_rows(X.shape[1] + Zs.shape[2])
    for c in range(n_metrics):
        if bounds[c] == bounds[c + 1]:
            grad[c] = 0.0
        for start in range(bounds[c], bounds[c + 1], step):
            pairs = order[start : min(start + step, bounds[c + 1])]
            a, b = rows[pairs], cols[pairs]
            dz = (Zs[c, a] - Zs[c, b]) * (factor * weights[pairs, None])
            if start == bounds[c]:
                np.matmul(dz.T, X[a] - X[b], out=grad[c])
            else:
                grad[c] += dz.T @ (X[a] - X[b])
    return grad


def _gradient_by_laplacian(X, Zs, rows, cols, weights, metric, n_metrics, factor=2.0):
    """The gradient through ``Lap_c X``: two sparse products per chunk of metrics,
    stacked as row blocks (row ``(c - first) * n + i``), memory O(block_entries())."""
    n_samples, n_features = X.shape
    grad = np.empty((n_metrics, Zs.shape[2], n_features))
    chunk = block_rows(n_samples * n_features)
    for first in range(0, n_metrics, chunk):
        m = min(chunk, n_metrics - first)
        pairs = (metric >= first) & (metric < first + m)
        offset = (metric[pairs] - first) * n_samples
        r, c, w = rows[pairs], cols[pairs], factor * weights[pairs]
        size = m * n_samples
        forward = sparse.csr_matrix((w, (offset + r, c)), shape=(size, n_samples))
        backward = sparse.csr_matrix((w, (offset + c, r)), shape=(size, n_samples))
        degree = np.bincount(offset + r, w, size) + np.bincount(offset + c, w, size)
        lap_X = degree.reshape(m, n_samples, 1) * X  # (m, n, d)
        lap_X -= (forward @ X + backward @ X).reshape(m, n_samples, n_features)
        np.matmul(Zs[first : first + m].transpose(0, 2, 1), lap_X, out=grad[first : first + m])
    return grad


def local_squared_distances(Zs, assign, rows, cols):
    """``D(rows, cols)``, each pair in the metric of its second point (metric by metric:
    one metric's points stay in cache, where all of them at once would not)."""
    out = np.empty(rows.size)
    metric = assign[cols]
    for c, Z in enumerate(Zs):
        pairs = metric == c
        if pairs.any():
            out[pairs] = squared_distances_rows(Z, rows[pairs], cols[pairs])
    return out


class _Candidates:
    """Impostor pairs searched within ``(1 + SLACK)`` times each point's reach, kept while
    the exact impostors of a rotating sample of points are all among them (LMNN's
    rule, see :class:`~sklearn_metric._lmnn.impostors.ImpostorCandidates`); on small
    sets the sample is every point, so the candidates are checked exactly."""

    def __init__(self, n_samples):
        self.n_samples = n_samples
        self.n_sampled = sample_size(n_samples)
        self.order = np.random.RandomState(0).permutation(n_samples)
        self.start = 0
        self.keys = None
        self.n_searches = 0

    def search(self, Zs, assign, y, reach):
        rows, cols, _ = local_metric_impostors(Zs, assign, y, ((1 + SLACK) * reach) ** 2)
        self.keys = np.sort(rows.astype(np.int64) * self.n_samples + cols)
        self.rows, self.cols = np.divmod(self.keys, self.n_samples)
        self.n_searches += 1

    def holds(self, rows, cols, keys=None):
        """Whether every pair ``(rows, cols)`` is among the candidates (``keys``)."""
        keys = self.keys if keys is None else keys
        if rows.size == 0:
            return True
        if keys.size == 0:
            return False
        wanted = rows.astype(np.int64) * self.n_samples + cols
        where = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
        return bool(np.all(keys[where] == wanted))

    def next_sample(self):
        """The next points of the rotating sample (``None`` before the first search)."""
        if self.keys is None:
            return None
        stop = self.start + self.n_sampled
        sample = np.take(self.order, np.arange(self.start, stop), mode="wrap")
        self.start = stop % self.n_samples
        return sample

    def sample_holds(self, Zs, assign, y, reach, sample):
        """Whether the candidates hold every impostor of the points of ``sample``."""
        radii_sq = np.zeros(self.n_samples)
        radii_sq[sample] = reach[sample] ** 2
        rows, cols, _ = local_metric_impostors(Zs, assign, y, radii_sq)
        return self.holds(rows, cols)


class MultiMetricObjective:
    """Smoothed multi-metric LMNN loss in the stacked ``L_c`` and its exact gradient.

    The push term runs over impostor candidates (searched per metric in
    blocks: O(block * n) memory) that are checked at every evaluation on a
    sample of points and searched again when the sample finds one missing;
    :meth:`search_again` checks them all at the end of a run. Losses and
    gradients are divided by the number of target pairs, as LMNN's.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    targets : ndarray of shape (n_samples, k)
        Target neighbours, ``-1`` padded.
    assign : ndarray of shape (n_samples,)
        The metric of each point.
    n_metrics : int
    n_components : int
    mu : float
    """

    def __init__(self, X, y, targets, assign, n_metrics, n_components, mu):
        self.X, self.y, self.targets, self.assign, self.mu = X, y, targets, assign, mu
        self.shape = (n_metrics, n_components, X.shape[1])
        self.rows, self.cols, self.valid = target_pairs(targets)
        self.scale = 1.0 / max(1, self.rows.size)
        self.last_active = 0
        self.candidates = _Candidates(X.shape[0])
        self._rows_read = (-1, None)  # (candidates' search count, keys metric * n + row)
        self._buffer = None

    def _embedding(self, flat):
        if self._buffer is None:
            self._buffer = np.empty((self.shape[0], self.X.shape[0], self.shape[1]))
        return _Embedding(self.X, flat.reshape(self.shape), self._buffer)

    def _reach(self, Zs):
        """Target distances on the (n_samples, k) grid and each point's reach
        ``sqrt(1 + max_j D(i, j))`` (0 without target)."""
        grid = np.full(self.targets.shape, -np.inf)
        grid[self.valid] = local_squared_distances(Zs, self.assign, self.rows, self.cols)
        radii = grid.max(axis=1, initial=-np.inf) + 1
        radii[~np.isfinite(radii)] = 0.0
        return grid, np.sqrt(radii)

    def _needed_rows(self, sample):
        """The rows of each metric an evaluation reads when ``sample`` is checked: the
        metric's points, the first points of the target and candidate pairs measured
        in it, and the sample (:class:`_Embedding`)."""
        n, n_metrics = self.X.shape[0], self.shape[0]
        candidates = self.candidates
        if self._rows_read[0] != candidates.n_searches:
            metric = np.concatenate(
                [self.assign, self.assign[self.cols], self.assign[candidates.cols]]
            )
            rows = np.concatenate([np.arange(n), self.rows, candidates.rows])
            keys = np.unique(metric.astype(np.int64) * n + rows)
            self._rows_read = (candidates.n_searches, keys)
        sampled = (np.arange(n_metrics, dtype=np.int64)[:, None] * n + sample).ravel()
        metric, rows = np.divmod(np.union1d(self._rows_read[1], sampled), n)
        bounds = np.searchsorted(metric, np.arange(n_metrics + 1))
        return [rows[bounds[c] : bounds[c + 1]] for c in range(n_metrics)]

    def search_again(self, flat):
        """Search every impostor at ``flat``; whether the candidates held them all."""
        Zs = self._embedding(flat).everything()
        _, reach = self._reach(Zs)
        rows, cols, _ = local_metric_impostors(Zs, self.assign, self.y, reach**2)
        complete = self.candidates.holds(rows, cols)
        self.candidates.search(Zs, self.assign, self.y, reach)
        return complete

    def __call__(self, flat):
        embedding = self._embedding(flat)
        mu, k = self.mu, self.targets.shape[1]
        candidates = self.candidates
        sample = candidates.next_sample()
        if sample is None:
            Zs = embedding.everything()
        else:
            Zs = embedding.rows(self._needed_rows(sample))
        grid, reach = self._reach(Zs)
        if sample is None or not candidates.sample_holds(Zs, self.assign, self.y, reach, sample):
            if not embedding.full:  # the search reads every row: distances from one product
                Zs = embedding.everything()
                grid, reach = self._reach(Zs)
            candidates.search(Zs, self.assign, self.y, reach)
        # A candidate outside a point's reach has margin < 0 for every target: no term.
        imp_rows, imp_cols = candidates.rows, candidates.cols
        d_imp = local_squared_distances(Zs, self.assign, imp_rows, imp_cols)
        margins = 1 + grid[imp_rows] - d_imp[:, None]
        hinge, slope = smoothed_hinge(margins, HINGE_WIDTH)
        loss = (1 - mu) * grid[self.valid].sum() + mu * hinge.sum()

        slots = (imp_rows[:, None] * k + np.arange(k)).ravel()
        push = np.bincount(slots, weights=slope.ravel(), minlength=grid.size)
        w_targets = (1 - mu) + mu * push.reshape(grid.shape)[self.valid]
        w_impostors = -mu * slope.sum(axis=1)
        used = w_impostors != 0
        rows = np.concatenate([self.rows, imp_rows[used]])
        cols = np.concatenate([self.cols, imp_cols[used]])
        weights = np.concatenate([w_targets, w_impostors[used]])
        grad = _gradient(
            self.X,
            Zs,
            rows,
            cols,
            weights,
            self.assign[cols],
            self.shape[0],
            2 * self.scale,
            every_row=embedding.full,
        )
        self.last_active = int(np.count_nonzero(margins > 0))
        return loss * self.scale, grad.ravel()
