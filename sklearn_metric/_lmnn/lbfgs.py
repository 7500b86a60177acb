"""LMNN's gradient solver: L-BFGS in ``L`` over the smoothed loss, on the span of
the training points when they are fewer than the features."""

import sys

from threadpoolctl import threadpool_limits

from .._core.optim import LBFGS, run_until_complete
from .._core.span import ReducedComponents, wide_span
from .._core.warn import warn
from .impostors import approximate_search
from .loss import LMNNObjective

__all__ = ["solve_lbfgs"]

# The gradient solver runs BLAS on one thread while its matrix products
# (n_samples x n_features times n_features x n_components) stay below this many
# multiply-adds: waking threads for each product costs more than it saves.
# Measured (one thread against two, same iterates): digits 3.3 vs 6.6 s,
# letter 3.9 vs 4.7 s, synthetic 5600 x 50 3.7 vs 4.0 s, isolet (6238 x 172)
# 17.4 vs 24.7 s, MNIST 10000 x 164 22.6 vs 24.2 s; two threads win on MNIST
# 20000 x 164 (52 vs 56 s, 5.4e8) and tie on Yale B (1689 x 1024, 1.8e9).
_SINGLE_THREAD_MAX_WORK = 4e8
# L-BFGS restarts after a failed line search.
_MAX_RESTARTS = 10


def solve_lbfgs(X, y, targets, L, params, iteration_offset=0):
    """L-BFGS from ``L``; returns the final ``L``, the iterations run and the loss there.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels.
    targets : ndarray of shape (n_samples, k)
    L : ndarray of shape (n_components, n_features)
        Initial components.
    params : LMNN
        The estimator, for ``mu``, ``max_iter``, ``tol``, ``max_impostors``,
        ``impostor_search``, ``verbose`` and ``callback``.
    iteration_offset : int, default=0
        Iterations of earlier passes (for the table and the callback).

    Returns
    -------
    L : ndarray of shape (n_components, n_features)
    n_iter : int
    loss : float
        The paper's loss (exact hinge, every impostor) at ``L``.
    """
    U = wide_span(X)
    if U is None:
        return _solve(X, y, targets, L, params, iteration_offset, lift=None)
    reduced = ReducedComponents(X, L, U)
    R, n_iter, loss = _solve(
        reduced.X, y, targets, reduced.L0, params, iteration_offset, reduced.lift
    )
    return reduced.lift(R), n_iter, loss


def _solve(X, y, targets, L, params, iteration_offset, lift):
    """L-BFGS from ``L`` on ``X``; ``lift`` maps iterates to components_ for the callback."""
    approximate = approximate_search(params.impostor_search, X.shape[0])
    objective = LMNNObjective(
        X, y, targets, params.mu, L.shape[0], params.max_impostors, approximate
    )
    candidates = objective.candidates
    shape = L.shape

    def to_callback(flat):
        components = flat.reshape(shape)
        return components if lift is None else lift(components)

    lbfgs = LBFGS(
        objective,
        shape,
        name="LMNN",
        max_iter=params.max_iter,
        tol=params.tol,
        relative_tol=True,
        verbose=params.verbose,
        callback=params.callback,
        to_callback=to_callback,
        display=lambda loss: loss / objective.scale,
        columns=[
            ("Active triplets", 16, lambda: objective.last_active),
            ("Candidates", 11, lambda: candidates.rows.size),
        ],
        max_restarts=_MAX_RESTARTS,
        iteration_offset=iteration_offset,
    )
    work = float(X.shape[0]) * X.shape[1] * L.shape[0]
    n_threads = 1 if work <= _SINGLE_THREAD_MAX_WORK else None
    with threadpool_limits(limits=n_threads, user_api="blas"):
        result, converged = run_until_complete(lbfgs, L, objective.search_again)
    if candidates.capped:
        warn(
            f"More than max_impostors={params.max_impostors} impostor pairs: only the most "
            "violating were used, so the loss is an approximation. Raise max_impostors "
            "for the exact loss.",
            UserWarning,
        )
    if not converged:
        lbfgs.warn_not_converged("LMNN (lbfgs)")
    if params.verbose:
        lbfgs.report_training_time()
        print(
            f"[LMNN] lbfgs: {lbfgs.n_iter} iterations, {candidates.n_searches} impostor "
            f"searches, {result.message}",
            file=sys.stdout,
        )
    L = result.x.reshape(shape)
    return L, lbfgs.n_iter, objective.exact_loss(L)
