"""The one L-BFGS driver of the package's gradient learners.

:class:`LBFGS` runs ``scipy.optimize.minimize(method="L-BFGS-B")`` (or, from
``LARGE_PROBLEM`` unknowns on, the package's :func:`lbfgs_numpy` with the same
contract) on a loss ``fun(flat) -> (value, gradient)`` and gives every learner the
same behaviour:

- an iteration count that goes on across calls (``n_iter``), so a learner that
  runs several passes numbers its iterations and callbacks continuously;
- the verbose table ``[Name] Iteration  Objective Value  ...  Time(s)`` with
  optional extra columns, and a closing ``Training took`` line;
- the user's ``callback(components, n_iter)`` after each iteration;
- a stopping rule: scipy's own (``tol`` as its ``ftol`` and ``gtol``), or the
  relative decrease of the loss (``relative_tol``);
- restarts after a failed line search (``max_restarts``);
- named exit statuses (:class:`Exit`) and one ``ConvergenceWarning`` text.
"""

import enum
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from .kernels import scipy_blas_single_threaded
from .lbfgs import lbfgs_numpy
from .warn import warn

__all__ = [
    "LARGE_PROBLEM",
    "LBFGS",
    "Exit",
    "LBFGSResult",
    "lbfgs_numpy",
    "run_for_components",
    "run_until_complete",
    "warn_not_converged",
]


def warn_not_converged(name, what, max_iter, *, reason=None, steps="iterations", advice=None):
    """The package's one ``ConvergenceWarning`` text for a solver that used up ``max_iter``.

    ``[name] what did not converge after max_iter=N steps[: reason]; advice.``

    Parameters
    ----------
    name : str
        The estimator's class name.
    what : str
        The algorithm (and solver), e.g. ``"LMNN (lbfgs)"``.
    max_iter : int
    reason : str or None, default=None
        The solver's own words, when it has some.
    steps : str, default="iterations"
        What ``max_iter`` counts.
    advice : str or None, default=None
        What to try; default ``"increase max_iter or tol"``.
    """
    reason = f": {reason}" if reason else ""
    advice = advice or "increase max_iter or tol"
    warn(
        f"[{name}] {what} did not converge after max_iter={max_iter} {steps}{reason}; {advice}.",
        ConvergenceWarning,
    )


class Exit(enum.Enum):
    """Why a run of L-BFGS-B ended."""

    #: L-BFGS-B's own test held: projected gradient below ``gtol`` or a relative
    #: decrease below ``ftol`` (scipy status 0).
    CONVERGED = 0
    #: The iteration (or evaluation) budget was used up (scipy status 1).
    MAX_ITER = 1
    #: The line search found no lower point (scipy status 2, "ABNORMAL").
    LINE_SEARCH_FAILED = 2
    #: The driver's relative-decrease rule stopped the run (scipy status 99,
    #: the callback raised ``StopIteration``).
    SMALL_DECREASE = 99

    @classmethod
    def from_scipy(cls, status):
        """The exit of a scipy L-BFGS-B status; an unknown one counts as a failed search."""
        try:
            return cls(int(status))
        except ValueError:
            return cls.LINE_SEARCH_FAILED

    @property
    def converged(self):
        """Whether the run ended at a stationary point rather than on its budget."""
        return self in (Exit.CONVERGED, Exit.SMALL_DECREASE)


@dataclass
class LBFGSResult:
    """The outcome of :meth:`LBFGS.run`.

    Attributes
    ----------
    x : ndarray
        The last iterate, in the shape given to :class:`LBFGS`.
    fun : float
        The loss there.
    exit : Exit
        Why the run ended.
    stalled : bool
        The last line search failed without moving ``x``: a kink of the loss
        (nothing more to gain from this point).
    message : str
        scipy's message.
    """

    x: np.ndarray
    fun: float
    exit: Exit
    stalled: bool
    message: str


