"""Sphinx configuration of the sklearn_metric documentation.

Build: ``pip install ".[docs]"`` then ``sphinx-build -W -b html docs docs/_build/html``
(``SKLEARN_METRIC_DOCS_FULL=1`` runs the gallery examples on their full data; by
default they run with ``--small``, as CI does).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import sklearn_metric  # noqa: E402

project = "sklearn_metric"
author = "sklearn_metric developers"
copyright = "2026, sklearn_metric developers"
version = release = sklearn_metric.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.doctest",  # -b doctest runs the user guide's ``.. doctest::`` blocks
    "sphinx-mathjax-offline",  # MathJax served from the site itself (no CDN)
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py.md5"]
templates_path = ["_templates"]

# Only explicit ``.. doctest::`` blocks (the user guide's) run under -b doctest; the
# docstrings' examples are run by pytest --doctest-modules.
doctest_test_doctest_blocks = ""

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# What every documented docstring must have (numpydoc's validation codes): GL08 a
# docstring, SS01 a summary, PR01/PR02 every parameter documented and no unknown one.
# See Also, References and Examples on every public class and function, and
# Attributes on every estimator, are checked by ``setup`` below (a warning, so an
# error under -W) and by tests/test_docs.py: numpydoc has no code for References and
# its SA01 would ask for See Also on every method too (methods are shown in their
# class's example).
# Every cross-reference to this package must resolve (-n, so -W fails on a broken one);
# other packages' targets cannot (no intersphinx inventories offline) and are rendered
# as plain names.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|numpy|scipy|dask|faiss|cvxpy|matplotlib|np)\..*"),
]
numpydoc_validation_checks = {"GL08", "SS01", "PR01", "PR02"}
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"\.set_.*_request$",  # scikit-learn's metadata-routing helpers
    r"\.get_metadata_routing$",
    r"\.set_output$",
    r"\.set_params$",
    r"\.get_params$",
    r"\.fit_transform$",
    r"\.get_feature_names_out$",
    r"\.score$",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_metric {version}"
html_theme_options = {"navigation_with_keys": False}

myst_enable_extensions = ["dollarmath"]

sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "reset_argv": "sphinxext.reset_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "plot_gallery": "True",
}


def draw_benchmark_figures(app):
    """The report's figures, drawn from the tracked report into ``generated/`` (untracked)."""
    from benchmarks.run import plot_report

    plot_report(HERE.parent / "benchmarks" / "RESULTS.md", HERE / "generated" / "benchmarks")


def setup(app):
    from sphinxext import check_public_sections

    app.connect("autodoc-process-docstring", check_public_sections)
    app.connect("builder-inited", draw_benchmark_figures)
