"""Approximate neighbour search: KNNClassifier(algorithm="hnsw"/"ivf") and
ApproximateNeighborsTransformer, checked against scikit-learn's exact search."""

import pickle
import re
import sys

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_blobs
from sklearn.manifold import TSNE, Isomap
from sklearn.neighbors import KNeighborsClassifier, KNeighborsTransformer
from sklearn.pipeline import make_pipeline

from sklearn_metric import (
    ApproximateNeighborsTransformer,
    KNNClassifier,
    MahalanobisTransformer,
)
from sklearn_metric._core.kernels import n_threads, threads_for_n_jobs
from sklearn_metric.neighbors import _query

faiss = pytest.importorskip("faiss")

ANN_CONFIGS = [
    ("hnsw", None),
    ("ivf", None),
    ("ivf", {"pq_m": 4, "refine": 8}),
]


def test_pq_without_refinement_keeps_only_codes(blobs):
    X, y, Xq, _ = blobs
    refined = KNNClassifier(10, algorithm="ivf", algorithm_params={"pq_m": 4}).fit(X, y)
    codes = KNNClassifier(10, algorithm="ivf", algorithm_params={"pq_m": 4, "refine": 0}).fit(X, y)
    assert isinstance(refined._search.index._index, faiss.IndexRefine)
    assert isinstance(codes._search.index._index, faiss.IndexIVFPQ)
    exact = KNeighborsClassifier(10).fit(X, y).kneighbors(Xq, return_distance=False)
    assert _recall(codes.kneighbors(Xq)[1], exact) >= 0.5  # approximate distances
    assert _recall(refined.kneighbors(Xq)[1], exact) >= 0.95


@pytest.fixture(scope="module")
def blobs():
    # Continuous features: no tied distances, so exact answers are unique.
    X, y = make_blobs(n_samples=1200, n_features=8, centers=6, cluster_std=2.0, random_state=0)
    return X[:1000], y[:1000], X[1000:], y[1000:]


def _recall(approx, exact):
    hits = [np.intersect1d(a, e).size for a, e in zip(approx, exact, strict=True)]
    return np.sum(hits) / exact.size


@pytest.mark.parametrize("algorithm, params", ANN_CONFIGS)
def test_knn_classifier_matches_exact_search(blobs, algorithm, params):
    X, y, Xq, _ = blobs
    exact = KNeighborsClassifier(n_neighbors=10).fit(X, y)
    approx = KNNClassifier(n_neighbors=10, algorithm=algorithm, algorithm_params=params).fit(X, y)
    _, exact_ind = exact.kneighbors(Xq)
    dist, ind = approx.kneighbors(Xq)
    assert _recall(ind, exact_ind) >= 0.95
    assert np.all(np.diff(dist, axis=1) >= -1e-5)  # nearest first
    found = ind == exact_ind
    exact_dist = exact.kneighbors(Xq)[0]
    np.testing.assert_allclose(dist[found], exact_dist[found], rtol=1e-4)
    assert np.mean(approx.predict(Xq) == exact.predict(Xq)) >= 0.99
    np.testing.assert_allclose(approx.predict_proba(Xq).sum(axis=1), 1)


def test_knn_classifier_fitted_attributes(blobs):
    X, y, Xq, _ = blobs
    clf = KNNClassifier(algorithm="hnsw").fit(X, y.astype(str))
    assert clf.classes_.tolist() == [str(c) for c in range(6)]
    assert clf.n_samples_fit_ == 1000 and clf.n_features_in_ == 8
    assert clf.effective_metric_ == "euclidean" and clf.outputs_2d_ is False
    assert clf.predict(Xq).dtype.kind == "U"


@pytest.mark.parametrize("weights", ["uniform", "distance", lambda d: np.exp(-d)])
def test_weights_agree_with_exact_search(blobs, weights):
    X, y, Xq, _ = blobs
    exact = KNeighborsClassifier(n_neighbors=7, weights=weights).fit(X, y)
    approx = KNNClassifier(
        n_neighbors=7, weights=weights, algorithm="hnsw", algorithm_params={"ef_search": 64}
    ).fit(X, y)
    same_neighbours = np.all(approx.kneighbors(Xq)[1] == exact.kneighbors(Xq)[1], axis=1)
    assert same_neighbours.mean() > 0.9
    np.testing.assert_allclose(
        approx.predict_proba(Xq)[same_neighbours],
        exact.predict_proba(Xq)[same_neighbours],
        atol=1e-5,
    )


