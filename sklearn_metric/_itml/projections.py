"""ITML's solver: cyclic Bregman projections onto the pair constraints, in three forms
(one BLAS update a constraint, compiled sweeps, blocks of delayed rank-one updates on
wide data). It never validates input: the learner in ``itml.py`` does."""

import numpy as np
from scipy.linalg import blas

from .._core.kernels import compiled
from .._core.tuples import Tuples

__all__ = ["block_size", "compiled_block", "compiled_sweep", "itml_projections"]


def compiled_sweep():
    """ITML's sweep compiled with numba, or ``None`` without numba."""
    return compiled("itml_sweep")


def compiled_block():
    """ITML's projections over a block of constraints compiled with numba, or
    ``None`` without numba."""
    return compiled("itml_block")


# From this many features on, the projections run in blocks of delayed updates.
_BLOCKED_FROM = 200


def block_size(n_features):
    """Constraints per block of delayed updates; 0 for one update at a time.

    Blocks pay a matrix product for every constraint, active or not; one update at
    a time only reads ``A`` for an inactive one, from cache when ``A`` is small:
    on isolet (172 features, most constraints inactive late) 5.1 us per constraint
    one at a time against 6.0 in blocks; on usps (256) 13.3 against 7.1, on
    olivetti's span (279) 20 against 11, on Yale B (1024) 500 against 36. Blocks
    of 32 to 128 measured best from 114 to 1024 features."""
    if n_features < _BLOCKED_FROM:
        return 0
    return int(min(128, max(32, n_features // 8)))


def itml_projections(A, diffs, sign, bounds, gamma, max_iter, tol, *, block=None):
    """Cyclic Bregman projections of ITML, each a rank-one update of ``A``.

    For each constraint ``c`` in turn (difference ``v``, ``delta`` = +1 for a
    similar pair and -1 for a dissimilar one, target ``xi_c``):
    ``p = v^T A v``,
    ``alpha = min(lambda_c, delta gamma / (gamma + 1) (1 / p - 1 / xi_c))``,
    ``beta = delta alpha / (1 - delta alpha p)``,
    ``xi_c <- gamma xi_c / (gamma + delta alpha xi_c)``, ``lambda_c -= alpha``
    and ``A <- A + beta (A v)(A v)^T``, the LogDet projection of ``A`` onto
    ``v^T A v = xi_c`` relaxed by the slack (exact as ``gamma`` grows; the
    form of the authors' reference code). The constraints are visited in
    order (the method is sequential by nature).

    One update at a time reads and writes all of ``A``: O(n_features^2) memory
    traffic per constraint. From ``_BLOCKED_FROM`` features on, the updates of
    a block of ``b`` constraints are delayed: with ``A0`` the matrix at the
    block's start and ``w_j = A v_j`` the update vectors so far,
    ``A v = A0 v + sum_j beta_j (w_j . v) w_j`` (O(b n_features) per
    constraint, ``A0 v`` for the whole block by one matrix product), and the
    block ends with ``A0 + sum_j beta_j w_j w_j^T`` by two symmetric rank-k
    updates: the same iterates up to rounding, at matrix-product speed
    (Yale B's 1024 features: 29 s -> ~3 s per sweep over 57,760 constraints).
    The per-constraint loop is compiled by numba when it is installed (the
    ``fast`` extra), else a Python loop of BLAS calls.

    Parameters
    ----------
    A : ndarray of shape (n_features, n_features)
        The prior ``M0`` (copied).
    diffs : ndarray of shape (n_constraints, n_features) or Tuples
        Pair differences, none zero, or the pairs (float64 points) whose
        differences they are, taken a block at a time.
    sign : ndarray of shape (n_constraints,)
        +1 similar, -1 dissimilar.
    bounds : tuple of float
        ``(u, l)``: the squared distance similar pairs should stay below and
        dissimilar pairs above.
    gamma : float
        Slack trade-off (larger: closer to the hard constraints).
    max_iter : int
        Most sweeps over the constraints.
    tol : float
        Stop when the dual variables change by less than ``tol`` relative to
        their norm over a sweep.
    block : int or None, default=None
        Constraints per block of delayed updates (0: one update at a time);
        ``None`` chooses by the number of features.

    Returns
    -------
    A : ndarray of shape (n_features, n_features)
    n_sweeps : int
    converged : bool
    """
    if isinstance(diffs, Tuples):
        rows_of, n_features = (lambda rows: diffs.differences(0, 1, rows)), diffs.n_features
    else:
        diffs = np.ascontiguousarray(diffs, dtype=np.float64)
        rows_of, n_features = diffs.__getitem__, diffs.shape[1]
    if block is None:
        block = block_size(n_features)
    if block > 0:
        return _blocked_projections(A, rows_of, sign, bounds, gamma, max_iter, tol, block)
    diffs = rows_of(slice(None))
    sweep = compiled_sweep()
    if sweep is not None:
        return _compiled_projections(sweep, A, diffs, sign, bounds, gamma, max_iter, tol)
    return _blas_projections(A, diffs, sign, bounds, gamma, max_iter, tol)


def _blas_projections(A, diffs, sign, bounds, gamma, max_iter, tol):
    """:func:`itml_projections` one update at a time by two BLAS calls each."""
    gemv, ddot, dger = blas.dgemv, blas.ddot, blas.dger
    A = np.array(A, dtype=np.float64, order="F")
    u, low = bounds
    deltas = [1.0 if s > 0 else -1.0 for s in sign]
    shrink = gamma / (gamma + 1.0)
    xi = [u if s > 0 else low for s in sign]
    lam = [0.0] * diffs.shape[0]
    rows = list(diffs)
    converged = False
    n_sweeps = 0
    while n_sweeps < max_iter:
        n_sweeps += 1
        lam_old = np.array(lam)
        for c, v in enumerate(rows):
            Av = gemv(1.0, A, v)
            p = ddot(v, Av)
            delta = deltas[c]
            alpha = min(lam[c], shrink * delta * (1 / p - 1 / xi[c]))
            if alpha == 0:
                continue  # the projection moves nothing
            beta = delta * alpha / (1 - delta * alpha * p)
            xi[c] = gamma * xi[c] / (gamma + delta * alpha * xi[c])
            lam[c] -= alpha
            A = dger(beta, Av, Av, a=A, overwrite_a=1)
        if _converged(lam_old, np.array(lam), tol):
            converged = True
            break
    return (A + A.T) / 2, n_sweeps, converged


def _python_block(P, V, W, betas, deltas, xi, lam, shrink, gamma):
    """The ``itml_block`` kernel of :mod:`._kernels` as a loop of numpy calls."""
    n = 0
    for k in range(V.shape[0]):
        v = V[k]
        if n:
            W[n] = P[k] + (betas[:n] * (W[:n] @ v)) @ W[:n]
        else:
            W[n] = P[k]
        p = v @ W[n]
        delta = deltas[k]
        alpha = min(lam[k], shrink * delta * (1 / p - 1 / xi[k]))
        if alpha == 0:
            continue
        betas[n] = delta * alpha / (1 - delta * alpha * p)
        xi[k] = gamma * xi[k] / (gamma + delta * alpha * xi[k])
        lam[k] -= alpha
        n += 1
    return n


def _flush_updates(A, W, betas):
    """``A + sum_j betas[j] W[j] W[j]^T`` in ``A``'s upper triangle (``A`` in
    Fortran order, changed in place): one symmetric rank-k update per sign."""
    scale = np.sqrt(np.abs(betas))
    for sign, rows in ((1.0, betas > 0), (-1.0, betas < 0)):
        if np.any(rows):
            scaled = W[rows] * scale[rows, None]
            A = blas.dsyrk(sign, scaled.T, beta=1.0, c=A, trans=0, lower=0, overwrite_c=1)
    return A


def _blocked_projections(A, rows_of, sign, bounds, gamma, max_iter, tol, block):
    """:func:`itml_projections` in blocks of ``block`` delayed updates; only the
    upper triangle of the working matrix is kept up to date. ``rows_of(rows)`` gives
    the differences of the constraints of a slice (C order, float64)."""
    kernel = compiled_block() or _python_block
    A = np.array(A, dtype=np.float64, order="F")
    u, low = bounds
    deltas = np.where(sign > 0, 1.0, -1.0)
    xi = np.where(sign > 0, u, low).astype(np.float64)
    n_constraints, n_features = sign.shape[0], A.shape[0]
    lam = np.zeros(n_constraints)
    W = np.empty((block, n_features))
    betas = np.empty(block)
    for n_sweeps in range(1, max_iter + 1):
        lam_old = lam.copy()
        for start in range(0, n_constraints, block):
            stop = min(start + block, n_constraints)
            V = rows_of(slice(start, stop))
            # (A0 V^T)^T from the upper triangle; V^T is V's memory in Fortran order.
            P = blas.dsymm(1.0, A, V.T, side=0, lower=0).T
            n = kernel(
                P,
                V,
                W,
                betas,
                deltas[start:stop],
                xi[start:stop],
                lam[start:stop],
                gamma / (gamma + 1.0),
                gamma,
            )
            if n:
                A = _flush_updates(A, W[:n], betas[:n])
        if _converged(lam_old, lam, tol):
            return _from_upper(A), n_sweeps, True
    return _from_upper(A), max_iter, False


def _from_upper(A):
    """The symmetric matrix whose upper triangle is ``A``'s."""
    return np.triu(A) + np.triu(A, 1).T


def _converged(lam_old, lam, tol):
    norm = np.linalg.norm(lam) + np.linalg.norm(lam_old)
    return norm == 0 or np.abs(lam_old - lam).sum() / norm < tol


def _compiled_projections(sweep, A, diffs, sign, bounds, gamma, max_iter, tol):
    """:func:`itml_projections` with the sweep compiled by numba (the same iterates up
    to rounding)."""
    A = np.array(A, dtype=np.float64, order="C")
    u, low = bounds
    deltas = np.where(sign > 0, 1.0, -1.0)
    xi = np.where(sign > 0, u, low).astype(np.float64)
    lam = np.zeros(diffs.shape[0])
    scratch = np.empty(diffs.shape[1])
    for n_sweeps in range(1, max_iter + 1):
        lam_old = lam.copy()
        sweep(A, diffs, deltas, xi, lam, gamma / (gamma + 1.0), gamma, scratch)
        if _converged(lam_old, lam, tol):
            return (A + A.T) / 2, n_sweeps, True
    return (A + A.T) / 2, max_iter, False
