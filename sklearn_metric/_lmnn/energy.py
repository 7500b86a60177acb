"""LMNN's energy-based decision rule, shared by ``EnergyClassifier`` (one metric) and
``MultiMetricLMNN`` (a metric per class or cluster)."""

import numpy as np

__all__ = ["block_energy"]


def block_energy(D, impostor_distances, y, margins, mu, k, n_classes):
    """LMNN's energy of a block of queries under each class label.

    Parameters
    ----------
    D : ndarray of shape (n_queries, n_train)
        Squared distances from each query to each training point (for the
        query's own target neighbours and impostors).
    impostor_distances : callable
        ``impostor_distances(c)``: squared distances from each training point
        to each query labelled ``c`` (for the query as an impostor of training
        pairs); the same array for every ``c`` when one metric is used. The
        term is computed once per distinct array.
    y : ndarray of shape (n_train,)
        Integer labels of the training points.
    margins : ndarray of shape (n_train, k_targets)
        ``1 + D(x_i, x_j)`` of each training point's target pairs, ``-inf`` padded.
    mu : float
    k : int
        Target neighbours of the query.
    n_classes : int

    Returns
    -------
    energy : ndarray of shape (n_queries, n_classes)
    """
    onehot = np.zeros((y.shape[0], n_classes))
    onehot[np.arange(y.shape[0]), y] = 1
    out = np.empty((D.shape[0], n_classes))
    seen = {}
    for c in range(n_classes):
        D_imp = impostor_distances(c)
        if id(D_imp) not in seen:
            # The query as an impostor of training pairs (i, j), summed per class of i.
            as_impostor = np.zeros_like(D_imp)
            for j in range(margins.shape[1]):
                as_impostor += np.maximum(margins[None, :, j] - D_imp, 0)
            seen[id(D_imp)] = (D_imp, as_impostor @ onehot)
        by_class = seen[id(D_imp)][1]
        own = y == c
        D_own, D_other = D[:, own], D[:, ~own]
        k_c = min(k, D_own.shape[1])
        nearest = np.partition(D_own, k_c - 1, axis=1)[:, :k_c]
        pull = nearest.sum(axis=1)
        push = np.zeros(D.shape[0])
        for j in range(k_c):
            push += np.maximum(1 + nearest[:, j, None] - D_other, 0).sum(axis=1)
        impostor = by_class.sum(axis=1) - by_class[:, c]
        out[:, c] = (1 - mu) * pull + mu * (push + impostor)
    return out
