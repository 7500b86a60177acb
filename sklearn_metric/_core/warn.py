"""Warnings that name the user's line.

A fixed ``stacklevel`` points at the right frame only from one call path: the same
warning raised through ``fit``, ``fit_pairs``, scikit-learn's ``_fit_context``
wrapper or an optimiser's callback sits at a different depth each time. :func:`warn`
walks the stack instead and attributes the warning to the first frame outside the
libraries that run the fit (this package, scikit-learn, scipy, numpy, joblib and
cvxpy): the user's own call, even when it went through a ``Pipeline`` or
``cross_val_score``.
"""

import os
import sys
import warnings

__all__ = ["warn"]


def _library_dirs():
    # this package: the folder above _core/
    dirs = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    for name in ("sklearn", "scipy", "numpy", "joblib", "cvxpy"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(os.path.dirname(os.path.abspath(module.__file__)))
    return tuple(d + os.sep for d in dirs)


def warn(message, category=UserWarning):
    """Issue ``warnings.warn(message, category)`` at the user's line.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type, default=UserWarning
        A subclass of ``Warning``.
    """
    inside = _library_dirs()
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(inside):
        frame, level = frame.f_back, level + 1
    if frame is None:  # called from the libraries themselves: their outermost frame
        level -= 1
    warnings.warn(message, category, stacklevel=level)
