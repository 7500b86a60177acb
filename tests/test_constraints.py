import re
import warnings

import numpy as np
import pytest

from sklearn_metric._core.constraints import (
    find_impostors,
    find_target_neighbors,
    impostors_of_rows,
    neighbourhood_triplets,
)
from sklearn_metric._core.distances import pair_squared_distances, squared_distances_rows


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    return rng.randn(120, 4), rng.randint(4, size=120)


def _brute_force_impostors(Z, y, radii_sq):
    d = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    inside = (d <= radii_sq[:, None]) & (y[:, None] != y[None, :])
    return set(zip(*np.nonzero(inside), strict=True))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_find_impostors_matches_brute_force(data, dtype, set_block_entries):
    X, y = data
    radii_sq = np.random.RandomState(1).uniform(0, 6, size=120)
    radii_sq[::7] = 0  # no radius: no impostors
    set_block_entries(500)  # many blocks
    rows, cols, dists = find_impostors(X, y, radii_sq, dtype=dtype)
    expected = _brute_force_impostors(X, y, radii_sq)
    found = set(zip(rows.tolist(), cols.tolist(), strict=True))
    if dtype is np.float64:
        assert found == expected
    else:  # float32 may flip pairs within rounding of the boundary only
        d = ((X[:, None] - X[None]) ** 2).sum(-1)
        for i, imp in found ^ expected:
            assert abs(d[i, imp] - radii_sq[i]) < 1e-4 * max(1.0, radii_sq[i])
    assert np.all(y[rows] != y[cols])
    assert np.allclose(dists, squared_distances_rows(X, rows, cols), atol=1e-4)


def test_find_impostors_with_many_small_classes_matches_brute_force():
    # Labels neither sorted nor contiguous, one class of a single point: each class
    # is searched against all the later ones at once.
    rng = np.random.RandomState(3)
    X = rng.randn(90, 3)
    y = rng.permutation(np.r_[np.repeat(np.arange(0, 88, 2), 2), [101, 7]]) * 5
    radii_sq = rng.uniform(0, 4, size=90)
    rows, cols, _ = find_impostors(X, y, radii_sq)
    found = set(zip(rows.tolist(), cols.tolist(), strict=True))
    assert found == _brute_force_impostors(X, y, radii_sq)
    assert rows.size == len(found)  # each pair once


def test_max_impostors_keeps_the_closest(data):
    X, y = data
    radii_sq = np.full(120, 4.0)
    rows, cols, dists = find_impostors(X, y, radii_sq)
    r2, c2, d2 = find_impostors(X, y, radii_sq, max_impostors=50)
    assert r2.size == 50
    assert np.max(d2) <= np.sort(dists)[50] + 1e-12


def test_max_impostors_trims_while_searching(data, set_block_entries):
    # Many small blocks: the kept set is trimmed (and the radii tightened) many
    # times, and must still be the max_impostors smallest ratios overall.
    X, y = data
    radii_sq = np.random.RandomState(3).uniform(1, 8, size=120)
    rows, cols, dists = find_impostors(X, y, radii_sq)
    set_block_entries(300)
    r2, c2, d2 = find_impostors(X, y, radii_sq, max_impostors=40)
    ratio = np.sort(dists / radii_sq[rows])
    assert r2.size == 40
    np.testing.assert_allclose(np.sort(d2 / radii_sq[r2]), ratio[:40])


def test_impostors_of_rows_matches_brute_force(data, set_block_entries):
    X, y = data
    radii_sq = np.random.RandomState(4).uniform(0, 6, size=120)
    set_block_entries(700)
    rows = np.array([5, 17, 3, 99, 64])
    r, c = impostors_of_rows(X, y, rows, radii_sq)
    expected = {(i, imp) for i, imp in _brute_force_impostors(X, y, radii_sq) if i in rows}
    assert set(zip(r.tolist(), c.tolist(), strict=True)) == expected


def test_target_neighbors_by_hand():
    X = np.array([[0.0], [1.0], [3.0], [10.0], [12.0]])
    y = np.array([0, 0, 0, 1, 1])
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "1 class(es) have n_neighbors=2 or fewer points (smallest: "
            "2); their points get only the other points of their class "
            "as target neighbours."
        ),
    ):
        targets = find_target_neighbors(X, y, 2)
    assert targets.tolist() == [[1, 2], [0, 2], [1, 0], [4, -1], [3, -1]]


def test_pair_squared_distances_both_paths(data):
    X, _ = data
    rng = np.random.RandomState(2)
    for n_pairs in (10, 5000):  # gathered, then read off the Gram matrix
        rows, cols = rng.randint(120, size=n_pairs), rng.randint(120, size=n_pairs)
        np.testing.assert_allclose(
            pair_squared_distances(X, rows, cols), squared_distances_rows(X, rows, cols), atol=1e-10
        )


