"""Estimators that search neighbours in a learned metric.

- :class:`KNNClassifier` (``_classifier.py``, its search strategies in ``_search.py``);
- :class:`EnergyClassifier` (``_energy.py``), LMNN's energy rule;
- :class:`ApproximateNeighborsTransformer` (``_graph.py``), a sparse k-NN graph;
- ``_ann.py``: the faiss indexes behind ``algorithm='hnsw'`` and ``'ivf'``.
"""

from ._classifier import KNNClassifier
from ._energy import EnergyClassifier
from ._graph import ApproximateNeighborsTransformer

__all__ = ["ApproximateNeighborsTransformer", "EnergyClassifier", "KNNClassifier"]
