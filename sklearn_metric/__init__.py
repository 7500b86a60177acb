"""sklearn_metric: scikit-learn-compatible Mahalanobis metric learners.

Every learner finds a linear map ``L`` (``components_``) so that the learned
distance is ``d(x, x') = ||L (x - x')||_2``; :class:`KNNClassifier` votes among
nearest neighbours in that distance.
"""

from ._covariance import MahalanobisTransformer
from ._lmnn import LMNN
from ._mmc import MMC
from ._nca import NCA
from ._pola import POLA
from ._rca import RCA
from .neighbors import ApproximateNeighborsTransformer, EnergyClassifier, KNNClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "ApproximateNeighborsTransformer",
    "EnergyClassifier",
    "KNNClassifier",
    "LMNN",
    "MMC",
    "NCA",
    "POLA",
    "RCA",
    "MahalanobisTransformer",
    "__version__",
]
