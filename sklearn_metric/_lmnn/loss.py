"""The LMNN objective: the paper's loss, and the smoothed loss with its gradient in ``L``."""

import numpy as np

from .._core.constraints import find_impostors
from .._core.distances import pair_squared_distances, squared_distances_rows
from .._core.products import pair_outer_sum
from .impostors import ImpostorCandidates

__all__ = [
    "HINGE_WIDTH",
    "LMNNObjective",
    "lmnn_loss",
    "margin_radii",
    "smoothed_hinge",
    "target_distance_grid",
    "target_pairs",
]

# Width of the quadratic part of the smoothed hinge of the gradient solver.
HINGE_WIDTH = 0.05


def target_pairs(targets):
    """Flatten a padded target array into pair index arrays."""
    n_samples, k = targets.shape
    valid = targets >= 0
    rows = np.repeat(np.arange(n_samples), k)[valid.ravel()]
    return rows, targets[valid], valid


def target_distance_grid(Z, targets, valid, rows, cols):
    """Squared target distances on the (n_samples, k) grid, -inf where padded."""
    grid = np.full(targets.shape, -np.inf)
    grid[valid] = squared_distances_rows(Z, rows, cols)
    return grid


def margin_radii(grid):
    """Squared radius inside which a differently labelled point is an impostor."""
    radius = grid.max(axis=1, initial=-np.inf) + 1
    radius[~np.isfinite(radius)] = 0.0
    return radius


def smoothed_hinge(z, width):
    """Value and derivative of the hinge ``max(z, 0)``, quadratic on ``[0, width]``."""
    if width == 0:
        return np.maximum(z, 0), (z > 0).astype(z.dtype)
    value = np.where(z >= width, z - width / 2, np.where(z > 0, z * z / (2 * width), 0.0))
    slope = np.clip(z / width, 0, 1)
    return value, slope


def lmnn_loss(L, X, y, targets, mu):
    """The LMNN objective of the paper (exact hinge, every impostor) at ``L``.

    Parameters
    ----------
    L : ndarray of shape (n_components, n_features)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    targets : ndarray of shape (n_samples, k)
        Target neighbours, ``-1`` padded.
    mu : float

    Returns
    -------
    loss : float
        ``(1 - mu) * pull + mu * push``.
    """
    Z = X @ L.T
    rows, cols, valid = target_pairs(targets)
    grid = target_distance_grid(Z, targets, valid, rows, cols)
    # A float32 search (half the cost) in a radius widened past its rounding;
    # the pairs are then measured exactly, and those outside add nothing.
    radii_sq = margin_radii(grid) * (1 + 1e-4)
    imp_rows, imp_cols, _ = find_impostors(Z, y, radii_sq, dtype=np.float32)
    return _exact_loss(Z, grid, valid, imp_rows, imp_cols, mu)


def _exact_loss(Z, grid, valid, imp_rows, imp_cols, mu):
    """The paper's loss from target distances and pairs holding every impostor."""
    d_imp = pair_squared_distances(Z, imp_rows, imp_cols)
    margins = 1 + grid[imp_rows] - d_imp[:, None]
    return float((1 - mu) * grid[valid].sum() + mu * np.maximum(margins, 0).sum())


class LMNNObjective:
    """Smoothed LMNN loss in ``L`` and its exact gradient, normalised per target pair.

    The hinge is smoothed (quadratic on ``[0, HINGE_WIDTH]``) and the push
    term runs over the :class:`~sklearn_metric._lmnn.impostors.ImpostorCandidates`,
    searched again whenever they may miss an impostor. Called on a flat ``L``
    it returns ``(loss, gradient)`` for L-BFGS.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    targets : ndarray of shape (n_samples, k)
        Target neighbours, ``-1`` padded.
    mu : float
        Push weight.
    n_components : int
        Rows of ``L``.
    max_impostors : int
        Most impostor candidates kept by a search.
    approximate : bool, default=False
        Search the candidates through an approximate index (the last search of
        a solver run is exact).

    Attributes
    ----------
    candidates : ImpostorCandidates
    scale : float
        ``1 / n_target_pairs``: losses and gradients are multiplied by it.
    last_active : int
        Violated (target, impostor) triplets at the last evaluation.
    """

    def __init__(self, X, y, targets, mu, n_components, max_impostors, approximate=False):
        self.X, self.y, self.targets, self.mu = X, y, targets, mu
        self.shape = (n_components, X.shape[1])
        self.rows, self.cols, self.valid = target_pairs(targets)
        self.scale = 1.0 / max(1, self.rows.size)
        self.candidates = ImpostorCandidates(X, y, max_impostors, approximate)
        self.last_active = 0

    def _reach(self, Z):
        """Target distances on the (n_samples, k) grid and each point's margin radius."""
        grid = target_distance_grid(Z, self.targets, self.valid, self.rows, self.cols)
        return grid, np.sqrt(margin_radii(grid))

    def exact_loss(self, L):
        """The paper's loss (:func:`lmnn_loss`) at ``L``: read off the candidates
        when they were searched at this very ``L`` and hold every impostor (a
        solver that converged ends so), else searched anew."""
        candidates = self.candidates
        if candidates.rows is None or candidates.capped or not np.array_equal(candidates.L_ref, L):
            return lmnn_loss(L, self.X, self.y, self.targets, self.mu)
        Z = self.X @ L.T
        grid, _ = self._reach(Z)
        return _exact_loss(Z, grid, self.valid, candidates.rows, candidates.cols, self.mu)

    def search_again(self, L):
        """Search the candidates anew at ``L``; whether the old ones held every impostor."""
        Z = self.X @ L.T
        _, reach = self._reach(Z)
        return self.candidates.search_again(L, Z, reach, pair_squared_distances)

    def __call__(self, flat):
        L = flat.reshape(self.shape)
        Z = self.X @ L.T
        mu, k = self.mu, self.targets.shape[1]
        grid, reach = self._reach(Z)
        candidates = self.candidates
        if not candidates.still_complete(L, Z, reach):
            candidates.search(L, Z, reach)
        d_imp = pair_squared_distances(Z, candidates.rows, candidates.cols)
        margins = 1 + grid[candidates.rows] - d_imp[:, None]
        hinge, slope = smoothed_hinge(margins, HINGE_WIDTH)
        loss = (1 - mu) * grid[self.valid].sum() + mu * hinge.sum()

        slots = (candidates.rows[:, None] * k + np.arange(k)).ravel()
        push_on_targets = np.bincount(slots, weights=slope.ravel(), minlength=grid.size)
        w_targets = (1 - mu) + mu * push_on_targets.reshape(grid.shape)[self.valid]
        w_impostors = -mu * slope.sum(axis=1)
        used = w_impostors != 0
        rows = np.concatenate([self.rows, candidates.rows[used]])
        cols = np.concatenate([self.cols, candidates.cols[used]])
        weights = np.concatenate([w_targets, w_impostors[used]])
        grad = 2 * pair_outer_sum(Z, self.X, rows, cols, weights, L=L)
        self.last_active = int(np.count_nonzero(margins > 0))
        return loss * self.scale, grad.ravel() * self.scale
