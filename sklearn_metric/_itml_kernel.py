"""ITML's projection sweep compiled with numba, when numba is installed (the ``fast`` extra).

The sweep is sequential (each projection changes ``A`` for the next), so its cost
in Python is the call overhead of two BLAS calls per constraint; compiled, ``A v``
and the rank-one update are two vectorised passes over ``A``.
"""

__all__ = ["compiled_sweep"]

_SWEEP = None


def compiled_sweep():
    """The compiled sweep, or ``None`` when numba is not installed."""
    global _SWEEP
    if _SWEEP is None:
        try:
            import numba
        except ImportError:
            return None
        _SWEEP = numba.njit(cache=True, nogil=True, fastmath=True)(_sweep)
    return _SWEEP


def _sweep(A, diffs, deltas, xi, lam, shrink, gamma, Av):
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
