"""The public tuple samplers of sklearn_metric.tuples, and group-disjoint evaluation."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GroupKFold, cross_val_score

from sklearn_metric import PairsClassifier
from sklearn_metric.tuples import sample_pairs, sample_quadruplets, sample_triplets


def test_pairs_hand_checkable():
    y = np.array(["a", "a", "b", "b"])
    pairs, labels = sample_pairs(y, 2, random_state=0)
    assert pairs.shape == (4, 2)
    assert labels.tolist() == [1, 1, -1, -1]
    # the only similar pairs are (0, 1) and (2, 3), in either order
    assert {frozenset(p) for p in pairs[:2].tolist()} <= {frozenset((0, 1)), frozenset((2, 3))}
    assert np.all(y[pairs[2:, 0]] != y[pairs[2:, 1]])


def test_samplers_are_seeded():
    y = np.repeat(np.arange(5), 4)
    assert np.array_equal(
        sample_pairs(y, 7, random_state=3)[0], sample_pairs(y, 7, random_state=3)[0]
    )
    assert np.array_equal(
        sample_triplets(y, 7, random_state=3), sample_triplets(y, 7, random_state=3)
    )
    assert np.array_equal(
        sample_quadruplets(y, 7, random_state=3), sample_quadruplets(y, 7, random_state=3)
    )


def test_triplets_and_quadruplets_order():
    y = np.repeat(np.arange(3), 5)
    t = sample_triplets(y, 30, random_state=0)
    assert t.shape == (30, 3)
    assert np.all(y[t[:, 0]] == y[t[:, 1]]) and np.all(t[:, 0] != t[:, 1])
    assert np.all(y[t[:, 0]] != y[t[:, 2]])
    q = sample_quadruplets(y, 30, random_state=0)
    assert q.shape == (30, 4)
    assert np.all(y[q[:, 0]] == y[q[:, 1]]) and np.all(y[q[:, 2]] != y[q[:, 3]])


@pytest.mark.parametrize("sampler", [sample_pairs, sample_triplets, sample_quadruplets])
def test_groups_keep_every_tuple_inside_one_group(sampler):
    y = np.repeat(np.arange(12), 4)  # 12 identities
    groups = y % 4  # four folds of three identities
    drawn = sampler(y, 40, groups=groups, random_state=0)
    tuples = drawn[0] if sampler is sample_pairs else drawn
    assert len(tuples) == (80 if sampler is sample_pairs else 40)
    assert np.all(groups[tuples].min(axis=1) == groups[tuples].max(axis=1))
    # every group got its share (equal sizes: 10 each)
    counts = np.bincount(groups[tuples[:, 0]], minlength=4)
    assert counts.tolist() == [counts[0]] * 4


def test_grouped_pairs_keep_their_labels():
    y = np.repeat(np.arange(12), 4)
    pairs, labels = sample_pairs(y, 25, groups=y % 3, random_state=1)
    assert labels.tolist() == [1] * 25 + [-1] * 25
    assert np.array_equal(y[pairs[:, 0]] == y[pairs[:, 1]], labels == 1)


def test_group_kfold_on_pair_groups_separates_identities():
    X, y = load_iris(return_X_y=True)
    # three identities (classes) cannot be split into folds with both kinds of pairs,
    # so identities are sub-classes: 15 of 10 points each
    identity = np.arange(150) // 10
    folds = identity % 3
    pairs, labels = sample_pairs(identity, 60, groups=folds, random_state=0)
    pair_groups = folds[pairs[:, 0]]
    for train, test in GroupKFold(3).split(pairs, labels, pair_groups):
        assert not set(identity[pairs[train]].ravel()) & set(identity[pairs[test]].ravel())
    scores = cross_val_score(
        PairsClassifier(preprocessor=X),
        pairs,
        labels,
        groups=pair_groups,
        cv=GroupKFold(3),
        scoring="roc_auc",
    )
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


@pytest.mark.parametrize("n", [0, -2, 2.5, True, "3"])
def test_bad_counts(n):
    with pytest.raises(ValueError, match=r"n_pairs must be a positive integer, got"):
        sample_pairs([0, 0, 1, 1], n)


def test_bad_groups_and_labels():
    with pytest.raises(ValueError, match="groups has 3 entries but y has 4"):
        sample_pairs([0, 0, 1, 1], 2, groups=[0, 0, 1])
    with pytest.raises(ValueError, match="No group holds two classes"):
        sample_pairs([0, 0, 1, 1], 2, groups=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="Only one class"):
        sample_pairs([0, 0, 0], 2)
    with pytest.raises(ValueError, match="y is empty"):
        sample_triplets([], 2)
