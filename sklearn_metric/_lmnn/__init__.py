"""Large margin nearest neighbour: the learner, its loss, impostor search and solvers
(L-BFGS in ``L``, the SDP in ``M``, triplets), and the multi-metric learner."""

from .lmnn import LMNN
from .multi import MultiMetricLMNN

__all__ = ["LMNN", "MultiMetricLMNN"]
