"""MMC's solver: its pair sets (distances and scatters through the points' Gram matrix
when many pairs share few points), objective, gradient, normalisation and the projected
gradient ascent with Armijo, classic and spectral steps. It never validates input: the
learner in ``mmc.py`` does."""

import sys

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .._core.distances import squared_distances_rows
from .._core.linalg import (
    project_psd_factored,
)
from .._core.optim import warn_not_converged
from .._core.products import pair_outer_sum

__all__ = [
    "ARMIJO",
    "Gram",
    "PairSet",
    "Squares",
    "as_diffs",
    "gradient",
    "mmc_objective",
    "normalise",
    "project_psd_keeping_factor",
    "projected_gradient",
    "spectral_step",
    "squared",
    "squares_of",
]


def mmc_objective(M, similar, dissimilar):
    """Xing et al.'s objective at ``M``, scale-normalised.

    Parameters
    ----------
    M : ndarray of shape (n_features, n_features) or (n_features,)
        Full or diagonal Mahalanobis matrix.
    similar, dissimilar : ndarray of shape (n_pairs, n_features)
        Differences ``a - b`` of the similar and dissimilar pairs.

    Returns
    -------
    value : float
        ``sum_D sqrt(D_M) / sqrt(sum_S D_M)``: the objective
        ``sum_D sqrt(D_M)`` at ``M`` rescaled onto the constraint
        ``sum_S D_M = 1`` (where the optimum lies).
    """
    g = squared(M, similar).sum()
    return float(np.sqrt(squared(M, dissimilar)).sum() / np.sqrt(g)) if g > 0 else np.inf


def squared(M, diffs):
    if isinstance(diffs, (PairSet, Squares)):
        return diffs.squared(M)
    if M.ndim == 1:
        return (diffs * diffs) @ M
    return np.einsum("ij,ij->i", diffs @ M, diffs)


class Gram:
    """The points' Gram matrices ``P M P^T`` under the last two ``M`` seen, shared by
    the pair sets over the same points (an objective, its normalisation and the
    next gradient then cost one product of the points, not five), and the factors
    ``F`` (``M = F^T F``, few rows) of the last two low-rank ``M``."""

    def __init__(self, points):
        self.points = points
        self._recent = []  # [(M, G)]: M kept referenced, so identity is meaningful
        self._factors = []  # [(M, F)]

    def of(self, M):
        for seen, G in self._recent:
            if seen is M:
                return G
        return self._remember(M, (self.points @ M) @ self.points.T)

    def factor_of(self, M):
        """The recorded ``F`` with ``M = F^T F``, or ``None``."""
        for seen, F in self._factors:
            if seen is M:
                return F
        return None

    def factored(self, M, F, gram=True):
        """Record ``M = F^T F`` (``F`` with few rows: ``P M P^T`` is then cheap, and
        computed now if ``gram``)."""
        self._factors = [(M, F), *self._factors[:1]]
        if gram:
            projected = self.points @ F.T
            self._remember(M, projected @ projected.T)

    def scaled(self, M, scaled_M, factor):
        """Record ``scaled_M = factor * M`` (if ``M``'s Gram matrix or factor is at hand)."""
        for seen, G in self._recent:
            if seen is M:
                self._remember(scaled_M, factor * G)
                break
        F = self.factor_of(M)
        if F is not None:
            self.factored(scaled_M, np.sqrt(factor) * F, gram=False)

    def _remember(self, M, G):
        self._recent = [(M, G), *self._recent[:1]]
        return G


class Squares:
    """Pair differences as their squares, which is all a diagonal ``M`` needs
    (``D_M = squares @ M``, gradients ``squares^T w``): formed once, not at each
    evaluation (Yale B, 28880 pairs in 1024 features: 92 ms per evaluation before).
    The differences given are squared in place."""

    def __init__(self, diffs):
        self.squares = np.square(diffs, out=diffs)

    def squared(self, M):
        return self.squares @ M


