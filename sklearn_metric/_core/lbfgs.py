"""The package's own L-BFGS (compact form on numpy's BLAS, strong Wolfe line search),
which the driver in ``optim.py`` uses for problems of ``LARGE_PROBLEM`` unknowns and
more, where scipy's L-BFGS-B spends its time in its Fortran loops over ``x``. It is
kept where it wins by more than 20% (benchmarks/bench_lbfgs.py: LMNN on Yale B 0.72
of scipy's time, multi-metric LMNN on isolet 0.79; LSML on Yale B, 0.87, uses
scipy's)."""

import numpy as np
import scipy.linalg
from scipy.optimize import OptimizeResult

__all__ = ["lbfgs_numpy"]

# Sufficient decrease and curvature constants of the line search (L-BFGS-B's).
_C1, _C2 = 1e-3, 0.9


def _compact_direction(g, Wg, W, order, SY, YY, gamma):
    """``-H g`` for the L-BFGS inverse Hessian in compact form (Byrd, Nocedal &
    Schnabel, 1994): ``H = gamma I + [S  gamma Y] M [S^T; gamma Y^T]`` with
    ``M = [[R^-T (D + gamma Y^T Y) R^-1, -R^-T], [-R^-1, 0]]``, ``R`` the upper
    triangle of ``S^T Y`` and ``D`` its diagonal.

    ``W`` stacks the stored ``s`` (rows ``0..m-1``) over the ``y`` (rows
    ``m..2m-1``) and ``Wg = W @ g``; ``order`` lists the slots in use, oldest
    first; ``SY[i, j] = s_i . y_j`` and ``YY[i, j] = y_i . y_j`` by slot. One
    pass over ``W``.
    """
    if order.size == 0:
        return -g
    m = W.shape[0] // 2
    a, b = Wg[order], gamma * Wg[m + order]
    sy = SY[np.ix_(order, order)]
    R = np.triu(sy)
    r = scipy.linalg.solve_triangular(R, a, lower=False, check_finite=False)
    middle = np.diag(np.diag(sy)) + gamma * YY[np.ix_(order, order)]
    p1 = scipy.linalg.solve_triangular(R, middle @ r - b, trans=1, lower=False, check_finite=False)
    coefficients = np.zeros(2 * m)
    coefficients[order] = p1
    coefficients[m + order] = -gamma * r
    direction = coefficients @ W
    direction += gamma * g
    return np.negative(direction, out=direction)


def _cubic_minimiser(a, fa, ga, b, fb, gb):
    """The minimiser of the cubic through ``(a, fa)`` and ``(b, fb)`` with slopes
    ``ga``, ``gb`` (nan when it has none)."""
    d1 = ga + gb - 3 * (fa - fb) / (a - b)
    radicand = d1 * d1 - ga * gb
    if not np.isfinite(radicand) or radicand < 0:
        return np.nan
    d2 = np.copysign(np.sqrt(radicand), b - a)
    return b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2)


def _strong_wolfe(evaluate, x, f0, g0, d, step, max_evaluations):
    """A step along ``d`` meeting the strong Wolfe conditions (Nocedal & Wright,
    algorithms 3.5 and 3.6, cubic interpolation safeguarded to the inner 80% of
    the bracket; a non-finite loss counts as too large).

    Returns ``(step, f, g, evaluations)``; ``step`` is ``None`` when no point with
    sufficient decrease was found (``f``, ``g`` then the start's).
    """
    slope0 = g0 @ d
    best = None  # the lowest point with sufficient decrease, if the search gives up

    def at(t):
        f, g = evaluate(x + t * d)
        return float(f), g, (g @ d if np.isfinite(f) else np.nan)

    def decreases(t, f):
        return np.isfinite(f) and f <= f0 + _C1 * t * slope0

    lo = (0.0, f0, slope0, g0)
    previous = lo
    evaluations = 0
    hi = None
    while evaluations < max_evaluations:
        f, g, slope = at(step)
        evaluations += 1
        point = (step, f, slope, g)
        if decreases(step, f) and (best is None or f < best[1]):
            best = point
        if not decreases(step, f) or (evaluations > 1 and f >= previous[1]):
            lo, hi = previous, point
            break
        if abs(slope) <= -_C2 * slope0:
            return step, f, g, evaluations
        if slope >= 0:
            lo, hi = point, previous
            break
        previous = point
        step *= 4
    else:
        return (
            (None, f0, g0, evaluations)
            if best is None
            else (best[0], best[1], best[3], evaluations)
        )
    while evaluations < max_evaluations:
        (a, fa, ga, _), (b, fb, gb, _) = lo, hi
        width = abs(b - a)
        t = _cubic_minimiser(a, fa, ga, b, fb, gb) if np.isfinite(fb) else np.nan
        low, high = min(a, b) + 0.1 * width, max(a, b) - 0.1 * width
        if not np.isfinite(t) or not low <= t <= high:
            t = (a + b) / 2
        f, g, slope = at(t)
        evaluations += 1
        point = (t, f, slope, g)
        if decreases(t, f) and (best is None or f < best[1]):
            best = point
        if not decreases(t, f) or f >= fa:
            hi = point
            continue
        if abs(slope) <= -_C2 * slope0:
            return t, f, g, evaluations
        if slope * (b - a) >= 0:
            hi = lo
        lo = point
        if width < 1e-14 * max(1.0, abs(t)):
            break
    if best is None:
        return None, f0, g0, evaluations
    return best[0], best[1], best[3], evaluations


