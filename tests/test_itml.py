import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_metric import ITML
from sklearn_metric._core.sampling import sample_pairs
from sklearn_metric._core.tuples import Tuples
from sklearn_metric._itml.itml import (
    block_size,
    default_bounds,
    itml_projections,
)

# One similar pair along x (squared length 4) and one dissimilar pair along y
# (squared length 1), bounds u = 1, l = 4: the LogDet-closest M to the identity
# meeting both is diag(1/4, 4) (each direction is fixed by its own constraint).
PAIRS = np.array([[[0.0, 0.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])
Y = np.array([1, -1])


def test_hand_checkable_pairs():
    itml = ITML(gamma=1e9, bounds=(1.0, 4.0), max_iter=200, tol=1e-12).fit_pairs(PAIRS, Y)
    assert_allclose(itml.get_mahalanobis_matrix(), np.diag([0.25, 4.0]), atol=1e-6)
    assert_allclose(itml.pair_distance(PAIRS) ** 2, [1.0, 4.0], rtol=1e-6)
    assert_allclose(itml.bounds_, [1.0, 4.0])


def test_index_pairs_with_a_preprocessor_equal_point_pairs():
    points = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    by_index = ITML(gamma=1e9, bounds=(1.0, 4.0), tol=1e-12).fit_pairs(
        [[0, 1], [0, 2]], Y, preprocessor=points
    )
    by_points = ITML(gamma=1e9, bounds=(1.0, 4.0), tol=1e-12).fit_pairs(PAIRS, Y)
    assert_allclose(by_index.components_, by_points.components_)
    by_callable = ITML(gamma=1e9, bounds=(1.0, 4.0), tol=1e-12).fit_pairs(
        [[0, 1], [0, 2]], Y, preprocessor=lambda idx: points[idx]
    )
    assert_allclose(by_callable.components_, by_points.components_)


def test_slack_softens_the_constraints():
    soft = ITML(gamma=0.1, bounds=(1.0, 4.0), tol=1e-12).fit_pairs(PAIRS, Y)
    d2 = soft.pair_distance(PAIRS) ** 2
    # With little weight on the bounds, M stays nearer the identity (4 and 1).
    assert 1.0 < d2[0] < 4.0 and 1.0 < d2[1] < 4.0


def test_projections_are_a_rank_one_update_each():
    # One sweep over one active constraint from the identity: A = I + beta v v^T.
    v = np.array([[3.0, 4.0]])
    A, n_sweeps, _ = itml_projections(np.eye(2), v, np.array([1]), (1.0, 9.0), 1.0, 1, 0.0)
    u = v[0] / 5
    residual = A - np.eye(2)
    assert_allclose(residual, residual[0, 0] / u[0] ** 2 * np.outer(u, u), atol=1e-12)
    assert n_sweeps == 1


def test_learns_a_better_metric_for_knn():
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    itml = ITML(random_state=0).fit(X_tr, y_tr)
    base = KNeighborsClassifier(3).fit(X_tr, y_tr).score(X_te, y_te)
    learned = KNeighborsClassifier(3).fit(itml.transform(X_tr), y_tr)
    assert learned.score(itml.transform(X_te), y_te) >= base


@pytest.mark.parametrize("prior", ["identity", "covariance", "random"])
def test_priors_and_truncation(prior):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    itml = ITML(prior=prior, n_components=3, max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning, match=re.escape("[ITML] ITML did not converge")):
        itml.fit(X, y)
    assert itml.components_.shape == (3, 13)
    assert np.all(np.linalg.eigvalsh(itml.prior_) > 0)


def test_default_bounds_are_percentiles_of_squared_distances():
    points = np.arange(10.0)[:, None]
    u, low = default_bounds(points, np.eye(1), 0)
    squared = [(a - b) ** 2 for a in range(10) for b in range(a + 1, 10)]
    assert_allclose([u, low], np.percentile(squared, [5, 95]))


@pytest.mark.parametrize(
    "params, pairs, y, exc, msg",
    [
        ({}, PAIRS, [1, 1], ValueError, "ITML needs both similar (+1) and dissimilar (-1) pairs"),
        ({}, PAIRS, [1, 0], ValueError, "y must hold +1 (similar) and -1 (dissimilar) only"),
        (
            {},
            PAIRS[:, :1],
            Y,
            ValueError,
            "pairs must be an array of shape (n_pairs, 2, n_features)",
        ),
        ({}, [[0, 1], [0, 2]], Y, ValueError, "hold indices, but no preprocessor was given"),
        ({"bounds": (0.0, 1.0)}, PAIRS, Y, ValueError, "bounds must be two finite numbers (u, l)"),
        (
            {"prior": np.eye(3)},
            PAIRS,
            Y,
            ValueError,
            "The prior array must have shape (2, 2); got (3, 3).",
        ),
        (
            {"prior": -np.eye(2)},
            PAIRS,
            Y,
            ValueError,
            "The prior array must be positive definite",
        ),
    ],
)
def test_bad_input(params, pairs, y, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        ITML(**params).fit_pairs(pairs, y)


def test_bad_preprocessor_indices():
    points = np.zeros((3, 2))
    with pytest.raises(ValueError, match=re.escape("Tuple indices must be in [0, 3)")):
        ITML().fit_pairs([[0, 3], [0, 1]], Y, preprocessor=points)
    with pytest.raises(TypeError, match=re.escape("Tuples of indices must hold integers")):
        ITML().fit_pairs([[0.0, 1.0], [0.0, 2.0]], Y, preprocessor=points)


def test_compiled_and_blas_sweeps_agree(monkeypatch):
    import sklearn_metric._itml.projections as itml_module

    pytest.importorskip("numba")
    rng = np.random.RandomState(0)
    diffs = rng.randn(60, 5)
    sign = np.where(rng.rand(60) > 0.5, 1, -1)
    compiled = itml_projections(np.eye(5), diffs, sign, (1.0, 8.0), 1.0, 30, 0.0)
    monkeypatch.setattr(itml_module, "compiled_sweep", lambda: None)
    plain = itml_projections(np.eye(5), diffs, sign, (1.0, 8.0), 1.0, 30, 0.0)
    assert compiled[1:] == plain[1:]
    assert_allclose(compiled[0], plain[0], rtol=1e-10, atol=1e-12)


def _random_constraints(n_constraints, n_features, seed=0):
    rng = np.random.RandomState(seed)
    diffs = rng.randn(n_constraints, n_features)
    sign = np.where(rng.rand(n_constraints) > 0.5, 1, -1)
    squared = np.sum(diffs**2, axis=1)
    return diffs, sign, tuple(np.percentile(squared, [5, 95]))


@pytest.mark.parametrize("block", [1, 7, 64])
@pytest.mark.parametrize("numba", [True, False])
def test_blocks_of_delayed_updates_give_the_same_iterates(monkeypatch, block, numba):
    import sklearn_metric._itml.projections as itml_module

    if numba:
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(itml_module, "compiled_block", lambda: None)
    diffs, sign, bounds = _random_constraints(150, 12)
    one_at_a_time = itml_projections(np.eye(12), diffs, sign, bounds, 1.0, 15, 0.0, block=0)
    blocked = itml_projections(np.eye(12), diffs, sign, bounds, 1.0, 15, 0.0, block=block)
    assert blocked[1:] == one_at_a_time[1:] == (15, False)
    assert_allclose(blocked[0], one_at_a_time[0], rtol=1e-10, atol=1e-12)
    assert_allclose(blocked[0], blocked[0].T)


def test_blocked_projections_stop_on_the_same_sweep():
    diffs, sign, bounds = _random_constraints(80, 6, seed=1)
    one_at_a_time = itml_projections(np.eye(6), diffs, sign, bounds, 1.0, 500, 1e-4, block=0)
    blocked = itml_projections(np.eye(6), diffs, sign, bounds, 1.0, 500, 1e-4, block=16)
    assert one_at_a_time[2] and blocked[1:] == one_at_a_time[1:]
    assert_allclose(blocked[0], one_at_a_time[0], rtol=1e-9)


def test_blocks_take_pair_differences_from_tuples():
    rng = np.random.RandomState(2)
    points = rng.randn(30, 8)
    indices = np.array([(i, j) for i in range(30) for j in range(i + 1, 30)])[::7]
    sign = np.where(rng.rand(indices.shape[0]) > 0.5, 1, -1)
    pairs = Tuples(indices, points)
    diffs = pairs.differences(0, 1)
    bounds = tuple(np.percentile(np.sum(diffs**2, axis=1), [5, 95]))
    from_diffs = itml_projections(np.eye(8), diffs, sign, bounds, 1.0, 10, 0.0, block=0)
    from_pairs = itml_projections(np.eye(8), pairs, sign, bounds, 1.0, 10, 0.0, block=5)
    assert_allclose(from_pairs[0], from_diffs[0], rtol=1e-10, atol=1e-12)


def test_block_size_follows_the_number_of_features():
    assert block_size(4) == block_size(199) == 0
    assert block_size(200) == 32
    assert block_size(512) == 64
    assert block_size(4096) == 128


def test_pairs_of_equal_points_are_left_out():
    points = np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 1.0]])
    pairs = Tuples(np.array([[0, 1], [0, 2], [1, 2], [2, 2]]), points)
    assert_array_equal(pairs.distinct(), [False, True, True, False])
    # The learner drops them: the fit is the fit on the other pairs alone.
    rng = np.random.RandomState(0)
    points = rng.randn(6, 3)
    points[5] = points[0]
    pairs = np.array([[0, 1], [0, 5], [1, 2], [2, 3], [3, 4], [0, 4]])
    labels = np.array([1, 1, 1, -1, -1, 1])
    keep = [0, 2, 3, 4, 5]
    with_equal = ITML(bounds=(1.0, 4.0), random_state=0)
    with_equal.fit_pairs(pairs, labels, preprocessor=points)
    without = ITML(bounds=(1.0, 4.0), random_state=0)
    without.fit_pairs(pairs[keep], labels[keep], preprocessor=points)
    assert_allclose(with_equal.components_, without.components_)