class PairSet:
    """Pairs as ``(points, index)``: their squared distances under ``M`` and their
    weighted scatter ``sum_k w_k d_k d_k^T``, by whichever is cheaper of the
    differences (O(n_pairs k^2)) and the points' Gram matrix (O(n_points k (n_points +
    k)), when many pairs share few points; ``gram`` shares it between sets).
    ``points`` are centred (MMC centres them first: the scatter relies on it)."""

    def __init__(self, points, index, gram=None):
        self.points, self.index = points, index
        n_points, k = points.shape
        self.by_points = n_points * (n_points + k) < index.shape[0] * k
        self.gram = Gram(points) if gram is None else gram
        self._diffs = None

    def diffs(self):
        if self._diffs is None:
            self._diffs = self.points[self.index[:, 0]] - self.points[self.index[:, 1]]
        return self._diffs

    def squared(self, M):
        if M.ndim == 1:
            return squared(M, self.diffs())
        if not self.by_points:
            F = self.gram.factor_of(M)
            if F is None:
                return squared(M, self.diffs())
            projected = self.diffs() @ F.T  # O(n_pairs k rank), not k^2
            return np.einsum("ij,ij->i", projected, projected)
        G = self.gram.of(M)
        a, b = self.index[:, 0], self.index[:, 1]
        return G[a, a] + G[b, b] - 2 * G[a, b]

    def spanning_differences(self):
        """Differences of points that span the same space as the pairs' differences,
        one per point beyond the first of each connected part of the pair graph
        (``x_i - x_root``): at most ``n_points`` rows, however many pairs."""
        n = self.points.shape[0]
        a, b = self.index[:, 0], self.index[:, 1]
        graph = sparse.coo_array((np.ones(a.size), (a, b)), shape=(n, n))
        _, part = connected_components(graph, directed=False)
        used = np.flatnonzero(np.bincount(a, minlength=n) + np.bincount(b, minlength=n))
        root = np.empty(part.max() + 1, dtype=np.intp)
        root[part[used[::-1]]] = used[::-1]  # the first used point of each part
        members = used[used != root[part[used]]]
        return self.points[members] - self.points[root[part[members]]]

    def squared_norm(self, basis=None):
        """``sum_k ||d_k||^2``, or of the parts of the ``d_k`` off ``basis``'s span."""
        points = self.points
        if basis is not None:
            points = points - (points @ basis) @ basis.T
        return float(squared_distances_rows(points, self.index[:, 0], self.index[:, 1]).sum())

    def scatter(self, weights):
        if not self.by_points:
            d = self.diffs()
            return d.T @ (d * weights[:, None])
        a, b = self.index[:, 0], self.index[:, 1]
        return pair_outer_sum(self.points, self.points, a, b, weights, centred=True)


def gradient(M, similar, dissimilar, grad_g=None):
    """Gradient of ``h(M) = f(M) / sqrt(g(M))`` (f: dissimilar sum, g: similar sum).

    ``similar`` and ``dissimilar`` are difference arrays or :class:`PairSet`; for a
    full ``M``, ``grad_g`` (the similar pairs' scatter, constant) may be given.
    """
    q = np.maximum(squared(M, dissimilar), 0)
    f = np.sqrt(q).sum()
    g = squared(M, similar).sum()
    # d sqrt(q) / dq is infinite at q = 0 (a dissimilar pair that differs only where
    # M is zero): a finite weight there (at most 100 times the typical one) keeps the
    # step search from collapsing while pulling M towards separating that pair.
    weights = 0.5 / np.sqrt(np.maximum(q, 1e-4 * max(float(q.mean()), 1e-300)))
    if isinstance(dissimilar, PairSet) and M.ndim == 2:
        grad_f = dissimilar.scatter(weights)
        if grad_g is None:
            grad_g = similar.scatter(np.ones(similar.index.shape[0]))
    elif M.ndim == 1:
        grad_f = squares_of(dissimilar).T @ weights
        if grad_g is None:
            grad_g = squares_of(similar).sum(axis=0)
    else:
        dissimilar, similar = as_diffs(dissimilar), as_diffs(similar)
        grad_f = dissimilar.T @ (dissimilar * weights[:, None])
        grad_g = similar.T @ similar if grad_g is None else grad_g
    return grad_f / np.sqrt(g) - f * grad_g / (2 * g**1.5)


def project_psd_keeping_factor(M, similar, expected_rank=None):
    """``M``'s projection onto the PSD cone and its rank. When the factor ``F``
    (``F^T F`` over the positive eigenpairs) has few rows, it is recorded for the
    pair sets: squared distances then cost O(n_pairs k rank), or the points' Gram
    matrix comes from ``F``. MMC's iterates often have low rank (4 of 1024 at the end
    on Yale B, 3 of 172 on isolet), and ``expected_rank``, the last iterate's, lets
    the eigensolver compute only the few positive pairs."""
    projected, F, rank = project_psd_factored(M, expected_rank)
    if F is not None and isinstance(similar, PairSet) and F.shape[0] < F.shape[1] // 2:
        similar.gram.factored(projected, F, gram=similar.by_points)
    return projected, rank


# Sufficient increase asked of a step, relative to the first-order prediction.
ARMIJO = 1e-4


