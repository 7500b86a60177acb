"""Dask: grid search on a real LocalCluster, block-wise inference, POLA on a stream of blocks.

Every result is checked against the single-process one. Clusters run on loopback:
in-process (threads) for speed, and one with worker processes, one of which is
killed in the middle of a grid search.
"""

import os
import re
import threading
import time

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import (
    LMNN,
    NCA,
    POLA,
    EnergyClassifier,
    KNNClassifier,
    MahalanobisTransformer,
)

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
smd = pytest.importorskip("sklearn_metric.dask")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,  # in-process: worker threads talking over inproc://
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _grid():
    pipe = make_pipeline(StandardScaler(), NCA(max_iter=20, random_state=0), KNNClassifier())
    grid = {"nca__n_components": [2, 4], "knnclassifier__n_neighbors": [1, 5]}
    return GridSearchCV(pipe, grid, cv=3)


def _same_search(a, b):
    np.testing.assert_allclose(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    np.testing.assert_allclose(
        a.cv_results_["split0_test_score"], b.cv_results_["split0_test_score"]
    )
    assert a.best_params_ == b.best_params_


def test_grid_search_on_a_dask_cluster(client, iris):
    X, y = iris
    serial = _grid().fit(X, y)
    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_config(backend="dask"):
            on_dask = _grid().set_params(n_jobs=-1).fit(X, y)
    _same_search(on_dask, serial)
    assert len(tasks.data) >= 1  # the fits really ran on the workers


@pytest.mark.parametrize(
    "estimator, method",
    [
        (MahalanobisTransformer(), "transform"),
        (LMNN(max_iter=30, random_state=0), "transform"),
        (KNNClassifier(3, metric_learner=MahalanobisTransformer()), "predict"),
        (KNNClassifier(3, metric_learner=MahalanobisTransformer()), "predict_proba"),
        (EnergyClassifier(LMNN(max_iter=30, random_state=0)), "predict"),
        (KNNClassifier(3, algorithm="hnsw"), "predict"),
    ],
    ids=lambda p: p if isinstance(p, str) else type(p).__name__,
)
def test_blockwise_inference_equals_in_memory(client, estimator, method):
    pytest.importorskip("faiss")
    X, y = make_blobs(n_samples=600, n_features=5, centers=3, random_state=0)
    est = estimator.fit(X[:300], y[:300])
    Xq = da.from_array(X, chunks=(128, 5))
    out = getattr(smd, method)(est, Xq)
    assert isinstance(out, da.Array) and out.chunks[0] == Xq.chunks[0]
    expected = getattr(est, method)(X)
    result = out.compute()  # on the cluster (the client is the default scheduler)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_blockwise_is_lazy_and_merges_column_chunks(iris):
    X, y = iris
    est = MahalanobisTransformer().fit(X)
    calls = []

    def tracked(block):
        calls.append(block.shape)
        return block

    Xq = da.from_array(X, chunks=(40, 2)).map_blocks(tracked)
    out = smd.transform(est, Xq)
    # Building the graph computes no block (dask may probe with 0- or 1-row metas).
    assert all(shape[0] <= 1 for shape in calls)
    np.testing.assert_array_equal(out.compute(scheduler="sync"), est.transform(X))
    assert out.chunks == ((40, 40, 40, 30), (4,))


def test_blockwise_bad_input(iris):
    X, y = iris
    est = MahalanobisTransformer().fit(X)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "X must be a dask.array.Array; got ndarray. Use the "
            "estimator's own method for in-memory data, or "
            "dask.array.from_array(X)."
        ),
    ):
        smd.transform(est, X)
    with pytest.raises(
        ValueError, match=re.escape("X must be 2-D (n_samples, n_features); got 1-D.")
    ):
        smd.transform(est, da.from_array(X[:, 0]))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        smd.predict(KNNClassifier(), da.from_array(X))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X has 3 features, but MahalanobisTransformer is expecting 4 features as input."
        ),
    ):
        smd.transform(est, da.from_array(X[:, :3])).compute(scheduler="sync")


def test_pola_on_a_stream_of_dask_blocks(client):
    X, y = make_blobs(n_samples=2000, n_features=4, centers=3, random_state=2)
    Xd, yd = da.from_array(X, chunks=(250, 4)), da.from_array(y, chunks=250)
    streamed = smd.partial_fit(POLA(random_state=0), Xd, yd, classes=[0, 1, 2])
    by_hand = POLA(random_state=0)
    for start in range(0, 2000, 250):
        by_hand.partial_fit(X[start : start + 250], y[start : start + 250], classes=[0, 1, 2])
    np.testing.assert_array_equal(streamed.components_, by_hand.components_)
    assert streamed.threshold_ == by_hand.threshold_
    assert streamed.n_mistakes_ == by_hand.n_mistakes_


def test_partial_fit_bad_input():
    X, y = make_blobs(n_samples=100, n_features=3, random_state=0)
    Xd = da.from_array(X, chunks=50)
    with pytest.raises(TypeError, match=re.escape("LMNN has no partial_fit method.")):
        smd.partial_fit(LMNN(), Xd, da.from_array(y))
    with pytest.raises(TypeError, match=re.escape("y must be a dask.array.Array; got ndarray.")):
        smd.partial_fit(POLA(), Xd, y)
    with pytest.raises(
        ValueError, match=re.escape("X and y have different numbers of rows: 100 and 99.")
    ):
        smd.partial_fit(POLA(), Xd, da.from_array(y[:99]))
    # y chunked differently from X is aligned with X's blocks.
    streamed = smd.partial_fit(POLA(random_state=0), Xd, da.from_array(y, chunks=30))
    by_hand = POLA(random_state=0).partial_fit(X[:50], y[:50]).partial_fit(X[50:], y[50:])
    np.testing.assert_array_equal(streamed.components_, by_hand.components_)


def test_missing_dask_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(
        ImportError,
        match=re.escape(
            "sklearn_metric.dask needs the dask package, which is not "
            "installed; install the 'dask' extra: pip install "
            "'sklearn_metric[dask]'"
        ),
    ):
        smd.transform(MahalanobisTransformer(), np.zeros((3, 2)))


@pytest.mark.slow
def test_grid_search_survives_a_worker_killed_mid_search(iris):
    """Worker processes; one dies during the search. The search either finishes on the
    workers left (then every score equals the serial one) or raises: never a partial result."""
    X, y = iris
    serial = _grid().fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        outcome = {}

        def search():
            try:
                with joblib.parallel_config(backend="dask"):
                    outcome["search"] = _grid().set_params(n_jobs=-1).fit(X, y)
            except Exception as exc:  # a raise is an accepted outcome; record it
                outcome["error"] = exc

        thread = threading.Thread(target=search)
        thread.start()
        victim, deadline = None, time.monotonic() + 60
        while victim is None and time.monotonic() < deadline and thread.is_alive():
            busy = [w for w, tasks in client.processing().items() if tasks]
            victim = busy[0] if busy else None
            time.sleep(0.01)
        assert victim is not None, "no worker ever held a task"

        async def die():
            os._exit(1)

        client.run(die, workers=[victim], wait=False)  # fire and forget: it cannot answer
        thread.join(timeout=300)
        assert not thread.is_alive()
    if "error" in outcome:
        assert "search" not in outcome
        return
    _same_search(outcome["search"], serial)
    assert np.all(np.isfinite(outcome["search"].cv_results_["mean_test_score"]))
