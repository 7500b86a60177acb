import re
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import check_grad
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import NeighborhoodComponentsAnalysis

from sklearn_metric import NCA
from sklearn_metric._core.kernels import compiled
from sklearn_metric._nca import nca_objective


@pytest.mark.parametrize("block_entries", [2**22, 500])
def test_gradient_matches_finite_differences(wine, block_entries):
    X, y = wine
    L = np.random.RandomState(0).randn(3, 13) * 0.3
    f = lambda w: nca_objective(w.reshape(3, 13), X, y, block_entries)[0]  # noqa: E731
    g = lambda w: nca_objective(w.reshape(3, 13), X, y, block_entries)[1].ravel()  # noqa: E731
    assert check_grad(f, g, L.ravel(), epsilon=1e-7) < 1e-5 * np.linalg.norm(g(L.ravel()))


def test_blocks_do_not_change_the_result(wine):
    X, y = wine
    L = np.random.RandomState(1).randn(2, 13)
    v1, g1 = nca_objective(L, X, y)
    v2, g2 = nca_objective(L, X, y, block_entries=300)
    assert v1 == pytest.approx(v2, rel=1e-12)
    assert_allclose(g1, g2, rtol=1e-10, atol=1e-12)


def test_objective_by_hand():
    # Two points per class, far apart: each point's only same-class neighbour
    # dominates the softmax, p_i -> 1 and the objective -> n.
    X = np.array([[0.0, 0.0], [0.0, 0.1], [10.0, 0.0], [10.0, 0.1]])
    y = np.array([0, 0, 1, 1])
    value, _ = nca_objective(np.eye(2), X, y)
    assert value == pytest.approx(4.0, rel=1e-12)
    # With L = 0 every neighbour is equally likely: p_i = 1/3.
    value, gradient = nca_objective(np.zeros((2, 2)), X, y)
    assert value == pytest.approx(4 / 3)


def _brute_force_objective(L, X, y, references):
    Z = X @ L.T
    value = 0.0
    for i in range(X.shape[0]):
        others = references[references != i]
        weights = np.exp(-((Z[others] - Z[i]) ** 2).sum(axis=1))
        value += weights[y[others] == y[i]].sum() / weights.sum()
    return value


@pytest.mark.parametrize("block_entries", [2**22, 70])
def test_sub_sampled_neighbourhood_objective_and_gradient(wine, block_entries):
    # Each point's softmax over the references only (itself left out when it is one).
    X, y = wine
    references = np.sort(np.random.RandomState(0).choice(178, 40, replace=False))
    L = np.random.RandomState(1).randn(3, 13) * 0.3
    value, _ = nca_objective(L, X, y, block_entries, references=references)
    assert value == pytest.approx(_brute_force_objective(L, X, y, references), rel=1e-10)

    def f(w):
        return nca_objective(w.reshape(3, 13), X, y, block_entries, references=references)[0]

    def g(w):
        return nca_objective(w.reshape(3, 13), X, y, block_entries, references=references)[1]

    assert check_grad(f, lambda w: g(w).ravel(), L.ravel(), epsilon=1e-7) < 1e-5 * np.linalg.norm(
        g(L.ravel())
    )


def test_every_point_as_reference_is_exact_nca(wine):
    X, y = wine
    L = np.random.RandomState(2).randn(2, 13)
    v1, g1 = nca_objective(L, X, y, block_entries=500)
    v2, g2 = nca_objective(L, X, y, block_entries=500, references=np.arange(178))
    assert v1 == pytest.approx(v2, rel=1e-12)
    assert_allclose(g1, g2, rtol=1e-10, atol=1e-12)
    exact = NCA(2, random_state=0, max_iter=10).fit(X, y)
    at_least_n = NCA(2, n_references=178, random_state=0, max_iter=10).fit(X, y)
    assert_array_equal(exact.components_, at_least_n.components_)


def test_n_references_fits_and_improves_the_sub_sampled_objective(wine):
    X, y = wine
    nca = NCA(2, n_references=60, init="pca", random_state=0, max_iter=20).fit(X, y)
    references = nca._draw_references(178)
    assert references.size == 60 and np.all(np.diff(references) > 0)
    pca_L = PCA(2, random_state=0).fit(X).components_  # the init
    assert (
        nca_objective(nca.components_, X, y, references=references)[0]
        > nca_objective(pca_L, X, y, references=references)[0]
    )
    assert nca.objective_ == pytest.approx(
        nca_objective(nca.components_, X, y, references=references)[0]
    )


@pytest.mark.parametrize("init", ["identity", "pca", "lda"])
def test_same_objective_as_scikit_learn(wine, init):
    X, y = wine
    n_components = 2
    ours = NCA(n_components, init=init, random_state=0, max_iter=30).fit(X, y)
    theirs = NeighborhoodComponentsAnalysis(
        n_components, init=init, random_state=0, max_iter=30
    ).fit(X, y)
    reference = nca_objective(theirs.components_, X, y)[0]
    assert ours.objective_ == pytest.approx(reference, rel=1e-6)


