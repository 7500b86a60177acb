"""The package's numpy L-BFGS (`_core.lbfgs.lbfgs_numpy`) against textbook forms and scipy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize, rosen, rosen_der

import sklearn_metric._core.optim as optim
from sklearn_metric._core.lbfgs import _compact_direction, lbfgs_numpy
from sklearn_metric._core.optim import LBFGS, Exit


def _rosenbrock(x):
    return rosen(x), rosen_der(x)


def _two_loop(g, pairs):
    """Nocedal & Wright's algorithm 7.4: -H g from the pairs (s, y), oldest first."""
    q = g.copy()
    alphas = []
    for s, y in reversed(pairs):
        alpha = (s @ q) / (s @ y)
        q -= alpha * y
        alphas.append(alpha)
    s, y = pairs[-1]
    r = (s @ y) / (y @ y) * q
    for (s, y), alpha in zip(pairs, reversed(alphas), strict=True):
        beta = (y @ r) / (s @ y)
        r += (alpha - beta) * s
    return -r


def test_compact_direction_is_the_two_loop_recursion():
    # Pairs stored in a ring (slots 2, 0, 1 from oldest to newest) give the same -H g
    # as the two-loop recursion over them in order.
    rng = np.random.RandomState(0)
    n, m = 7, 3
    A = rng.randn(n, n)
    A = A @ A.T + n * np.eye(n)  # y = A s: positive curvature
    pairs = [(s, A @ s) for s in rng.randn(m, n)]
    order = np.array([2, 0, 1])
    W = np.zeros((2 * m, n))
    for (s, y), slot in zip(pairs, order, strict=True):
        W[slot], W[m + slot] = s, y
    S, Y = W[:m], W[m:]
    SY, YY = S @ Y.T, Y @ Y.T
    s, y = pairs[-1]
    g = rng.randn(n)
    direction = _compact_direction(g, W @ g, W, order, SY, YY, (s @ y) / (y @ y))
    assert_allclose(direction, _two_loop(g, pairs), rtol=1e-10)


def test_compact_direction_without_memory_is_steepest_descent():
    g = np.array([1.0, -2.0])
    W = np.zeros((4, 2))
    empty = np.empty(0, dtype=np.intp)
    direction = _compact_direction(g, W @ g, W, empty, np.zeros((2, 2)), np.zeros((2, 2)), 1.0)
    assert_allclose(direction, -g)


@pytest.mark.parametrize("n", [2, 10, 30])
def test_lbfgs_numpy_solves_rosenbrock_as_scipy_does(n):
    x0 = np.full(n, -1.2)
    x0[1::2] = 1.0
    ours = lbfgs_numpy(_rosenbrock, x0, maxiter=2000, gtol=1e-8, ftol=0.0)
    scipy_ = minimize(
        _rosenbrock, x0, jac=True, method="L-BFGS-B", options=dict(maxiter=2000, gtol=1e-8, ftol=0)
    )
    assert ours.status == scipy_.status == 0
    assert_allclose(ours.x, np.ones(n), atol=1e-6)
    # The same method: iteration counts within a quarter of each other.
    assert abs(ours.nit - scipy_.nit) <= 0.25 * scipy_.nit
    assert ours.nfev <= 1.5 * scipy_.nfev


def test_lbfgs_numpy_quadratic_hand_checkable():
    # f = 1/2 sum d_i x_i^2 from x = 1. The first trial step is 1 / ||g|| = 1 / sqrt(14):
    # it meets both Wolfe conditions, so the first iterate is x - g / sqrt(14).
    d = np.array([1.0, 2.0, 3.0])
    seen = []
    result = lbfgs_numpy(
        lambda x: (0.5 * d @ x**2, d * x),
        np.ones(3),
        maxiter=50,
        gtol=1e-10,
        ftol=0,
        callback=lambda x: seen.append(x.copy()),
    )
    assert_allclose(seen[0], 1 - d / np.sqrt(14))
    assert result.status == 0
    scipy_ = minimize(
        lambda x: (0.5 * d @ x**2, d * x),
        np.ones(3),
        jac=True,
        method="L-BFGS-B",
        options=dict(maxiter=50, gtol=1e-10, ftol=0),
    )
    assert result.nit <= scipy_.nit + 2
    assert_allclose(result.x, 0, atol=1e-10)
    assert result.fun == pytest.approx(0.5 * d @ result.x**2)
    assert_allclose(result.jac, d * result.x)


