"""Inner loops compiled with numba when it is installed (the ``fast`` extra).

Everything runs without numba: each caller keeps a numpy/scipy path and asks
:func:`compiled` for the compiled kernel, which is ``None`` without numba.
The kernels are plain Python functions here, compiled on first use with
``nogil=True``: long calls are split over threads (:func:`run_split`) on the
caller's own threads, never by numba's threading layer, whose default
(``workqueue``) aborts the process when two threads launch parallel kernels
at once (``GridSearchCV`` or dask threads fitting side by side).

Kernels:

- ``itml_sweep``: one cyclic sweep of ITML's projections;
- ``itml_block``: ITML's projections over one block of constraints, their
  rank-one updates kept apart (delayed);
- ``pair_distances``: ``||Z[rows] - Z[cols]||^2`` without gathered copies;
- ``row_weighted_sums``: ``W @ X`` for a pair graph ``W`` in compressed rows;
- ``nca_softmax_rows``: NCA's soft-neighbour weights for rows of a block, in
  branch-free passes over each row while it is in cache, and their product with
  the points from the kept entries alone when few are kept.

Threads: :func:`scipy_blas_single_threaded` keeps scipy's own BLAS (when scipy
ships one apart from numpy's) on one thread around hot loops that call it.

This module imports nothing from the rest of the package.
"""

import contextlib
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePath

import numpy as np

__all__ = [
    "compiled",
    "n_threads",
    "run_split",
    "scipy_blas_single_threaded",
    "split_bounds",
    "threads_for_n_jobs",
]

# Reassociation only (vectorised sums); no assumption that values are finite.
_FASTMATH = {"reassoc", "nsz", "contract", "arcp"}
_COMPILED = {}


def _itml_sweep(A, diffs, deltas, xi, lam, shrink, gamma, Av):
    """One cyclic sweep of ITML's projections; ``A`` (symmetric, C order), ``xi`` and
    ``lam`` change in place. ``Av`` is scratch of length ``n_features``."""
    n, d = diffs.shape
    for c in range(n):
        v = diffs[c]
        p = 0.0
        for i in range(d):
            s = 0.0
            for j in range(d):
                s += A[i, j] * v[j]
            Av[i] = s
            p += v[i] * s
        delta = deltas[c]
        alpha = min(lam[c], shrink * delta * (1.0 / p - 1.0 / xi[c]))
        if alpha == 0.0:
            continue
        beta = delta * alpha / (1.0 - delta * alpha * p)
        xi[c] = gamma * xi[c] / (gamma + delta * alpha * xi[c])
        lam[c] -= alpha
        for i in range(d):
            bi = beta * Av[i]
            for j in range(d):
                A[i, j] += bi * Av[j]


def _itml_block(P, V, W, betas, deltas, xi, lam, shrink, gamma):
    """ITML's projections onto the constraints of one block (differences ``V``,
    ``P = V @ A0`` for the block's starting matrix ``A0``) with the updates kept
    apart: ``A = A0 + sum_j betas[j] W[j] W[j]^T`` over the first ``n`` rows of
    ``W``; returns ``n``. ``xi`` and ``lam`` change in place."""
    m, d = V.shape
    n = 0
    for k in range(m):
        for i in range(d):
            W[n, i] = P[k, i]
        for j in range(n):
            t = 0.0
            for i in range(d):
                t += W[j, i] * V[k, i]
            t *= betas[j]
            for i in range(d):
                W[n, i] += t * W[j, i]
        p = 0.0
        for i in range(d):
            p += V[k, i] * W[n, i]
        delta = deltas[k]
        alpha = min(lam[k], shrink * delta * (1.0 / p - 1.0 / xi[k]))
        if alpha == 0.0:
            continue
        betas[n] = delta * alpha / (1.0 - delta * alpha * p)
        xi[k] = gamma * xi[k] / (gamma + delta * alpha * xi[k])
        lam[k] -= alpha
        n += 1
    return n


