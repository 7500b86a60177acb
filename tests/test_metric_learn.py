"""sklearn_metric.metric_learn: metric-learn 0.7's API, written from its documented behaviour."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_metric
from sklearn_metric import metric_learn
from sklearn_metric.metric_learn.exceptions import NonPSDError, PreprocessorError

EXPECTED_NAMES = {
    "Constraints", "Covariance", "ITML", "ITML_Supervised", "LFDA", "LMNN", "LSML",
    "LSML_Supervised", "MLKR", "MMC", "MMC_Supervised", "NCA", "RCA", "RCA_Supervised",
    "SCML", "SCML_Supervised", "SDML", "SDML_Supervised", "base_metric", "constraints",
    "covariance", "exceptions", "itml", "lfda", "lmnn", "lsml", "mlkr", "mmc", "nca", "rca",
    "scml", "sdml",
}  # fmt: skip


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_pairs(iris):
    X, y = iris
    a, b, c, d = metric_learn.Constraints(y).positive_negative_pairs(40, random_state=0)
    pairs = np.vstack([np.column_stack([a, b]), np.column_stack([c, d])])
    labels = np.r_[np.ones(len(a), dtype=int), -np.ones(len(c), dtype=int)]
    return pairs, labels


SUPERVISED = [
    (metric_learn.LMNN, {"n_neighbors": 5}),
    (metric_learn.NCA, {"random_state": 0}),
    (metric_learn.LFDA, {"k": 3}),
    (metric_learn.RCA_Supervised, {"n_chunks": 30, "random_state": 0}),
    (metric_learn.ITML_Supervised, {"random_state": 0}),
    (metric_learn.SDML_Supervised, {"balance_param": 1e-4, "random_state": 0}),
    (metric_learn.LSML_Supervised, {"random_state": 0}),
    (metric_learn.MMC_Supervised, {"random_state": 0}),
    (metric_learn.SCML_Supervised, {"max_iter": 100000, "random_state": 0}),
]


def test_every_public_name_of_metric_learn_is_served():
    assert EXPECTED_NAMES <= set(dir(metric_learn))
    assert set(metric_learn.__all__) == EXPECTED_NAMES
    from sklearn_metric.metric_learn.itml import ITML  # submodule paths work too

    assert ITML is metric_learn.ITML


@pytest.mark.parametrize("cls, params", SUPERVISED, ids=lambda v: getattr(v, "__name__", ""))
def test_supervised_learners_fit_transform_and_measure(iris, cls, params):
    X, y = iris
    learner = cls(**params).fit(X, y)
    L = learner.components_
    assert_allclose(learner.transform(X[:5]), X[:5] @ L.T)
    assert_allclose(learner.get_mahalanobis_matrix(), L.T @ L, atol=1e-12)
    metric = learner.get_metric()
    d = np.linalg.norm(L @ (X[0] - X[7]))
    assert metric(X[0], X[7]) == pytest.approx(d)
    assert metric(X[0], X[7], squared=True) == pytest.approx(d**2)
    pairs = np.stack([X[:3], X[3:6]], axis=1)
    assert_allclose(learner.pair_distance(pairs), np.linalg.norm((X[:3] - X[3:6]) @ L.T, axis=1))
    assert_allclose(learner.pair_score(pairs), -learner.pair_distance(pairs))
    with pytest.warns(FutureWarning, match="score_pairs is deprecated"):
        assert_allclose(learner.score_pairs(pairs), learner.pair_distance(pairs))
    restored = pickle.loads(pickle.dumps(learner))
    assert_allclose(restored.transform(X[:3]), learner.transform(X[:3]))
    assert clone(learner).get_params() == learner.get_params()


def test_mlkr_regresses(iris):
    X, y = iris
    learner = metric_learn.MLKR(n_components=2, random_state=0).fit(X[:, 1:], X[:, 0])
    assert learner.components_.shape == (2, 3)


def test_covariance_follows_metric_learn_unbiased_convention(iris):
    X, _ = iris
    M = metric_learn.Covariance().fit(X).get_mahalanobis_matrix()
    assert_allclose(M, np.linalg.inv(np.cov(X, rowvar=False)), rtol=1e-8)


def test_rca_takes_chunks_with_unknown_points(iris):
    X, y = iris
    chunks = metric_learn.Constraints(y).chunks(n_chunks=20, chunk_size=3, random_state=0)
    assert np.sum(chunks == -1) == 150 - 60
    assert_array_equal(np.bincount(chunks[chunks >= 0]), np.full(20, 3))
    assert metric_learn.RCA().fit(X, chunks).components_.shape == (4, 4)


@pytest.mark.parametrize("cls", [metric_learn.ITML, metric_learn.SDML, metric_learn.MMC])
def test_pair_learners_predict_score_and_calibrate(iris, iris_pairs, cls):
    X, _ = iris
    pairs, y = iris_pairs
    params = {"balance_param": 1e-3} if cls is metric_learn.SDML else {"random_state": 0}
    learner = cls(preprocessor=X, **params).fit(pairs, y)
    distances = learner.pair_distance(pairs)
    assert_allclose(learner.decision_function(pairs), -distances)
    assert_array_equal(learner.predict(pairs), np.where(distances <= learner.threshold_, 1, -1))
    assert learner.score(pairs, y) > 0.9  # ROC AUC
    assert learner.predict(pairs).tolist().count(1) > 0
    learner.set_threshold(0.0)
    assert np.all(learner.predict(pairs)[distances > 0] == -1)
    learner.calibrate_threshold(pairs, y, strategy="max_tpr", min_rate=0.9)
    tnr = np.mean(learner.predict(pairs)[y == -1] == -1)
    assert tnr >= 0.9
    # Points given directly: the same problem (its points in another order, so an
    # iterative solver's last digits may differ).
    by_points = cls(**params).fit(X[pairs], y)
    assert_allclose(by_points.get_mahalanobis_matrix(), learner.get_mahalanobis_matrix(), atol=1e-2)
    with pytest.raises(ValueError, match="calibration_params takes"):
        cls(preprocessor=X, **params).fit(pairs, y, calibration_params={"strategie": "x"})


def test_itml_default_bounds_follow_metric_learn(iris, iris_pairs):
    X, _ = iris
    pairs, y = iris_pairs
    learner = metric_learn.ITML(preprocessor=X).fit(pairs, y)
    points = np.unique(X[np.unique(pairs)], axis=0)
    low, high = np.percentile(pairwise_distances(points), (5, 95))
    assert_allclose(learner.bounds_, [max(low, 1e-9), high])
    given = metric_learn.ITML(preprocessor=X).fit(pairs, y, bounds=(0.5, 3.0))
    assert_allclose(given.bounds_, [0.5, 3.0])


def test_sdml_balance_param_is_on_metric_learns_scale(iris, iris_pairs):
    X, _ = iris
    pairs, y = iris_pairs
    ours = sklearn_metric.SDML(balance_param=1e-3 * len(pairs)).fit_pairs(pairs, y, preprocessor=X)
    theirs = metric_learn.SDML(balance_param=1e-3, preprocessor=X).fit(pairs, y)
    assert_allclose(theirs.get_mahalanobis_matrix(), ours.get_mahalanobis_matrix())


def test_too_large_balance_raises_non_psd_error(iris, iris_pairs):
    X, _ = iris
    pairs, y = iris_pairs
    with pytest.raises(NonPSDError, match="not positive definite"):
        metric_learn.SDML(balance_param=100.0, preprocessor=X).fit(pairs, y)
    assert issubclass(NonPSDError, ValueError)


def test_triplet_and_quadruplet_learners(iris):
    X, y = iris
    constraints = metric_learn.Constraints(y)
    triplets = constraints.generate_knntriplets(X, 2, 3)
    assert triplets.shape == (150 * 2 * 3, 3)
    assert np.all(y[triplets[:, 0]] == y[triplets[:, 1]])
    assert np.all(y[triplets[:, 0]] != y[triplets[:, 2]])
    scml = metric_learn.SCML(max_iter=100000, preprocessor=X, random_state=0).fit(triplets)
    decision = scml.decision_function(triplets)
    assert_array_equal(scml.predict(triplets), np.sign(decision))
    assert scml.score(triplets) == np.mean(decision > 0)
    a, b, c, d = constraints.positive_negative_pairs(30, random_state=1)
    quadruplets = np.column_stack([a, b, c, d])
    lsml = metric_learn.LSML(preprocessor=X).fit(quadruplets)
    assert lsml.score(quadruplets) > 0.9
    assert_allclose(
        lsml.decision_function(quadruplets),
        lsml.pair_distance(quadruplets[:, 2:]) - lsml.pair_distance(quadruplets[:, :2]),
    )


def test_preprocessor_keys_callables_and_errors(iris, iris_pairs):
    X, _ = iris
    pairs, y = iris_pairs
    names = np.array([f"face_{i:03d}.png" for i in range(len(X))])

    def load(keys):
        return X[[int(key[5:8]) for key in keys]]

    by_key = metric_learn.ITML(preprocessor=load, random_state=0).fit(names[pairs], y)
    by_index = metric_learn.ITML(preprocessor=X, random_state=0).fit(pairs, y)
    assert_allclose(by_key.components_, by_index.components_)
    assert_allclose(by_key.transform(names[:4]), by_index.transform(X[:4]))
    assert_allclose(by_key.pair_distance(names[pairs[:5]]), by_index.pair_distance(pairs[:5]))
    lmnn = metric_learn.LMNN(preprocessor=X).fit(np.arange(150), iris[1])
    assert lmnn.transform(np.arange(3)).shape == (3, 4)

    def broken(keys):
        raise OSError("no such file")

    with pytest.raises(PreprocessorError, match="no such file"):
        metric_learn.ITML(preprocessor=broken).fit(names[pairs], y)
    with pytest.raises(PreprocessorError, match="must be in"):
        metric_learn.ITML(preprocessor=X[:10]).fit(pairs, y)


def test_deprecated_and_ignored_parameters_warn(iris):
    X, y = iris
    with pytest.warns(FutureWarning, match="'k' was renamed to 'n_neighbors'"):
        learner = metric_learn.LMNN(k=2).fit(X, y)
    assert learner.learner_.n_neighbors == 2
    from sklearn_metric.metric_learn import base_metric

    base_metric._WARNED.discard(("LMNN", "learn_rate"))
    with pytest.warns(UserWarning, match="'learn_rate' has no meaning"):
        metric_learn.LMNN(learn_rate=1e-3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only, and defaults never warn
        metric_learn.LMNN(learn_rate=1e-3).fit(X, y)
        metric_learn.MMC_Supervised(random_state=0).fit(X, y)


def test_model_selection_on_pairs(iris, iris_pairs):
    X, _ = iris
    pairs, y = iris_pairs
    itml = metric_learn.ITML(preprocessor=X)
    scores = cross_val_score(itml, pairs, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)
    search = GridSearchCV(itml, {"gamma": [0.5, 1.0]}, cv=3).fit(pairs, y)
    assert search.best_params_["gamma"] in (0.5, 1.0)
    X_raw, labels = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), metric_learn.NCA(random_state=0)).fit(X_raw, labels)
    assert pipe.transform(X_raw[:2]).shape == (2, 4)


def test_wrap_pairs():
    X = np.arange(10.0).reshape(5, 2)
    pairs, y = metric_learn.constraints.wrap_pairs(X, ([0], [1], [2, 3], [4, 0]))
    assert pairs.shape == (3, 2, 2)
    assert_array_equal(pairs[1], [X[2], X[4]])
    assert_array_equal(y, [1, -1, -1])


def test_metric_learn_readme_snippets_run_with_the_import_changed():
    # The examples of metric-learn's documentation, rewritten here: only the import differs.
    from sklearn.datasets import load_iris as load

    X, y = load(return_X_y=True)
    lmnn = metric_learn.LMNN(n_neighbors=5, learn_rate=1e-6)
    lmnn.fit(X, y)
    assert lmnn.transform(X).shape == X.shape
    pairs = [[[1.2, 7.5], [1.3, 1.5]], [[6.4, 2.6], [6.2, 9.7]], [[1.3, 4.5], [3.2, 4.6]],
             [[6.2, 5.5], [5.4, 5.4]]]  # fmt: skip
    y_pairs = [1, 1, -1, -1]
    mmc = metric_learn.MMC(random_state=42).fit(pairs, y_pairs)
    assert mmc.predict(pairs).shape == (4,)
    assert mmc.get_mahalanobis_matrix().shape == (2, 2)