def test_distance_weights_on_an_indexed_point():
    # A query equal to an indexed point: only the exact matches vote, as in scikit-learn.
    X = np.array([[0.0], [1.0], [1.1], [5.0]])
    y = np.array([0, 1, 1, 1])
    clf = KNNClassifier(n_neighbors=3, weights="distance", algorithm="hnsw").fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba([[0.0]]), [[1.0, 0.0]])


def test_query_none_leaves_each_point_out(blobs):
    X, y, _, _ = blobs
    exact = KNeighborsClassifier(n_neighbors=5).fit(X, y)
    approx = KNNClassifier(n_neighbors=5, algorithm="hnsw").fit(X, y)
    ind = approx.kneighbors(return_distance=False)
    assert not np.any(ind == np.arange(X.shape[0])[:, None])
    assert _recall(ind, exact.kneighbors(return_distance=False)) >= 0.95
    assert np.mean(approx.predict(None) == exact.predict(None)) >= 0.99
    graph = approx.kneighbors_graph(None, mode="distance")
    assert graph.shape == (1000, 1000) and graph.nnz == 5000


def test_drop_self_without_self_in_the_answer():
    dist = np.array([[0.0, 1.0, 2.0], [0.5, 0.6, 0.7]])
    ind = np.array([[0, 3, 4], [2, 3, 4]])  # row 1 did not find itself (a duplicate did)
    d, i = _query.drop_self(dist, ind)
    np.testing.assert_array_equal(i, [[3, 4], [2, 3]])
    np.testing.assert_array_equal(d, [[1.0, 2.0], [0.5, 0.6]])


def test_learned_metric_is_applied_before_the_index(blobs):
    X, y, Xq, _ = blobs
    X = X * np.array([1, 1, 1, 1, 1, 1, 1, 50.0])  # one feature in huge units
    Xq = Xq * np.array([1, 1, 1, 1, 1, 1, 1, 50.0])
    learner = MahalanobisTransformer()
    exact = KNNClassifier(n_neighbors=5, algorithm="brute", metric_learner=learner).fit(X, y)
    approx = KNNClassifier(
        n_neighbors=5,
        algorithm="hnsw",
        metric_learner=learner,
        algorithm_params={"target_recall": 0.99},
    ).fit(X, y)
    # Measured on indexed points; held-out queries come a little lower.
    assert _recall(approx.kneighbors(Xq)[1], exact.kneighbors(Xq)[1]) >= 0.95
    assert np.mean(approx.predict(Xq) == exact.predict(Xq)) >= 0.99
    assert approx.metric_learner_ is not learner


def test_ivf_widens_a_search_that_found_too_few_points():
    # 64 cells of ~3 points, one probed: 40 neighbours need more cells, found by a retry.
    X, y = make_blobs(n_samples=200, n_features=4, centers=3, random_state=1)
    params = {"n_lists": 64, "n_probe": 1}
    clf = KNNClassifier(n_neighbors=40, algorithm="ivf", algorithm_params=params).fit(X, y)
    dist, ind = clf.kneighbors(X[:20])
    assert np.all(ind >= 0)
    assert np.all([np.unique(row).size == 40 for row in ind])


def test_pickle_round_trip(blobs):
    X, y, Xq, _ = blobs
    for algorithm, params in ANN_CONFIGS:
        clf = KNNClassifier(algorithm=algorithm, algorithm_params=params).fit(X, y)
        clone = pickle.loads(pickle.dumps(clf))
        np.testing.assert_array_equal(clone.kneighbors(Xq)[1], clf.kneighbors(Xq)[1])
    graph = ApproximateNeighborsTransformer().fit(X)
    clone = pickle.loads(pickle.dumps(graph))
    assert (clone.transform(Xq) != graph.transform(Xq)).nnz == 0


