import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import check_grad
from sklearn.frozen import FrozenEstimator
from sklearn.neighbors import KNeighborsClassifier

from conftest import make_rings as rings
from sklearn_metric import LMNN, KNNClassifier, MultiMetricLMNN
from sklearn_metric._core.constraints import find_target_neighbors, local_metric_impostors
from sklearn_metric._lmnn.loss import LMNNObjective
from sklearn_metric._lmnn.multi_loss import MultiMetricObjective


def test_local_metrics_separate_the_rings_where_one_metric_cannot():
    X_train, y_train = rings(120, 0)
    X_test, y_test = rings(1000, 1)
    euclidean = 1 - KNeighborsClassifier(3).fit(X_train, y_train).score(X_test, y_test)
    lmnn = KNNClassifier(3, metric_learner=LMNN(random_state=0)).fit(X_train, y_train)
    lmnn_error = 1 - lmnn.score(X_test, y_test)
    multi = MultiMetricLMNN(8, random_state=0).fit(X_train, y_train)
    multi_error = 1 - multi.score(X_test, y_test)
    assert euclidean > 0.05 and lmnn_error > 0.05  # the rings defeat one global metric
    assert multi_error < 0.3 * min(euclidean, lmnn_error)


def test_one_metric_is_lmnns_objective():
    rng = np.random.RandomState(0)
    X, y = rng.randn(60, 3), rng.randint(0, 3, 60)
    targets = find_target_neighbors(X, y, 3)
    multi = MultiMetricObjective(X, y, targets, np.zeros(60, dtype=int), 1, 3, 0.5)
    single = LMNNObjective(X, y, targets, 0.5, 3, max_impostors=10**6)
    for seed in range(3):
        L = np.random.RandomState(seed).randn(3, 3)
        (a, ga), (b, gb) = multi(L.ravel()), single(L.ravel())
        assert_allclose(a, b, rtol=1e-12)
        assert_allclose(ga, gb, rtol=1e-10, atol=1e-14)


def test_one_metric_classifies_as_knn_in_that_metric(wine):
    X, y = wine
    model = MultiMetricLMNN(1, max_iter=20, random_state=0).fit(X[::2], y[::2])
    assert model.loss_ <= model.global_lmnn_.loss_ / max(1, 3 * 89) * 10  # same scale
    L = model.components_per_metric_[0]
    knn = KNeighborsClassifier(3).fit(X[::2] @ L.T, y[::2])
    assert_array_equal(model.predict(X[1::2]), knn.predict(X[1::2] @ L.T))
    assert_allclose(model.kneighbors(X[1::2])[0], knn.kneighbors(X[1::2] @ L.T)[0])


def test_gradient_matches_finite_differences():
    rng = np.random.RandomState(1)
    X, y, assign = rng.randn(50, 3), rng.randint(0, 3, 50), rng.randint(0, 2, 50)
    objective = MultiMetricObjective(X, y, find_target_neighbors(X, y, 3), assign, 2, 2, 0.5)
    Ls = rng.randn(2, 2, 3)
    gradient_norm = np.linalg.norm(objective(Ls.ravel())[1])
    error = check_grad(
        lambda v: objective(v)[0], lambda v: objective(v)[1], Ls.ravel(), epsilon=1e-7
    )
    assert error < 1e-4 * gradient_norm


def test_impostors_are_measured_in_the_reference_points_metric():
    # Point 0 (class 0) has radius 1; point 1 (class 1, metric 1) is at distance
    # 0.5 in the identity metric but 5 in its own metric (scaled by 10): no impostor.
    X = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 0.5]])
    y, assign = np.array([0, 1, 1]), np.array([0, 1, 0])
    Zs = [X, X * 10]
    rows, cols, dists = local_metric_impostors(Zs, assign, y, np.array([1.0, 0.0, 0.0]))
    assert rows.tolist() == [0] and cols.tolist() == [2]
    assert_allclose(dists, [0.25])


