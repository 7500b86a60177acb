"""The compiled kernels: the same numbers as the numpy/scipy paths, split over
threads or not, and safe when several threads call them at once."""

import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

import sklearn_metric._core.distances as constraints_module
import sklearn_metric._core.kernels as kernels_module
import sklearn_metric._core.products as linalg_module
from sklearn_metric._core.distances import squared_distances_rows
from sklearn_metric._core.kernels import compiled, n_threads, run_split, split_bounds
from sklearn_metric._core.products import _graph_product, pair_outer_sum


@pytest.fixture
def with_numba():
    pytest.importorskip("numba")


@pytest.fixture
def small_thresholds(monkeypatch):
    """Compiled kernels and two threads from a few pairs on."""
    monkeypatch.setattr(constraints_module, "_COMPILED_MIN_ENTRIES", 1)
    monkeypatch.setattr(linalg_module, "_COMPILED_MIN_ENTRIES", 1)
    monkeypatch.setattr(kernels_module, "n_threads", lambda: 2)
    original = kernels_module.split_bounds

    def tiny_split(n_items, min_items_per_thread=1):
        return original(n_items, min_items_per_thread=1)

    monkeypatch.setattr(constraints_module, "split_bounds", tiny_split)
    monkeypatch.setattr(linalg_module, "split_bounds", tiny_split)


def _pairs(n_samples, n_pairs, seed=0):
    rng = np.random.RandomState(seed)
    rows = np.sort(rng.randint(n_samples, size=n_pairs))
    cols = rng.randint(n_samples, size=n_pairs)
    return rows, cols, rng.randn(n_pairs)


def test_split_bounds_cover_every_item_once(monkeypatch):
    monkeypatch.setattr(kernels_module, "n_threads", lambda: 3)
    assert_array_equal(split_bounds(10, min_items_per_thread=1), [0, 3, 6, 10])
    assert_array_equal(split_bounds(10, min_items_per_thread=4), [0, 5, 10])
    assert_array_equal(split_bounds(10, min_items_per_thread=50), [0, 10])
    assert_array_equal(split_bounds(0), [0, 0])


def test_run_split_runs_each_range_once():
    seen = []
    lock = threading.Lock()

    def kernel(log, start, stop):
        with lock:
            log.append((start, stop))

    run_split(kernel, (seen,), np.array([0, 4, 4, 9]))
    assert sorted(seen) == [(0, 4), (4, 4), (4, 9)]


def test_n_threads_follows_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert n_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert n_threads() >= 1


