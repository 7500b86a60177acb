"""The documentation covers the public API (the site itself is built by .ci/run with -W)."""

import inspect
import re
import sys
from pathlib import Path

import pytest

import sklearn_metric
import sklearn_metric.dask
import sklearn_metric.inspection
import sklearn_metric.metrics
import sklearn_metric.neighbors
import sklearn_metric.tuples

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _public_names():
    names = {f"sklearn_metric.{name}" for name in sklearn_metric.__all__ if name != "__version__"}
    names |= {f"sklearn_metric.metrics.{name}" for name in sklearn_metric.metrics.__all__}
    names |= {f"sklearn_metric.dask.{name}" for name in sklearn_metric.dask.__all__}
    names |= {f"sklearn_metric.inspection.{name}" for name in sklearn_metric.inspection.__all__}
    # the subpackages' names not re-exported at the top level
    for module in (sklearn_metric.neighbors, sklearn_metric.tuples):
        names |= {
            f"{module.__name__}.{name}"
            for name in module.__all__
            if name not in sklearn_metric.__all__
        }
    return sorted(names)


def _documented_names():
    """``module.name`` of every autosummary entry of docs/api.rst."""
    documented, module = set(), None
    for line in (DOCS / "api.rst").read_text().splitlines():
        current = re.match(r"\.\. currentmodule:: (\S+)", line)
        if current:
            module = current.group(1)
        entry = re.match(r"   ([A-Za-z_][A-Za-z0-9_]*)$", line)
        if entry and module:
            documented.add(f"{module}.{entry.group(1)}")
    return documented


def test_every_public_name_has_an_api_page():
    assert set(_public_names()) - _documented_names() == set()


def test_the_api_page_lists_only_public_names():
    assert _documented_names() - set(_public_names()) == set()


def _resolve(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr({"sklearn_metric": sklearn_metric}.get(module) or eval(module), name)


@pytest.mark.parametrize("name", _public_names())
def test_every_public_name_has_an_example(name):
    obj = _resolve(name)
    assert "Examples\n" in inspect.getdoc(obj), f"{name} has no Examples section"


@pytest.mark.parametrize("name", _public_names())
def test_every_public_name_has_see_also_references_and_attributes(name):
    """The check the docs build runs on every autodoc'ed class and function."""
    sys.path.insert(0, str(DOCS))
    try:
        from sphinxext import missing_sections
    finally:
        sys.path.remove(str(DOCS))
    assert missing_sections(_resolve(name)) == [], name


def test_the_section_check_catches_a_bare_estimator():
    sys.path.insert(0, str(DOCS))
    try:
        from sphinxext import missing_sections
    finally:
        sys.path.remove(str(DOCS))

    class Bare:
        """A bare estimator.

        Parameters
        ----------
        a : int
            A parameter.
        """

        def fit(self, X, y=None):
            return self

    assert missing_sections(Bare) == ["See Also", "References", "Examples", "Attributes"]


def test_every_guide_page_is_in_the_guide_toctree():
    index = (DOCS / "user_guide" / "index.rst").read_text()
    for page in (DOCS / "user_guide").glob("*.rst"):
        if page.stem != "index":
            assert re.search(rf"^   {page.stem}$", index, re.M), page.stem


def test_every_public_estimator_is_named_in_the_user_guide():
    guide = "\n".join(p.read_text() for p in (DOCS / "user_guide").glob("*.rst"))
    for name in set(sklearn_metric.__all__) - {"__version__"}:
        assert name in guide, f"{name} is not in the user guide"