@pytest.mark.parametrize("n_neighbors", [1, 3, 6])
def test_small_class_search_equals_scikit_learns(monkeypatch, n_neighbors):
    # Classes up to _SMALL_CLASS points use exact numpy distances, larger ones
    # scikit-learn's NearestNeighbors: both must give the same targets, in order
    # (a class of 5 points takes every other point when n_neighbors >= 4).
    from sklearn_metric._core import constraints as _constraints

    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = np.r_[np.zeros(30), np.ones(25), np.full(5, 2)].astype(int)
    monkeypatch.setattr(_constraints, "_SMALL_CLASS", 10**6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = find_target_neighbors(X, y, n_neighbors)
        monkeypatch.setattr(_constraints, "_SMALL_CLASS", 0)
        large = find_target_neighbors(X, y, n_neighbors)
    np.testing.assert_array_equal(small, large)
    assert (small[y == 2] >= 0).sum(axis=1).max() == min(n_neighbors, 4)


# (3 dims, 80 pairs): Z^T (Lap X); (1 dim, 400 pairs): the products by W of Z and X.
@pytest.mark.parametrize("n_dims, n_pairs", [(3, 80), (1, 400)])
def test_pair_outer_sum_is_the_sum_over_pairs(n_dims, n_pairs):
    from sklearn_metric._core.products import pair_outer_sum

    rng = np.random.RandomState(0)
    X = rng.randn(30, 5)
    Z = X @ rng.randn(n_dims, 5).T
    rows, cols = rng.randint(0, 30, n_pairs), rng.randint(0, 30, n_pairs)  # unsorted, repeats
    weights = rng.randn(n_pairs)
    expected = sum(
        w * np.outer(Z[a] - Z[b], X[a] - X[b]) for a, b, w in zip(rows, cols, weights, strict=True)
    )
    np.testing.assert_allclose(pair_outer_sum(Z, X, rows, cols, weights), expected, atol=1e-10)
    if n_dims == 3:  # given the map, many pairs over few features: L (X^T Lap X)
        L = np.linalg.lstsq(X, Z, rcond=None)[0].T
        S = pair_outer_sum(Z, X, rows, cols, weights, L=L)
        np.testing.assert_allclose(S, expected, atol=1e-10)


@pytest.mark.parametrize("upper", [False, True])
def test_pair_outer_sum_upper_and_centred(monkeypatch, upper):
    # upper=True: the upper triangle of the same sum (by blocks from 2 columns on
    # here), zero below; centred=True with centred inputs: the same sum.
    import sklearn_metric._core.products as linalg_module
    from sklearn_metric._core.products import pair_outer_sum

    monkeypatch.setattr(linalg_module, "_TRIANGLE_MIN", 2)
    rng = np.random.RandomState(2)
    X = rng.randn(30, 9)
    X -= X.mean(axis=0)
    L = np.triu(rng.randn(9, 9))
    Z = X @ L.T
    rows, cols = rng.randint(0, 30, 60), rng.randint(0, 30, 60)
    weights = rng.randn(60)
    full = pair_outer_sum(Z, X, rows, cols, weights)
    S = pair_outer_sum(Z, X, rows, cols, weights, upper=upper, centred=True)
    np.testing.assert_allclose(S, np.triu(full) if upper else full, atol=1e-10)
    if upper:
        assert np.all(np.tril(S, -1) == 0)


def test_triangular_products_by_hand_and_by_blocks(monkeypatch):
    import sklearn_metric._core.products as linalg_module
    from sklearn_metric._core.products import times_upper_transposed, upper_of_product

    # By hand: [1, 2] R^T with R = [[1, 1], [0, 3]] is [1 + 2, 6]; below R's diagonal
    # nothing is read.
    R = np.array([[1.0, 1.0], [99.0, 3.0]])
    np.testing.assert_array_equal(times_upper_transposed(np.array([[1.0, 2.0]]), R), [[3, 6]])
    U = upper_of_product(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]))
    np.testing.assert_array_equal(U, [[3, 4], [0, 8]])
    # In four blocks (from 2 columns on), 10 and 11 columns: the dense results.
    monkeypatch.setattr(linalg_module, "_TRIANGLE_MIN", 2)
    rng = np.random.RandomState(0)
    for n in (10, 11):
        X, R = rng.randn(7, n), rng.randn(n, n)
        np.testing.assert_allclose(times_upper_transposed(X, R), X @ np.triu(R).T, atol=1e-12)
        A, B = rng.randn(7, n), rng.randn(7, n)
        np.testing.assert_allclose(upper_of_product(A, B), np.triu(A.T @ B), atol=1e-12)


def test_neighbourhood_triplets_by_hand():
    # On a line: class 0 at 0, 1, 3 and class 1 at 10, 11, 20.
    Z = np.array([[0.0], [1.0], [3.0], [10.0], [11.0], [20.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    found = neighbourhood_triplets(Z, y, np.array([0, 4]), n_genuine=1, n_impostors=2)
    # Point 0: nearest of its class 1; nearest others 10, 11. Point 4: 10; then 3, 1.
    expected = {(0, 1, 3), (0, 1, 4), (4, 3, 2), (4, 3, 1)}
    assert set(map(tuple, found.tolist())) == expected


def test_neighbourhood_triplets_match_brute_force(data):
    X, y = data
    anchors = np.array([0, 5, 17, 64, 119])
    found = neighbourhood_triplets(X, y, anchors, n_genuine=3, n_impostors=4)
    d = ((X[:, None] - X[None]) ** 2).sum(-1)
    expected = set()
    for a in anchors:
        same = np.flatnonzero((y == y[a]) & (np.arange(len(y)) != a))
        other = np.flatnonzero(y != y[a])
        genuine = same[np.argsort(d[a, same])[:3]]
        impostors = other[np.argsort(d[a, other])[:4]]
        expected |= {(a, j, m) for j in genuine for m in impostors}
    assert set(map(tuple, found.tolist())) == expected
    assert found.shape == (len(anchors) * 12, 3)


def test_neighbourhood_triplets_small_classes_and_duplicates():
    # A point alone in its class anchors nothing; a duplicate is a neighbour, not self.
    Z = np.array([[0.0], [0.0], [5.0], [9.0]])
    y = np.array([0, 0, 0, 1])
    found = neighbourhood_triplets(Z, y, np.arange(4), n_genuine=5, n_impostors=5)
    assert not np.any(found[:, 0] == 3)
    assert not np.any(found[:, 0] == found[:, 1])
    assert {(0, 1, 3), (0, 2, 3), (1, 0, 3), (1, 2, 3), (2, 0, 3), (2, 1, 3)} == set(
        map(tuple, found.tolist())
    )
