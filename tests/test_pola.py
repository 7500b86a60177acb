import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_metric import POLA
from sklearn_metric._pola import _remove_negative_direction


def _separable_stream(n_pairs, seed, n_features=4, margin=0.5):
    """Pairs labelled by a fixed metric M* and threshold b*, with a margin."""
    rng = np.random.RandomState(seed)
    A = np.random.RandomState(42).randn(n_features, n_features) / np.sqrt(n_features)
    M_true, b_true = A.T @ A, 2.0
    pairs, labels = [], []
    while len(labels) < n_pairs:
        a, b = rng.randn(n_features), rng.randn(n_features)
        d = (a - b) @ M_true @ (a - b)
        if abs(d - b_true) < margin:
            continue
        pairs.append([a, b])
        labels.append(1 if d < b_true else -1)
    return np.array(pairs), np.array(labels)


def test_psd_and_threshold_after_every_update():
    pairs, labels = _separable_stream(150, 0)
    pola = POLA(shuffle=False)
    for pair, label in zip(pairs, labels, strict=True):
        pola.partial_fit_pairs(pair[None], [label])
        M = pola.get_mahalanobis_matrix()
        assert np.linalg.eigvalsh(M).min() >= -1e-9 * max(1.0, np.abs(M).max())
        assert pola.threshold_ >= 1.0
    assert pola.n_pairs_seen_ == 150


def test_mistakes_stay_bounded_and_held_out_accuracy_is_high():
    pairs, labels = _separable_stream(3000, 1)
    pola = POLA(shuffle=False).fit_pairs(pairs, labels)
    first_half = POLA(shuffle=False).fit_pairs(pairs[:1500], labels[:1500]).n_mistakes_
    # Mistakes concentrate early: the second half adds far fewer than the first.
    assert pola.n_mistakes_ - first_half < 0.5 * first_half
    test_pairs, test_labels = _separable_stream(1000, 2)
    assert np.mean(pola.predict_pairs(test_pairs) == test_labels) > 0.9


def test_batches_equal_one_pass():
    pairs, labels = _separable_stream(300, 3)
    whole = POLA(shuffle=False).fit_pairs(pairs, labels)
    parts = POLA(shuffle=False)
    for start in range(0, 300, 70):
        parts.partial_fit_pairs(pairs[start : start + 70], labels[start : start + 70])
    assert_allclose(parts.get_mahalanobis_matrix(), whole.get_mahalanobis_matrix(), atol=1e-10)
    assert parts.threshold_ == pytest.approx(whole.threshold_)


def test_first_update_by_hand():
    # From M = 0, b = 1, a dissimilar pair v = (1, 0): D = 0, loss = 2,
    # alpha = 2 / (1 + 1) = 1, so M = v v^T and b = 1 - 1 -> 1 after projection.
    pola = POLA(shuffle=False).fit_pairs([[[0.0, 0.0], [1.0, 0.0]]], [-1])
    assert_allclose(pola.get_mahalanobis_matrix(), [[1.0, 0.0], [0.0, 0.0]], atol=1e-12)
    assert pola.threshold_ == 1.0
    assert pola.decision_function_pairs([[[0.0, 0.0], [2.0, 0.0]]]) == pytest.approx([-3.0])


def _dense_pola(diffs, labels, M=None, b=1.0):
    """POLA as the paper states it, on the full ``M`` with a full eigendecomposition."""
    M = np.zeros((diffs.shape[1],) * 2) if M is None else M.copy()
    mistakes = 0
    for v, label in zip(diffs, labels, strict=True):
        distance = v @ M @ v
        mistakes += (distance > b) if label == 1 else (distance < b)
        loss = label * (distance - b) + 1
        if loss <= 0:
            continue
        alpha = loss / ((v @ v) ** 2 + 1)
        M -= label * alpha * np.outer(v, v)
        values, vectors = np.linalg.eigh(M)
        M = (vectors * np.maximum(values, 0)) @ vectors.T
        b = max(b + label * alpha, 1.0)
    return M, b, mistakes


def test_negative_direction_removed_exactly():
    rng = np.random.RandomState(0)
    for n in (1, 5, 80):
        A = rng.randn(n, n)
        M = A @ A.T
        v = rng.randn(n)
        M_bad = M - 10 * (v @ np.linalg.solve(M, v)) ** -1 * np.outer(v, v) * 2
        basis = np.linalg.qr(rng.randn(n + 3, n))[0]  # M_bad on a subspace of R^(n + 3)
        S, new_basis = _remove_negative_direction(M_bad.copy(), basis)
        assert S.shape == (n - 1, n - 1) and new_basis.shape == (n + 3, n - 1)
        assert_allclose(new_basis.T @ new_basis, np.eye(n - 1), atol=1e-12)
        eigvals, eigvecs = np.linalg.eigh(M_bad)
        expected = (eigvecs * np.maximum(eigvals, 0)) @ eigvecs.T
        assert_allclose(
            new_basis @ S @ new_basis.T, basis @ expected @ basis.T, atol=1e-9 * np.abs(M).max()
        )
    # Nothing negative: unchanged.
    S, same = _remove_negative_direction(np.diag([2.0, 0.0]), np.eye(2))
    assert_allclose(S, np.diag([2.0, 0.0]))
    assert same.shape == (2, 2)