def test_n_jobs_sets_faiss_threads_and_restores_them(blobs):
    X, y, Xq, _ = blobs
    before = faiss.omp_get_max_threads()
    clf = KNNClassifier(algorithm="hnsw", n_jobs=1).fit(X, y)
    assert clf._search.index.threads == 1
    clf.predict(Xq)
    assert faiss.omp_get_max_threads() == before
    assert threads_for_n_jobs(None) == 1 and threads_for_n_jobs(-1) == n_threads()


def test_transformer_graph_matches_kneighbors_transformer(blobs):
    X, _, Xq, _ = blobs
    for mode in ("distance", "connectivity"):
        exact = KNeighborsTransformer(n_neighbors=6, mode=mode).fit(X)
        approx = ApproximateNeighborsTransformer(n_neighbors=6, mode=mode).fit(X)
        G, E = approx.transform(Xq), exact.transform(Xq)
        assert sparse.issparse(G) and G.format == "csr" and G.shape == E.shape
        assert np.all(np.diff(G.indptr) == np.diff(E.indptr))  # same entries per row
        rows = np.repeat(np.arange(Xq.shape[0]), np.diff(G.indptr))
        shared = np.asarray(E[rows, G.indices]).ravel() != 0
        assert shared.mean() >= 0.95
    train_graph = ApproximateNeighborsTransformer(n_neighbors=6).fit_transform(X)
    assert train_graph.nnz == 7 * X.shape[0]
    np.testing.assert_allclose(train_graph.diagonal(), 0)  # each point its own first neighbour


def test_transformer_composes_with_precomputed_estimators(blobs):
    X, y, Xq, yq = blobs
    pipe = make_pipeline(
        ApproximateNeighborsTransformer(n_neighbors=5),
        KNeighborsClassifier(n_neighbors=5, metric="precomputed"),
    )
    exact = KNeighborsClassifier(n_neighbors=5).fit(X, y)
    assert np.mean(pipe.fit(X, y).predict(Xq) == exact.predict(Xq)) >= 0.99
    one_blob = X[y == 0]
    iso = make_pipeline(
        ApproximateNeighborsTransformer(n_neighbors=10),
        Isomap(n_neighbors=10, metric="precomputed"),
    )
    assert iso.fit_transform(one_blob).shape == (one_blob.shape[0], 2)
    graph = ApproximateNeighborsTransformer(n_neighbors=31).fit_transform(X[:300])
    tsne = TSNE(metric="precomputed", perplexity=10, init="random", random_state=0, max_iter=250)
    embedding = tsne.fit_transform(graph)
    assert embedding.shape == (300, 2) and np.all(np.isfinite(embedding))


def test_transformer_feature_names_out(blobs):
    X = blobs[0][:20]
    names = ApproximateNeighborsTransformer(n_neighbors=3).fit(X).get_feature_names_out()
    assert names[0] == "approximateneighborstransformer0" and names.shape == (20,)


# ---------------------------------------------------------------- bad input


def _fitted(algorithm="hnsw"):
    X, y = make_blobs(n_samples=50, n_features=3, centers=2, random_state=0)
    return KNNClassifier(n_neighbors=3, algorithm=algorithm).fit(X, y), X, y


@pytest.mark.parametrize("algorithm", ["hnsw", "ivf"])
def test_query_with_wrong_number_of_features(algorithm):
    clf, X, _ = _fitted(algorithm)
    with pytest.raises(
        ValueError,
        match=re.escape("X has 2 features, but KNNClassifier is expecting 3 features as input."),
    ):
        clf.predict(X[:, :2])
    graph = ApproximateNeighborsTransformer(algorithm=algorithm).fit(X)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X has 2 features, but ApproximateNeighborsTransformer is "
            "expecting 3 features as input."
        ),
    ):
        graph.transform(X[:, :2])


