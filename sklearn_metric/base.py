"""Base classes and input validation for metric learners, for users who write their own.

``MetricLearnerMixin`` gives a learner that sets ``components_`` the shared surface
(``transform``, ``get_mahalanobis_matrix``, ``pair_distance``, ``pair_score``,
``get_metric``, feature names); the validation helpers check labelled data and pairs
as the package's learners do. They live in the shared layers (``_core.base``); this
module is their public address.
"""

from ._core.base import (
    MahalanobisDistance,
    MetricLearnerMixin,
    check_n_components,
    check_pairs,
    validate_labelled_data,
    validate_pairs,
)

__all__ = [
    "MahalanobisDistance",
    "MetricLearnerMixin",
    "check_n_components",
    "check_pairs",
    "validate_labelled_data",
    "validate_pairs",
]
