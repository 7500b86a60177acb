"""The package's layers, as ARCHITECTURE.md draws them, hold in its imports.

- A module imports only from its own layer and the layers below it.
- scikit-learn's private API (a module or name that starts with an underscore, and
  the private methods and attributes listed below) is used only in ``_core/compat.py``.
- No underscore name is imported from another module of the package: what a module
  offers the others is its public (declared) interface.

The checks read the source (``ast``); nothing is imported.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_metric"

# From the bottom up; a module's layer is the first whose prefix its dotted name
# (relative to the package) starts with.
LAYERS = [
    ("bottom", ["_core.compat", "_core.warn", "_core.kernels"]),
    (
        "numerics",
        [
            "_core.linalg",
            "_core.distances",
            "_core.products",
            "_core.sdp",
            "_core.lbfgs",
            "_core.optim",
            "_core.sampling",
            "_core.ann",
        ],
    ),
    ("structure", ["_core.tuples", "_core.span", "_core.constraints", "_core.base"]),
    ("set-up", ["_core.init", "_core$", "base"]),
    (
        "learners",
        [
            "_covariance",
            "_nca",
            "_rca",
            "_pola",
            "_sdml",
            "_lsml",
            "_scml",
            "_lfda",
            "_mlkr",
            "_lmnn",
            "_contrastive",
            "_mmc",
            "_itml",
        ],
    ),
    ("meta-estimators", ["neighbors", "tuples", "dask", "metrics", "_ranking", "inspection"]),
    ("compatibility", ["metric_learn"]),
    ("command line", ["__main__", "__init__"]),
]
# Private scikit-learn methods and attributes that only the compatibility layer may touch.
SKLEARN_PRIVATE_ATTRIBUTES = {"_validate_params", "_fit_method"}


def _dotted(path):
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _layer(dotted):
    for rank, (_, prefixes) in enumerate(LAYERS):
        # "name$" is that module alone (a package's __init__), not what is below it
        if any(
            dotted == p[:-1] if p.endswith("$") else dotted == p or dotted.startswith(p + ".")
            for p in prefixes
        ):
            return rank
    raise AssertionError(f"{dotted} is in no layer: add it to LAYERS and ARCHITECTURE.md")


MODULES = sorted(PACKAGE.rglob("*.py"))


def _package_of(path):
    if path == PACKAGE / "__init__.py":
        return ""
    dotted = _dotted(path)
    return dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]


def _imports(path):
    """``(line, imported module relative to the package, names)`` of every import
    of the package's own modules in ``path``."""
    tree = ast.parse(path.read_text())
    package = _package_of(path).split(".") if _package_of(path) else []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "sklearn_metric":
                target = node.module.partition(".")[2]
            else:
                continue
            names = [alias.name for alias in node.names]
            if not node.module or node.module.split(".")[-1] == "":
                found.extend((node.lineno, f"{target}.{n}".strip("."), []) for n in names)
            else:
                found.append((node.lineno, target, names))
    return found


def _is_module(dotted):
    where = PACKAGE.joinpath(*dotted.split("."))
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _dotted(p) or "__init__")
def test_imports_go_down_the_layers(path):
    me = _dotted(path) or "__init__"
    upward = []
    for line, target, names in _imports(path):
        targets = [f"{target}.{n}" for n in names if _is_module(f"{target}.{n}")] or [target]
        for module in targets:
            if module and _layer(module) > _layer(me):
                upward.append(f"line {line}: {me} ({LAYERS[_layer(me)][0]}) imports {module}")
    assert upward == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _dotted(p) or "__init__")
def test_no_private_name_crosses_modules(path):
    crossing = []
    for line, target, names in _imports(path):
        for name in names:
            if name.startswith("_") and not _is_module(f"{target}.{name}"):
                crossing.append(f"line {line}: {name} from {target}")
    assert crossing == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _dotted(p) or "__init__")
def test_scikit_learn_privates_only_through_compat(path):
    if _dotted(path) == "_core.compat":
        return
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sklearn":
            private = [p for p in node.module.split(".") if p.startswith("_")]
            private += [a.name for a in node.names if a.name.startswith("_")]
            if private:
                found.append(f"line {node.lineno}: from {node.module} import {private}")
        elif isinstance(node, ast.Attribute) and node.attr in SKLEARN_PRIVATE_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
    assert found == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _dotted(p) or "__init__")
def test_no_module_is_over_500_lines(path):
    # A file that grows past this holds two jobs: give the second a module of its own.
    assert len(path.read_text().splitlines()) <= 500


def test_every_module_has_a_layer():
    for path in MODULES:
        _layer(_dotted(path) or "__init__")


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    # A learner that imports a meta-estimator's module is caught.
    fake = PACKAGE / "_nca.py"
    source = fake.read_text() + "\nfrom .neighbors import _search  # injected\n"
    monkeypatch.setattr(Path, "read_text", lambda self: source if self == fake else _READ(self))
    with pytest.raises(AssertionError, match=r"_nca \(learners\) imports neighbors._search"):
        test_imports_go_down_the_layers(fake)


_READ = Path.read_text