def test_same_class_points_collapse():
    rng = np.random.RandomState(0)
    centers = np.array([[0.0, 0.0], [3.0, 0.0]])
    y = np.repeat([0, 1], 15)
    X = centers[y] + rng.randn(30, 2) * [0.3, 2.0]  # the second feature is noise
    nca = NCA(max_iter=200, random_state=0).fit(X, y)
    assert nca.objective_ > 0.99 * 30
    M = nca.get_mahalanobis_matrix()
    assert M[0, 0] > 5 * M[1, 1]  # the informative direction dominates

    def within_over_between(Z):
        d = np.sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1))
        same = y[:, None] == y[None, :]
        return d[same].mean() / d[~same].mean()

    assert within_over_between(nca.transform(X)) < 0.7 * within_over_between(X)


def test_memory_is_blocked():
    rng = np.random.RandomState(0)
    n = 3000
    X, y = rng.randn(n, 5), rng.randint(3, size=n)
    tracemalloc.start()
    nca_objective(np.eye(5), X, y, block_entries=2**18)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full_matrix = n * n * 8
    assert peak < full_matrix / 4  # blocks of 2**18 entries, never an n x n matrix


def test_max_iter_warns_and_callback(wine):
    X, y = wine
    seen = []
    msg = "[NCA] NCA did not converge after max_iter=3 iterations"
    with pytest.warns(ConvergenceWarning, match=re.escape(msg)):
        nca = NCA(max_iter=3, callback=lambda L, n: seen.append((L.shape, n))).fit(X, y)
    # scikit-learn's convention: the flattened transformation and the iteration.
    assert seen == [((X.shape[1] ** 2,), 1), ((X.shape[1] ** 2,), 2), ((X.shape[1] ** 2,), 3)]
    assert nca.n_iter_ == 3


def test_verbose_and_warm_start(wine, capsys):
    X, y = wine
    nca = NCA(2, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "[NCA]  Iteration" in out and "Objective Value" in out
    first = nca.objective_
    nca.set_params(warm_start=True, verbose=0).fit(X, y)
    assert nca.objective_ >= first - 1e-6


def test_warm_start_shape_mismatch(wine):
    X, y = wine
    nca = NCA(2, warm_start=True).fit(X, y)
    msg = "warm_start needs components_ of shape (3, 13); the previous fit has (2, 13)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        nca.set_params(n_components=3).fit(X, y)


@pytest.mark.parametrize(
    "params, X, y, msg",
    [
        ({}, [[0.0, np.inf], [1.0, 0.0]], [0, 1], "infinity"),
        (
            {"n_components": 5},
            [[0.0, 1.0], [1.0, 0.0]],
            [0, 1],
            re.escape(
                "The preferred dimensionality of the projected space `n_components` (5) "
                "cannot be greater than the given data dimensionality (2)!"
            ),
        ),
        ({"init": "nope"}, [[0.0, 1.0], [1.0, 0.0]], [0, 1], "'init' parameter"),
        (
            {"init": np.eye(3)},
            [[0.0, 1.0], [1.0, 0.0]],
            [0, 1],
            re.escape(
                "The input dimensionality (3) of the given linear transformation `init` "
                "must match the dimensionality of the given inputs `X` (2)."
            ),
        ),
    ],
)
def test_bad_input(params, X, y, msg):
    with pytest.raises(ValueError, match=msg):
        NCA(**params).fit(X, y)


def test_string_labels():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    a = NCA(2, random_state=0).fit(X, labels)
    b = NCA(2, random_state=0).fit(X, y)
    assert_allclose(a.components_, b.components_)


def test_one_class_warns_and_keeps_the_init():
    # scikit-learn's NCA fits one class (its objective is constant); ours too, with a warning.
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    msg = "there is a single class, so every neighbour is of the same class"
    with pytest.warns(UserWarning, match=re.escape(msg)):
        nca = NCA(init="identity").fit(X, [1, 1, 1])
    assert_array_equal(nca.components_, np.eye(2))


def _dense_nca(L, X, y, references):
    """NCA's value and gradient from the full matrices (the textbook form)."""
    Z = X @ L.T
    refs = np.arange(X.shape[0]) if references is None else references
    d = ((Z[:, None] - Z[None, refs]) ** 2).sum(-1)
    d[refs, np.arange(refs.size)] = np.inf  # no point is its own neighbour
    P = np.exp(-(d - d.min(axis=1, keepdims=True)))
    P /= P.sum(axis=1, keepdims=True)
    same = y[:, None] == y[None, refs]
    p = (P * same).sum(axis=1)
    W = P * (same - p[:, None])
    diffs_x = X[:, None] - X[None, refs]
    diffs_z = Z[:, None] - Z[None, refs]
    gradient = -2 * np.einsum("ij,ijk,ijl->kl", W, diffs_z, diffs_x)
    return p.sum(), gradient


@pytest.mark.parametrize("block_entries", [None, 700])
@pytest.mark.parametrize("with_references", [False, True])
def test_objective_matches_the_dense_form_with_labels_in_any_order(block_entries, with_references):
    # The objective groups the points by class inside (one slice of same-class
    # references per row); unsorted labels, gaps in the label values and a class
    # without references must give the textbook value and gradient.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 5))
    y = rng.choice([0, 3, 4, 9], size=60)
    L = 0.6 * rng.normal(size=(2, 5))
    references = None
    if with_references:
        references = np.sort(rng.choice(np.flatnonzero(y != 9), 25, replace=False))
    kwargs = {} if block_entries is None else {"block_entries": block_entries}
    value, gradient = nca_objective(L, X, y, references=references, **kwargs)
    expected_value, expected_gradient = _dense_nca(L, X, y, references)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gather_below", [0.0, 1.1])
@pytest.mark.parametrize("scale", [0.5, 8.0])
@pytest.mark.parametrize("with_references", [False, True])
@pytest.mark.parametrize("n_components", [2, 4])
def test_compiled_blocks_match_the_numpy_blocks(
    monkeypatch, gather_below, scale, with_references, n_components
):
    # Several row blocks go through the compiled kernel (when numba is installed):
    # dense products of W, or W @ X gathered from its kept entries (forced here; in
    # a fit, once a block keeps under 10% of its weights). Spread-out points (scale
    # 8) leave most weights below exp(-80) of their row's largest. With 4 of 6
    # components the dense products go through W @ X, with 2 through W @ Z.
    pytest.importorskip("numba")
    import sklearn_metric._nca as nca_module

    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 6))
    y = rng.integers(0, 3, size=300)
    L = scale * rng.normal(size=(n_components, 6))
    references = np.sort(rng.choice(300, 120, replace=False)) if with_references else None
    monkeypatch.setattr(nca_module, "_GATHER_BELOW", gather_below)
    value, gradient = nca_objective(L, X, y, block_entries=3000, references=references)
    monkeypatch.setattr(nca_module, "compiled", lambda name: None)
    numpy_value, numpy_gradient = nca_objective(L, X, y, block_entries=3000, references=references)
    assert value == pytest.approx(numpy_value, rel=1e-12)
    assert_allclose(gradient, numpy_gradient, rtol=1e-10, atol=1e-10 * np.abs(numpy_gradient).max())
    expected_value, expected_gradient = _dense_nca(L, X, y, references)
    assert value == pytest.approx(expected_value, rel=1e-10)
    assert_allclose(gradient, expected_gradient, rtol=1e-8, atol=1e-8 * np.abs(gradient).max())


