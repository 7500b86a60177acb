"""Learning and model selection on tuples: pairs, triplets, quadruplets.

- :class:`PairsClassifier`: same/different verification with a calibrated
  threshold (:func:`calibrate_threshold`: accuracy, F-beta, TPR at a TNR, TNR at
  a TPR, equal error rate) and calibrated probabilities;
- :class:`TripletClassifier`, :class:`QuadrupletClassifier`: whether a tuple's
  order holds in the learned metric;
- :func:`sample_pairs`, :func:`sample_triplets`, :func:`sample_quadruplets`: index
  tuples drawn from class labels, optionally within groups (so that
  ``GroupKFold`` keeps identities apart).

Their ``X`` is the tuple array, so ``cross_val_score`` and ``GridSearchCV``
split tuples, not points.
"""

from ._calibration import calibrate_threshold
from ._classifiers import PairsClassifier
from ._order import QuadrupletClassifier, TripletClassifier
from ._sampling import sample_pairs, sample_quadruplets, sample_triplets

__all__ = [
    "PairsClassifier",
    "QuadrupletClassifier",
    "TripletClassifier",
    "calibrate_threshold",
    "sample_pairs",
    "sample_quadruplets",
    "sample_triplets",
]
