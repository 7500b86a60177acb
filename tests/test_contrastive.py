import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import check_grad

from sklearn_metric import ContrastiveEmbedding
from sklearn_metric._contrastive.loss import MINERS_OF, _mine_triplets, batch_loss

CASES = [(loss, miner) for loss, miners in MINERS_OF.items() for miner in miners]


@pytest.mark.parametrize("loss, miner", CASES)
def test_gradient_matches_finite_differences(loss, miner):
    rng = np.random.RandomState(0)
    Z, y = rng.randn(16, 3), np.repeat(np.arange(4), 4)
    margin = 0.2 if loss == "cosine" else 1.0

    def value(flat):
        return batch_loss(flat.reshape(Z.shape), y, loss, margin, miner, np.random.RandomState(1))

    gradient_norm = np.linalg.norm(value(Z.ravel())[1])
    assert gradient_norm > 1e-3
    error = check_grad(
        lambda v: value(v)[0], lambda v: value(v)[1].ravel(), Z.ravel(), epsilon=1e-7
    )
    assert error < 1e-5 * gradient_norm


def test_hand_computed_triplet_and_contrastive_losses():
    # Points on a line: a=0 (class 0), p=1 (class 0), n=1.5 (class 1).
    Z, y = np.array([[0.0], [1.0], [1.5]]), np.array([0, 0, 1])
    rng = np.random.RandomState(0)
    # Triplets (a, p, n): (0, 1, 2): 1 - 1.5 + 1 = 0.5; (1, 0, 2): 1 - 0.5 + 1 = 1.5.
    loss, _ = batch_loss(Z, y, "triplet", 1.0, "all", rng)
    assert_allclose(loss, (0.5 + 1.5) / 2)
    # Contrastive, all pairs: positives (0,1),(1,0) add 1 each; negatives (0,2),(2,0)
    # are at 1.5 > margin 1 (0), (1,2),(2,1) at 0.5 add 0.5 each: 3 / 6 pairs.
    loss, _ = batch_loss(Z, y, "contrastive", 1.0, "all", rng)
    assert_allclose(loss, 3 / 6)


def test_batch_hard_mining_picks_the_hardest_pairs():
    # Anchor 0's positives at distances 1 and 3, negatives at 2 and 5.
    Z = np.array([[0.0], [1.0], [3.0], [2.0], [5.0]])
    y = np.array([0, 0, 0, 1, 1])
    D = np.abs(Z - Z.T)
    positive = (y[:, None] == y[None, :]) & ~np.eye(5, dtype=bool)
    negative = y[:, None] != y[None, :]
    a, p, n = _mine_triplets(D, positive, negative, 1.0, "hard", None, 1)
    anchor0 = np.flatnonzero(a == 0)[0]
    assert (p[anchor0], n[anchor0]) == (2, 3)  # farthest positive, nearest negative


def test_semihard_mining_keeps_negatives_between_positive_and_margin():
    Z = np.array([[0.0], [1.0], [0.5], [1.5], [3.0]])  # negatives at 0.5 (hard), 1.5, 3
    y = np.array([0, 0, 1, 1, 1])
    D = np.abs(Z - Z.T)
    positive = (y[:, None] == y[None, :]) & ~np.eye(5, dtype=bool)
    negative = y[:, None] != y[None, :]
    a, p, n = _mine_triplets(D, positive, negative, 1.0, "semihard", None, 1)
    pair = np.flatnonzero((a == 0) & (p == 1))[0]
    assert n[pair] == 3  # 1 < 1.5 < 2: semi-hard; 0.5 is hard, 3 beyond the margin


def test_batch_without_a_positive_pair_is_no_step():
    Z, y = np.random.RandomState(0).randn(4, 2), np.arange(4)
    for loss, miner in CASES:
        value, dZ = batch_loss(Z, y, loss, 1.0, miner, np.random.RandomState(0))
        assert value == 0.0 and not dZ.any()


@pytest.mark.parametrize("loss, miner", [("triplet", "semihard"), ("contrastive", "hard")])
def test_learns_to_ignore_noise_features(wine, loss, miner):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = wine
    rng = np.random.RandomState(0)
    X = np.c_[X, rng.randn(X.shape[0], 20) * 3]  # 20 noise features of large spread
    train, test = np.arange(0, 178, 2), np.arange(1, 178, 2)
    model = ContrastiveEmbedding(
        loss=loss, miner=miner, max_iter=300, init="identity", random_state=0
    ).fit(X[train], y[train])
    knn = KNeighborsClassifier(3)
    plain = knn.fit(X[train], y[train]).score(X[test], y[test])
    Z = model.transform(X)
    learned = knn.fit(Z[train], y[train]).score(Z[test], y[test])
    assert plain < 0.85 and learned > plain + 0.1
    assert model.n_iter_ == 300 and len(model.loss_curve_) == 300


def test_cosine_transform_is_unit_norm(wine):
    X, y = wine
    model = ContrastiveEmbedding(loss="cosine", max_iter=20, random_state=0).fit(X, y)
    assert_allclose(np.linalg.norm(model.transform(X), axis=1), 1)


def test_partial_fit_steps_once_per_call(wine):
    X, y = wine
    model = ContrastiveEmbedding(random_state=0)
    for start in range(0, 64, 16):
        model.partial_fit(X[start : start + 16], y[start : start + 16])
    assert model.n_iter_ == 4


def test_miner_that_does_not_apply_is_an_error(wine):
    msg = "miner='semihard' does not apply to loss='contrastive'; use one of ['all', 'hard']."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ContrastiveEmbedding(loss="contrastive").fit(*wine)


