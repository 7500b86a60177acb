"""PairsClassifier, TripletClassifier, QuadrupletClassifier and threshold calibration.

scikit-learn's check_estimator feeds 2-D data, which these reject by design (their
X is a tuple array); the checks that apply to tuple input are written here: clone,
parameters, pickling, not-fitted errors, cross-validation, grid search.
"""

import pickle
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_metric import (
    ITML,
    LMNN,
    LSML,
    MMC,
    NCA,
    POLA,
    SCML,
    SDML,
    PairsClassifier,
    QuadrupletClassifier,
    TripletClassifier,
)
from sklearn_metric._core.compat import InvalidParameterError
from sklearn_metric._core.sampling import sample_pairs, sample_quadruplets, sample_triplets
from sklearn_metric._core.tuples import Tuples
from sklearn_metric.tuples import calibrate_threshold
from sklearn_metric.tuples._calibration import rates_at_cuts

# -- calibration on hand-checkable distances -----------------------------------------

D = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
Y = np.array([1, 1, -1, 1, -1, -1])


@pytest.mark.parametrize(
    "strategy, kwargs, expected",
    [
        ("accuracy", {}, 0.25),  # 5 of 6 right either at 0.25 or 0.45: the first
        ("f_beta", {"beta": 1.0}, 0.45),  # F1 0.857 (3 TP, 1 FP) beats 0.8 (2 TP)
        ("f_beta", {"beta": 0.1}, 0.25),  # precision first: 2 TP, no FP
        ("max_tpr", {"min_rate": 1.0}, 0.25),  # no false positive allowed
        ("max_tpr", {"min_rate": 0.6}, 0.45),  # TNR 2/3 >= 0.6: TPR 1
        ("max_tnr", {"min_rate": 1.0}, 0.45),  # every similar pair kept
        ("eer", {}, 0.35),  # FPR = FNR = 1/3 between the third and fourth pair
    ],
)
def test_threshold_strategies_by_hand(strategy, kwargs, expected):
    assert calibrate_threshold(D, Y, strategy, **kwargs) == pytest.approx(expected)