def test_nan_query():
    clf, X, _ = _fitted()
    Xq = X[:3].copy()
    Xq[1, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict(Xq)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        ApproximateNeighborsTransformer().fit(X).kneighbors(Xq)


def test_n_neighbors_larger_than_the_index():
    clf, X, y = _fitted()
    msg = "Expected n_neighbors <= n_samples_fit, but n_neighbors = 51, n_samples_fit = 50"
    with pytest.raises(ValueError, match=msg):
        clf.kneighbors(X[:2], n_neighbors=51)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Expected n_neighbors < n_samples_fit, but n_neighbors = 50, "
            "n_samples_fit = 50, n_samples = 50"
        ),
    ):
        clf.kneighbors(None, n_neighbors=50)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Expected n_neighbors <= n_samples_fit, but n_neighbors = "
            "60, n_samples_fit = 50, n_samples = 50"
        ),
    ):
        KNNClassifier(n_neighbors=60, algorithm="ivf").fit(X, y).predict(X)
    with pytest.raises(ValueError, match=re.escape("Expected n_neighbors > 0. Got 0")):
        clf.kneighbors(X[:2], n_neighbors=0)


def test_index_built_on_an_empty_set():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Found array with 0 sample(s) (shape=(0, 3)) while a minimum "
            "of 1 is required by KNNClassifier."
        ),
    ):
        KNNClassifier(algorithm="hnsw").fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Found array with 0 sample(s) (shape=(0, 3)) while a minimum "
            "of 1 is required by ApproximateNeighborsTransformer."
        ),
    ):
        ApproximateNeighborsTransformer().fit(np.empty((0, 3)))


def test_sparse_input_is_refused():
    X = sparse.random(20, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "Sparse data was passed for X, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        ),
    ):
        KNNClassifier(algorithm="hnsw").fit(X, np.arange(20) % 2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metric": "manhattan"}, "searches Euclidean distances only"),
        ({"p": 1}, "searches Euclidean distances only"),
        ({"metric_params": {"w": 1}}, "searches Euclidean distances only"),
        ({"algorithm_params": {"efSearch": 10}}, r"Unknown algorithm_params .*\['efSearch'\]"),
        ({"algorithm_params": {"M": 0}}, r"algorithm_params\['M'\] must be a positive integer"),
        ({"algorithm_params": {"M": 2.5}}, r"algorithm_params\['M'\] must be a positive integer"),
    ],
)
def test_bad_hnsw_parameters(kwargs, message):
    X, y = make_blobs(n_samples=30, n_features=4, random_state=0)
    with pytest.raises(ValueError, match=message):
        KNNClassifier(algorithm="hnsw", **kwargs).fit(X, y)


def test_bad_ivf_parameters():
    X, y = make_blobs(n_samples=300, n_features=6, random_state=0)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "algorithm_params['pq_m']=4 must divide the number of "
            "dimensions of the indexed points (6)."
        ),
    ):
        KNNClassifier(algorithm="ivf", algorithm_params={"pq_m": 4}).fit(X, y)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Product quantisation with pq_bits=12 needs at least 4096 "
            "points to train its codebooks; got 300. Lower pq_bits or "
            "leave pq_m=None."
        ),
    ):
        KNNClassifier(algorithm="ivf", algorithm_params={"pq_m": 3, "pq_bits": 12}).fit(X, y)
    with pytest.raises(
        ValueError, match=re.escape("algorithm_params['pq_bits'] must be <= 16, got 20.")
    ):
        KNNClassifier(algorithm="ivf", algorithm_params={"pq_bits": 20}).fit(X, y)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "algorithm_params is only used by the approximate algorithms "
            "['hnsw', 'ivf', 'lsh']; got algorithm='brute'."
        ),
    ):
        KNNClassifier(algorithm="brute", algorithm_params={"M": 8}).fit(X, y)
    with pytest.raises(
        ValueError,
        # (the set of options prints in no fixed order)
        match=re.escape("The 'algorithm' parameter of KNNClassifier must be a str among {")
        + r"[^}]*"
        + re.escape("}. Got 'annoy' instead."),
    ):
        KNNClassifier(algorithm="annoy").fit(X, y)


def test_missing_faiss_names_the_extra(monkeypatch):
    X, y = make_blobs(n_samples=30, n_features=4, random_state=0)
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    with pytest.raises(
        ImportError,
        match=re.escape(
            "algorithm='hnsw' needs the faiss-cpu package, which is not "
            "installed; install the 'ann' extra: pip install "
            "'sklearn_metric[ann]'"
        ),
    ):
        KNNClassifier(algorithm="hnsw").fit(X, y)
    with pytest.raises(
        ImportError,
        match=re.escape(
            "algorithm='ivf' needs the faiss-cpu package, which is not "
            "installed; install the 'ann' extra: pip install "
            "'sklearn_metric[ann]'"
        ),
    ):
        ApproximateNeighborsTransformer(algorithm="ivf").fit(X)
    # The exact algorithms never need it.
    KNNClassifier(algorithm="brute").fit(X, y).predict(X)