def test_kneighbors_uses_each_training_points_metric():
    X_train, y_train = rings(60, 2)
    model = MultiMetricLMNN(4, max_iter=10, random_state=0).fit(X_train, y_train)
    Q = rings(20, 3)[0]
    Ls = model.components_per_metric_[model.metric_of_point_]  # (n_train, r, d)
    diffs = Q[:, None, :] - X_train[None, :, :]
    D = np.sqrt((np.einsum("jrd,qjd->qjr", Ls, diffs) ** 2).sum(axis=2))
    expected = np.argsort(D, axis=1, kind="stable")[:, :3]
    dist, ind = model.kneighbors(Q)
    assert_array_equal(ind, expected)
    assert_allclose(dist, np.take_along_axis(D, expected, axis=1))
    # Training points: each is not its own neighbour.
    ind_train = model.kneighbors(None, return_distance=False)
    assert not np.any(ind_train == np.arange(60)[:, None])
    proba = model.predict_proba(Q)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(model.predict(Q), model.classes_[proba.argmax(axis=1)])


def test_attributes(wine):
    X, y = wine
    model = MultiMetricLMNN(n_components=4, max_iter=5, random_state=0).fit(X, y)
    assert model.components_per_metric_.shape == (3, 4, 13)
    assert model.components_.shape == (4, 13)
    assert_array_equal(model.metric_of_point_, np.unique(y, return_inverse=True)[1])
    assert model.cluster_centers_.shape == (3, 13)
    assert model.transform(X).shape == (178, 4)


def test_small_clusters_are_merged_with_a_warning():
    X, y = rings(40, 4)  # 20 clusters of 40 points: most hold fewer than 4
    with pytest.warns(UserWarning, match=re.escape("clusters were empty or held fewer than")):
        model = MultiMetricLMNN(20, max_iter=5, random_state=0).fit(X, y)
    assert np.bincount(model.metric_of_point_).min() >= 4
    assert model.components_per_metric_.shape[0] == model.metric_of_point_.max() + 1


def test_more_metrics_than_samples_is_an_error():
    X, y = rings(10, 5)
    with pytest.raises(ValueError, match=re.escape("n_metrics=11 is larger than the number")):
        MultiMetricLMNN(11).fit(X, y)


def test_frozen_global_lmnn_is_the_start(wine):
    X, y = wine
    model = MultiMetricLMNN(max_iter=1, random_state=0).fit(X, y)
    again = KNNClassifier(3, metric_learner=FrozenEstimator(model.global_lmnn_)).fit(X, y)
    assert again.score(X, y) > 0.9


def _dense_energy(model, X_train, y_train, Q):
    """The energy rule with local metrics, written out query by query."""
    Ls, assign, k, mu = model.components_per_metric_, model.metric_of_point_, 3, model.mu
    Z = X_train @ model.components_.T
    targets = find_target_neighbors(Z, y_train, k)

    def D(a, b, metric):
        diff = Ls[metric] @ (a - b)
        return diff @ diff

    energies = np.zeros((Q.shape[0], 2))
    for q, x in enumerate(Q):
        for c in (0, 1):
            to_train = np.array([D(x, xj, assign[j]) for j, xj in enumerate(X_train)])
            own = np.flatnonzero(y_train == c)
            nearest = own[np.argsort(to_train[own], kind="stable")[:k]]
            pull = to_train[nearest].sum()
            others = np.flatnonzero(y_train != c)
            push = sum(np.maximum(1 + to_train[j] - to_train[others], 0).sum() for j in nearest)
            impostor = 0.0
            for i in others:
                d_ix = D(X_train[i], x, c)  # the query, labelled c, in class c's metric
                for j in targets[i]:
                    impostor += max(1 + D(X_train[i], X_train[j], assign[j]) - d_ix, 0)
            energies[q, c] = (1 - mu) * pull + mu * (push + impostor)
    return energies


