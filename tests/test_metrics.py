import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_metric import NCA
from sklearn_metric.metrics import (
    make_retrieval_scorer,
    mean_average_precision_at_r,
    mean_reciprocal_rank,
    precision_at_k,
    r_precision,
    recall_at_k,
    retrieval_curve,
)


def _brute(X, y, X_ref, y_ref):
    """Per query: relevance of every reference in rank order (distance, then index), and R."""
    leave_one_out = X_ref is None
    if leave_one_out:
        X_ref, y_ref = X, y
    out = []
    for q in range(X.shape[0]):
        d = ((X_ref - X[q]) ** 2).sum(axis=1)  # exact on the small-integer data below
        refs = [j for j in range(X_ref.shape[0]) if not (leave_one_out and j == q)]
        refs.sort(key=lambda j: (d[j], j))
        out.append(np.array([y_ref[j] == y[q] for j in refs]))
    return out


def _brute_scores(X, y, X_ref=None, y_ref=None, k=3):
    ranked = [rel for rel in _brute(X, y, X_ref, y_ref) if rel.any()]
    R = [rel.sum() for rel in ranked]
    prec_k = np.mean([rel[:k].mean() for rel in ranked])
    rec_k = np.mean([rel[:k].any() for rel in ranked])
    r_prec = np.mean([rel[:r].mean() for rel, r in zip(ranked, R, strict=True)])
    ap = []
    for rel, r in zip(ranked, R, strict=True):
        hits = np.cumsum(rel[:r])
        ap.append(sum(hits[i] / (i + 1) for i in range(r) if rel[i]) / r)
    mrr = np.mean([1 / (np.argmax(rel) + 1) for rel in ranked])
    return prec_k, rec_k, r_prec, np.mean(ap), mrr


def _ours(X, y, X_ref=None, y_ref=None, k=3):
    return (
        precision_at_k(X, y, X_ref, y_ref, k=k),
        recall_at_k(X, y, X_ref, y_ref, k=k),
        r_precision(X, y, X_ref, y_ref),
        mean_average_precision_at_r(X, y, X_ref, y_ref),
        mean_reciprocal_rank(X, y, X_ref, y_ref),
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("block_entries", [2**22, 7])
def test_agrees_with_brute_force_with_ties(seed, block_entries, set_block_entries):
    # Points on a small integer grid: many exactly tied distances, broken by index.
    set_block_entries(block_entries)
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 3, size=(40, 2)).astype(float)
    y = rng.randint(0, 4, size=40)
    y[0] = 9  # a class of one member: no relevant reference, left out
    assert_allclose(_ours(X, y), _brute_scores(X, y), rtol=1e-12)
    X_ref, y_ref = rng.randint(0, 3, size=(25, 2)).astype(float), rng.randint(0, 4, size=25)
    assert_allclose(_ours(X, y, X_ref, y_ref), _brute_scores(X, y, X_ref, y_ref), rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("block_entries", [2**22, 7])
def test_retrieval_curve_is_each_k_of_the_brute_force(seed, block_entries, set_block_entries):
    set_block_entries(block_entries)
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 3, size=(40, 2)).astype(float)
    y = rng.randint(0, 4, size=40)
    y[0] = 9
    X_ref, y_ref = rng.randint(0, 3, size=(25, 2)).astype(float), rng.randint(0, 4, size=25)
    for sets in [(X, y), (X, y, X_ref, y_ref)]:
        ks, precision, recall = retrieval_curve(*sets, k_max=6)
        assert ks.tolist() == [1, 2, 3, 4, 5, 6]
        expected = [_brute_scores(*sets, k=k)[:2] for k in ks]
        assert_allclose(np.column_stack([precision, recall]), expected, rtol=1e-12)


def test_retrieval_curve_through_an_index():
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.RandomState(0)
    X, y = rng.randn(60, 3), rng.randint(0, 3, size=60)
    X_ref, y_ref = rng.randn(50, 3), rng.randint(0, 3, size=50)
    index = NearestNeighbors().fit(X_ref)
    exact = retrieval_curve(X, y, X_ref, y_ref, k_max=5)
    searched = retrieval_curve(X, y, y_ref=y_ref, k_max=5, index=index)
    for a, b in zip(exact, searched, strict=True):
        assert_allclose(a, b)
    with pytest.raises(ValueError, match="k"):
        retrieval_curve(X, y, X_ref, y_ref, k_max=51)


