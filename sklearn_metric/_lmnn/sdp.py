"""LMNN's exact solver: the semidefinite program in ``M`` over a growing active set
of triplets (cvxpy through :mod:`sklearn_metric._core.sdp`)."""

import sys

import numpy as np

from .._core.constraints import find_impostors
from .._core.distances import squared_distances_rows
from .._core.linalg import components_from_psd, project_psd
from .._core.optim import warn_not_converged
from .._core.sdp import SolverFailedError, lmnn_sdp_problem, solve_for_value
from .loss import margin_radii, target_distance_grid, target_pairs

__all__ = ["solve_sdp"]

# The SDP refuses active sets larger than this (dense constraint rows of n_features**2).
_SDP_MAX_TRIPLETS = 20000
# A triplet counts as violated when its margin exceeds this (units of the margin, 1).
_MARGIN_TOL = 1e-6


def solve_sdp(X, y, targets, L, params):
    """Solve the LMNN SDP from the active set violated at ``L``.

    The problem in ``M`` for ``X`` equals the problem in ``s^2 M`` for ``X / s``
    (same objective values): it is solved for data of unit mean squared target
    distance, so the SDP is well scaled whatever the units of ``X``. The
    initial ``L`` only picks the first active set; it is rescaled likewise so
    that the set is the same in any unit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    targets : ndarray of shape (n_samples, k)
    L : ndarray of shape (n_features, n_features)
    params : LMNN
        The estimator, for ``mu``, ``max_iter`` (active-set rounds),
        ``sdp_solver``, ``solver_options`` and ``verbose``.

    Returns
    -------
    L : ndarray of shape (n_features, n_features)
    n_rounds : int
    """
    rows, cols, _ = target_pairs(targets)
    scale = _rms(squared_distances_rows(X, rows, cols))
    X_scaled = X / scale
    start = _rms(squared_distances_rows(X_scaled @ L.T, rows, cols))
    L_scaled, n_rounds = _active_set_rounds(X_scaled, y, targets, L / start, params)
    return L_scaled / scale, n_rounds


def _rms(squared):
    """Root mean of squared distances, or 1 when it is zero, not finite or empty."""
    value = np.sqrt(np.mean(squared)) if squared.size else 0.0
    return value if np.isfinite(value) and value > 0 else 1.0


def _violated(Z, y, targets, valid, rows, cols, widen):
    """Violated (target pair, impostor) triplets at ``Z``, as grid rows and slots.

    ``widen`` scales the margin radius: the first round also takes nearly
    violated triplets, so that its solution is not driven towards ``M = 0``
    by too small a set.
    """
    grid = target_distance_grid(Z, targets, valid, rows, cols)
    imp_rows, imp_cols, _ = find_impostors(Z, y, widen * margin_radii(grid))
    d_imp = squared_distances_rows(Z, imp_rows, imp_cols)
    margins = widen * (1 + grid[imp_rows]) - d_imp[:, None]
    which, slot = np.nonzero(margins > _MARGIN_TOL)
    return imp_rows[which], slot, imp_cols[which]


def _active_set_rounds(X, y, targets, L, params):
    rows, cols, valid = target_pairs(targets)
    n_samples = targets.shape[0]
    target_diffs = X[rows] - X[cols]
    pull = target_diffs.T @ target_diffs
    slot_of = np.full(targets.shape, -1, dtype=np.intp)
    slot_of[valid] = np.arange(rows.size)  # grid position -> target pair index

    active_keys = np.empty(0, dtype=np.int64)
    active = np.empty((0, 2), dtype=np.intp)  # (target pair index, impostor)
    n_rounds = 0
    converged = False
    while n_rounds < params.max_iter:
        Z = X @ L.T
        widen = 1.5**2 if n_rounds == 0 else 1.0
        while True:
            point, slot, impostor = _violated(Z, y, targets, valid, rows, cols, widen)
            # The first round widens until the set holds some triplet, if any exists.
            if n_rounds > 0 or point.size or widen > 1e6:
                break
            widen *= 16
        pair_index = slot_of[point, slot]
        keys = pair_index.astype(np.int64) * n_samples + impostor
        new = ~np.isin(keys, active_keys)
        if n_rounds > 0 and not np.any(new):
            converged = True
            break
        active_keys = np.concatenate([active_keys, keys[new]])
        active = np.vstack([active, np.column_stack([pair_index[new], impostor[new]])])
        if active.shape[0] > _SDP_MAX_TRIPLETS:
            raise SolverFailedError(
                f"The SDP active set grew past {_SDP_MAX_TRIPLETS} triplets; this problem "
                "is too large for solver='sdp'. Use solver='lbfgs'."
            )
        n_rounds += 1
        M = _solve_round(X, rows, target_diffs, pull, active, params)
        L = components_from_psd(M)
        if params.verbose:
            print(
                f"[LMNN] sdp round {n_rounds}: {active.shape[0]} active triplets",
                file=sys.stdout,
            )
    if not converged:
        warn_not_converged(
            type(params).__name__,
            "LMNN (sdp)",
            params.max_iter,
            reason="violated triplets are left",
            steps="active-set rounds",
            advice="increase max_iter",
        )
    return L, n_rounds


def _solve_round(X, rows, target_diffs, pull, active, params):
    """The SDP over the active triplets; returns the PSD ``M``."""
    d_ij = target_diffs[active[:, 0]]
    d_il = X[rows[active[:, 0]]] - X[active[:, 1]]
    A = np.einsum("ti,tj->tij", d_ij, d_ij) - np.einsum("ti,tj->tij", d_il, d_il)
    n_features = X.shape[1]
    problem, M = lmnn_sdp_problem(pull, A.reshape(A.shape[0], n_features**2), params.mu)
    n_variables = n_features * (n_features + 1) // 2 + A.shape[0]
    value = solve_for_value(
        problem,
        M,
        n_variables,
        params.sdp_solver,
        params.solver_options,
        what="the LMNN semidefinite program",
        fallback="solver='lbfgs'",
        strict=params.solver == "auto",  # auto: an inaccurate SDP goes to L-BFGS instead
    )
    return project_psd(value)
