"""Helpers the documentation's configuration refers to by name (picklable)."""

import os


def reset_argv(gallery_conf, script_vars):
    """Arguments of each gallery example: ``--small`` unless SKLEARN_METRIC_DOCS_FULL=1,
    and the figure file to a null device (the gallery keeps the open figure)."""
    small = [] if os.environ.get("SKLEARN_METRIC_DOCS_FULL") == "1" else ["--small"]
    return small + ["--out", os.devnull]


def missing_sections(obj):
    """The numpydoc sections a public class or function lacks.

    Every public name needs See Also, References and Examples; an estimator (a class
    with ``fit``) also needs Attributes. numpydoc's own validation codes cover the rest
    (``numpydoc_validation_checks`` in conf.py); it has no code for References and its
    SA01 would also require See Also on every method.
    """
    import inspect

    from numpydoc.docscrape import ClassDoc, FunctionDoc

    is_class = inspect.isclass(obj)
    doc = ClassDoc(obj, config={"show_class_members": False}) if is_class else FunctionDoc(obj)
    wanted = ["See Also", "References", "Examples"]
    if is_class and hasattr(obj, "fit"):
        wanted.append("Attributes")
    return [section for section in wanted if not doc[section]]


def check_public_sections(app, what, name, obj, options, lines):
    """autodoc hook: warn (an error under ``-W``) when a public name lacks a section."""
    if what not in ("class", "function") or name.rpartition(".")[2].startswith("_"):
        return
    missing = missing_sections(obj)
    if missing:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "%s: missing numpydoc section(s): %s", name, ", ".join(missing)
        )