def test_compiled_softmax_row_by_hand():
    # One row, no self column, references 1:3 of its class: the weights are
    # exp(-d_j) / total times (1 - p) inside the class and -p outside, with the
    # exponential exact to rounding over [-80, 0] and 0 below.
    pytest.importorskip("numba")
    kernel = compiled("nca_softmax_rows")
    distances = np.array([3.0, 0.5, 80.4, 0.0, 79.9, 41.25, 7.0])
    E = -distances[None, :].copy()  # 2 z . z_j - |z_j|^2 with z = 0
    n_refs = distances.size
    p, counts = np.empty(1), np.empty(1, dtype=np.int64)
    colsums = np.zeros((1, n_refs))
    bounds = np.array([0, 1])
    args = (E, 0, np.array([-1]), np.array([1]), np.array([3]), -80.0)
    kernel(*args, False, np.empty((0, 0)), p, counts, colsums, np.empty((0, 0)), bounds, 0, 1)
    weights = np.where(distances <= 80, np.exp(-distances), 0.0)
    share = weights[1:3].sum() / weights.sum()
    same_class = (np.arange(n_refs) >= 1) & (np.arange(n_refs) < 3)
    expected = weights / weights.sum() * np.where(same_class, 1 - share, -share)
    assert p[0] == pytest.approx(share, rel=1e-15)
    assert counts[0] == 6
    assert_allclose(E[0], expected, rtol=1e-14, atol=0)
    assert_allclose(colsums[0], expected, rtol=1e-14, atol=0)


def test_numpy_blocks_without_numba(monkeypatch, wine):
    # Without numba the blocks run on numpy alone, with the same numbers.
    import sklearn_metric._nca as nca_module

    X, y = wine
    L = np.random.RandomState(3).randn(3, 13) * 0.3
    value, gradient = nca_objective(L, X, y, block_entries=500)
    monkeypatch.setattr(nca_module, "compiled", lambda name: None)
    numpy_value, numpy_gradient = nca_objective(L, X, y, block_entries=500)
    assert value == pytest.approx(numpy_value, rel=1e-12)
    assert_allclose(gradient, numpy_gradient, rtol=1e-10, atol=1e-12)
