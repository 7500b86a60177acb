"""Helpers the documentation's configuration refers to by name (picklable)."""

import os


def reset_argv(gallery_conf, script_vars):
    """Arguments of each gallery example: ``--small`` unless SKLEARN_METRIC_DOCS_FULL=1,
    and the figure file to a null device (the gallery keeps the open figure)."""
    small = [] if os.environ.get("SKLEARN_METRIC_DOCS_FULL") == "1" else ["--small"]
    return small + ["--out", os.devnull]