@pytest.mark.parametrize("n_features", [4, 150, 400])
def test_matches_the_dense_algorithm(n_features):
    # M is kept on a basis of its range (150 and 400 features: wide, the range stays
    # small; 400: every call works on the span of the 60 points), and over two
    # partial_fit_pairs calls, POLA equals the paper's dense algorithm.
    rng = np.random.RandomState(3)
    centres = rng.randn(5, n_features) * 2
    labels_of_points = rng.randint(5, size=60)
    X = centres[labels_of_points] + rng.randn(60, n_features)
    index = rng.randint(60, size=(120, 2))
    labels = np.where(labels_of_points[index[:, 0]] == labels_of_points[index[:, 1]], 1, -1)
    diffs = X[index[:, 0]] - X[index[:, 1]]
    pola = POLA(shuffle=False).partial_fit_pairs(index[:70], labels[:70], preprocessor=X)
    pola.partial_fit_pairs(index[70:], labels[70:], preprocessor=X)
    M, b, mistakes = _dense_pola(diffs, labels)
    assert (labels == 1).sum() > 10 and pola.n_mistakes_ == mistakes
    assert pola.threshold_ == pytest.approx(b, rel=1e-10)
    assert_allclose(pola.get_mahalanobis_matrix(), M, atol=1e-9 * np.abs(M).max())
    if n_features > 4:
        assert pola._basis.shape[1] < 70  # the rank: below the dissimilar pairs' count


def test_fit_and_partial_fit_from_labels():
    rng = np.random.RandomState(0)
    side = rng.randint(2, size=300)
    X = np.column_stack([6.0 * side - 3, np.zeros(300), np.zeros(300)]) + rng.randn(300, 3) * [
        0.3,
        1,
        1,
    ]
    y = np.where(side == 1, "pos", "neg")
    pola = POLA(n_pairs=400, random_state=0).fit(X, y)
    assert pola.n_pairs_seen_ == 400
    assert list(pola.classes_) == ["neg", "pos"]
    pola.partial_fit(X[:100], y[:100])  # partial_fit after fit goes on
    assert pola.n_pairs_seen_ == 800
    M = pola.get_mahalanobis_matrix()
    assert M[0, 0] > M[1, 1] and M[0, 0] > M[2, 2]


def test_partial_fit_classes_and_features():
    rng = np.random.RandomState(0)
    X, y = rng.randn(50, 3), rng.randint(2, size=50)
    pola = POLA(n_pairs=20, random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "classes=[0, 1] is not the same as on the first call to partial_fit: [0, 1, 2]."
        ),
    ):
        pola.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=re.escape("y holds labels [5] not in classes [0, 1, 2].")):
        pola.partial_fit(X, np.where(y == 1, 5, 0))
    with pytest.raises(
        ValueError, match=re.escape("X has 2 features, but POLA is expecting 3 features as input.")
    ):
        pola.partial_fit(X[:, :2], y)
    with pytest.raises(
        ValueError, match=re.escape("pairs have 2 features, but POLA is expecting 3 features.")
    ):
        pola.partial_fit_pairs(rng.randn(4, 2, 2), [1, -1, 1, -1])


def test_fit_is_reproducible_and_restarts():
    rng = np.random.RandomState(0)
    X, y = rng.randn(80, 3), rng.randint(3, size=80)
    a = POLA(random_state=1).fit(X, y)
    b = POLA(random_state=1).fit(X, y)
    assert np.array_equal(a.components_, b.components_)
    a.fit(X, y)
    assert np.array_equal(a.components_, b.components_) and a.n_pairs_seen_ == 1000


@pytest.mark.parametrize(
    "call, msg",
    [
        (lambda p: p.fit(np.zeros((4, 2)), [0, 0, 0, 0]), "at least 2 classes"),
        (lambda p: p.fit(np.zeros((4, 2)), [0.5, 1.5, 0.5, 2.5]), "Unknown label type"),
        (lambda p: p.fit_pairs(np.zeros((2, 2, 2)), [1, 0]), "must hold \\+1"),
        (lambda p: p.fit_pairs(np.zeros((2, 3)), [1, -1]), "shape \\(n_pairs, 2, n_features\\)"),
        (lambda p: p.partial_fit(np.zeros((4, 2)), [1, 1, 1, 1]), "at least 2 classes"),
    ],
)
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call(POLA())
