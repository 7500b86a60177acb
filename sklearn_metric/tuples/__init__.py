"""Learning and model selection on tuples: pairs, triplets, quadruplets.

- :class:`PairsClassifier`: same/different verification with a calibrated
  threshold (:func:`calibrate_threshold`: accuracy, F-beta, TPR at a TNR, TNR at
  a TPR, equal error rate) and calibrated probabilities;
- :class:`TripletClassifier`, :class:`QuadrupletClassifier`: whether a tuple's
  order holds in the learned metric.

Their ``X`` is the tuple array, so ``cross_val_score`` and ``GridSearchCV``
split tuples, not points.
"""

from ._calibration import calibrate_threshold
from ._classifiers import PairsClassifier, QuadrupletClassifier, TripletClassifier

__all__ = ["PairsClassifier", "QuadrupletClassifier", "TripletClassifier", "calibrate_threshold"]