def test_hand_checkable_pair_distances(with_numba, small_thresholds):
    Z = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    d = squared_distances_rows(Z, np.array([0, 1, 2, 2]), np.array([1, 2, 0, 2]))
    assert_array_equal(d, [25.0, 13.0, 2.0, 0.0])
    # Rows out of order are visited sorted; the distances come back in the pairs' order.
    d = squared_distances_rows(Z, np.array([2, 0, 2, 1]), np.array([0, 1, 2, 2]))
    assert_array_equal(d, [2.0, 25.0, 0.0, 13.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_pair_distances_match_numpy(with_numba, small_thresholds, dtype):
    rng = np.random.RandomState(0)
    Z = rng.randn(50, 7).astype(dtype)
    rows, cols, _ = _pairs(50, 301)
    compiled_d = squared_distances_rows(Z, rows.reshape(7, 43), cols.reshape(7, 43))
    expected = ((Z[rows].astype(np.float64) - Z[cols]) ** 2).sum(axis=1).reshape(7, 43)
    assert compiled_d.dtype == dtype and compiled_d.shape == (7, 43)
    assert_allclose(compiled_d, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_compiled_graph_product_matches_scipy(with_numba, small_thresholds):
    rng = np.random.RandomState(1)
    X = rng.randn(40, 5)
    # Rows 0-2 and the last rows have no pair: they must come out zero.
    rows, cols, weights = _pairs(30, 500)
    rows = rows + 3
    indptr = np.searchsorted(rows, np.arange(41))
    W = sparse.csr_array((weights, cols, indptr), shape=(40, 40))
    product = _graph_product(indptr, cols, weights, X)
    assert_allclose(product, W @ X, rtol=1e-12, atol=1e-12)
    assert_array_equal(product[:3], 0.0)
    assert_array_equal(product[33:], 0.0)


@pytest.mark.parametrize("n_dims", [1, 6])  # the two ways of pair_outer_sum
def test_pair_outer_sum_compiled_and_scipy_agree(with_numba, monkeypatch, n_dims):
    rng = np.random.RandomState(2)
    X = rng.randn(60, 6)
    L = rng.randn(n_dims, 6)
    Z = X @ L.T
    rows, cols, weights = _pairs(60, 400)
    plain = pair_outer_sum(Z, X, rows, cols, weights)
    monkeypatch.setattr(linalg_module, "_COMPILED_MIN_ENTRIES", 1)
    fast = pair_outer_sum(Z, X, rows, cols, weights)
    assert_allclose(fast, plain, rtol=1e-10, atol=1e-10)
    expected = sum(
        w * np.outer(Z[a] - Z[b], X[a] - X[b]) for a, b, w in zip(rows, cols, weights, strict=True)
    )
    assert_allclose(fast, expected, rtol=1e-10, atol=1e-10)


def test_without_numba_the_numpy_paths_run(monkeypatch):
    monkeypatch.setattr(constraints_module, "compiled", lambda name: None)
    monkeypatch.setattr(linalg_module, "compiled", lambda name: None)
    monkeypatch.setattr(constraints_module, "_COMPILED_MIN_ENTRIES", 1)
    monkeypatch.setattr(linalg_module, "_COMPILED_MIN_ENTRIES", 1)
    rng = np.random.RandomState(3)
    X = rng.randn(20, 4)
    rows, cols, weights = _pairs(20, 50)
    d = squared_distances_rows(X, rows, cols)
    assert_allclose(d, ((X[rows] - X[cols]) ** 2).sum(axis=1))
    indptr = np.searchsorted(rows, np.arange(21))
    W = sparse.csr_array((weights, cols, indptr), shape=(20, 20))
    assert_allclose(_graph_product(indptr, cols, weights, X), W @ X)


def test_kernels_are_safe_from_concurrent_threads(with_numba, small_thresholds):
    # numba's own threading layer aborts on concurrent parallel launches; the
    # kernels split over their callers' threads instead, so this must just work.
    rng = np.random.RandomState(4)
    Z = rng.randn(300, 9)
    rows, cols, weights = _pairs(300, 20_000)
    expected = ((Z[rows] - Z[cols]) ** 2).sum(axis=1)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(squared_distances_rows(Z, rows, cols))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 20
    for result in results:
        assert_allclose(result, expected, rtol=1e-12)


def test_unknown_kernel_name_is_a_key_error(with_numba):
    with pytest.raises(KeyError):
        compiled("no such kernel")


def test_scipy_blas_single_threaded_limits_only_scipys_own_blas(monkeypatch):
    from threadpoolctl import threadpool_info

    from sklearn_metric._core import kernels as _kernels

    def threads_by_path():
        return {info["filepath"]: info["num_threads"] for info in threadpool_info()}

    before = threads_by_path()
    own = _kernels._scipy_own_blas()
    own_paths = set() if own is None else {info["filepath"] for info in own.info()}
    with _kernels.scipy_blas_single_threaded():
        inside = threads_by_path()
    for path, n in inside.items():
        # scipy's own library on one thread; every other one (numpy's) as it was.
        assert n == (1 if path in own_paths else before[path]), path
    assert threads_by_path() == before
    # Where scipy shares numpy's BLAS (no library of its own) nothing changes.
    monkeypatch.setattr(_kernels, "_SCIPY_OWN_BLAS", [None])
    with _kernels.scipy_blas_single_threaded():
        assert threads_by_path() == before
