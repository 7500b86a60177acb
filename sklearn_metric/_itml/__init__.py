"""Information-theoretic metric learning: the learner and its Bregman projections."""

from .itml import ITML

__all__ = ["ITML"]
