"""Xing et al.'s metric for clustering (MMC): the learner and its solvers."""

from .mmc import MMC

__all__ = ["MMC"]