def _pair_distances(Z, rows, cols, out, start, stop):
    """``out[p] = ||Z[rows[p]] - Z[cols[p]]||^2`` for ``p`` in ``[start, stop)``."""
    n_dims = Z.shape[1]
    for p in range(start, stop):
        a, b = rows[p], cols[p]
        total = 0.0
        for j in range(n_dims):
            diff = Z[a, j] - Z[b, j]
            total += diff * diff
        out[p] = total


def _row_weighted_sums(indptr, cols, weights, X, out, start, stop):
    """``out[i] = sum_p weights[p] * X[cols[p]]`` over ``p`` in
    ``[indptr[i], indptr[i + 1])``, for rows ``i`` in ``[start, stop)``."""
    n_features = X.shape[1]
    for i in range(start, stop):
        for j in range(n_features):
            out[i, j] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            col, weight = cols[p], weights[p]
            for j in range(n_features):
                out[i, j] += weight * X[col, j]


def _nca_softmax_rows(
    E,
    row0,
    self_column,
    firsts,
    lasts,
    floor,
    gather,
    X_refs,
    p,
    counts,
    colsums,
    WX,
    bounds,
    start,
    stop,
):
    """NCA's soft-neighbour weights for rows ``[start, stop)`` of a block ``E``
    (``E[k, j] = 2 z_(row0 + k) . z_j - ||z_j||^2`` over the references ``z_j``,
    changed in place).

    Each row gets ``exp(-||z_i - z_j||^2)`` shifted by its largest entry (0 for
    its own column and below ``exp(floor)``), ``p_i`` (the share of its
    references ``firsts[i]:lasts[i]``, those of its class) and the weights
    ``W_ij = p_ij ([y_i = y_j] - p_i)``, whose column sums are added to
    ``colsums[part]`` (``bounds[part] == start``). With ``gather``, the rows
    ``W @ X_refs`` go to ``WX`` from the kept entries alone; without, ``E``
    holds ``W``.

    The passes over a whole row are free of branches. The exponential is
    numba's ``math.exp``: a hand-written polynomial that vectorises was at most
    18% faster on NCA fits (letter, usps, isolet), short of the 20% that would
    pay for keeping it.
    """
    part = 0
    while bounds[part] != start:
        part += 1
    n_refs = E.shape[1]
    columns = np.empty(n_refs if gather else 0, dtype=np.int64)
    values = np.empty(n_refs if gather else 0)
    for k in range(start, stop):
        i = row0 + k
        own = self_column[i]
        first, last = firsts[i], lasts[i]
        row = E[k]
        largest = -np.inf
        for j in range(n_refs):
            largest = max(largest, row[j] if j != own else -np.inf)
        if gather:
            # Few kept: their columns first (a compaction without branches), then
            # the exponential, the weights and W @ X_refs over those alone.
            n_kept = 0
            for j in range(n_refs):
                columns[n_kept] = j
                n_kept += int(row[j] - largest >= floor and j != own)
            total = 0.0
            same = 0.0
            for q in range(n_kept):
                j = columns[q]
                v = math.exp(min(row[j] - largest, 0.0))
                values[q] = v
                total += v
                same += v if first <= j < last else 0.0
            share = same / total
            inside = (1.0 - share) / total
            outside = -share / total
            p[k] = share
            counts[k] = n_kept
            for t in range(WX.shape[1]):
                WX[k, t] = 0.0
            for q in range(n_kept):
                j = columns[q]
                w = values[q] * (inside if first <= j < last else outside)
                colsums[part, j] += w
                for t in range(WX.shape[1]):
                    WX[k, t] += w * X_refs[j, t]
            continue
        total = 0.0
        kept = 0
        for j in range(n_refs):
            x = row[j] - largest
            v = math.exp(min(max(x, floor), 0.0))
            v = v if x >= floor and j != own else 0.0
            row[j] = v
            total += v
            kept += v != 0.0
        same = 0.0
        for j in range(first, last):
            same += row[j]
        share = same / total
        inside = (1.0 - share) / total
        outside = -share / total
        p[k] = share
        counts[k] = kept
        for j in range(first):
            row[j] *= outside
            colsums[part, j] += row[j]
        for j in range(first, last):
            row[j] *= inside
            colsums[part, j] += row[j]
        for j in range(last, n_refs):
            row[j] *= outside
            colsums[part, j] += row[j]


