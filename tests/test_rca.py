import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_metric import RCA
from sklearn_metric._core.sampling import sample_chunklets
from sklearn_metric._rca import within_chunklet_covariance


def test_removes_shared_nuisance_direction():
    # Chunklet means differ only along y; inside chunklets points spread along x
    # (the nuisance) with sd 5 and along y with sd 0.5.
    rng = np.random.RandomState(0)
    chunks = np.repeat(np.arange(30), 4)
    means = np.column_stack([np.zeros(30), rng.randn(30) * 10])
    X = means[chunks] + rng.randn(120, 2) * [5.0, 0.5]
    rca = RCA().fit_chunklets(X, chunks)
    # Around means of 4 points, C_w ~ (3/4) diag(25, 0.25): L = C_w^{-1/2} ~ diag(0.231, 2.31).
    C_w = within_chunklet_covariance(X, chunks)[0]
    assert_allclose(rca.components_.T @ rca.components_, np.linalg.inv(C_w), rtol=1e-8)
    assert_allclose(np.diag(rca.components_), [0.2 / np.sqrt(0.75), 2.0 / np.sqrt(0.75)], rtol=0.1)
    assert abs(rca.components_[0, 1]) < 0.1
    # In the learned space the within-chunklet covariance is the identity.
    assert_allclose(within_chunklet_covariance(rca.transform(X), chunks)[0], np.eye(2), atol=1e-8)


def test_hand_computed_within_covariance():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 1.0], [5.0, 3.0], [9.0, 9.0]])
    chunks = np.array([0, 0, 1, 1, -1])
    C_w, n_used = within_chunklet_covariance(X, chunks)
    # deviations: (-1, 0), (1, 0), (0, -1), (0, 1) -> C_w = diag(2, 2) / 4
    assert n_used == 4
    assert_allclose(C_w, np.diag([0.5, 0.5]))


def test_fit_uses_classes_as_chunklets():
    rng = np.random.RandomState(1)
    X, y = rng.randn(60, 3), np.repeat([0, 1, -1], 20)
    a = RCA().fit(X, y)
    b = RCA().fit_chunklets(X, np.repeat([0, 1, 2], 20))
    assert_allclose(a.components_, b.components_)


def test_sampled_chunklets_reach_every_class():
    y = np.repeat([0, 1, 2], [4, 4, 40])
    hits = set()
    for seed in range(30):
        chunks = sample_chunklets(y, 2, 3, np.random.RandomState(seed))
        for chunk in np.unique(chunks[chunks >= 0]):
            members = y[chunks == chunk]
            assert members.size == 2 and np.all(members == members[0])
            hits.add(members[0])
    assert hits == {0, 1, 2}  # the last class is drawn too


def test_sampling_runs_out_with_a_warning():
    y = np.repeat([0, 1], 3)
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "Only 2 chunklets of chunk_size=3 could be drawn (n_chunks=5 "
            "asked): the classes have too few points left."
        ),
    ):
        chunks = sample_chunklets(y, 3, 5, np.random.RandomState(0))
    assert set(np.unique(chunks)) == {0, 1}


def test_fit_with_sampled_chunklets_is_seeded():
    rng = np.random.RandomState(0)
    X, y = rng.randn(200, 4), rng.randint(4, size=200)
    a = RCA(chunk_size=3, n_chunks=30, random_state=5).fit(X, y)
    b = RCA(chunk_size=3, n_chunks=30, random_state=5).fit(X, y)
    assert np.array_equal(a.components_, b.components_)


@pytest.mark.parametrize("case", ["duplicated_column", "few_points"])
def test_rank_deficient_within_covariance_is_finite(case):
    rng = np.random.RandomState(0)
    if case == "duplicated_column":
        X = rng.randn(40, 3)
        X = np.hstack([X, X[:, :1]])
        chunks = np.repeat(np.arange(10), 4)
    else:
        X = rng.randn(6, 5)
        chunks = np.array([0, 0, 1, 1, 2, 2])
    with pytest.warns(UserWarning, match="rank-deficient"):
        rca = RCA().fit_chunklets(X, chunks)
    assert np.all(np.isfinite(rca.components_))
    assert np.all(np.isfinite(rca.transform(X)))


def test_n_components_fisher_then_rca():
    rng = np.random.RandomState(0)
    chunks = np.repeat(np.arange(30), 4)
    means = np.column_stack([rng.randn(30) * 10, np.zeros(30), np.zeros(30)])
    X = means[chunks] + rng.randn(120, 3) * [0.5, 3.0, 3.0]
    rca = RCA(n_components=1).fit_chunklets(X, chunks)
    assert rca.components_.shape == (1, 3)
    direction = rca.components_[0] / np.linalg.norm(rca.components_[0])
    assert abs(direction[0]) > 0.95  # the discriminative axis is kept


@pytest.mark.parametrize(
    "chunks, err, msg",
    [
        (np.array([0, 1, 2, 3]), ValueError, "at least one chunklet of two or more points"),
        (np.array([0, 0, 1]), ValueError, "1-D array of length n_samples=4"),
        (np.array([0.5, 0.5, 1.0, 1.0]), TypeError, "integer chunklet ids"),
        (np.array([-1, -1, -1, -1]), ValueError, "at least one chunklet"),
    ],
)
def test_bad_chunklets(chunks, err, msg):
    X = np.random.RandomState(0).randn(4, 2)
    with pytest.raises(err, match=msg):
        RCA().fit_chunklets(X, chunks)


def test_identical_chunklet_points():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [3.0, 2.0], [3.0, 2.0]])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The within-chunklet covariance is zero: every chunklet "
            "holds identical points, so RCA has nothing to learn."
        ),
    ):
        RCA().fit_chunklets(X, np.array([0, 0, 1, 1]))


def test_bad_labels():
    with pytest.raises(
        ValueError, match=re.escape("RCA needs samples of at least 2 classes; got 1 class: [0.0].")
    ):
        RCA().fit(np.random.RandomState(0).randn(5, 2), np.zeros(5))
