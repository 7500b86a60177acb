"""Sparse compositional metric learning: the learner and its basis builders."""

from .scml import SCML, scml_loss

__all__ = ["SCML", "scml_loss"]