def lbfgs_numpy(fun, x0, *, maxiter, gtol, ftol, callback=None, maxcor=10, maxls=20, maxfun=15000):
    """Unconstrained L-BFGS with a strong Wolfe line search, on numpy's BLAS.

    The same contract as ``scipy.optimize.minimize(fun, x0, jac=True,
    method="L-BFGS-B")`` without bounds, for long ``x``: the same stopping
    rules (``max |g| <= gtol``; ``(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <=
    ftol``), statuses (0 converged, 1 budget, 2 failed line search, 99 the
    callback raised ``StopIteration``), first step ``1 / ||g||`` and
    ``maxcor`` correction pairs. After a failed line search the memory is
    dropped and a steepest-descent step tried, as L-BFGS-B does; a second
    failure ends the run at the last iterate.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)``.
    x0 : ndarray of shape (n,)
    maxiter, maxfun, maxcor, maxls : int
    gtol, ftol : float
    callback : callable or None
        ``callback(x)`` after each iteration.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``status``, ``message``, ``nit``, ``nfev``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.lbfgs import lbfgs_numpy
    >>> d = np.arange(1.0, 6.0)
    >>> r = lbfgs_numpy(lambda x: (0.5 * d @ x**2, d * x), np.ones(5), maxiter=100,
    ...                 gtol=1e-10, ftol=0.0)
    >>> r.status, bool(np.abs(r.x).max() < 1e-9)
    (0, True)
    """
    x = np.array(x0, dtype=np.float64).ravel()
    n = x.size
    nfev = 0

    def evaluate(point):
        nonlocal nfev
        nfev += 1
        value, gradient = fun(point)
        return float(value), np.asarray(gradient, dtype=np.float64).ravel()

    def result(status, message, nit):
        return OptimizeResult(
            x=x,
            fun=f,
            jac=g,
            status=status,
            message=message,
            nit=nit,
            nfev=nfev,
            success=status == 0,
        )

    f, g = evaluate(x)
    if not np.isfinite(f):
        return result(2, "ABNORMAL: the loss is not finite at the start", 0)
    W = np.zeros((2 * maxcor, n))  # the s (first maxcor rows), then the y
    Wg = np.zeros(2 * maxcor)  # W @ g, carried from one iterate to the next
    SY, YY = np.zeros((maxcor, maxcor)), np.zeros((maxcor, maxcor))
    order = np.empty(0, dtype=np.intp)
    gamma = 1.0
    nit = 0
    while True:
        if np.max(np.abs(g)) <= gtol:
            return result(0, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", nit)
        if nit >= maxiter or nfev >= maxfun:
            return result(1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", nit)
        d = _compact_direction(g, Wg, W, order, SY, YY, gamma)
        slope = g @ d
        if not slope < 0:  # not a descent direction (rounding): start the memory again
            order, d, slope = order[:0], -g, -(g @ g)
        step = 1.0 if order.size else min(1.0, 1.0 / np.sqrt(g @ g))
        budget = min(maxls, maxfun - nfev)
        step, f_new, g_new, _ = _strong_wolfe(evaluate, x, f, g, d, step, budget)
        if step is None:
            if order.size == 0:
                return result(2, "ABNORMAL: the line search found no lower point", nit)
            order = order[:0]  # L-BFGS-B's answer: forget the curvature, try again
            continue
        s = step * d
        y = g_new - g
        x = x + s
        f_old, f, g = f, f_new, g_new
        Wy = W @ y
        Wg += Wy  # W @ g at the new iterate
        sy, yy = s @ y, y @ y
        if sy > np.finfo(float).eps * yy:
            slot = (order[-1] + 1) % maxcor if order.size else 0
            order = np.append(order[order != slot], slot)
            W[slot], W[maxcor + slot] = s, y
            SY[slot, :] = W[maxcor:] @ s  # s_slot . y_j
            SY[:, slot] = Wy[:maxcor]  # s_i . y_slot
            YY[slot, :] = YY[:, slot] = Wy[maxcor:]
            SY[slot, slot], YY[slot, slot] = sy, yy
            Wg[slot], Wg[maxcor + slot] = s @ g, y @ g
            gamma = sy / yy
        nit += 1
        if callback is not None:
            try:
                callback(x)
            except StopIteration:
                return result(99, "`callback` raised `StopIteration`.", nit)
        if (f_old - f) <= ftol * max(abs(f_old), abs(f), 1.0):
            return result(0, "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH", nit)
