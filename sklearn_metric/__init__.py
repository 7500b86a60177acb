"""sklearn_metric: scikit-learn-compatible Mahalanobis metric learners.

Every learner finds a linear map ``L`` (``components_``) so that the learned
distance is ``d(x, x') = ||L (x - x')||_2``; :class:`KNNClassifier` votes among
nearest neighbours in that distance.

The public names are imported on first use (PEP 562), so importing a shared
layer such as ``sklearn_metric._core.linalg`` loads no learner.
"""

from importlib import import_module as _import_module

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it.
_PUBLIC = {
    "ApproximateNeighborsTransformer": ".neighbors",
    "ContrastiveEmbedding": "._contrastive",
    "EnergyClassifier": ".neighbors",
    "KNNClassifier": ".neighbors",
    "KNNRegressor": ".neighbors",
    "KNNTransformer": ".neighbors",
    "LFDA": "._lfda",
    "ITML": "._itml",
    "LMNN": "._lmnn",
    "LSML": "._lsml",
    "MLKR": "._mlkr",
    "MMC": "._mmc",
    "MultiMetricLMNN": "._lmnn",
    "NCA": "._nca",
    "PairsClassifier": ".tuples",
    "POLA": "._pola",
    "QuadrupletClassifier": ".tuples",
    "TripletClassifier": ".tuples",
    "RCA": "._rca",
    "SCML": "._scml",
    "SDML": "._sdml",
    "MahalanobisTransformer": "._covariance",
}

__all__ = [*sorted(_PUBLIC), "__version__"]


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(_import_module(_PUBLIC[name], __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    # Only the public names: not the lazy-import table nor this module's helpers.
    return sorted(__all__)