# -- search breadth calibrated for a recall target ------------------------------------


@pytest.mark.parametrize(
    "algorithm, breadth", [("hnsw", "ef_search"), ("ivf", "n_probe"), ("lsh", "refine")]
)
def test_default_breadth_meets_the_recall_target_on_held_out_queries(blobs, algorithm, breadth):
    X, y, Xq, _ = blobs
    clf = KNNClassifier(n_neighbors=10, algorithm=algorithm).fit(X, y)
    assert set(clf.search_params_) == {breadth}
    assert clf.estimated_recall_ >= 0.95
    exact = KNeighborsClassifier(n_neighbors=10).fit(X, y)
    assert _recall(clf.kneighbors(Xq)[1], exact.kneighbors(Xq)[1]) >= 0.9


@pytest.mark.parametrize("algorithm", ["hnsw", "ivf", "lsh"])
def test_calibration_keeps_the_smallest_breadth_meeting_the_target(blobs, algorithm):
    from sklearn_metric._core.ann import EuclideanIndex, resolve_params

    X = blobs[0].astype(np.float32)
    index = EuclideanIndex(algorithm, resolve_params(algorithm, {"target_recall": 0.9}), 1)
    index.build(X).calibrate(X, 5)
    trace = {breadth: (recall, bound) for breadth, recall, bound in index.calibration_}
    recall, bound = trace[index.breadth_]
    assert index.recall_ == recall >= bound >= 0.9
    lowest = 5 if algorithm == "hnsw" else 1  # HNSW searches at least k
    if index.breadth_ > lowest:
        # One step narrower was measured and missed the target.
        assert trace[index.breadth_ - 1][1] < 0.9
        # The bound is the mean minus 1.645 standard errors over the held-out sample.
        name = {"hnsw": "ef_search", "ivf": "n_probe", "lsh": "refine"}[algorithm]
        narrower = {name: index.breadth_ - 1}
        below = EuclideanIndex(algorithm, resolve_params(algorithm, narrower), 1)
        below.build(X).calibrate(X, 5)
        assert below.calibration_ == [(index.breadth_ - 1, *trace[index.breadth_ - 1])]


def test_verbose_calibration_prints_each_breadth_and_keeps_the_trace(blobs, capsys):
    X, y, _, _ = blobs
    params = {"target_recall": 0.9, "verbose": True}
    clf = KNNClassifier(n_neighbors=5, algorithm="ivf", algorithm_params=params).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    trace = clf.search_calibration_
    # One line per breadth measured, then the choice.
    assert len(lines) == len(trace) + 1
    for line, (breadth, recall, bound) in zip(lines[:-1], trace, strict=True):
        assert line.startswith(
            f"[ivf calibration] n_probe={breadth}: recall@5 {recall:.4f} "
            f"(lower bound {bound:.4f}) on 100 held-out points"
        )
    assert lines[-1] == (
        f"[ivf calibration] chose n_probe={clf.search_params_['n_probe']}: recall@5 "
        f"{clf.estimated_recall_:.4f} (target 0.9)"
    )
    # The chosen breadth is the smallest measured one whose lower bound meets the target.
    meeting = [breadth for breadth, _, bound in trace if bound >= 0.9]
    assert clf.search_params_["n_probe"] == min(meeting)
    assert (clf.search_params_["n_probe"], clf.estimated_recall_) in [t[:2] for t in trace]
    # Silent by default, with the same trace.
    quiet = KNNClassifier(n_neighbors=5, algorithm="ivf", algorithm_params={"target_recall": 0.9})
    assert quiet.fit(X, y).search_calibration_ == trace
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("algorithm", ["hnsw", "ivf", "lsh"])
def test_calibration_searches_a_held_out_sample_then_indexes_it(blobs, algorithm):
    from sklearn_metric._core.ann import EuclideanIndex, resolve_params

    X = blobs[0].astype(np.float32)
    n = X.shape[0]
    index = EuclideanIndex(algorithm, resolve_params(algorithm, None), 1).build(X)
    held = n // 10
    assert index.n_samples == n - held  # the sample waits outside the index
    index.calibrate(X, 5)
    assert index.n_samples == n
    # Every point, the held-out ones included, is found under its own row number.
    exact = {"hnsw": 400, "ivf": index.n_lists_, "lsh": n}[algorithm]
    _, ind = index.search(X, 1, breadth=exact)
    np.testing.assert_array_equal(ind[:, 0], np.arange(n))