class LBFGS:
    """L-BFGS-B on ``fun`` with the package's table, callback and stopping rules.

    Parameters
    ----------
    fun : callable
        ``fun(flat) -> (value, gradient)``, both for the flat parameter vector.
    shape : tuple of int
        Shape of the parameters (``x0`` and the result).
    name : str
        The prefix of verbose lines and warnings, ``[name]``.
    max_iter : int
        Most iterations over all calls of :meth:`run`.
    tol : float
        With ``relative_tol=False``, scipy's ``ftol`` and ``gtol`` (the
        ``tol`` of ``scipy.optimize.minimize``). With ``relative_tol=True``,
        the run stops once the loss falls by at most ``tol`` times itself (or
        times a thousandth of the first loss, once the loss is below that);
        scipy's ``ftol`` is then off, as it is absolute for losses below 1,
        and ``tol`` is its ``gtol``.
    relative_tol : bool, default=False
        Which stopping rule, see ``tol``.
    verbose : int, default=0
        Print the table when positive.
    callback : callable or None, default=None
        ``callback(x, n_iter)`` after each iteration, ``x`` shaped by
        ``to_callback``.
    to_callback : callable or None, default=None
        Maps the flat iterate to what the callback receives; default: the
        iterate reshaped to ``shape``.
    display : callable or None, default=None
        Maps the loss to the table's "Objective Value" (e.g. its negative for
        a maximised objective); default: the loss.
    columns : list of (str, int, callable), default=()
        Extra columns: title, width and a function of no argument giving the
        value after each iteration.
    max_restarts : int, default=0
        Restarts (with a fresh curvature memory) after a line search fails at
        a point that moved: the smoothed hinges of some losses have kinks
        that stop one line search but not the next.
    iteration_offset : int, default=0
        Added to the iteration number in the table and the callback (a later
        pass of a multi-pass learner goes on from the earlier passes' count).
    numpy_solver : bool, default=True
        Run :func:`~sklearn_metric._core.lbfgs.lbfgs_numpy` from
        ``LARGE_PROBLEM`` unknowns on; ``False`` keeps scipy's L-BFGS-B at every
        size (for problems where the numpy solver does not win, see
        ``LARGE_PROBLEM``).

    Attributes
    ----------
    n_iter : int
        Iterations run so far, over all calls of :meth:`run`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric._core.optim import LBFGS
    >>> def fun(x):
    ...     return float(((x - 3) ** 2).sum()), 2 * (x - 3)
    >>> result = LBFGS(fun, (2,), name="demo", max_iter=50, tol=1e-10).run(np.zeros(2))
    >>> np.round(result.x, 6).tolist(), result.exit.converged
    ([3.0, 3.0], True)
    """

    def __init__(
        self,
        fun,
        shape,
        *,
        name,
        max_iter,
        tol,
        relative_tol=False,
        verbose=0,
        callback=None,
        to_callback=None,
        display=None,
        columns=(),
        max_restarts=0,
        iteration_offset=0,
        numpy_solver=True,
    ):
        self.fun = fun
        self.shape = tuple(shape)
        self.name = name
        self.max_iter = max_iter
        self.tol = tol
        self.relative_tol = relative_tol
        self.verbose = verbose
        self.callback = callback
        self.to_callback = to_callback
        self.display = display
        self.columns = list(columns)
        self.max_restarts = max_restarts
        self.iteration_offset = iteration_offset
        self.numpy_solver = numpy_solver
        self.n_iter = 0
        self.first_loss = None
        self.last_loss = None
        self.last_rose = False
        self._previous_loss = None
        self._started = None
        self._last_time = None

    # -- the verbose table ---------------------------------------------------------

    def _header(self):
        titles = [f"{'Iteration':>10}", f"{'Objective Value':>20}"]
        titles += [f"{title:>{width}}" for title, width, _ in self.columns]
        titles.append(f"{'Time(s)':>10}")
        header = " ".join(titles)
        return f"[{self.name}]\n[{self.name}] {header}\n[{self.name}] {'-' * len(header)}"

    def _row(self, now):
        value = self.last_loss if self.display is None else self.display(self.last_loss)
        cells = [f"{self.iteration_offset + self.n_iter:>10}", f"{value:>20.6e}"]
        cells += [f"{get():>{width}}" for _, width, get in self.columns]
        cells.append(f"{now - self._last_time:>10.2f}")
        return f"[{self.name}] " + " ".join(cells)

    def report_training_time(self):
        """Print ``[name] Training took  N.NNs.`` (when verbose)."""
        if self.verbose and self._started is not None:
            took = time.perf_counter() - self._started
            print(f"[{self.name}] Training took {took:8.2f}s.", file=sys.stdout)

    # -- one run -------------------------------------------------------------------

    def _evaluate(self, flat):
        value, gradient = self.fun(flat)
        self.last_loss = float(value)
        if self.first_loss is None:
            self.first_loss = self.last_loss
        return value, gradient

    def _small_decrease(self):
        """The relative rule: whether the loss fell by at most ``tol`` relative to itself.

        (A rise is no sign of convergence: some losses change their terms
        between iterations, e.g. LMNN's impostor candidates.)
        """
        loss, previous = self.last_loss, self._previous_loss
        self.last_rose = previous is not None and loss > previous
        self._previous_loss = loss
        if previous is None:
            return False
        floor = 1e-3 * self.first_loss
        return 0 <= previous - loss <= self.tol * max(abs(loss), floor)

    def _on_iteration(self, xk):
        self.n_iter += 1
        if self.verbose:
            now = time.perf_counter()
            print(self._row(now), file=sys.stdout)
            self._last_time = now
        if self.callback is not None:
            x = xk.reshape(self.shape) if self.to_callback is None else self.to_callback(xk)
            self.callback(x, self.iteration_offset + self.n_iter)
        if self.relative_tol and self._small_decrease():
            self._previous_loss = None
            raise StopIteration

    def _options(self, budget):
        options = {"maxiter": max(1, budget)}
        if self.relative_tol:
            options.update(gtol=self.tol, ftol=0.0)
        else:
            options.update(gtol=self.tol, ftol=self.tol)
        return options

    def run(self, x0, budget=None):
        """Iterate from ``x0`` for at most ``budget`` iterations (default: what is
        left of ``max_iter``), restarting after failed line searches.

        Parameters
        ----------
        x0 : ndarray of shape ``shape``
        budget : int or None, default=None

        Returns
        -------
        result : LBFGSResult
        """
        if self._started is None:
            self._started = time.perf_counter()
            self._last_time = self._started
            if self.verbose:
                print(self._header(), file=sys.stdout)
        left = self.max_iter - self.n_iter
        stop = self.n_iter + (left if budget is None else min(budget, left))
        x = np.asarray(x0, dtype=np.float64).reshape(self.shape)
        for _ in range(self.max_restarts + 1):
            options = self._options(stop - self.n_iter)
            # scipy's own BLAS on one thread: L-BFGS-B's updates are faster so on long
            # vectors, and its idle threads would otherwise take a core from numpy's
            # products in the loss (as after any scipy.linalg call in the loss).
            with scipy_blas_single_threaded():
                if self.numpy_solver and x.size >= LARGE_PROBLEM:  # see LARGE_PROBLEM
                    result = lbfgs_numpy(
                        self._evaluate, x.ravel(), callback=self._on_iteration, **options
                    )
                else:
                    result = minimize(
                        self._evaluate,
                        x.ravel(),
                        method="L-BFGS-B",
                        jac=True,
                        callback=self._on_iteration,
                        options=options,
                    )
            moved = not np.array_equal(result.x, x.ravel())
            x = result.x.reshape(self.shape)
            exit_ = Exit.from_scipy(result.status)
            if exit_ is not Exit.LINE_SEARCH_FAILED or not moved or self.n_iter >= stop:
                break
        stalled = exit_ is Exit.LINE_SEARCH_FAILED and not moved
        return LBFGSResult(x, float(result.fun), exit_, stalled, str(result.message))

    def warn_not_converged(self, what, reason=None):
        """The package's ``ConvergenceWarning`` for a run that used ``max_iter``."""
        warn_not_converged(self.name, what, self.max_iter, reason=reason)


