"""What users read teaches: no private imports, no measurement diary.

The README, the documentation pages, the examples and every docstring of the
package are checked for imports of private modules, commit hashes and dates.
Measured figures and their provenance live in the generated benchmark report.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What a user reads and copies from.
_USER_TEXTS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md"]
    + list((ROOT / "docs").glob("*.rst"))
    + list((ROOT / "docs" / "user_guide").glob("*.rst"))
    + list((ROOT / "examples").glob("*.py"))
)
_PRIVATE_IMPORT = re.compile(r"(from|import)\s+sklearn_metric(\.\w+)*\._\w+")
# A commit-like hash: 7 to 12 hex characters holding a letter and a digit.
_HASH = re.compile(r"(?<![\w./-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,12}(?![\w])")
_DATE = re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")


def _docstrings():
    for path in sorted((ROOT / "sklearn_metric").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    name = getattr(node, "name", path.stem)
                    yield f"{path.relative_to(ROOT)}:{name}", doc


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", _USER_TEXTS, ids=_ids(_USER_TEXTS))
def test_no_private_import_in_user_texts(path):
    assert _PRIVATE_IMPORT.findall(path.read_text()) == []


def _public_docstrings():
    import inspect

    import sklearn_metric
    import sklearn_metric.dask
    import sklearn_metric.metrics
    import sklearn_metric.neighbors
    import sklearn_metric.tuples

    modules = [
        sklearn_metric,
        sklearn_metric.dask,
        sklearn_metric.metrics,
        sklearn_metric.neighbors,
        sklearn_metric.tuples,
    ]
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            yield f"{module.__name__}.{name}", inspect.getdoc(obj) or ""
            for member, value in inspect.getmembers(obj):
                if not member.startswith("_") and callable(value):
                    yield f"{module.__name__}.{name}.{member}", inspect.getdoc(value) or ""


def test_public_docstring_examples_import_no_private_module():
    offenders = [where for where, doc in _public_docstrings() if _PRIVATE_IMPORT.search(doc)]
    assert offenders == []


@pytest.mark.parametrize("path", _USER_TEXTS, ids=_ids(_USER_TEXTS))
def test_no_commit_hash_or_date_in_user_texts(path):
    text = path.read_text()
    assert _HASH.findall(text) == []
    assert _DATE.findall(text) == []


def test_no_commit_hash_or_date_in_docstrings():
    offenders = [
        (where, found)
        for where, doc in _docstrings()
        for found in _HASH.findall(doc) + _DATE.findall(doc)
    ]
    assert offenders == []


def test_the_checks_catch_what_they_look_for():
    assert _HASH.findall("refitted at 4578912 and b933f87 today")
    assert not _HASH.findall("a 1234567 point set, 0xdeadbeef, 1e-5")
    assert _DATE.findall("measured 2026-12-03")
    assert _PRIVATE_IMPORT.findall("from sklearn_metric._core.sampling import sample_pairs")
    assert not _PRIVATE_IMPORT.findall("from sklearn_metric.tuples import sample_pairs")
