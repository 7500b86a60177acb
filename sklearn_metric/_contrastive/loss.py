"""Minibatch losses of :class:`ContrastiveEmbedding` and their exact gradients in the embedding.

Every function takes a batch's embedded points ``Z`` (b, r) and integer labels, mines
the tuples its miner selects, and returns ``(loss, dZ)``: the mean loss over the mined
tuples and its gradient with respect to ``Z``. A batch without a positive pair (or
without a negative) has loss 0 and gradient 0. Distances are Euclidean (not squared).
"""

import numpy as np

from .._core.distances import squared_cross, squared_distances_rows

__all__ = ["LOSSES", "MINERS_OF", "batch_loss", "tuple_loss"]

# Floor of a distance in a gradient (d ||z_i - z_j|| / d z_i is undefined at 0).
_EPS = 1e-12
# Distance-weighted sampling (Wu et al., 2017): distances on the unit sphere are
# clipped below at this cut-off before weighting.
_DW_CUTOFF = 0.5

LOSSES = ("contrastive", "triplet", "cosine")
MINERS_OF = {
    "contrastive": ("all", "hard"),
    "triplet": ("all", "hard", "semihard", "distance_weighted"),
    "cosine": ("all", "hard", "semihard", "distance_weighted"),
}


def _distances(Z):
    """Euclidean distances between the rows of ``Z`` through the Gram matrix (BLAS, no
    ``(B, B, n_components)`` tensor), zero on the diagonal."""
    sq = np.einsum("ij,ij->i", Z, Z)
    D2 = squared_cross(Z, Z, A_norms=sq, B_norms=sq)
    np.fill_diagonal(D2, 0)
    return np.sqrt(D2, out=D2)


def _masks(y):
    same = y[:, None] == y[None, :]
    positive = same & ~np.eye(y.size, dtype=bool)
    return positive, ~same


def _pair_gradient(Z, D, weights):
    """``d sum_ij W_ij D_ij / dZ`` for a weight matrix over pairs (i, j):
    ``sum_j C_ij (z_i - z_j)`` with ``C = W / D`` symmetrised, as two BLAS products."""
    coef = weights / np.maximum(D, _EPS)
    coef = coef + coef.T
    return coef.sum(axis=1)[:, None] * Z - coef @ Z


def _contrastive(Z, y, margin, miner, rng):
    """Pull similar pairs together, push dissimilar ones beyond ``margin``.

    ``"all"``: every pair; ``"hard"``: only the pairs with a non-zero loss.
    """
    D = _distances(Z)
    positive, negative = _masks(y)
    neg_loss = np.maximum(margin - D, 0) * negative
    pos_loss = D * positive
    if miner == "hard":
        count = np.count_nonzero(positive & (D > 0)) + np.count_nonzero(neg_loss > 0)
    else:
        count = np.count_nonzero(positive) + np.count_nonzero(negative)
    if count == 0 or not positive.any():
        return 0.0, np.zeros_like(Z)
    loss = (pos_loss.sum() + neg_loss.sum()) / count
    weights = (positive * 1.0 - (neg_loss > 0)) / count
    return loss, _pair_gradient(Z, D, weights)


def _mine_triplets(D, positive, negative, margin, miner, rng, dim):
    """Anchor, positive, negative index arrays of the mined triplets."""
    anchors, positives = np.nonzero(positive)
    if miner == "hard":  # batch-hard: hardest positive and hardest negative per anchor
        rows = np.flatnonzero(positive.any(axis=1) & negative.any(axis=1))
        far_pos = np.where(positive[rows], D[rows], -np.inf).argmax(axis=1)
        near_neg = np.where(negative[rows], D[rows], np.inf).argmin(axis=1)
        return rows, far_pos, near_neg
    d_ap = D[anchors, positives]
    candidates = negative[anchors]  # (n_pairs, b)
    if miner == "all":
        a, n = np.nonzero(candidates)
        return anchors[a], positives[a], n
    if miner == "semihard":  # d_ap < d_an < d_ap + margin; the nearest such negative
        d_an = D[anchors]
        ok = candidates & (d_an > d_ap[:, None]) & (d_an < d_ap[:, None] + margin)
        keep = ok.any(axis=1)
        chosen = np.where(ok, d_an, np.inf).argmin(axis=1)
        return anchors[keep], positives[keep], chosen[keep]
    # distance_weighted: one negative per pair, drawn with probability proportional to
    # the inverse density of distances between random points of the unit sphere.
    d = np.clip(D[anchors], _DW_CUTOFF, 1.99)
    log_w = -(dim - 2) * np.log(d) - (dim - 3) / 2 * np.log(np.maximum(1 - d**2 / 4, _EPS))
    log_w = np.where(candidates, log_w, -np.inf)
    keep = candidates.any(axis=1)
    log_w = log_w[keep] - log_w[keep].max(axis=1, keepdims=True)
    p = np.exp(log_w)
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random_sample(p.shape[0])[:, None]
    chosen = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)
    return anchors[keep], positives[keep], chosen


