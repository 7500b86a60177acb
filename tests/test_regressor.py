import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_friedman1
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import MLKR, KNNRegressor, MahalanobisTransformer

X, Y = make_friedman1(n_samples=240, n_features=6, noise=0.3, random_state=0)
X_TRAIN, Y_TRAIN, X_TEST = X[:200], Y[:200], X[200:]


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_learner_is_applied_by_transforming_once(weights):
    learner = MLKR(max_iter=10, random_state=0).fit(X_TRAIN, Y_TRAIN)
    ours = KNNRegressor(4, weights=weights, metric_learner=FrozenEstimator(learner))
    ours.fit(X_TRAIN, Y_TRAIN)
    ref = KNeighborsRegressor(4, weights=weights).fit(learner.transform(X_TRAIN), Y_TRAIN)
    assert_allclose(ours.predict(X_TEST), ref.predict(learner.transform(X_TEST)))
    assert_allclose(ours.predict(None), ref.predict(None))
    for a, b in zip(
        ours.kneighbors(X_TEST), ref.kneighbors(learner.transform(X_TEST)), strict=True
    ):
        assert_allclose(a, b)
    assert ours.n_samples_fit_ == 200 and ours.n_features_in_ == 6
    assert not hasattr(ours, "classes_")


def test_mlkr_lowers_the_test_error():
    X, y = make_friedman1(n_samples=600, n_features=10, noise=0.5, random_state=1)
    X = StandardScaler().fit_transform(X)
    plain = KNNRegressor(5).fit(X[:400], y[:400])
    learned = KNNRegressor(5, metric_learner=MLKR(random_state=0)).fit(X[:400], y[:400])
    rmse = [np.sqrt(np.mean((m.predict(X[400:]) - y[400:]) ** 2)) for m in (plain, learned)]
    assert rmse[1] < 0.75 * rmse[0]


def test_grid_search_tunes_learner_and_neighbours_together():
    pipe = make_pipeline(StandardScaler(), KNNRegressor(metric_learner=MLKR(max_iter=10)))
    grid = {
        "knnregressor__n_neighbors": [3, 7],
        "knnregressor__metric_learner__n_components": [2, 6],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X_TRAIN, Y_TRAIN)
    assert set(search.best_params_) == set(grid)
    assert search.best_score_ > 0.5


def test_precomputed_metric_with_a_learner_is_an_error():
    msg = "metric='precomputed' cannot be used with a metric_learner"
    with pytest.raises(ValueError, match=re.escape(msg)):
        KNNRegressor(metric="precomputed", metric_learner=MLKR()).fit(X_TRAIN, Y_TRAIN)


def test_algorithm_params_need_an_approximate_algorithm():
    msg = "algorithm_params is only used by the approximate algorithms"
    with pytest.raises(ValueError, match=re.escape(msg)):
        KNNRegressor(algorithm_params={"ef_search": 8}).fit(X_TRAIN, Y_TRAIN)


@pytest.mark.parametrize("algorithm", ["hnsw", "ivf"])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_approximate_index_agrees_with_exact_search(algorithm, weights):
    pytest.importorskip("faiss")
    params = {"ef_search": 200} if algorithm == "hnsw" else {"n_lists": 4, "n_probe": 4}
    ours = KNNRegressor(5, weights=weights, algorithm=algorithm, algorithm_params=params)
    exact = KNeighborsRegressor(5, weights=weights)
    ours.fit(X_TRAIN, Y_TRAIN)
    exact.fit(X_TRAIN, Y_TRAIN)
    assert_allclose(ours.predict(X_TEST), exact.predict(X_TEST), rtol=1e-5)
    assert_allclose(ours.predict(None), exact.predict(None), rtol=1e-5)
    assert_array_equal(ours.kneighbors(X_TEST)[1], exact.kneighbors(X_TEST)[1])


def test_approximate_index_with_a_learner():
    pytest.importorskip("faiss")
    learner = MahalanobisTransformer()
    ours = KNNRegressor(3, algorithm="hnsw", algorithm_params={"ef_search": 200})
    ours.set_params(metric_learner=learner).fit(X_TRAIN, Y_TRAIN)
    Xt = MahalanobisTransformer().fit(X_TRAIN).transform
    ref = KNeighborsRegressor(3).fit(Xt(X_TRAIN), Y_TRAIN)
    assert_allclose(ours.predict(X_TEST), ref.predict(Xt(X_TEST)), rtol=1e-5)


def test_approximate_regressor_rejects_string_targets():
    pytest.importorskip("faiss")
    with pytest.raises(ValueError, match="could not convert string to float"):
        KNNRegressor(algorithm="hnsw").fit(X_TRAIN[:4], ["a", "b", "a", "b"])