def test_cuts_between_equal_distances_are_not_offered():
    d = np.array([1.0, 1.0, 2.0])
    y = np.array([1, -1, -1])
    thresholds, tp, fp, n_pos, n_neg = rates_at_cuts(d, y)
    # No threshold separates the two pairs at distance 1.
    assert_allclose(thresholds, [1 - 1e-6, 1.5, 2 + 1e-6])
    assert_array_equal(tp, [0, 1, 1]) and assert_array_equal(fp, [0, 1, 2])
    assert (n_pos, n_neg) == (1, 2)


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"strategy": "best"}, "Unknown threshold strategy 'best'; choose one of"),
        ({"strategy": "max_tpr"}, "strategy='max_tpr' needs min_rate, a rate in [0, 1]."),
        ({"strategy": "max_tnr", "min_rate": 1.5}, "min_rate must be in [0, 1]; got 1.5."),
        ({"strategy": "f_beta", "beta": 0.0}, "beta must be positive; got 0.0."),
    ],
)
def test_bad_strategies(kwargs, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        calibrate_threshold(D, Y, **kwargs)


# -- PairsClassifier ----------------------------------------------------------------


@pytest.fixture(scope="module")
def wine_pairs(wine):
    X, y = wine
    pairs, labels = sample_pairs(y, 150, np.random.RandomState(0))
    order = np.random.RandomState(1).permutation(len(labels))
    return X, pairs[order], labels[order]


def test_pairs_classifier_on_points_and_on_indices(wine_pairs):
    X, pairs, y = wine_pairs
    by_index = PairsClassifier(ITML(random_state=0), preprocessor=X).fit(pairs, y)
    by_points = PairsClassifier(ITML(random_state=0)).fit(X[pairs], y)
    assert_allclose(by_index.threshold_, by_points.threshold_)
    assert_array_equal(by_index.predict(pairs), by_points.predict(X[pairs]))
    assert by_index.score(pairs, y) > 0.8
    scores = by_index.decision_function(pairs)
    assert_allclose(scores, by_index.threshold_ - by_index.pair_distance(pairs))
    assert_array_equal(by_index.predict(pairs), np.where(scores >= 0, 1, -1))
    proba = by_index.predict_proba(pairs)
    assert_allclose(proba.sum(axis=1), 1)
    # Monotone: a larger decision value never gets a smaller probability of "similar".
    order = np.argsort(scores)
    assert np.all(np.diff(proba[order, 1]) >= -1e-12)
    assert_array_equal(by_index.classes_, [-1, 1])


@pytest.mark.parametrize(
    "learner", [ITML(random_state=0), SDML(), MMC(random_state=0), POLA(random_state=0)]
)
def test_every_pair_learner_works_inside(wine_pairs, learner):
    X, pairs, y = wine_pairs
    clf = PairsClassifier(learner, preprocessor=X).fit(pairs, y)
    assert clf.score(pairs, y) > 0.7


def test_frozen_learner_only_gets_a_threshold(wine, wine_pairs):
    X, pairs, y = wine_pairs
    lmnn = LMNN().fit(*wine)
    clf = PairsClassifier(FrozenEstimator(lmnn), preprocessor=X).fit(pairs, y)
    assert clf.metric_learner_.estimator is lmnn
    assert clf.score(pairs, y) > 0.8
    # Without the wrapper, a learner with no fit_pairs is refused with the fix.
    msg = (
        "NCA cannot learn from pairs (it has no fit_pairs); pass a learner that has, or a "
        "fitted learner wrapped in sklearn.frozen.FrozenEstimator to use its metric as it is."
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        PairsClassifier(NCA(), preprocessor=X).fit(pairs, y)


def test_fixed_threshold_held_out_calibration_and_recalibration(wine_pairs):
    X, pairs, y = wine_pairs
    fixed = PairsClassifier(ITML(random_state=0), threshold=2.5, preprocessor=X).fit(pairs, y)
    assert fixed.threshold_ == 2.5
    held_out = PairsClassifier(
        ITML(random_state=0), calibration_split=0.3, preprocessor=X, random_state=0
    ).fit(pairs, y)
    assert held_out.score(pairs, y) > 0.7
    eer = clone(held_out).fit(pairs, y).calibrate_threshold(pairs, y, strategy="eer")
    d = eer.pair_distance(pairs)
    fpr = np.mean(d[y == -1] <= eer.threshold_)
    fnr = np.mean(d[y == 1] > eer.threshold_)
    assert abs(fpr - fnr) < 0.05
    strict = (
        clone(held_out)
        .fit(pairs, y)
        .calibrate_threshold(pairs, y, strategy="max_tpr", min_rate=0.99)
    )
    assert np.mean(strict.predict(pairs)[y == -1] == -1) >= 0.99


def test_cross_validation_and_grid_search_on_pairs(wine_pairs):
    X, pairs, y = wine_pairs
    clf = PairsClassifier(ITML(max_iter=50, random_state=0), preprocessor=X)
    auc = cross_val_score(clf, pairs, y, cv=3, scoring="roc_auc")
    assert auc.shape == (3,) and np.all(auc > 0.8)
    grid = {
        "metric_learner__gamma": [0.5, 2.0],
        "calibration": ["accuracy", "eer"],
    }
    search = GridSearchCV(clf, grid, cv=3, scoring="roc_auc").fit(pairs, y)
    assert set(search.best_params_) == set(grid)
    assert search.best_estimator_.score(pairs, y) > 0.8


def test_tuple_estimator_conventions(wine_pairs):
    X, pairs, y = wine_pairs
    clf = PairsClassifier(ITML(max_iter=20), calibration="f_beta", preprocessor=X)
    assert clone(clf).get_params()["calibration"] == "f_beta"
    with pytest.raises(NotFittedError):
        clf.predict(pairs)
    clf.fit(pairs, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(pairs), clf.predict(pairs))
    with pytest.raises(InvalidParameterError, match="'calibration' parameter of PairsClassifier"):
        PairsClassifier(calibration="best").fit(pairs, y)
    with pytest.raises(InvalidParameterError, match="'min_rate' parameter of PairsClassifier"):
        PairsClassifier(calibration="max_tpr", min_rate=2.0).fit(pairs, y)


@pytest.mark.parametrize(
    "pairs, y, exc, msg",
    [
        (np.zeros((4, 3, 2)), [1, -1, 1, -1], ValueError, "pairs must be an array of shape"),
        (np.zeros((4,)), [1, -1, 1, -1], ValueError, "pairs must be an array of shape"),
        (np.zeros((2, 2, 2, 2)), [1, -1], ValueError, "pairs must be an array of shape"),
        ([[0, 1], [1, 2]], [1, -1], ValueError, "hold indices, but no preprocessor was given"),
        (np.zeros((2, 2, 2)), [1, 2], ValueError, "y must hold +1 (similar) and -1"),
        (np.zeros((2, 2, 2)), [1, 1], ValueError, "needs both similar (+1) and dissimilar (-1)"),
        (np.full((2, 2, 2), np.nan), [1, -1], ValueError, "Input pairs contains NaN"),
        (np.full((2, 2, 2), np.inf), [1, -1], ValueError, "Input pairs contains infinity"),
    ],
)
def test_bad_pairs(pairs, y, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        PairsClassifier(ITML()).fit(pairs, y)


def test_bad_indices_with_a_preprocessor():
    points = np.random.RandomState(0).randn(5, 2)
    with pytest.raises(ValueError, match=re.escape("Tuple indices must be in [0, 5)")):
        PairsClassifier(ITML(), preprocessor=points).fit([[0, 5], [1, 2]], [1, -1])
    with pytest.raises(TypeError, match=re.escape("Tuples of indices must hold integers")):
        PairsClassifier(ITML(), preprocessor=points).fit([[0.5, 1], [1, 2]], [1, -1])


# -- triplets and quadruplets -------------------------------------------------------


def test_triplet_classifier(wine):
    X, y = wine
    triplets = sample_triplets(y, 300, np.random.RandomState(0))
    clf = TripletClassifier(SCML(random_state=0), preprocessor=X).fit(triplets)
    assert clf.score(triplets) > 0.85
    assert_array_equal(clf.predict(triplets), np.where(clf.decision_function(triplets) > 0, 1, -1))
    # Swapping positive and negative reverses every decision.
    swapped = triplets[:, [0, 2, 1]]
    assert_allclose(clf.decision_function(swapped), -clf.decision_function(triplets))
    scores = cross_val_score(clf, triplets, cv=3)
    assert np.all(scores > 0.8)
    frozen = TripletClassifier(FrozenEstimator(LMNN().fit(X, y)), preprocessor=X).fit(triplets)
    assert frozen.score(triplets) > 0.85
    search = GridSearchCV(clf, {"metric_learner__beta": [1e-5, 1e-3]}, cv=3).fit(triplets)
    assert search.best_score_ > 0.8


def test_quadruplet_classifier(wine):
    X, y = wine
    quadruplets = sample_quadruplets(y, 300, np.random.RandomState(0))
    clf = QuadrupletClassifier(LSML(random_state=0), preprocessor=X).fit(quadruplets)
    assert clf.score(quadruplets) > 0.85
    assert clf.score(quadruplets, -np.ones(300)) == pytest.approx(1 - clf.score(quadruplets))
    assert np.all(cross_val_score(clf, quadruplets, cv=3) > 0.8)
    msg = "QuadrupletClassifier: quadruplets must be an array of shape"
    with pytest.raises(ValueError, match=re.escape(msg)):
        clf.predict(X[quadruplets][:, :3])


def test_default_learners():
    assert isinstance(PairsClassifier()._default_learner(), ITML)
    assert isinstance(TripletClassifier()._default_learner(), SCML)
    assert isinstance(QuadrupletClassifier()._default_learner(), LSML)


def _unordered(pairs):
    return {tuple(sorted(p)) for p in pairs.tolist()}


def test_pairs_from_labels_are_distinct_and_of_the_right_kinds():
    from sklearn_metric._core.sampling import pairs_from_labels

    y = np.repeat(np.arange(6), 30)
    pairs, labels = pairs_from_labels(y, 500, 0)
    assert pairs.shape == (1000, 2) and labels.tolist() == [1] * 500 + [-1] * 500
    assert len(_unordered(pairs)) == 1000  # no pair twice, in either order
    assert np.all(pairs[:, 0] != pairs[:, 1])
    assert np.all((y[pairs[:, 0]] == y[pairs[:, 1]]) == (labels == 1))


def test_small_classes_give_every_similar_pair_once_and_as_many_dissimilar():
    import warnings

    from sklearn_metric._core.sampling import pairs_from_labels

    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])  # 3 + 1 + 6 = 10 similar pairs
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default count warns of nothing
        pairs, labels = pairs_from_labels(y, None, 0)
    similar = pairs[labels == 1]
    expected = {(0, 1), (0, 2), (1, 2), (3, 4), (5, 6), (5, 7), (5, 8), (6, 7), (6, 8), (7, 8)}
    assert _unordered(similar) == expected and similar.shape[0] == 10
    assert np.sum(labels == -1) == 10 and len(_unordered(pairs)) == 20
    with pytest.warns(UserWarning, match=r"Only 10 distinct pairs of each kind .*n_constraints=50"):
        pairs_from_labels(y, 50, 0)


@pytest.mark.parametrize("n_tuples", [3, 8])
def test_distinct_by_hand_in_both_ways(n_tuples):
    # Points 0 and 2 are equal (one with -0.0), 1 differs. As many tuples as points or
    # more: compared by numbering the points; over a table of more points than
    # tuples: compared in blocks.

    points = np.array([[0.0, 1.0], [0.0, 2.0], [-0.0, 1.0]])
    index = np.array([[0, 2], [0, 1], [1, 1], [2, 1]] * 2)[:n_tuples]
    expected = np.array([False, True, False, True] * 2)[:n_tuples]
    assert_array_equal(Tuples(index, points).distinct(), expected)
    # The same tuples over a table with many unused points: compared in blocks.
    wide_table = np.vstack([points, np.arange(40.0).reshape(20, 2)])
    assert_array_equal(Tuples(index, wide_table).distinct(), expected)


def _pairs_with_duplicates():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 4)
    X[10:20] = X[:10]  # every point of the first ten twice, under two indices
    pairs = np.array([[i, (i + 3) % 30] for i in range(30)] + [[i, i + 10] for i in range(10)])
    y = np.where(np.arange(40) % 2 == 0, 1, -1)
    return X, pairs, y