def test_hand_computed_map_at_r():
    # R = 2 for every query. Top-2 relevance (ties by index): x=0: [1, 0] -> 1/2;
    # x=1: idx 0 and 5 tie at 1 -> [1, 0] -> 1/2; x=3: [0, 1] -> (1/2)/2; x=10 and
    # x=11: [1, 0] -> 1/2 each; x=2: idx 1 and 2 tie -> [0, 0] -> 0. Mean 2.25 / 6.
    X = np.array([[0.0], [1.0], [3.0], [10.0], [11.0], [2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    assert mean_average_precision_at_r(X, y) == pytest.approx(0.375, abs=1e-15)


def test_perfect_and_worst_rankings():
    X = np.r_[np.zeros((3, 1)), np.full((3, 1), 100.0)] + np.arange(6)[:, None] * 0.01
    y = np.repeat([0, 1], 3)
    for score in (precision_at_k(X, y, k=2), r_precision(X, y), mean_reciprocal_rank(X, y)):
        assert score == 1.0
    assert mean_average_precision_at_r(X, y) == 1.0
    alternating = np.array([0, 1, 0, 1, 0, 1])  # every nearest neighbour of the other label
    assert precision_at_k(X, alternating, k=1) < 0.5


def test_bad_input():
    X, y = np.zeros((4, 2)), np.array([0, 0, 1, 1])
    with pytest.raises(
        ValueError, match=re.escape("k=4 is larger than the number of references (3)")
    ):
        precision_at_k(X, y, k=4)
    with pytest.raises(ValueError, match=re.escape("k must be a positive integer; got 0")):
        recall_at_k(X, y, k=0)
    with pytest.raises(ValueError, match="Give both X_ref and y_ref"):
        r_precision(X, y, X_ref=X)
    with pytest.raises(ValueError, match=re.escape("X has 2 features but X_ref has 3")):
        r_precision(X, y, np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        r_precision(np.full((4, 2), np.nan), y)
    with pytest.raises(ValueError, match="No query has a relevant reference"):
        mean_reciprocal_rank(X, np.arange(4))


def test_scorer_in_cross_validation_and_grid_search():
    X, y = load_iris(return_X_y=True)
    scorer = make_retrieval_scorer("map_at_r")
    scores = cross_val_score(NCA(max_iter=5, random_state=0), X, y, cv=3, scoring=scorer)
    assert scores.shape == (3,) and np.all((0 < scores) & (scores <= 1))
    search = GridSearchCV(
        NCA(random_state=0),
        {"n_components": [1, 2]},
        scoring=make_retrieval_scorer("precision_at_k", k=3),
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.8
    assert repr(make_retrieval_scorer("recall_at_k", k=5)) == (
        "make_retrieval_scorer('recall_at_k', k=5)"
    )
    with pytest.raises(ValueError, match="metric must be one of"):
        make_retrieval_scorer("auc")
    with pytest.raises(ValueError, match="map_at_r takes no parameters"):
        make_retrieval_scorer("map_at_r", k=3)


# -- through a fitted index -------------------------------------------------------------

ALL_METRICS = [
    (precision_at_k, {"k": 3}),
    (recall_at_k, {"k": 2}),
    (r_precision, {}),
    (mean_average_precision_at_r, {}),
    (mean_reciprocal_rank, {}),
]


@pytest.fixture
def continuous_sets():
    """Queries and references without distance ties, four classes, one a singleton."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = rng.integers(3, size=120)
    y[7] = 9  # a class with one member
    X_ref, y_ref = rng.normal(size=(90, 4)), rng.integers(4, size=90)
    return X, y, X_ref, y_ref


@pytest.mark.parametrize("metric, kwargs", ALL_METRICS)
def test_an_exact_index_gives_the_exact_metric(continuous_sets, metric, kwargs):
    from sklearn.neighbors import NearestNeighbors

    X, y, X_ref, y_ref = continuous_sets
    on_X = NearestNeighbors().fit(X)
    expected = metric(X, y, **kwargs)
    assert metric(X, y, index=on_X, **kwargs) == pytest.approx(expected, abs=1e-12)
    on_ref = NearestNeighbors().fit(X_ref)
    expected = metric(X, y, X_ref, y_ref, **kwargs)
    assert metric(X, y, None, y_ref, index=on_ref, **kwargs) == pytest.approx(expected)
    assert metric(X, y, X_ref, y_ref, index=on_ref, **kwargs) == pytest.approx(expected)


@pytest.mark.parametrize("metric, kwargs", ALL_METRICS)
def test_a_classifier_with_a_learner_ranks_in_the_learned_space(metric, kwargs):
    from sklearn_metric import KNNClassifier

    X, y = load_iris(return_X_y=True)
    X = X + np.random.default_rng(0).normal(scale=1e-3, size=X.shape)  # no ties
    clf = KNNClassifier(metric_learner=NCA(max_iter=20, random_state=0)).fit(X, y)
    Z = clf.metric_learner_.transform(X)
    assert metric(X, y, index=clf, **kwargs) == pytest.approx(metric(Z, y, **kwargs))


@pytest.mark.parametrize("metric, kwargs", ALL_METRICS)
def test_an_approximate_index_gives_its_ranking(continuous_sets, metric, kwargs):
    pytest.importorskip("faiss")
    from sklearn_metric import KNNClassifier

    X, y, _, _ = continuous_sets
    exact = metric(X, y, **kwargs)
    clf = KNNClassifier(algorithm="ivf", algorithm_params={"n_probe": 1, "n_lists": 8})
    approximate = metric(X, y, index=clf.fit(X, y), **kwargs)
    # One of 8 cells searched: a different ranking, on the same scale.
    assert 0 < approximate <= 1
    assert abs(approximate - exact) < 0.25
    if metric is precision_at_k:
        # Exactly the precision of the index's own leave-one-out neighbours.
        ind = clf.kneighbors(n_neighbors=3, return_distance=False)
        kept = y != 9
        assert approximate == pytest.approx(np.mean(y[ind][kept] == y[kept, None]))


def test_bad_indexes():
    from sklearn.neighbors import NearestNeighbors

    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 0, 1, 1, 2, 2])
    with pytest.raises(TypeError, match="index must be a fitted neighbours estimator"):
        precision_at_k(X, y, index=np.eye(2))
    with pytest.raises(Exception, match="not fitted"):
        precision_at_k(X, y, index=NearestNeighbors())
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The index holds 4 points but X (leave-one-out) has 6: fit the index on the references."
        ),
    ):
        r_precision(X, y, index=NearestNeighbors().fit(X[:4]))
    with pytest.raises(ValueError, match=re.escape("The index holds 6 points but y_ref has 3")):
        r_precision(X, y, None, y[:3], index=NearestNeighbors().fit(X))
    with pytest.raises(ValueError, match="Give y_ref with X_ref"):
        mean_reciprocal_rank(X, y, X, None, index=NearestNeighbors().fit(X))
