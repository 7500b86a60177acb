import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import check_grad
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import MLKR
from sklearn_metric._mlkr import mlkr_loss


def _dense_loss(L, X, y):
    Z = X @ L.T
    K = np.exp(-((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(K, 0.0)
    y_hat = K @ y / K.sum(axis=1)
    return ((y_hat - y) ** 2).sum()


def test_loss_on_a_hand_checkable_case():
    # Three points on a line at 0, 1, 3 with L = 1: k_01 = e^-1, k_02 = e^-9, k_12 = e^-4.
    X, y, L = np.array([[0.0], [1.0], [3.0]]), np.array([0.0, 1.0, 2.0]), np.eye(1)
    e = np.exp
    y_hat = [
        (e(-1) * 1 + e(-9) * 2) / (e(-1) + e(-9)),
        (e(-1) * 0 + e(-4) * 2) / (e(-1) + e(-4)),
        (e(-9) * 0 + e(-4) * 1) / (e(-9) + e(-4)),
    ]
    assert_allclose(mlkr_loss(L, X, y)[0], ((np.array(y_hat) - y) ** 2).sum(), rtol=1e-12)


def test_loss_matches_the_dense_formula():
    rng = np.random.RandomState(0)
    X, y, L = rng.randn(25, 4), rng.randn(25), rng.randn(2, 4) * 0.5
    assert_allclose(mlkr_loss(L, X, y)[0], _dense_loss(L, X, y), rtol=1e-10)


@pytest.mark.parametrize("n_components", [1, 3, 4])
def test_gradient_matches_finite_differences(n_components):
    rng = np.random.RandomState(n_components)
    X, y = rng.randn(30, 4), rng.randn(30)
    L = rng.randn(n_components, 4) * 0.5

    def fun(flat):
        return mlkr_loss(flat.reshape(L.shape), X, y)[0]

    def grad(flat):
        return mlkr_loss(flat.reshape(L.shape), X, y)[1].ravel()

    gradient_norm = np.linalg.norm(grad(L.ravel()))
    assert gradient_norm > 1e-2
    assert check_grad(fun, grad, L.ravel(), epsilon=1e-7) < 1e-5 * gradient_norm


def test_blocks_do_not_change_loss_or_gradient():
    rng = np.random.RandomState(1)
    X, y, L = rng.randn(40, 3), rng.randn(40), rng.randn(3, 3)
    whole = mlkr_loss(L, X, y)
    one_row = mlkr_loss(L, X, y, block_entries=40)
    assert_allclose(whole[0], one_row[0], rtol=1e-12)
    assert_allclose(whole[1], one_row[1], rtol=1e-10, atol=1e-12)


def test_far_apart_points_give_the_nearest_neighbours_target():
    # Kernel values underflow to 0 for every pair; the shifted kernel still gives
    # each point its nearest neighbour's target and a finite gradient.
    X, y = np.array([[0.0], [100.0], [250.0]]), np.array([1.0, 2.0, 4.0])
    loss, gradient = mlkr_loss(np.eye(1), X, y)
    assert_allclose(loss, (2 - 1) ** 2 + (1 - 2) ** 2 + (2 - 4) ** 2)
    assert np.all(np.isfinite(gradient))


def test_learns_to_ignore_noise_features():
    # The target depends on feature 0 only; features 1-4 are noise of the same scale.
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    y = np.sin(2 * X[:, 0])
    mlkr = MLKR(random_state=0).fit(X, y)
    column_norms = np.linalg.norm(mlkr.components_, axis=0)
    assert column_norms[0] > 5 * column_norms[1:].max()
    assert mlkr.loss_ < 0.2 * mlkr_loss(np.eye(5), X, y)[0]


def test_improves_knn_regression_on_friedman():
    X, y = make_friedman1(n_samples=400, n_features=10, noise=0.5, random_state=0)
    knn = KNeighborsRegressor(5)
    scoring = "neg_root_mean_squared_error"
    plain = -cross_val_score(make_pipeline(StandardScaler(), knn), X, y, cv=3, scoring=scoring)
    learned = -cross_val_score(
        make_pipeline(StandardScaler(), MLKR(random_state=0), knn), X, y, cv=3, scoring=scoring
    )
    assert learned.mean() < 0.75 * plain.mean()


def test_n_components_and_init_array():
    rng = np.random.RandomState(2)
    X, y = rng.randn(50, 4), rng.randn(50)
    assert MLKR(n_components=2, max_iter=5).fit(X, y).components_.shape == (2, 4)
    init = rng.randn(3, 4)
    assert MLKR(init=init, max_iter=5).fit(X, y).components_.shape == (3, 4)


def test_warns_when_max_iter_is_reached():
    rng = np.random.RandomState(3)
    X, y = rng.randn(40, 3), rng.randn(40)
    with pytest.warns(ConvergenceWarning, match=re.escape("[MLKR] MLKR did not converge after")):
        MLKR(max_iter=1).fit(X, y)


def test_verbose_table_and_callback(capsys):
    rng = np.random.RandomState(4)
    X, y = rng.randn(30, 3), rng.randn(30)
    seen = []
    MLKR(max_iter=3, verbose=1, callback=lambda L, n: seen.append((L.shape, n))).fit(X, y)
    out = capsys.readouterr().out
    assert "[MLKR]  Iteration" in out and "[MLKR] Training took" in out
    assert seen and seen[0] == ((3, 3), 1)


def test_integer_targets_are_regression_targets():
    rng = np.random.RandomState(5)
    X, y = rng.randn(30, 3), rng.randint(0, 5, 30)
    assert MLKR(max_iter=3).fit(X, y).components_.shape == (3, 3)


def test_nan_target_is_rejected():
    X, y = np.random.RandomState(6).randn(10, 2), np.r_[np.nan, np.arange(9.0)]
    with pytest.raises(ValueError, match="Input y contains NaN"):
        MLKR().fit(X, y)