def test_energy_rule_in_local_metrics_matches_its_definition():
    X_train, y_train = rings(30, 6)
    Q = rings(6, 7)[0]
    model = MultiMetricLMNN(rule="energy", max_iter=10, random_state=0).fit(X_train, y_train)
    assert_allclose(model.energy(Q), _dense_energy(model, X_train, y_train, Q), rtol=1e-9)
    assert_array_equal(model.predict(Q), model.classes_[model.energy(Q).argmin(axis=1)])
    assert_allclose(model.predict_proba(Q).sum(axis=1), 1)


def test_energy_rule_with_clusters_beats_one_metric_on_the_rings():
    X_train, y_train = rings(120, 0)
    X_test, y_test = rings(600, 1)
    model = MultiMetricLMNN(8, rule="energy", random_state=0).fit(X_train, y_train)
    assert 1 - model.score(X_test, y_test) < 0.02


def test_both_gradient_forms_agree():
    from sklearn_metric._lmnn.multi_loss import _gradient_by_laplacian, _gradient_by_pairs

    rng = np.random.RandomState(2)
    X, assign = rng.randn(40, 3), rng.randint(0, 3, 40)
    Zs = rng.randn(3, 40, 2)
    rows, cols, weights = rng.randint(0, 40, 200), rng.randint(0, 40, 200), rng.randn(200)
    args = (X, Zs, rows, cols, weights, assign[cols], 3)
    by_pairs = _gradient_by_pairs(*args)
    assert_allclose(by_pairs, _gradient_by_laplacian(*args), atol=1e-10)
    # The factor scales the weights (2: the gradient of the squared distances).
    assert_allclose(_gradient_by_pairs(*args, 0.5), by_pairs / 4, atol=1e-12)
    assert_allclose(_gradient_by_laplacian(*args, 0.5), by_pairs / 4, atol=1e-10)
    # A metric without pairs gets a zero block.
    assert_array_equal(_gradient_by_pairs(*args[:5], np.zeros(200, dtype=int), 3)[1:], 0.0)


def test_impostors_of_some_queries_match_a_brute_force_search():
    rng = np.random.RandomState(3)
    X, y, assign = rng.randn(30, 2), rng.randint(0, 3, 30), rng.randint(0, 4, 30)
    Zs = np.stack([X @ rng.randn(2, 2) for _ in range(4)])
    radii_sq = np.where(rng.rand(30) < 0.3, 2.0, 0.0)
    rows, cols, dists = local_metric_impostors(Zs, assign, y, radii_sq)
    expected = {
        (i, j)
        for i in range(30)
        for j in range(30)
        if y[i] != y[j] and ((Zs[assign[j], i] - Zs[assign[j], j]) ** 2).sum() <= radii_sq[i]
    }
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == expected
    assert_allclose(dists, ((Zs[assign[cols], rows] - Zs[assign[cols], cols]) ** 2).sum(axis=1))


def test_kneighbors_checks_n_neighbors_as_scikit_learn_does():
    X, y = rings(20, 8)
    model = MultiMetricLMNN(max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=re.escape("Expected n_neighbors < n_samples_fit")):
        model.kneighbors(None, n_neighbors=20)
    with pytest.raises(ValueError, match=re.escape("Expected n_neighbors > 0. Got 0")):
        model.kneighbors(X, n_neighbors=0)
    with pytest.raises(TypeError, match="n_neighbors does not take"):
        model.kneighbors(X, n_neighbors=2.5)
    assert model.kneighbors(X, n_neighbors=20)[1].shape == (20, 20)