def test_lbfgs_numpy_stopping_rules():
    x0 = np.array([-1.2, 1.0])
    capped = lbfgs_numpy(_rosenbrock, x0, maxiter=5, gtol=0, ftol=0)
    assert (capped.status, capped.nit) == (1, 5)
    assert "ITERATIONS" in capped.message

    at_minimum = lbfgs_numpy(_rosenbrock, np.ones(2), maxiter=5, gtol=1e-8, ftol=0)
    assert (at_minimum.status, at_minimum.nit, at_minimum.nfev) == (0, 0, 1)

    loose = lbfgs_numpy(_rosenbrock, x0, maxiter=500, gtol=0, ftol=1e-2)
    assert loose.status == 0 and "REL_REDUCTION" in loose.message
    assert loose.nit < 30

    seen = []

    def callback(x):
        seen.append(x.copy())
        if len(seen) == 3:
            raise StopIteration

    stopped = lbfgs_numpy(_rosenbrock, x0, maxiter=500, gtol=0, ftol=0, callback=callback)
    assert (stopped.status, stopped.nit) == (99, 3)
    assert_allclose(stopped.x, seen[-1])


def test_lbfgs_numpy_line_search_steps_back_from_infinite_losses():
    # sum(x^2 - log x) is infinite for x <= 0; the first steps from x = 5 overshoot there.
    def barrier(x):
        if np.any(x <= 0):
            return np.inf, np.zeros_like(x)
        return float(np.sum(x**2 - np.log(x))), 2 * x - 1 / x

    result = lbfgs_numpy(barrier, np.full(4, 5.0), maxiter=100, gtol=1e-9, ftol=0)
    assert result.status == 0
    assert_allclose(result.x, np.sqrt(0.5), rtol=1e-7)


def test_lbfgs_numpy_reports_a_failed_line_search_at_the_start():
    # A gradient of the wrong sign: no step along -g lowers the loss.
    result = lbfgs_numpy(lambda x: (float(x @ x), -2 * x), np.ones(3), maxiter=10, gtol=0, ftol=0)
    assert result.status == 2
    assert "ABNORMAL" in result.message
    assert_allclose(result.x, np.ones(3))
    assert Exit.from_scipy(result.status) is Exit.LINE_SEARCH_FAILED


def test_lbfgs_runs_numpy_solver_from_large_problem(monkeypatch):
    called = []
    real = optim.lbfgs_numpy
    monkeypatch.setattr(optim, "lbfgs_numpy", lambda *a, **k: called.append(1) or real(*a, **k))
    d = np.arange(1.0, 7.0)

    def fun(x):
        return float(0.5 * d @ (x - 1) ** 2), d * (x - 1)

    small = LBFGS(fun, (6,), name="t", max_iter=100, tol=1e-10).run(np.zeros(6))
    assert called == []
    monkeypatch.setattr(optim, "LARGE_PROBLEM", 6)
    large = LBFGS(fun, (2, 3), name="t", max_iter=100, tol=1e-10).run(np.zeros((2, 3)))
    assert called == [1]
    assert large.x.shape == (2, 3) and large.exit is Exit.CONVERGED
    assert_allclose(large.x.ravel(), small.x.ravel(), atol=1e-8)


def test_lmnn_fits_alike_with_either_solver(monkeypatch):
    # LMNN on wine: the numpy solver reaches the loss L-BFGS-B reaches (to 1e-5).
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler

    from sklearn_metric import LMNN

    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    scipy_fit = LMNN(solver="lbfgs", tol=1e-9).fit(X, y)
    monkeypatch.setattr(optim, "LARGE_PROBLEM", 1)
    numpy_fit = LMNN(solver="lbfgs", tol=1e-9).fit(X, y)
    assert numpy_fit.loss_ == pytest.approx(scipy_fit.loss_, rel=1e-5)


def test_lsml_keeps_scipys_solver_at_every_size(monkeypatch):
    # LSML gains too little from the numpy solver (benchmarks/bench_lbfgs.py).
    from sklearn.datasets import load_wine

    from sklearn_metric import LSML

    def unreachable(*args, **kwargs):
        raise AssertionError("lbfgs_numpy ran for LSML")

    monkeypatch.setattr(optim, "LARGE_PROBLEM", 1)
    monkeypatch.setattr(optim, "lbfgs_numpy", unreachable)
    X, y = load_wine(return_X_y=True)
    assert LSML(random_state=0).fit(X, y).n_iter_ >= 1