def test_callback_and_verbose(wine, capsys):
    seen = []
    ContrastiveEmbedding(
        max_iter=50, verbose=1, callback=lambda L, n: seen.append(n), random_state=0
    ).fit(*wine)
    assert seen == list(range(1, 51))
    out = capsys.readouterr().out
    assert "[ContrastiveEmbedding] step     50" in out and "Training took" in out


# -- given tuples ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("sphere", [False, True])
def test_tuple_loss_gradient_matches_finite_differences(size, sphere):
    from sklearn_metric._contrastive.loss import tuple_loss

    rng = np.random.RandomState(size)
    Z = rng.randn(10, 3)
    tuples = np.array([rng.choice(10, size, replace=False) for _ in range(12)])
    signs = np.resize([1, -1], 12) if size == 2 else None
    margin = 0.5 if sphere else 2.0

    def value(flat):
        return tuple_loss(flat.reshape(Z.shape), tuples, margin, signs=signs, sphere=sphere)

    gradient_norm = np.linalg.norm(value(Z.ravel())[1])
    assert gradient_norm > 1e-3
    error = check_grad(
        lambda v: value(v)[0], lambda v: value(v)[1].ravel(), Z.ravel(), epsilon=1e-7
    )
    assert error < 1e-5 * gradient_norm


def test_hand_computed_tuple_losses():
    from sklearn_metric._contrastive.loss import tuple_loss

    Z = np.array([[0.0], [1.0], [1.5]])
    # Triplet (0, 1, 2): 1 - 1.5 + 1 = 0.5; (2, 1, 0): 0.5 - 1.5 + 1 = 0.
    loss, _ = tuple_loss(Z, np.array([[0, 1, 2], [2, 1, 0]]), 1.0)
    assert_allclose(loss, 0.5 / 2)
    # Pairs: similar (0, 1) adds 1; dissimilar (1, 2) at 0.5 adds 1 - 0.5.
    loss, _ = tuple_loss(Z, np.array([[0, 1], [1, 2]]), 1.0, signs=np.array([1, -1]))
    assert_allclose(loss, (1 + 0.5) / 2)


@pytest.mark.parametrize("method", ["fit_pairs", "fit_triplets"])
def test_fit_on_index_tuples_learns_the_labels_metric(wine, method):
    from sklearn.neighbors import KNeighborsClassifier

    from sklearn_metric._core.sampling import sample_pairs, sample_triplets

    X, y = wine
    rng = np.random.RandomState(0)
    X = np.c_[X, rng.randn(X.shape[0], 20) * 3]
    train, test = np.arange(0, 178, 2), np.arange(1, 178, 2)
    model = ContrastiveEmbedding(max_iter=300, init="identity", random_state=0)
    if method == "fit_pairs":
        pairs, signs = sample_pairs(y[train], 400, rng)
        model.fit_pairs(pairs, signs, preprocessor=X[train])
    else:
        model.fit_triplets(sample_triplets(y[train], 800, rng), preprocessor=X[train])
    knn = KNeighborsClassifier(3)
    plain = knn.fit(X[train], y[train]).score(X[test], y[test])
    Z = model.transform(X)
    assert knn.fit(Z[train], y[train]).score(Z[test], y[test]) > plain + 0.1
    assert model.n_features_in_ == 33 and model.n_iter_ == 300


def _span_start(X, n_components):
    """The span of ``X``'s rows and the reduced start of ``init="identity"`` on it."""
    from sklearn_metric._core.linalg import row_span

    U = row_span(X)
    L0U = np.eye(X.shape[1])[:n_components] @ U
    if n_components > U.shape[1]:
        return U, np.linalg.qr(L0U)[1]
    return U, L0U


@pytest.mark.parametrize("loss", ["triplet", "cosine", "contrastive"])
@pytest.mark.parametrize("n_components", [10, 40])
def test_wide_fit_is_the_fit_on_the_span_coordinates(loss, n_components):
    # 30 points in 50 dimensions, off-centre (the cosine loss needs the mean in the span).
    rng = np.random.RandomState(0)
    X, y = rng.randn(30, 50) + 3, np.repeat(np.arange(5), 6)
    params = dict(loss=loss, miner="hard", max_iter=30, random_state=0)
    wide = ContrastiveEmbedding(n_components=n_components, init="identity", **params).fit(X, y)
    U, R0 = _span_start(X, n_components)
    on_span = ContrastiveEmbedding(init=R0, **params).fit(X @ U, y)
    assert wide.components_.shape == (n_components, 50)
    assert not np.allclose(on_span.components_, R0)  # it trained
    # The same embedding of the training points up to a rotation of its axes ...
    Zw, Zs = wide.transform(X), on_span.transform(X @ U)
    assert_allclose(Zw @ Zw.T, Zs @ Zs.T, atol=1e-9)
    # ... and the start's action off the span.
    P = np.eye(50) - U @ U.T
    assert_allclose(wide.components_ @ P, np.eye(50)[:n_components] @ P, atol=1e-12)


def test_wide_fit_pairs_and_callback_see_full_components():
    rng = np.random.RandomState(1)
    points = rng.randn(12, 30)
    pairs = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]])
    y = np.array([1, -1, 1, -1, 1, -1])
    shapes = []
    emb = ContrastiveEmbedding(
        n_components=5, max_iter=5, random_state=0, callback=lambda L, i: shapes.append(L.shape)
    )
    emb.fit_pairs(pairs, y, preprocessor=points)
    assert shapes == [(5, 30)] * 5
    assert emb.components_.shape == (5, 30)
    # Adam's moments restart in the raw coordinates: partial_fit steps after a wide fit.
    emb.partial_fit(points, np.repeat([0, 1], 6))
    assert emb.n_iter_ == 6 and np.all(np.isfinite(emb.components_))
