import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=25, deadline=None)
# CI draws a fixed sequence of examples (derandomize): a run is reproducible and
# cannot fail on an example that no earlier run has seen; the default profile
# explores new examples on every run.
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("SKLEARN_METRIC_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def fake_solver_status(monkeypatch):
    """``fake_solver_status(status)``: every cvxpy solve really runs, then reports ``status``."""

    def apply(status):
        import cvxpy

        real_solve = cvxpy.Problem.solve

        def fake_solve(self, *args, **kwargs):
            result = real_solve(self, *args, **kwargs)
            self._status = status
            return result

        monkeypatch.setattr(cvxpy.Problem, "solve", fake_solve)

    return apply