def test_wide_pairs_fit_in_blocks_like_one_at_a_time(monkeypatch):

    # 220 points in 300 features: the span has 219 dimensions, solved in blocks.
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    rows = rng.choice(X.shape[0], 220, replace=False)
    X = StandardScaler().fit_transform(X)[rows] @ rng.randn(64, 300)
    X += 0.1 * rng.randn(220, 300)
    y = y[rows]
    assert block_size(219) > 0
    blocked = ITML(max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        blocked.fit(X, y)
    import sklearn_metric._itml.itml as itml_learner_module

    monkeypatch.setattr(itml_learner_module, "block_size", lambda n_features: 0)
    plain = ITML(max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        plain.fit(X, y)
    assert_allclose(
        blocked.get_mahalanobis_matrix(), plain.get_mahalanobis_matrix(), rtol=1e-8, atol=1e-10
    )


def test_without_numba_the_blas_sweep_runs(monkeypatch):
    import sklearn_metric._itml.projections as itml_module

    monkeypatch.setattr(itml_module, "compiled_sweep", lambda: None)
    itml = ITML(gamma=1e9, bounds=(1.0, 4.0), max_iter=200, tol=1e-12).fit_pairs(PAIRS, Y)
    assert_allclose(itml.get_mahalanobis_matrix(), np.diag([0.25, 4.0]), atol=1e-6)


def test_pairs_grouped_by_kind_are_visited_in_a_random_order():
    # Projections visited as given (all similar pairs, then all dissimilar ones) undo
    # each other: after 5 sweeps the training ROC AUC is about 0.94 that way and 0.98
    # in a random order. The learner shuffles, so the input order no longer matters.
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    pairs, labels = sample_pairs(y, 1000, np.random.RandomState(0))
    grouped = np.argsort(-labels, kind="stable")
    interleaved = np.random.RandomState(1).permutation(labels.shape[0])

    def training_auc(order):
        itml = ITML(max_iter=5, random_state=0)
        with pytest.warns(ConvergenceWarning):
            itml.fit_pairs(pairs[order], labels[order], preprocessor=X)
        Z = itml.transform(X)
        d = np.linalg.norm(Z[pairs[:, 0]] - Z[pairs[:, 1]], axis=1)
        return roc_auc_score(labels, -d)

    auc_grouped, auc_interleaved = training_auc(grouped), training_auc(interleaved)
    assert auc_grouped > 0.97
    assert abs(auc_grouped - auc_interleaved) < 0.01


def test_pairs_from_one_class_fail_clearly():
    y = np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="Only one class: dissimilar pairs"):
        sample_pairs(y, 3, np.random.RandomState(0))
