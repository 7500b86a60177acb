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

from ._constraints import local_metric_impostors, squared_distances_rows
from ._lmnn_loss import _HINGE_WIDTH, _laplacian_product, _smoothed_hinge, target_pairs

__all__ = ["MultiMetricObjective"]


def _local_squared_distances(Zs, assign, rows, cols):
    """``D(rows, cols)``, each pair in the metric of its second point."""
    out = np.empty(rows.size)
    metric = assign[cols]
    for c, Z in enumerate(Zs):
        pairs = metric == c
        if pairs.any():
            out[pairs] = squared_distances_rows(Z, rows[pairs], cols[pairs])
    return out


class MultiMetricObjective:
    """Smoothed multi-metric LMNN loss in the stacked ``L_c`` and its exact gradient.

    Impostors are searched anew at every evaluation (blocked: O(block * n)
    memory), so the loss is exact for the smoothed hinge. Losses and gradients
    are divided by the number of target pairs, as LMNN's.

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

    def __call__(self, flat):
        Ls = flat.reshape(self.shape)
        Zs = [self.X @ L.T for L in Ls]
        mu, k = self.mu, self.targets.shape[1]
        grid = np.full(self.targets.shape, -np.inf)
        grid[self.valid] = _local_squared_distances(Zs, self.assign, self.rows, self.cols)
        radii = grid.max(axis=1, initial=-np.inf) + 1
        radii[~np.isfinite(radii)] = 0.0
        # Slightly wider than the hinge's reach (1 + D(i, j)): the smoothed hinge
        # is zero below 0, so every pair with a non-zero term is found.
        imp_rows, imp_cols, d_imp = local_metric_impostors(Zs, self.assign, self.y, radii)
        margins = 1 + grid[imp_rows] - d_imp[:, None]
        hinge, slope = _smoothed_hinge(margins, _HINGE_WIDTH)
        loss = (1 - mu) * grid[self.valid].sum() + mu * hinge.sum()

        slots = (imp_rows[:, None] * k + np.arange(k)).ravel()
        push = np.bincount(slots, weights=slope.ravel(), minlength=grid.size)
        w_targets = (1 - mu) + mu * push.reshape(grid.shape)[self.valid]
        w_impostors = -mu * slope.sum(axis=1)
        used = w_impostors != 0
        rows = np.concatenate([self.rows, imp_rows[used]])
        cols = np.concatenate([self.cols, imp_cols[used]])
        weights = np.concatenate([w_targets, w_impostors[used]])
        metric = self.assign[cols]
        grad = np.zeros(self.shape)
        for c, Z in enumerate(Zs):
            pairs = metric == c
            if pairs.any():
                lap_X = _laplacian_product(rows[pairs], cols[pairs], weights[pairs], self.X)
                grad[c] = 2 * Z.T @ lap_X
        self.last_active = int(np.count_nonzero(margins > 0))
        return loss * self.scale, grad.ravel() * self.scale
