"""Contrastive and triplet embeddings: the learner and its minibatch losses and miners."""

from .contrastive import ContrastiveEmbedding

__all__ = ["ContrastiveEmbedding"]