def run_for_components(lbfgs, x0, what, is_complete=None):
    """Run ``lbfgs`` from ``x0`` for a learner's components, with the package's checks.

    A non-finite result raises ``ValueError("{what} produced non-finite components;
    try standardising X.")``; a run that did not converge within ``max_iter``
    warns (:meth:`LBFGS.warn_not_converged`); the training time is reported.

    Parameters
    ----------
    lbfgs : LBFGS
    x0 : ndarray
    what : str
        The algorithm, as the messages name it (e.g. ``"NCA"``).
    is_complete : callable or None, default=None
        For a loss over a candidate set: see :func:`run_until_complete`.

    Returns
    -------
    result : LBFGSResult
    """
    if is_complete is None:
        result = lbfgs.run(x0)
        converged = result.exit is not Exit.MAX_ITER
    else:
        result, converged = run_until_complete(lbfgs, x0, is_complete)
    if not np.all(np.isfinite(result.x)):
        raise ValueError(f"{what} produced non-finite components; try standardising X.")
    if not converged:
        lbfgs.warn_not_converged(what, reason=result.message)
    lbfgs.report_training_time()
    return result


# Consecutive runs without an iteration after which run_until_complete gives up.
_MAX_IDLE_RUNS = 3


def run_until_complete(lbfgs, x0, is_complete):
    """Run L-BFGS until the loss over a changing term set is stationary and complete.

    For losses whose terms are a candidate set checked only partly between
    evaluations (LMNN's impostors): when L-BFGS stops at a stationary point,
    ``is_complete(x)`` checks the candidates in full (and refreshes them); if
    it found a term they missed, the run goes on from there.

    Parameters
    ----------
    lbfgs : LBFGS
    x0 : ndarray
    is_complete : callable
        ``is_complete(x) -> bool``.

    Returns
    -------
    result : LBFGSResult
        The last run's result.
    converged : bool
        Whether it ended stationary with complete candidates.
    """
    x = x0
    idle_runs = 0
    while True:
        before = lbfgs.n_iter
        result = lbfgs.run(x)
        # Runs that make no iteration while the candidates keep changing would loop
        # for ever: after _MAX_IDLE_RUNS of them the run ends, not converged.
        idle_runs = idle_runs + 1 if lbfgs.n_iter == before else 0
        x = result.x
        # A line search that fails without moving x ends at a kink: nothing to gain.
        converged = result.exit.converged or result.stalled
        if converged and lbfgs.last_rose and lbfgs.n_iter > before:
            # The run stopped on a loss that rose with new candidates (L-BFGS-B
            # reads that as no progress): run again on the new set.
            converged = False
        elif converged:
            converged = is_complete(x)
        if converged or lbfgs.n_iter >= lbfgs.max_iter or idle_runs >= _MAX_IDLE_RUNS:
            return result, converged


# -- L-BFGS in numpy, for long parameter vectors -------------------------------------

#: From this many parameters on, :class:`LBFGS` runs :func:`lbfgs_numpy` instead of
#: scipy's L-BFGS-B, whose updates loop single-threaded over its n x m matrices.
#: Whole fits, each solver in its own process, two alternating rounds, fastest of each
#: (benchmarks/bench_lbfgs.py, results_lbfgs.md), time numpy / scipy: LMNN on Yale B
#: (1,048,576 unknowns, 50 iterations) 0.72; multi-metric LMNN on isolet (769,184, 100
#: iterations) 0.79; LSML on Yale B (524,800) 0.87, under the 20% gain that justifies a
#: hand-written solver, so LSML keeps scipy's (``numpy_solver=False``).
LARGE_PROBLEM = 2**18