@pytest.mark.parametrize(
    "learner",
    [ITML(random_state=0), SDML(random_state=0), MMC(random_state=0), POLA(random_state=0)],
    ids=lambda est: type(est).__name__,
)
def test_index_and_point_routes_see_one_point_table(learner):
    # Equal points are stored once whichever way the pairs come, so statistics of
    # the point table (ITML's default bounds) do not depend on the route.
    X, pairs, y = _pairs_with_duplicates()
    by_index = clone(learner).fit_pairs(pairs, y, preprocessor=X)
    by_points = clone(learner).fit_pairs(X[pairs], y)
    assert_allclose(by_index.components_, by_points.components_, rtol=1e-10, atol=1e-12)
    if isinstance(learner, ITML):
        assert_array_equal(by_index.bounds_, by_points.bounds_)


def test_compact_stores_equal_points_once_in_first_index_order():
    points = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-0.0, 1.0], [5.0, 5.0]])
    tuples = Tuples(np.array([[4, 2], [0, 3], [1, 2]]), points).compact()
    assert_array_equal(tuples.points, [[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    assert_array_equal(tuples.indices, [[2, 0], [0, 1], [1, 0]])


@pytest.mark.parametrize("learner", [ITML(random_state=0), LMNN(random_state=0)])
def test_pair_distance_takes_indices_with_a_preprocessor(wine, learner):
    X, y = wine
    learner = clone(learner).fit(X, y)
    pairs = np.array([[0, 1], [5, 100], [7, 7]])
    expected = learner.pair_distance(X[pairs])
    assert_allclose(learner.pair_distance(pairs, preprocessor=X), expected)
    assert_allclose(learner.pair_score(pairs, preprocessor=lambda i: X[i]), -expected)
    assert expected[2] == 0.0
    with pytest.raises(ValueError, match="hold indices, but no preprocessor"):
        learner.pair_distance(pairs)
