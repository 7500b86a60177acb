"""LMNN on given triplets ``(i, j, l)``: pull ``(i, j)`` together, push ``l`` a unit
margin further than ``j`` from ``i``. The same objective as LMNN's, with the
triplets given instead of drawn from target neighbours and impostors."""

import numpy as np

from .._core.distances import squared_distances_rows
from .._core.linalg import components_from_psd, project_psd
from .._core.optim import LBFGS, Exit
from .._core.products import pair_outer_sum
from .._core.sdp import SolverFailedError, lmnn_sdp_problem, solve_for_value
from .loss import HINGE_WIDTH, smoothed_hinge

__all__ = ["solve_triplets_lbfgs", "solve_triplets_sdp", "triplet_loss"]

# The SDP is refused beyond this many triplets (dense rows of n_features**2).
_SDP_MAX_TRIPLETS = 20000


def _unique_pairs(anchor, positive):
    pairs = np.unique(np.column_stack([anchor, positive]), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _squared(Z, a, b):
    return squared_distances_rows(Z, a, b)


def triplet_loss(L, X, triplets, mu, width=0.0):
    """``(1 - mu) sum_{(i, j)} d(i, j) + mu sum_t h(1 + d(i, j) - d(i, l))`` at ``L``.

    ``d`` is the squared learned distance, pull pairs are the distinct
    ``(i, j)``, ``h`` the hinge (smoothed on ``[0, width]``).
    """
    Z = X @ L.T
    i, j, l_ = triplets.T
    pi, pj = _unique_pairs(i, j)
    hinge, _ = smoothed_hinge(1 + _squared(Z, i, j) - _squared(Z, i, l_), width)
    return float((1 - mu) * _squared(Z, pi, pj).sum() + mu * hinge.sum())


def _loss_and_gradient(L, X, triplets, mu, scale):
    Z = X @ L.T
    i, j, l_ = triplets.T
    pi, pj = _unique_pairs(i, j)
    hinge, slope = smoothed_hinge(1 + _squared(Z, i, j) - _squared(Z, i, l_), HINGE_WIDTH)
    loss = (1 - mu) * _squared(Z, pi, pj).sum() + mu * hinge.sum()
    rows = np.concatenate([pi, i, i])
    cols = np.concatenate([pj, j, l_])
    weights = np.concatenate([np.full(pi.size, 1 - mu), mu * slope, -mu * slope])
    grad = 2 * pair_outer_sum(Z, X, rows, cols, weights, L=L)
    return loss * scale, grad.ravel() * scale


def solve_triplets_lbfgs(X, triplets, L, params):
    """L-BFGS in ``L`` on the smoothed triplet loss; returns ``(L, n_iter)``."""
    scale = 1.0 / triplets.shape[0]
    lbfgs = LBFGS(
        lambda flat: _loss_and_gradient(flat.reshape(L.shape), X, triplets, params.mu, scale),
        L.shape,
        name=type(params).__name__,
        max_iter=params.max_iter,
        tol=params.tol,
        relative_tol=True,
        verbose=params.verbose,
        callback=params.callback,
        display=lambda loss: loss / scale,
    )
    result = lbfgs.run(L)
    if result.exit is Exit.MAX_ITER:
        lbfgs.warn_not_converged("LMNN (lbfgs, triplets)", reason=result.message)
    lbfgs.report_training_time()
    return result.x, lbfgs.n_iter


def solve_triplets_sdp(X, triplets, params):
    """The LMNN SDP over every given triplet (no active set: the triplets are given).

    Solved on ``X`` scaled to unit mean squared pull distance (the problem in
    ``M`` for ``X`` is the problem in ``s^2 M`` for ``X / s``).
    """
    if triplets.shape[0] > _SDP_MAX_TRIPLETS:
        raise SolverFailedError(
            f"{triplets.shape[0]} triplets are more than solver='sdp' takes "
            f"({_SDP_MAX_TRIPLETS}); use solver='lbfgs'."
        )
    i, j, l_ = triplets.T
    pi, pj = _unique_pairs(i, j)
    pull_diffs = X[pi] - X[pj]
    scale = np.sqrt(np.mean(np.einsum("ij,ij->i", pull_diffs, pull_diffs)))
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    Xs = X / scale
    pull_diffs = pull_diffs / scale
    d_ij, d_il = Xs[i] - Xs[j], Xs[i] - Xs[l_]
    A = np.einsum("ti,tj->tij", d_ij, d_ij) - np.einsum("ti,tj->tij", d_il, d_il)
    n_features = X.shape[1]
    problem, M = lmnn_sdp_problem(
        pull_diffs.T @ pull_diffs, A.reshape(A.shape[0], n_features**2), params.mu
    )
    value = solve_for_value(
        problem,
        M,
        n_features * (n_features + 1) // 2 + A.shape[0],
        params.sdp_solver,
        params.solver_options,
        what="the LMNN semidefinite program on triplets",
        fallback="solver='lbfgs'",
        strict=params.solver == "auto",  # auto: an inaccurate SDP goes to L-BFGS instead
    )
    return components_from_psd(project_psd(value)) / scale, 1
