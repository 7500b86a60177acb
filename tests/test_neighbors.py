import itertools
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import KNNClassifier, MahalanobisTransformer

rng = np.random.RandomState(0)
X_TRAIN = rng.randn(40, 3)
Y_TRAIN = (X_TRAIN[:, 0] + 0.5 * rng.randn(40) > 0).astype(int) + (X_TRAIN[:, 1] > 1)
X_TEST = rng.randn(15, 3)


# -- KNNClassifier(metric_learner=None) is KNeighborsClassifier -----------------


def _outcome(call):
    """What a call returns, or which error it raises (class names made equal)."""
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - every exception is compared
        return ("error", type(exc), str(exc).replace("KNNClassifier", "KNeighborsClassifier"))


def _assert_same_result(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_same_result(a, b)
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_same_result(a, b)
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for key in theirs:
            _assert_same_result(ours[key], theirs[key])
    elif sparse.issparse(theirs):
        assert sparse.issparse(ours)
        assert_array_equal(ours.toarray(), theirs.toarray())
    else:
        assert type(ours) is type(theirs)
        assert_array_equal(ours, theirs)


def _assert_same(params, X, y, X_query, *, kneighbors_k=None):
    ours, theirs = KNNClassifier(**params), KNeighborsClassifier(**params)
    fits = [_outcome(lambda est=est: est.fit(X, y)) for est in (ours, theirs)]
    assert fits[0][0] == fits[1][0], (fits, params)
    if fits[0][0] == "error":
        assert fits[0][1:] == fits[1][1:]
        return
    calls = [
        lambda est: est.predict(X_query),
        lambda est: est.predict_proba(X_query),
        lambda est: est.predict(None),
        lambda est: est.kneighbors(X_query),
        lambda est: est.kneighbors(None, n_neighbors=kneighbors_k),
        lambda est: est.kneighbors(X_query, return_distance=False),
        lambda est: est.kneighbors_graph(X_query, mode="distance"),
        lambda est: est.kneighbors_graph(None),
        lambda est: est.score(X_query, est.predict(X_query)),
    ]
    for call in calls:
        a, b = _outcome(lambda c=call: c(ours)), _outcome(lambda c=call: c(theirs))
        assert a[0] == b[0], (a, b, params)
        if a[0] == "ok":
            _assert_same_result(a[1], b[1])
        else:
            assert a[1:] == b[1:]
    for attr in (
        "classes_",
        "n_samples_fit_",
        "effective_metric_",
        "effective_metric_params_",
        "outputs_2d_",
        "n_features_in_",
        "_fit_method",
    ):
        _assert_same_result(getattr(ours, attr), getattr(theirs, attr))


METRICS = [
    {"metric": "minkowski", "p": 2},
    {"metric": "minkowski", "p": 1},
    {"metric": "minkowski", "p": 3.5},
    {"metric": "euclidean"},
    {"metric": "manhattan"},
    {"metric": "chebyshev"},
    {"metric": "cosine"},
]


@pytest.mark.parametrize(
    "n_neighbors, weights, algorithm, metric",
    list(
        itertools.product(
            [1, 4, 7], ["uniform", "distance"], ["auto", "ball_tree", "kd_tree", "brute"], METRICS
        )
    ),
)
def test_matches_kneighbors_classifier_over_parameters(n_neighbors, weights, algorithm, metric):
    params = {"n_neighbors": n_neighbors, "weights": weights, "algorithm": algorithm, **metric}
    _assert_same(params, X_TRAIN, Y_TRAIN, X_TEST)


def _inverse_distance(d):
    return 1.0 / (d + 1.0)


X_NAN = X_TRAIN.copy()
X_NAN[::5, 1] = np.nan
Y_MULTI = np.column_stack([Y_TRAIN, X_TRAIN[:, 2] > 0])
DIST = np.sqrt(((X_TRAIN[:, None] - X_TRAIN[None]) ** 2).sum(-1))
DIST_QUERY = np.sqrt(((X_TEST[:, None] - X_TRAIN[None]) ** 2).sum(-1))


@pytest.mark.parametrize(
    "params, X, y, X_query",
    [
        ({"weights": _inverse_distance}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"weights": None}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"metric": "nan_euclidean", "algorithm": "brute"}, X_NAN, Y_TRAIN, X_NAN[:10]),
        ({"metric": "nan_euclidean"}, X_NAN, Y_TRAIN, X_NAN[:10]),
        ({}, X_NAN, Y_TRAIN, X_TEST),
        ({}, sparse.csr_matrix(X_TRAIN), Y_TRAIN, sparse.csr_matrix(X_TEST)),
        ({"algorithm": "kd_tree"}, sparse.csr_matrix(X_TRAIN), Y_TRAIN, X_TEST),
        ({"metric": "precomputed"}, DIST, Y_TRAIN, DIST_QUERY),
        ({"metric": "precomputed"}, DIST, Y_TRAIN, X_TEST),
        ({}, X_TRAIN, np.zeros(40, dtype=int), X_TEST),
        ({}, X_TRAIN, np.array(["spam", "ham"])[Y_TRAIN % 2], X_TEST),
        ({}, X_TRAIN, Y_MULTI, X_TEST),
        ({"weights": "distance"}, X_TRAIN, Y_MULTI, X_TEST),
        ({"n_neighbors": 60}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"n_neighbors": 40}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"n_neighbors": 0}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"n_neighbors": 2.5}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"weights": "bad"}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"p": -1}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"p": 0.5}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"metric": "no_such_metric"}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"metric": "cosine", "algorithm": "kd_tree"}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"leaf_size": 0}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"n_jobs": 2}, X_TRAIN, Y_TRAIN, X_TEST),
        ({"metric_params": {"w": np.ones(3)}, "metric": "minkowski"}, X_TRAIN, Y_TRAIN, X_TEST),
        ({}, X_TRAIN, Y_TRAIN, X_TEST[:, :2]),
        ({}, X_TRAIN, Y_TRAIN[:-1], X_TEST),
        ({}, X_TRAIN, X_TRAIN[:, 0], X_TEST),
        ({}, X_TRAIN[:, 0], Y_TRAIN, X_TEST),
        ({}, np.zeros((0, 3)), np.zeros(0), X_TEST),
        ({}, X_TRAIN, Y_TRAIN, np.full((2, 3), np.inf)),
        ({}, X_TRAIN.astype(np.float32), Y_TRAIN, X_TEST.astype(np.float32)),
        ({}, [["a", "b"]] * 4, [0, 1, 0, 1], X_TEST),
        ({}, X_TRAIN + 1j, Y_TRAIN, X_TEST),
        ({}, X_TRAIN.tolist(), Y_TRAIN.tolist(), X_TEST.tolist()),
    ],
)
def test_matches_kneighbors_classifier_on_special_input(params, X, y, X_query):
    _assert_same(params, X, y, X_query)


