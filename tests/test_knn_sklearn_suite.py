"""scikit-learn's own k-NN tests, run against :class:`KNNClassifier` and :class:`KNNRegressor`.

The installed ``sklearn/neighbors/tests/test_neighbors.py`` is executed as a fresh
module while ``sklearn.neighbors.KNeighborsClassifier`` and
``KNeighborsRegressor`` are ours (under scikit-learn's class names, through
subclasses that only rename, because some tests compare class names in messages),
so both its import-time parameter lists and its calls build our estimators.
Every test whose source names one of the two classes is collected; nothing is
copied. Excluded, each with its reason:
"""

import importlib.util
import inspect
import types

import numpy as np
import pytest
import sklearn.neighbors
import sklearn.neighbors.tests.test_neighbors as _installed

from sklearn_metric import KNNClassifier, KNNRegressor

EXCLUDED = {}
__doc__ += "".join(f"\n- ``{name}``: {why}." for name, why in EXCLUDED.items()) or "\n(none)"


class KNeighborsClassifier(KNNClassifier):
    """:class:`sklearn_metric.KNNClassifier` under scikit-learn's class name."""


class KNeighborsRegressor(KNNRegressor):
    """:class:`sklearn_metric.KNNRegressor` under scikit-learn's class name."""


OURS = {"KNeighborsClassifier": KNeighborsClassifier, "KNeighborsRegressor": KNeighborsRegressor}


# scikit-learn's own conftest fixtures that the suite uses, with scikit-learn's defaults
# (float32 runs only when SKLEARN_RUN_FLOAT32_TESTS=1; the default global seed is 42).
@pytest.fixture
def global_dtype():
    return np.float64


@pytest.fixture
def global_random_seed():
    return 42


def _load_upstream():
    proxy = types.ModuleType("sklearn.neighbors")
    proxy.__dict__.update(vars(sklearn.neighbors))
    proxy.__dict__.update(OURS)
    spec = importlib.util.spec_from_file_location("_sklearn_test_neighbors", _installed.__file__)
    module = importlib.util.module_from_spec(spec)
    saved = {name: getattr(sklearn.neighbors, name) for name in OURS}
    try:
        for name, cls in OURS.items():
            setattr(sklearn.neighbors, name, cls)
        spec.loader.exec_module(module)
    finally:
        for name, cls in saved.items():
            setattr(sklearn.neighbors, name, cls)
    module.neighbors = proxy  # calls made at test time see ours too
    return module


def _names_ours(test):
    source = inspect.getsource(inspect.unwrap(test))
    return any(name in source for name in OURS)


_upstream = _load_upstream()
COLLECTED = []
for _name in dir(_upstream):
    _test = getattr(_upstream, _name)
    if not _name.startswith("test_") or not callable(_test) or not _names_ours(_test):
        continue
    if _name in EXCLUDED:
        _test = pytest.mark.skip(reason=EXCLUDED[_name])(_test)
    COLLECTED.append(_name)
    globals()[_name] = _test


def test_the_suite_is_scikit_learns_and_runs_against_ours():
    assert _upstream.neighbors.KNeighborsRegressor is KNeighborsRegressor
    assert _upstream.KNeighborsRegressor is KNeighborsRegressor
    assert sklearn.neighbors.KNeighborsRegressor is not KNeighborsRegressor  # restored
    for cls in OURS.values():
        # Only the name and what Python's ABCs and scikit-learn's metadata routing
        # set on any subclass: no method of ours is replaced.
        own = {
            name
            for name in vars(cls)
            if not (name.startswith("__") or name.startswith("_abc") or name.endswith("_request"))
        }
        assert own == set()
    assert len(COLLECTED) >= 30
    assert {"test_kneighbors_regressor", "test_neighbors_regressors_zero_distance"} <= set(
        COLLECTED
    )
