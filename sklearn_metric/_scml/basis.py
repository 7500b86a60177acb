"""The basis of SCML: unit directions whose weighted sum of squares is the metric.

Two builders: ``triplet_diffs_basis`` from the triplets' differences and
``lda_basis`` from local discriminant analyses of labelled points.
"""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils.extmath import svd_flip

__all__ = ["lda_basis", "signed_rows", "triplet_diffs_basis"]

# "triplet_diffs" keeps the directions whose eigenvalue is above this fraction of the
# largest: weaker ones separate nothing (and the cut is the same in any coordinates).
_MIN_EIGENVALUE = 1e-8
# basis="lda": the points of each class in a neighbourhood (its nearest to the centre).
_LDA_POINTS_PER_CLASS = 5


def signed_rows(basis):
    """Each row with its entry of largest magnitude positive (``b b^T`` does not
    depend on the sign)."""
    return svd_flip(None, basis, u_based_decision=False)[1]


def _normalised_rows(A):
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    keep = norms[:, 0] > 0
    return A[keep] / norms[keep]


def triplet_diffs_basis(anchor_minus_pos, anchor_minus_neg, n_basis, group_size, random_state):
    """Unit directions along which triplets' negatives lie farther than their positives.

    The triplets are split at random into groups of ``group_size``; each group
    contributes the eigenvectors of positive eigenvalue of
    ``sum (a - n)(a - n)^T - sum (a - p)(a - p)^T`` over its triplets: the
    directions that separate its negative pairs more than its positive pairs.
    Groups are taken until ``n_basis`` directions are found (fewer when the
    triplets run out).
    """
    rng = check_random_state(random_state)
    n_triplets = anchor_minus_pos.shape[0]
    order = rng.permutation(n_triplets)
    directions, found = [], 0
    for start in range(0, n_triplets, group_size):
        group = order[start : start + group_size]
        near, far = anchor_minus_pos[group], anchor_minus_neg[group]
        values, vectors = np.linalg.eigh(far.T @ far - near.T @ near)
        keep = values > _MIN_EIGENVALUE * np.abs(values).max()
        # Largest first: when n_basis cuts a group, its most discriminative directions stay.
        directions.append(vectors[:, keep][:, ::-1].T)
        found += np.count_nonzero(keep)
        if found >= n_basis:
            break
    basis = np.vstack(directions)[:n_basis]
    if basis.shape[0] == 0:
        raise ValueError(
            "basis='triplet_diffs' found no direction along which the negatives lie "
            "farther from the anchors than the positives; check the triplets' order "
            "(anchor, positive, negative) or give a basis array."
        )
    return signed_rows(basis)


def lda_basis(X, y, n_basis, random_state):
    """Unit discriminant directions of local neighbourhoods that hold every class.

    The neighbourhoods are built around the centres of a k-means clustering of ``X``
    (``ceil(n_basis / (n_classes - 1))`` centres, at most one per point): each holds
    the ``_LDA_POINTS_PER_CLASS`` points of every class nearest to its centre (all
    the points of a smaller class), so it holds every class by construction, however
    far apart the classes lie. Each gives the ``n_classes - 1`` directions of a linear
    discriminant analysis of its points (fewer when its points span fewer); the
    caller warns when they add up to fewer than ``n_basis``.
    """
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError("basis='lda' needs two classes or more; y holds one.")
    per_neighbourhood = classes.size - 1
    n_centres = min(X.shape[0], -(-n_basis // per_neighbourhood))
    rng = check_random_state(random_state)
    kmeans = KMeans(n_clusters=n_centres, n_init=1, random_state=rng.randint(2**31 - 1))
    centres = kmeans.fit(X).cluster_centers_
    # members[c]: for each centre, the indices (into X) of the nearest points of class c.
    members = []
    for label in classes:  # a loop over classes, each one vectorised over the centres
        of_class = np.flatnonzero(y == label)
        k = min(_LDA_POINTS_PER_CLASS, of_class.size)
        search = NearestNeighbors(n_neighbors=k).fit(X[of_class])
        members.append(of_class[search.kneighbors(centres, return_distance=False)])
    directions = []
    for rows in np.hstack(members):  # one small LDA per centre
        lda = LinearDiscriminantAnalysis(solver="svd").fit(X[rows], y[rows])
        directions.append(lda.scalings_.T[:per_neighbourhood])
    return _normalised_rows(np.vstack(directions))[:n_basis]