def test_unknown_algorithm_is_refused_like_scikit_learn():
    # The same error type; the message lists scikit-learn's options and the two
    # approximate ones this class adds ("hnsw", "ivf").
    with pytest.raises(ValueError) as theirs:
        KNeighborsClassifier(algorithm="bad").fit(X_TRAIN, Y_TRAIN)
    with pytest.raises(type(theirs.value)) as ours:
        KNNClassifier(algorithm="bad").fit(X_TRAIN, Y_TRAIN)
    message = str(ours.value)
    assert "The 'algorithm' parameter of KNNClassifier must be a str among" in message
    assert "Got 'bad' instead." in message
    for option in ("auto", "ball_tree", "kd_tree", "brute", "hnsw", "ivf"):
        assert f"'{option}'" in message


def test_is_a_kneighbors_classifier():
    assert isinstance(KNNClassifier(), KNeighborsClassifier)
    ours = set(KNNClassifier().get_params()) - {"metric_learner", "algorithm_params"}
    assert ours == set(KNeighborsClassifier().get_params())


# -- with a metric learner --------------------------------------------------------


def test_learner_path_equals_knn_on_transformed_data(iris):
    X, y = iris
    clf = KNNClassifier(3, weights="distance", metric_learner=MahalanobisTransformer()).fit(X, y)
    Xt = MahalanobisTransformer().fit_transform(X)
    ref = KNeighborsClassifier(3, weights="distance").fit(Xt, y)
    assert_array_equal(clf.predict(X), ref.predict(Xt))
    assert_allclose(clf.predict_proba(X), ref.predict_proba(Xt))
    assert_array_equal(clf.predict(None), ref.predict(None))
    d, i = clf.kneighbors(X[:5])
    d_ref, i_ref = ref.kneighbors(Xt[:5])
    assert_allclose(d, d_ref)
    assert_array_equal(i, i_ref)
    assert_allclose(
        clf.kneighbors_graph(X[:5], mode="distance").toarray(),
        ref.kneighbors_graph(Xt[:5], mode="distance").toarray(),
    )
    assert clf.n_features_in_ == 4
    assert clf.n_samples_fit_ == 150
    assert clf.effective_metric_ == "euclidean"
    assert not clf.outputs_2d_
    assert clf.score(X, y) == ref.score(Xt, y)


