"""cvxpy problem builders and solver selection (the only importer of cvxpy).

Public classes never build a cvxpy problem inline: they call the builders here
and :func:`solve`, which names the solver explicitly and turns a status that is
not optimal into a ``ConvergenceWarning`` (inaccurate) or a ``ValueError``
(failed) that says which solver, what status and what to try.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .warn import warn

__all__ = [
    "choose_sdp_solver",
    "lmnn_sdp_problem",
    "mmc_problem",
    "solve",
    "solve_for_value",
]

# Problems with more scalar unknowns than this go to SCS rather than Clarabel.
_CLARABEL_MAX_VARIABLES = 20000


def _cvxpy():
    import cvxpy

    return cvxpy


def choose_sdp_solver(sdp_solver, n_variables):
    """Name of the cvxpy solver to use.

    Parameters
    ----------
    sdp_solver : str or None
        A cvxpy solver name chosen by the user, or ``None`` for Clarabel on
        problems with at most 20000 unknowns and SCS beyond.
    n_variables : int
        Number of scalar unknowns of the problem.

    Returns
    -------
    name : str
    """
    cp = _cvxpy()
    installed = cp.installed_solvers()
    if sdp_solver is None:
        name = "CLARABEL" if n_variables <= _CLARABEL_MAX_VARIABLES else "SCS"
    else:
        name = str(sdp_solver).upper()
    if name not in installed:
        raise ValueError(
            f"sdp_solver={sdp_solver!r} is not an installed cvxpy solver; installed: {installed}."
        )
    return name


class SolverFailedError(ValueError):
    """A cvxpy solver failed or ended without a usable solution."""


def _advice(solver, fallback):
    """What to try after ``solver`` failed: the other installed SDP solvers, then ``fallback``."""
    others = [name for name in ("CLARABEL", "SCS") if name != solver]
    others = [name for name in others if name in _cvxpy().installed_solvers()]
    tries = [f"sdp_solver={others[0]!r}"] if others else []
    tries.append("other solver_options")
    if fallback:
        tries.append(fallback)
    return "Try " + ", ".join(tries[:-1]) + (" or " if len(tries) > 1 else "") + tries[-1] + "."


def solve(problem, solver, solver_options=None, *, what="the problem", fallback=None, strict=False):
    """Solve a cvxpy problem with a named solver and check its status.

    Parameters
    ----------
    problem : cvxpy.Problem
    solver : str
        An installed cvxpy solver name.
    solver_options : dict or None, default=None
        Keyword arguments of ``problem.solve``.
    what : str, default="the problem"
        The problem's name in messages.
    fallback : str or None, default=None
        What else the user can try, in messages.
    strict : bool, default=False
        Treat ``optimal_inaccurate`` as a failure (the caller has a better
        path, as LMNN's and MMC's ``solver="auto"`` do) instead of warning.

    Returns
    -------
    problem : cvxpy.Problem

    Raises
    ------
    SolverFailedError
        A ``ValueError`` raised when the solver fails or ends without an
        optimal (or, unless ``strict``, inaccurate) solution; the message names
        the solver, the status and what to try (never the solver that failed).

    Warns
    -----
    ConvergenceWarning
        When the status is ``optimal_inaccurate`` and not ``strict``.
    """
    cp = _cvxpy()
    options = dict(solver_options or {})
    advice = _advice(solver, fallback)
    try:
        with warnings.catch_warnings():
            # cvxpy's own "Solution may be inaccurate" UserWarning: the status check
            # below turns it into a ConvergenceWarning that names the solver.
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=solver, **options)
    except cp.error.SolverError as exc:
        raise SolverFailedError(f"The {solver} solver failed on {what}: {exc}. {advice}") from exc
    status = problem.status
    if status == cp.OPTIMAL:
        return problem
    if status == cp.OPTIMAL_INACCURATE and not strict:
        warn(
            f"The {solver} solver ended {what} with status '{status}': the result may be "
            f"inaccurate. {advice}",
            ConvergenceWarning,
        )
        return problem
    raise SolverFailedError(f"The {solver} solver ended {what} with status '{status}'. {advice}")


def solve_for_value(
    problem, variable, n_variables, sdp_solver, solver_options, *, what, fallback, strict=False
):
    """Pick the solver (:func:`choose_sdp_solver`), :func:`solve`, and return ``variable``'s value.

    Parameters
    ----------
    problem : cvxpy.Problem
    variable : cvxpy.Variable
    n_variables : int
        Scalar unknowns of the problem, for the choice of solver.
    sdp_solver : str or None
        The user's solver name, or ``None`` to choose by size.
    solver_options : dict or None
        Keyword arguments of ``problem.solve``.
    what : str
        The problem's name in messages.
    fallback : str
        What else the user can try, in messages.
    strict : bool, default=False
        An inaccurate solution is a failure (see :func:`solve`).

    Returns
    -------
    value : ndarray of float64

    Raises
    ------
    SolverFailedError
        When the solve fails or leaves no value.
    """
    solver = choose_sdp_solver(sdp_solver, n_variables)
    solve(problem, solver, solver_options, what=what, fallback=fallback, strict=strict)
    if variable.value is None:
        raise SolverFailedError(f"The {solver} solver returned no value for {what}.")
    return np.asarray(variable.value, dtype=np.float64)


def lmnn_sdp_problem(pull, triplet_rows, mu):
    """The LMNN semidefinite program over an active set of triplets.

    minimise ``(1 - mu) <M, pull> + mu * sum(xi)``
    subject to ``xi_t >= 1 + <M, A_t>``, ``xi >= 0``, ``M`` PSD,

    where ``A_t = d_ij d_ij^T - d_il d_il^T`` for triplet ``t = (i, j, l)``.

    Parameters
    ----------
    pull : ndarray of shape (n_features, n_features)
        ``sum_{i, j target} d_ij d_ij^T``.
    triplet_rows : ndarray of shape (n_triplets, n_features**2)
        The flattened ``A_t`` (symmetric, so row- and column-major agree).
    mu : float
        Push weight.

    Returns
    -------
    problem : cvxpy.Problem
    M : cvxpy.Variable
        The PSD matrix variable.
    """
    cp = _cvxpy()
    n_features = pull.shape[0]
    M = cp.Variable((n_features, n_features), PSD=True)
    objective = (1 - mu) * cp.sum(cp.multiply(pull, M))
    constraints = []
    if triplet_rows.shape[0]:
        slack = cp.Variable(triplet_rows.shape[0], nonneg=True)
        objective = objective + mu * cp.sum(slack)
        constraints.append(slack >= 1 + triplet_rows @ cp.vec(M, order="C"))
    return cp.Problem(cp.Minimize(objective), constraints), M


def mmc_problem(similar, dissimilar, diagonal):
    """Xing et al.'s MMC problem: maximise ``sum_D sqrt(d_M)`` subject to ``sum_S d_M <= 1``.

    Parameters
    ----------
    similar : ndarray of shape (n_similar, n_features)
        Differences of the similar pairs.
    dissimilar : ndarray of shape (n_dissimilar, n_features)
        Differences of the dissimilar pairs.
    diagonal : bool
        Learn a non-negative weight per feature instead of a PSD matrix.

    Returns
    -------
    problem : cvxpy.Problem
    variable : cvxpy.Variable
        ``M`` (PSD), or its diagonal (non-negative) for ``diagonal``.
    n_variables : int
        Scalar unknowns the solver sees (for :func:`choose_sdp_solver`).
    """
    cp = _cvxpy()
    n_features = similar.shape[1]
    if diagonal:
        variable = cp.Variable(n_features, nonneg=True)
        q = (dissimilar * dissimilar) @ variable
        constraint = (similar * similar).sum(axis=0) @ variable <= 1
        n_variables = n_features
    else:
        variable = cp.Variable((n_features, n_features), PSD=True)
        q = cp.sum(cp.multiply(dissimilar @ variable, dissimilar), axis=1)
        constraint = cp.sum(cp.multiply(similar.T @ similar, variable)) <= 1
        n_variables = n_features * (n_features + 1) // 2
    problem = cp.Problem(cp.Maximize(cp.sum(cp.sqrt(q))), [constraint])
    return problem, variable, n_variables + dissimilar.shape[0]