def _triplet(Z, y, margin, miner, rng, normalized_dim=None):
    """``max(d(a, p) - d(a, n) + margin, 0)`` averaged over the mined triplets."""
    D = _distances(Z)
    positive, negative = _masks(y)
    if not positive.any() or not negative.any():
        return 0.0, np.zeros_like(Z)
    dim = normalized_dim or Z.shape[1]
    a, p, n = _mine_triplets(D, positive, negative, margin, miner, rng, dim)
    if a.size == 0:
        return 0.0, np.zeros_like(Z)
    hinge = D[a, p] - D[a, n] + margin
    active = hinge > 0
    loss = hinge[active].sum() / a.size
    weights = np.zeros_like(D)
    np.add.at(weights, (a[active], p[active]), 1.0 / a.size)
    np.add.at(weights, (a[active], n[active]), -1.0 / a.size)
    return loss, _pair_gradient(Z, D, weights)


def _cosine(Z, y, margin, miner, rng):
    """The triplet loss on the unit sphere: embeddings normalised first."""
    norms = np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), _EPS)
    U = Z / norms
    loss, dU = _triplet(U, y, margin, miner, rng, normalized_dim=Z.shape[1])
    # d(z / |z|) / dz = (I - u u^T) / |z|
    dZ = (dU - U * np.einsum("ij,ij->i", dU, U)[:, None]) / norms
    return loss, dZ


_LOSS_FUNCTIONS = {"contrastive": _contrastive, "triplet": _triplet, "cosine": _cosine}


def batch_loss(Z, y, loss, margin, miner, rng):
    """Mean loss of the mined tuples of a batch and its gradient in ``Z``.

    Parameters
    ----------
    Z : ndarray of shape (batch, n_components)
    y : ndarray of shape (batch,)
        Integer labels.
    loss : {"contrastive", "triplet", "cosine"}
    margin : float
    miner : str
        One of ``MINERS_OF[loss]``.
    rng : RandomState
        For ``"distance_weighted"``.

    Returns
    -------
    loss : float
    dZ : ndarray of shape (batch, n_components)
    """
    return _LOSS_FUNCTIONS[loss](Z, y, margin, miner, rng)


def _normalised(Z):
    norms = np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), _EPS)
    return Z / norms, norms


def _sparse_pair_gradient(Z, rows, cols, weights):
    """``d sum_p w_p ||z_rows[p] - z_cols[p]|| / dZ`` for explicit pairs."""
    diff = Z[rows] - Z[cols]
    d = np.sqrt((diff**2).sum(axis=1))
    g = (weights / np.maximum(d, _EPS))[:, None] * diff
    dZ = np.zeros_like(Z)
    np.add.at(dZ, rows, g)
    np.add.at(dZ, cols, -g)
    return dZ


def tuple_loss(Z, tuples, margin, *, signs=None, sphere=False):
    """Mean loss of given tuples of the rows of ``Z`` and its gradient in ``Z``.

    Pairs (``tuples`` of shape (n, 2), ``signs`` +1 similar / -1 dissimilar): the
    contrastive loss, ``d`` for a similar pair and ``max(margin - d, 0)`` for a
    dissimilar one. Triplets (shape (n, 3), anchor, positive, negative): the triplet
    loss ``max(d(a, p) - d(a, n) + margin, 0)``. With ``sphere`` the rows of ``Z``
    are normalised first (the cosine variants).

    Returns
    -------
    loss : float
    dZ : ndarray of the shape of ``Z``
    """
    if sphere:
        U, norms = _normalised(Z)
        loss, dU = tuple_loss(U, tuples, margin, signs=signs)
        return loss, (dU - U * np.einsum("ij,ij->i", dU, U)[:, None]) / norms
    n = tuples.shape[0]

    def dist(a, b):
        return np.sqrt(squared_distances_rows(Z, a, b))

    if tuples.shape[1] == 2:
        a, b = tuples[:, 0], tuples[:, 1]
        d = dist(a, b)
        push = np.maximum(margin - d, 0)
        loss = np.where(signs > 0, d, push).sum() / n
        weights = np.where(signs > 0, 1.0, -1.0 * (push > 0)) / n
        return loss, _sparse_pair_gradient(Z, a, b, weights)
    a, p, q = tuples[:, 0], tuples[:, 1], tuples[:, 2]
    hinge = dist(a, p) - dist(a, q) + margin
    active = hinge > 0
    loss = hinge[active].sum() / n
    rows = np.concatenate([a[active], a[active]])
    cols = np.concatenate([p[active], q[active]])
    weights = np.concatenate([np.ones(active.sum()), -np.ones(active.sum())]) / n
    return loss, _sparse_pair_gradient(Z, rows, cols, weights)
