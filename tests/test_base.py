"""The shared metric surface, exercised through a tiny concrete learner."""

import pickle
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.utils.validation import validate_data

from sklearn_metric._core.base import (
    MahalanobisDistance,
    MetricLearnerMixin,
    check_pairs,
    validate_labelled_data,
)


class FixedLearner(MetricLearnerMixin):
    """Learner whose ``L`` is given: lets every number below be checked by hand."""

    def __init__(self, L=None):
        self.L = L

    def fit(self, X, y=None):
        X = validate_data(self, X)
        self.components_ = np.array(self.L, dtype=float)
        return self


L = np.array([[2.0, 0.0], [0.0, 0.5], [1.0, 1.0]])
X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])


@pytest.fixture
def learner():
    return FixedLearner(L).fit(X)


def test_transform_and_matrix(learner):
    assert_allclose(learner.transform(X), X @ L.T)
    assert_allclose(learner.get_mahalanobis_matrix(), [[5.0, 1.0], [1.0, 1.25]])


def test_pair_distance_by_hand(learner):
    pairs = np.array([[X[0], X[1]], [X[0], X[2]], [X[1], X[1]]])
    # L (x1 - x0) = (2, 0, 1) -> sqrt 5 ; L (x2 - x0) = (0, 1, 2) -> sqrt 5
    assert_allclose(learner.pair_distance(pairs), [np.sqrt(5), np.sqrt(5), 0.0])
    assert_allclose(learner.pair_score(pairs), -learner.pair_distance(pairs))


def test_metric_callable(learner):
    metric = learner.get_metric()
    assert metric(X[0], X[1]) == pytest.approx(np.sqrt(5))
    assert metric(X[1], X[0]) == pytest.approx(metric(X[0], X[1]))
    restored = pickle.loads(pickle.dumps(metric))
    assert restored(X[0], X[2]) == pytest.approx(np.sqrt(5))
    with pytest.raises(
        ValueError, match=re.escape("The metric expects vectors of 2 features, got 3 and 2.")
    ):
        metric(np.zeros(3), np.zeros(2))


def test_metric_is_independent_of_refits(learner):
    metric = learner.get_metric()
    learner.components_[:] = 0
    assert metric(X[0], X[1]) == pytest.approx(np.sqrt(5))


@pytest.mark.parametrize(
    "pairs, msg",
    [
        (np.zeros((3, 2)), r"shape \(n_pairs, 2, n_features\) \(points\) .* got shape \(3, 2\)"),
        (np.zeros((3, 3, 2)), r"got shape \(3, 3, 2\)"),
        (np.zeros((3, 2, 4)), "pairs have 4 features, but the metric was fitted on 2"),
        (np.full((1, 2, 2), np.nan), "NaN"),
    ],
)
def test_bad_pairs(learner, pairs, msg):
    with pytest.raises(ValueError, match=msg):
        learner.pair_distance(pairs)


def test_check_pairs_keeps_float32():
    assert check_pairs(np.zeros((2, 2, 3), dtype=np.float32)).dtype == np.float32
    assert check_pairs(np.zeros((2, 2, 3), dtype=int)).dtype == np.float64


def test_unfitted_learner_raises():
    from sklearn.exceptions import NotFittedError

    for method in ("get_mahalanobis_matrix", "get_metric"):
        with pytest.raises(NotFittedError):
            getattr(FixedLearner(L), method)()


def test_feature_names_out(learner):
    assert list(learner.get_feature_names_out()) == [
        "fixedlearner0",
        "fixedlearner1",
        "fixedlearner2",
    ]


def test_validate_labelled_data_rejects_one_class():
    with pytest.raises(
        ValueError,
        match=re.escape("FixedLearner needs samples of at least 2 classes; got 1 class: ['a']."),
    ):
        validate_labelled_data(FixedLearner(), X, ["a", "a", "a"])


def test_validate_labelled_data_rejects_continuous_y():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Unknown label type: continuous. Maybe you are trying to fit "
            "a classifier, which expects discrete classes on a "
            "regression target with continuous values."
        ),
    ):
        validate_labelled_data(FixedLearner(), X, [0.1, 0.2, 0.3])


def test_validate_labelled_data_encodes_string_labels():
    X_, y_, classes, y_enc = validate_labelled_data(FixedLearner(), X, ["b", "a", "b"])
    assert list(classes) == ["a", "b"]
    assert list(y_enc) == [1, 0, 1]


def test_mahalanobis_distance_repr():
    assert repr(MahalanobisDistance(L)) == "MahalanobisDistance(n_features=2)"
