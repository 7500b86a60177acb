"""Look at a learned metric: scikit-learn-style displays and feature relevance.

Each display follows scikit-learn's convention (``RocCurveDisplay``):
``Display.from_estimator(fitted, ...)`` (or ``from_predictions`` /
``from_embedding``) computes what to draw and calls ``.plot(ax=...)``, which
returns the display with ``ax_``, ``figure_`` and its artists. Drawing needs
matplotlib (``pip install 'sklearn_metric[plot]'``); :func:`feature_relevance`
does not.

- :class:`EmbeddingDisplay`: the points in the learned space (two dimensions),
  beside the input space;
- :class:`MetricDisplay`: the Mahalanobis matrix as a heatmap, the features'
  relevance as bars;
- :class:`PairDistanceDisplay`: learned distances of similar and dissimilar
  pairs, and a threshold's rates;
- :class:`RetrievalCurveDisplay`: precision@k or recall@k against k, per space;
- :class:`NeighborsDisplay`: queries' nearest training points before and after.
"""

from ._embedding import EmbeddingDisplay
from ._metric import MetricDisplay
from ._neighbors import NeighborsDisplay
from ._pairs import PairDistanceDisplay
from ._relevance import feature_relevance
from ._retrieval import RetrievalCurveDisplay

__all__ = [
    "EmbeddingDisplay",
    "MetricDisplay",
    "NeighborsDisplay",
    "PairDistanceDisplay",
    "RetrievalCurveDisplay",
    "feature_relevance",
]