def test_learner_distances_are_learned_distances(iris):
    X, y = iris
    clf = KNNClassifier(3, metric_learner=MahalanobisTransformer()).fit(X, y)
    dist, ind = clf.kneighbors(X[:4])
    pairs = np.stack([np.repeat(X[:4], 3, axis=0), X[ind.ravel()]], axis=1)
    assert_allclose(dist.ravel(), clf.metric_learner_.pair_distance(pairs))


def test_learner_is_cloned(iris):
    X, y = iris
    learner = MahalanobisTransformer()
    clf = KNNClassifier(metric_learner=learner).fit(X, y)
    assert not hasattr(learner, "components_")
    assert clf.metric_learner_ is not learner


def test_frozen_learner_is_not_refitted(iris):
    X, y = iris
    prefitted = MahalanobisTransformer().fit(X[:60])
    clf = KNNClassifier(metric_learner=FrozenEstimator(prefitted)).fit(X, y)
    assert_allclose(clf.metric_learner_.transform(X), prefitted.transform(X))


def test_any_transformer_serves_as_learner(iris):
    X, y = iris
    learner = make_pipeline(StandardScaler(), MahalanobisTransformer(n_components=2))
    clf = KNNClassifier(metric_learner=learner).fit(X, y)
    assert clf.score(X, y) > 0.9


def test_pipeline_and_grid_search(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), KNNClassifier(metric_learner=MahalanobisTransformer()))
    search = GridSearchCV(pipe, {"knnclassifier__n_neighbors": [1, 3, 5]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.85
    assert clone(search.best_estimator_).get_params()["knnclassifier__n_neighbors"] in (1, 3, 5)


def test_learner_rejects_precomputed(iris):
    X, y = iris
    with pytest.raises(
        ValueError,
        match=re.escape(
            "metric='precomputed' cannot be used with a metric_learner: "
            "the learner transforms feature vectors, not a distance "
            "matrix."
        ),
    ):
        KNNClassifier(metric="precomputed", metric_learner=MahalanobisTransformer()).fit(X, y)


def test_learner_validates_queries(iris):
    X, y = iris
    clf = KNNClassifier(metric_learner=MahalanobisTransformer()).fit(X, y)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X has 3 features, but MahalanobisTransformer is expecting 4 features as input."
        ),
    ):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.full((1, 4), np.nan))


def test_learner_requires_transform():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'metric_learner' parameter of KNNClassifier must be an "
            "object implementing 'fit' and 'transform' or None. Got "
            "KNeighborsClassifier() instead."
        ),
    ):
        KNNClassifier(metric_learner=KNeighborsClassifier()).fit(X_TRAIN, Y_TRAIN)


def test_feature_names_come_from_the_learner(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=list("abcd"))
    clf = KNNClassifier(metric_learner=MahalanobisTransformer()).fit(df, y)
    assert list(clf.feature_names_in_) == list("abcd")
    assert_array_equal(
        clf.predict(df), KNNClassifier(metric_learner=MahalanobisTransformer()).fit(X, y).predict(X)
    )


def test_refit_without_learner_drops_learner_state(iris):
    X, y = iris
    clf = KNNClassifier(metric_learner=MahalanobisTransformer(n_components=2)).fit(X, y)
    clf.set_params(metric_learner=None).fit(X, y)
    assert clf.metric_learner_ is None
    assert_array_equal(clf.predict(X), KNeighborsClassifier().fit(X, y).predict(X))