def spectral_step(s, y, step):
    """Barzilai and Borwein's step ``<s, s> / <s, y>`` from the last move ``s`` and
    the gradient's change ``y`` (its decrease: the objective is maximised), kept
    within a factor 1e3 of the classic ``step``; ``1.5 * step`` where the
    curvature seen along ``s`` is not positive (``<s, y> <= 0``)."""
    sy = float(np.vdot(s, y))
    if not sy > 0:
        return 1.5 * step
    return float(np.clip(np.vdot(s, s) / sy, step * 1e-3, step * 1e3))


def squares_of(pairs):
    if isinstance(pairs, Squares):
        return pairs.squares
    diffs = as_diffs(pairs)
    return diffs * diffs


def as_diffs(pairs):
    return pairs.diffs() if isinstance(pairs, PairSet) else pairs


def normalise(M, similar):
    g = squared(M, similar).sum()
    if not g > 1e-300:
        raise ValueError(
            "The MMC problem is unbounded: the similar pairs have no extent along some "
            "direction where dissimilar pairs do. Add similar pairs or use diagonal=True."
        )
    normalised = M / g
    if isinstance(similar, PairSet):
        similar.gram.scaled(M, normalised, 1 / g)
    return normalised


def projected_gradient(similar, dissimilar, *, diagonal, max_iter, tol, verbose, name):
    """Projected gradient ascent of MMC's objective with Armijo steps.

    Classic steps (grown 1.5 times after a success, halved after a failure) alternate
    with spectral (Barzilai-Borwein) ones; every step passes an Armijo test along the
    projection arc, and only a classic step that gains less than ``tol`` (relative)
    stops the run. ``diagonal`` learns the diagonal of ``M`` on squared differences.

    Returns
    -------
    M : ndarray of shape (n_features, n_features) or (n_features,)
    n_iter : int
    """
    n_features = (similar.points if isinstance(similar, PairSet) else similar).shape[1]
    if diagonal:  # the differences are squared once (the caller's copies)
        similar, dissimilar = Squares(similar), Squares(dissimilar)
    M = np.ones(n_features) if diagonal else np.eye(n_features)
    M = normalise(M, similar)
    value = mmc_objective(M, similar, dissimilar)
    grad_g = None  # the similar pairs' scatter (or its diagonal): constant
    if diagonal:
        grad_g = similar.squares.sum(axis=0)
    elif isinstance(similar, PairSet):
        grad_g = similar.scatter(np.ones(similar.index.shape[0]))
    step = None  # the classic step: grown 1.5 times on success, halved on failure
    previous = None  # (M, gradient) of the last accepted iterate
    spectral_ok = True  # the spectral step made progress last time it was tried
    rank = n_features  # of the iterate M
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        grad = gradient(M, similar, dissimilar, grad_g)
        if step is None:
            step = 0.1 * np.linalg.norm(M) / max(np.linalg.norm(grad), 1e-300)
        # Every other step is spectral: alone, they crawl where the classic ones
        # would not (usps: 292 iterations against 162), and vice versa.
        spectral = previous is not None and spectral_ok and n_iter % 2 == 0
        trial = step
        if spectral:
            trial = spectral_step(M - previous[0], previous[1] - grad, step)
        while True:
            projected = M + trial * grad
            if diagonal:
                projected = np.maximum(projected, 0)
            else:
                projected, candidate_rank = project_psd_keeping_factor(projected, similar, rank)
            # Armijo's sufficient increase along the projection arc.
            wanted = ARMIJO * np.vdot(grad, projected - M)
            candidate = normalise(projected, similar)
            new_value = mmc_objective(candidate, similar, dissimilar)
            if new_value >= value + wanted or trial < 1e-20:
                break
            trial /= 2
        improvement = (new_value - value) / max(abs(value), 1e-300)
        previous = None
        if new_value >= value:
            previous = M, grad
            M, value = candidate, new_value
            if not diagonal:
                rank = candidate_rank
            step = max(step, 1.5 * trial) if spectral else 1.5 * trial
        elif not spectral:
            step = trial
        stalled = 0 <= improvement < tol or trial < 1e-20
        if spectral:
            # A spectral step too short to progress: the next one is classic.
            spectral_ok, stalled = not stalled, False
        else:
            spectral_ok = True
        if verbose:
            print(
                f"[MMC] iteration {n_iter:4d} objective {value:.8e} step {step:.3e}",
                file=sys.stdout,
            )
        if stalled:
            converged = True
            break
    if not converged:
        warn_not_converged(name, "MMC (projected_gradient)", max_iter)
    return M, n_iter
