"""Pairs drawn from class labels, for the ``*_Supervised`` pair learners."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array

from .._core.sampling import pairs_from_labels

__all__ = ["labelled_pairs"]


def labelled_pairs(X, y, n_constraints, random_state):
    """``(index_pairs, labels, points)``: ``n_constraints`` pairs of each kind
    (``None``: ``20 * n_classes**2``, metric-learn's default) drawn from ``y``."""
    points = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    y = np.asarray(y)
    check_classification_targets(y)
    if y.shape[0] != points.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: {points.shape[0]} and {y.shape[0]}."
        )
    y_enc = np.unique(y, return_inverse=True)[1]
    index_pairs, labels = pairs_from_labels(y_enc, n_constraints, random_state)
    return index_pairs, labels, points