_KERNELS = {
    "itml_sweep": (_itml_sweep, True),
    "itml_block": (_itml_block, True),
    "pair_distances": (_pair_distances, _FASTMATH),
    "row_weighted_sums": (_row_weighted_sums, _FASTMATH),
    "nca_softmax_rows": (_nca_softmax_rows, _FASTMATH),
}


def compiled(name):
    """The kernel ``name`` compiled with numba, or ``None`` when numba is not installed."""
    if name not in _COMPILED:
        try:
            import numba
        except ImportError:
            return None
        function, fastmath = _KERNELS[name]
        _COMPILED[name] = numba.njit(cache=True, nogil=True, fastmath=fastmath)(function)
    return _COMPILED[name]


def n_threads():
    """Threads a split kernel may use: the CPUs this process may run on, at most
    ``OMP_NUM_THREADS`` when that is set (as joblib's workers set it)."""
    try:
        n_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n_cpus = os.cpu_count() or 1
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        limit = n_cpus
    return max(1, min(n_cpus, limit))


def threads_for_n_jobs(n_jobs):
    """Threads for scikit-learn's ``n_jobs`` (faiss searches): ``None`` is one thread,
    ``-1`` as many as :func:`n_threads`, ``-2`` one fewer, a positive number at most that.
    """
    available = n_threads()
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, available + 1 + n_jobs)
    return max(1, min(n_jobs, available))


_SCIPY_OWN_BLAS = []  # [controller or None], found on first use


def _scipy_own_blas():
    """threadpoolctl's controller of the BLAS libraries scipy ships for itself (wheels
    bundle one in ``scipy.libs`` or ``scipy/.dylibs``, apart from numpy's), or
    ``None`` when scipy shares numpy's (conda, system BLAS) or threadpoolctl sees none."""
    if not _SCIPY_OWN_BLAS:
        import scipy.linalg  # noqa: F401  (loads scipy's BLAS)
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController().select(user_api="blas")
        own = [
            info["filepath"]
            for info in controller.info()
            if any(part.startswith("scipy") for part in PurePath(info["filepath"]).parts[:-1])
            and not any(part.startswith("numpy") for part in PurePath(info["filepath"]).parts)
        ]
        _SCIPY_OWN_BLAS.append(controller.select(filepath=own) if own else None)
    return _SCIPY_OWN_BLAS[0]


@contextlib.contextmanager
def scipy_blas_single_threaded():
    """Run scipy's own BLAS/LAPACK on one thread inside the block (numpy's untouched).

    scipy's wheels bundle an OpenBLAS of their own beside numpy's. After a call into
    it (L-BFGS-B's vector updates, ``scipy.linalg.eigh``), its idle threads spin on
    for a while and take a core from numpy's next matrix product: on this 2-core
    machine that product ran at about half speed (NCA's objective on Yale B 0.29 s
    against 0.24 s; L-BFGS-B's own update 35 ms against 19 ms on 1M unknowns). Where
    scipy uses numpy's BLAS this does nothing.
    """
    controller = _scipy_own_blas()
    if controller is None:
        yield
        return
    with controller.limit(limits=1):
        yield


def split_bounds(n_items, min_items_per_thread=50_000):
    """Bounds of contiguous ranges splitting ``[0, n_items)`` over up to
    :func:`n_threads` threads, each of at least ``min_items_per_thread`` items."""
    n_parts = int(max(1, min(n_threads(), n_items // min_items_per_thread)))
    return np.linspace(0, n_items, n_parts + 1).astype(np.int64)


def run_split(kernel, args, bounds):
    """Run ``kernel(*args, start, stop)`` for each range ``[bounds[i], bounds[i + 1])``,
    the ranges on threads of their own (the kernel releases the GIL)."""
    ranges = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    if len(ranges) == 1:
        kernel(*args, *ranges[0])
        return
    with ThreadPoolExecutor(len(ranges) - 1) as pool:
        futures = [pool.submit(kernel, *args, lo, hi) for lo, hi in ranges[1:]]
        kernel(*args, *ranges[0])
        for future in futures:
            future.result()
