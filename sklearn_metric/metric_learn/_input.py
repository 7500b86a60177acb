"""metric-learn's ``preprocessor``: the points behind indices or keys.

A ``preprocessor`` is ``None`` (the input holds points), an array (the input holds
row indices into it) or a callable (the input holds keys, such as file names,
and ``preprocessor(keys)`` returns their points). Tuples become integer index
tuples into a table holding each distinct key's point once, which the package's
tuple methods take with that table as their ``preprocessor``.
"""

import numpy as np
from sklearn.utils.validation import check_array

from .exceptions import PreprocessorError

__all__ = ["resolve_points", "resolve_tuples"]


def _lookup(preprocessor, keys):
    """The points of ``keys`` (1-D) through ``preprocessor``."""
    if callable(preprocessor):
        try:
            points = np.asarray(preprocessor(keys))
        except Exception as error:
            raise PreprocessorError(error) from error
        if points.ndim != 2 or points.shape[0] != keys.shape[0]:
            raise PreprocessorError(
                ValueError(
                    f"the preprocessor returned shape {points.shape} for {keys.shape[0]} keys; "
                    "it must return one row of features per key"
                )
            )
        return points
    table = check_array(preprocessor, dtype=[np.float64, np.float32], input_name="preprocessor")
    if not np.issubdtype(keys.dtype, np.integer):
        raise PreprocessorError(
            TypeError(f"an array preprocessor takes integer indices; got dtype {keys.dtype}")
        )
    if keys.size and (keys.min() < 0 or keys.max() >= table.shape[0]):
        raise PreprocessorError(
            IndexError(
                f"indices must be in [0, {table.shape[0]}); got {keys.min()} to {keys.max()}"
            )
        )
    return table[keys]


def resolve_points(X, preprocessor):
    """``X`` as points: itself when it holds points (2-D), else the points of its keys."""
    if preprocessor is None:
        return X
    array = np.asarray(X)
    if array.ndim == 2 and array.dtype != object and not callable(preprocessor):
        return X
    if array.ndim != 1:
        return X
    return _lookup(preprocessor, array)


def resolve_tuples(tuples, size, preprocessor):
    """``(tuples, table)``: point tuples as given (``table`` None), or keys turned into
    integer indices into ``table``, the points of the distinct keys."""
    if preprocessor is None:
        return tuples, None
    array = np.asarray(tuples)
    if array.ndim != 2 or array.shape[1] != size:
        return tuples, None  # points, or a shape the tuple checks reject by name
    keys, inverse = np.unique(array, return_inverse=True)
    return inverse.reshape(array.shape), _lookup(preprocessor, keys)
