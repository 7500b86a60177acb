import re

import numpy as np
import pytest
import scipy.linalg
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from sklearn_metric import LFDA
from sklearn_metric._lfda import local_scatter_matrices


def _dense_reference(X, y, k):
    """The paper's definitions written out with n x n weight matrices."""
    n = X.shape[0]
    D2 = cdist(X, X, "sqeuclidean")
    same = y[:, None] == y[None, :]
    scales = np.zeros(n)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        inner = np.sort(D2[np.ix_(members, members)], axis=1)
        scales[members] = np.sqrt(inner[:, min(k, members.size - 1)])
    A = np.where(same, np.exp(-D2 / np.outer(scales, scales)), 0.0)
    n_c = np.bincount(y)[y]
    W_w = np.where(same, A / n_c[:, None], 0.0)
    W_b = np.where(same, A * (1 / n - 1 / n_c[:, None]), 1 / n)
    diffs = X[:, None, :] - X[None, :, :]

    def scatter(W):
        return 0.5 * np.einsum("ij,ijk,ijl->kl", W, diffs, diffs)

    return scatter(W_w), scatter(W_b)


def test_scatter_matrices_match_the_papers_definitions():
    rng = np.random.RandomState(0)
    X, y = rng.randn(40, 3) * [1, 2, 3] + 5, np.repeat([0, 1, 2], [10, 12, 18])
    S_w, S_b = local_scatter_matrices(X, y, k=3)
    R_w, R_b = _dense_reference(X, y, 3)
    assert_allclose(S_w, R_w, rtol=1e-10, atol=1e-12)
    assert_allclose(S_b, R_b, rtol=1e-10, atol=1e-12)


def test_blocks_do_not_change_the_scatters():
    rng = np.random.RandomState(1)
    X, y = rng.randn(70, 4), np.repeat([0, 1], 35)
    whole = local_scatter_matrices(X, y, k=7)
    blocked = local_scatter_matrices(X, y, k=7, block_entries=50)  # one row at a time
    for a, b in zip(whole, blocked, strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_components_solve_the_generalised_eigenproblem():
    rng = np.random.RandomState(2)
    X, y = rng.randn(60, 4), np.repeat([0, 1, 2], 20)
    X[:, 0] += 3 * y
    lfda = LFDA(embedding_type="plain").fit(X, y)
    S_w, S_b = local_scatter_matrices(X, y, 7)
    V = lfda.components_.T
    assert_allclose(S_b @ V, S_w @ V * lfda.eigenvalues_, atol=1e-8)
    assert_allclose(V.T @ S_w @ V, np.eye(4), atol=1e-8)
    assert np.all(np.diff(lfda.eigenvalues_) <= 0)
    assert_allclose(
        lfda.eigenvalues_, scipy.linalg.eigvalsh(S_b, S_w)[::-1], rtol=1e-10, atol=1e-12
    )


def test_embedding_types():
    rng = np.random.RandomState(3)
    X, y = rng.randn(60, 3), np.repeat([0, 1, 2], 20)
    X[:, 1] += 2 * y
    plain = LFDA(n_components=2, embedding_type="plain").fit(X, y).components_
    weighted = LFDA(n_components=2).fit(X, y)
    ortho = LFDA(n_components=2, embedding_type="orthonormalized").fit(X, y).components_
    assert_allclose(weighted.components_, plain * np.sqrt(weighted.eigenvalues_)[:, None])
    assert_allclose(ortho @ ortho.T, np.eye(2), atol=1e-12)
    # The same subspace: projecting plain onto ortho's rows loses nothing.
    assert_allclose(plain @ ortho.T @ ortho, plain, atol=1e-10)


def test_keeps_a_multimodal_class_apart_where_lda_cannot():
    # Class 0 sits in two clusters on either side of class 1 along x; y is noise.
    # The class means coincide along x, so a global (Fisher) criterion sees no
    # separation there; LFDA only compares neighbouring same-class points and finds x.
    rng = np.random.RandomState(0)
    n = 60
    x0 = np.r_[rng.randn(n) * 0.3 - 4, rng.randn(n) * 0.3 + 4]
    x1 = rng.randn(2 * n) * 0.3
    X = np.c_[np.r_[x0, x1], rng.randn(4 * n) * 2]
    y = np.repeat([0, 1], 2 * n)
    lfda = LFDA(n_components=1, k=5).fit(X, y)
    direction = lfda.components_[0] / np.linalg.norm(lfda.components_[0])
    assert abs(direction[0]) > 0.99
    knn = KNeighborsClassifier(5)
    ours = cross_val_score(make_pipeline(LFDA(n_components=1, k=5), knn), X, y, cv=4).mean()
    assert ours > 0.97


def test_small_class_warns_and_uses_its_farthest_member():
    rng = np.random.RandomState(4)
    X, y = rng.randn(25, 2), np.repeat([0, 1], [4, 21])
    msg = (
        "LFDA: 1 class(es) have k=7 or fewer points (smallest: 4); their local scale is "
        "the distance to their farthest other member."
    )
    with pytest.warns(UserWarning, match=re.escape(msg)):
        LFDA().fit(X, y)
    R_w, R_b = _dense_reference(X, y, 7)  # clips k to each class's size - 1
    S_w, S_b = local_scatter_matrices(X, y, 7)
    assert_allclose(S_w, R_w, atol=1e-12)
    assert_allclose(S_b, R_b, atol=1e-12)


def test_class_of_one_point_adds_no_within_pair():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    y = np.array([0, 0, 0, 1])
    S_w, _ = local_scatter_matrices(X, y, 1)
    R_w, _ = _dense_reference(X[:3], y[:3], 1)
    assert_allclose(S_w, R_w * 3 / 3)  # class 1 contributes nothing


def test_wide_data_gets_a_ridge_and_a_warning():
    rng = np.random.RandomState(5)
    X, y = rng.randn(12, 30), np.repeat([0, 1, 2], 4)
    with pytest.warns(UserWarning, match="the local within-class scatter matrix is singular"):
        lfda = LFDA(n_components=2, k=2).fit(X, y)
    assert np.all(np.isfinite(lfda.components_))


def test_zero_regularization_on_singular_scatter_is_an_error():
    X, y = np.random.RandomState(6).randn(6, 10), np.repeat([0, 1], 3)
    with pytest.raises(ValueError, match=re.escape("set regularization > 0")):
        LFDA(k=1, regularization=0).fit(X, y)


def test_n_components_larger_than_features_is_an_error():
    X, y = np.random.RandomState(7).randn(20, 3), np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match=re.escape("`n_components` (4) cannot be greater")):
        LFDA(n_components=4).fit(X, y)


def test_transform_uses_the_leading_directions():
    rng = np.random.RandomState(8)
    X, y = rng.randn(60, 4), np.repeat([0, 1, 2], 20)
    X[:, 2] += 3 * y
    full = LFDA(embedding_type="plain").fit(X, y)
    two = LFDA(n_components=2, embedding_type="plain").fit(X, y)
    assert_allclose(np.abs(two.components_), np.abs(full.components_[:2]), atol=1e-8)
