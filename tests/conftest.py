import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from sklearn.datasets import load_iris, load_wine
from sklearn.preprocessing import StandardScaler

from sklearn_metric import (
    ITML,
    LFDA,
    LMNN,
    LSML,
    MLKR,
    MMC,
    NCA,
    POLA,
    RCA,
    SCML,
    SDML,
    ContrastiveEmbedding,
    MahalanobisTransformer,
    MultiMetricLMNN,
)

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


# -- data shared by the test modules (read-only: copy before changing) ---------------


@pytest.fixture
def set_block_entries():
    """A setter of the entries of the package's blocks (through scikit-learn's
    ``working_memory``, restored afterwards): small values force many blocks."""
    from sklearn import get_config, set_config

    before = get_config()["working_memory"]

    def setter(entries):
        set_config(working_memory=entries * 64 / 2**20)

    yield setter
    set_config(working_memory=before)


@pytest.fixture(scope="session")
def wine():
    """scikit-learn's wine, standardised: (X, y), 178 x 13, 3 classes."""
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def wine5(wine):
    """Half of ``wine``'s samples and its first five features: quick for the SDP solvers."""
    X, y = wine
    return X[::2, :5], y[::2]


@pytest.fixture(scope="session")
def iris():
    """scikit-learn's iris as it comes: (X, y), 150 x 4, 3 classes."""
    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def iris_scaled(iris):
    """``iris``, standardised."""
    X, y = iris
    return StandardScaler().fit_transform(X), y


def make_rings(n, seed, radii=(1.0, 1.2), noise=0.02):
    """Two concentric rings, labels alternating, sparse enough that a point's nearest
    neighbours often lie on the other ring: no global linear metric helps (the
    problem is rotation-invariant), local metrics and kernels do."""
    rng = np.random.RandomState(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    y = np.arange(n) % 2
    r = np.where(y == 0, radii[0], radii[1]) + rng.randn(n) * noise
    return np.c_[r * np.cos(angle), r * np.sin(angle)], y


# -- the learners every cross-cutting test runs on ----------------------------------

# name -> a factory of a fresh learner with deterministic settings. A test that takes
# an argument ``learner_name`` runs once per entry (see pytest_generate_tests), and the
# ``make_learner`` fixture is that entry's factory. A new learner is added here.
LEARNERS = {
    "MahalanobisTransformer": lambda: MahalanobisTransformer(),
    "LMNN": lambda: LMNN(),
    "LMNN-sdp": lambda: LMNN(solver="sdp"),
    "NCA": lambda: NCA(random_state=0),
    "NCA-references": lambda: NCA(n_references=20, random_state=0),
    "RCA": lambda: RCA(random_state=0),
    "MMC": lambda: MMC(random_state=0),
    "MMC-sdp": lambda: MMC(solver="sdp", random_state=0),
    "POLA": lambda: POLA(random_state=0),
    "ITML": lambda: ITML(max_iter=100, random_state=0),
    "SDML": lambda: SDML(random_state=0),
    "LSML": lambda: LSML(random_state=0),
    "SCML": lambda: SCML(max_iter=2000, random_state=0),
    "LFDA": lambda: LFDA(k=5),
    "MLKR": lambda: MLKR(max_iter=20, random_state=0),
    "MultiMetricLMNN": lambda: MultiMetricLMNN(max_iter=20, random_state=0),
    "ContrastiveEmbedding": lambda: ContrastiveEmbedding(max_iter=100, random_state=0),
}


def pytest_generate_tests(metafunc):
    if "learner_name" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("learners")
        names = list(LEARNERS) if only is None else list(only.args)
        metafunc.parametrize("learner_name", names)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "learners(*names): run a learner_name test on these LEARNERS entries only"
    )
    # scikit-learn's mark on some of its own tests that tests/test_*_sklearn_suite.py runs.
    config.addinivalue_line("markers", "thread_unsafe: scikit-learn's mark (no meaning here)")


@pytest.fixture
def make_learner(learner_name):
    """The factory of ``LEARNERS[learner_name]``."""
    return LEARNERS[learner_name]
