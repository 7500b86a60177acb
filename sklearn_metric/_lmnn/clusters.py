"""The k-means clusters that carry multi-metric LMNN's metrics: their means, and small
clusters merged into their nearest neighbour."""

import numpy as np

__all__ = ["cluster_means", "merge_small_clusters"]


def cluster_means(X, assign, n_metrics):
    """The mean of each cluster's points (zero for an empty cluster)."""
    sums = np.zeros((n_metrics, X.shape[1]))
    np.add.at(sums, assign, X)
    return sums / np.maximum(np.bincount(assign, minlength=n_metrics), 1)[:, None]


def merge_small_clusters(X, assign, min_size):
    """Merge clusters smaller than ``min_size``, smallest first, into the cluster with the
    nearest centre, until none is small (or one is left); return the renumbered
    assignment and how many clusters were merged away. (A loop over clusters.)"""
    assign = assign.copy()
    merged = 0
    while True:
        labels, counts = np.unique(assign, return_counts=True)
        if labels.size < 2 or counts.min() >= min_size:
            break
        smallest = labels[np.argmin(counts)]
        centres = np.array([X[assign == label].mean(axis=0) for label in labels])
        distances = ((centres - X[assign == smallest].mean(axis=0)) ** 2).sum(axis=1)
        distances[labels == smallest] = np.inf
        assign[assign == smallest] = labels[np.argmin(distances)]
        merged += 1
    return np.unique(assign, return_inverse=True)[1], merged
