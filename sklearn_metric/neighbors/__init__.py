"""Estimators that search neighbours in a learned metric.

- :class:`KNNClassifier` (``_classifier.py``) and :class:`KNNRegressor` (``_regressor.py``),
  sharing ``_learned.py`` (fit, then search) and the search strategies of ``_search.py``;
- :class:`EnergyClassifier` (``_energy.py``), LMNN's energy rule;
- :class:`KNNTransformer` (``_transformer.py``), the exact sparse k-NN graph in a learned metric;
- :class:`ApproximateNeighborsTransformer` (``_graph.py``), a sparse k-NN graph;
- the faiss indexes behind ``algorithm='hnsw'``, ``'ivf'`` and ``'lsh'`` live in
  ``_core/ann.py``, below the learners (LMNN searches impostors with them).
"""

from ._classifier import KNNClassifier
from ._energy import EnergyClassifier
from ._graph import ApproximateNeighborsTransformer
from ._regressor import KNNRegressor
from ._transformer import KNNTransformer

__all__ = [
    "ApproximateNeighborsTransformer",
    "EnergyClassifier",
    "KNNClassifier",
    "KNNRegressor",
    "KNNTransformer",
]