def test_the_estimated_recall_is_a_held_out_recall(blobs):
    X, y, Xq, _ = blobs
    # Held-out queries are harder than indexed points for a graph index.
    clf = KNNClassifier(n_neighbors=10, algorithm="hnsw", algorithm_params={"ef_search": 10})
    clf.fit(X, y)
    exact = KNeighborsClassifier(n_neighbors=10).fit(X, y)
    held_out = _recall(clf.kneighbors(Xq)[1], exact.kneighbors(Xq)[1])
    assert abs(clf.estimated_recall_ - held_out) < 0.03


def test_explicit_breadth_is_used_as_given(blobs):
    X, y, _, _ = blobs
    clf = KNNClassifier(algorithm="hnsw", algorithm_params={"ef_search": 20}).fit(X, y)
    assert clf.search_params_ == {"ef_search": 20}
    assert 0 < clf.estimated_recall_ <= 1
    graph = ApproximateNeighborsTransformer(algorithm="ivf", algorithm_params={"n_probe": 3})
    assert graph.fit(X).search_params_ == {"n_probe": 3}


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"target_recall": 0.9, "ef_search": 10},
            "algorithm_params sets both target_recall=0.9 and ef_search=10; give one",
        ),
        ({"target_recall": 0.0}, "algorithm_params['target_recall'] must be in (0, 1]; got 0.0."),
        ({"target_recall": 1.5}, "algorithm_params['target_recall'] must be in (0, 1]; got 1.5."),
        ({"target_recall": "high"}, "must be a number; got 'high'."),
        ({"verbose": "yes"}, "algorithm_params['verbose'] must be a bool or an int; got 'yes'."),
    ],
)
def test_bad_recall_targets(blobs, params, message):
    X, y, _, _ = blobs
    with pytest.raises(ValueError, match=re.escape(message)):
        KNNClassifier(algorithm="hnsw", algorithm_params=params).fit(X, y)


def test_lsh_and_refined_hnsw_are_exact_where_they_re_rank(blobs):
    X, y, Xq, _ = blobs
    exact = KNeighborsClassifier(n_neighbors=5).fit(X, y)
    for algorithm, params in [("lsh", {"refine": 200}), ("hnsw", {"refine": 8, "ef_search": 64})]:
        clf = KNNClassifier(5, algorithm=algorithm, algorithm_params=params).fit(X, y)
        dist, ind = clf.kneighbors(Xq)
        ref_dist, ref_ind = exact.kneighbors(Xq)
        assert _recall(ind, ref_ind) >= 0.99
        same = np.all(ind == ref_ind, axis=1)
        np.testing.assert_allclose(dist[same], ref_dist[same], rtol=1e-4)
    clf = KNNClassifier(5, algorithm="lsh", algorithm_params={"n_bits": 16, "refine": 4})
    restored = pickle.loads(pickle.dumps(clf.fit(X, y)))
    np.testing.assert_array_equal(restored.kneighbors(Xq)[1], clf.kneighbors(Xq)[1])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_bits": 0}, "algorithm_params['n_bits'] must be a positive integer, got 0."),
        ({"refine": 0}, "algorithm_params['refine'] must be a positive integer, got 0."),
        ({"ef_search": 8}, "Unknown algorithm_params for algorithm='lsh': ['ef_search']"),
    ],
)
def test_bad_lsh_parameters(blobs, params, message):
    X, y, _, _ = blobs
    with pytest.raises(ValueError, match=re.escape(message)):
        KNNClassifier(algorithm="lsh", algorithm_params=params).fit(X, y)