@pytest.mark.parametrize("n_components", [None, 3])
@pytest.mark.parametrize("n_metrics", ["classes", 4])
def test_wide_data_runs_on_the_span_with_the_full_problems_answer(
    monkeypatch, n_components, n_metrics
):
    # 24 points in 80 dimensions: every L_c moves on the 23-dimensional span only.
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 8)
    X = rng.randn(24, 80) + 2 * y[:, None] * (np.arange(80) < 3)
    Q = rng.randn(7, 80)  # queries off the span
    params = dict(
        n_metrics=n_metrics, n_components=n_components, max_iter=2, tol=1e-5, random_state=0
    )
    wide = MultiMetricLMNN(**params).fit(X, y)
    assert wide._local_components.shape[-1] < 80  # solved and indexed on the span
    monkeypatch.setattr("sklearn_metric._lmnn.multi.wide_span", lambda X: None)
    full = MultiMetricLMNN(**params).fit(X, y)
    assert wide.n_iter_ == full.n_iter_
    assert_allclose(wide.components_per_metric_, full.components_per_metric_, atol=1e-8)
    assert_allclose(wide.loss_, full.loss_, rtol=1e-8)
    for queries in (Q, X, None):
        dist_w, ind_w = wide.kneighbors(queries, 5)
        dist_f, ind_f = full.kneighbors(queries, 5)
        assert_allclose(dist_w, dist_f, atol=1e-6)  # sqrt of rounding at distance 0
        assert_array_equal(ind_w, ind_f)
    assert_allclose(wide.energy(Q), full.energy(Q), rtol=1e-7, atol=1e-7)
    assert_array_equal(wide.predict(Q), full.predict(Q))


def test_wide_data_with_few_features_keeps_the_lifted_maps(monkeypatch):
    # 24 points in 40 dimensions: solved on the 23-dimensional span, but 2 * 23 + 1 = 47
    # span dimensions would be more than the 40 features, so the lifted maps are kept.
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 8)
    X = rng.randn(24, 40) + 0.5 * y[:, None] * (np.arange(40) < 3)
    Q = rng.randn(5, 40)
    params = dict(max_iter=2, tol=1e-5, random_state=0)
    wide = MultiMetricLMNN(**params).fit(X, y)
    assert wide._span is None and wide._local_components.shape == (3, 40, 40)
    monkeypatch.setattr("sklearn_metric._lmnn.multi.wide_span", lambda X: None)
    full = MultiMetricLMNN(**params).fit(X, y)
    assert_allclose(wide.components_per_metric_, full.components_per_metric_, atol=1e-8)
    dist_w, ind_w = wide.kneighbors(Q, 5)
    dist_f, ind_f = full.kneighbors(Q, 5)
    assert_allclose(dist_w, dist_f, atol=1e-7)
    assert_array_equal(ind_w, ind_f)


def test_evaluations_embedding_only_the_rows_they_read_match_full_ones(monkeypatch):
    from sklearn_metric._lmnn import multi_loss as _multi_lmnn_loss

    rng = np.random.RandomState(4)
    # Two clusters a class (targets in the other cluster's metric), classes apart.
    y = rng.randint(0, 3, 600)
    assign = 2 * y + rng.randint(0, 2, 600)
    X = rng.randn(600, 3) + 6 * np.eye(3)[y]
    targets = find_target_neighbors(X, y, 3)
    L0, direction = np.tile(np.eye(3)[:2], (6, 1, 1)), rng.randn(6, 2, 3)
    Ls = [L0 + 0.02 * step * direction for step in range(6)]  # some steps search again

    def evaluations():
        objective = MultiMetricObjective(X, y, targets, assign, 6, 2, 0.5)
        return [objective(L.ravel()) for L in Ls]

    every_row = []
    everything = _multi_lmnn_loss._Embedding.everything

    def counted(embedding):
        every_row.append(embedding.full)
        return everything(embedding)

    monkeypatch.setattr(_multi_lmnn_loss._Embedding, "everything", counted)
    lazy = evaluations()
    # Some evaluations embedded only the rows they read; the rows they did not
    # embed hold an earlier L's values, so reading one would change the result.
    assert 0 < len(every_row) < len(Ls)
    monkeypatch.setattr(_multi_lmnn_loss, "_LAZY_SHARE", -1.0)
    full = evaluations()
    for (a, ga), (b, gb) in zip(lazy, full, strict=True):
        assert_allclose(a, b, rtol=1e-12)
        assert_allclose(ga, gb, rtol=1e-10, atol=1e-12 * np.abs(gb).max())
