import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_metric import LMNN, EnergyClassifier, MahalanobisTransformer


def _brute_force_energy(Z, y, q, c, k, mu):
    """The paper's energy, term by term, with Python loops (tiny data only)."""
    d = lambda a, b: float(np.sum((a - b) ** 2))  # noqa: E731
    own = [i for i in range(len(y)) if y[i] == c]
    own.sort(key=lambda i: d(q, Z[i]))
    targets_q = own[: min(k, len(own))]
    energy = (1 - mu) * sum(d(q, Z[j]) for j in targets_q)
    for j in targets_q:
        for imp in range(len(y)):
            if y[imp] != c:
                energy += mu * max(0.0, 1 + d(q, Z[j]) - d(q, Z[imp]))
    for i in range(len(y)):
        if y[i] == c:
            continue
        same = sorted(
            (j for j in range(len(y)) if y[j] == y[i] and j != i), key=lambda j: d(Z[i], Z[j])
        )
        for j in same[:k]:
            energy += mu * max(0.0, 1 + d(Z[i], Z[j]) - d(Z[i], q))
    return energy


def test_energy_matches_the_formula():
    rng = np.random.RandomState(0)
    X = rng.randn(24, 2) * 0.7
    y = np.repeat([0, 1, 2], 8)
    X[y == 1] += 1.0
    learner = FrozenEstimator(LMNN(n_neighbors=2, mu=0.3, solver="lbfgs").fit(X, y))
    clf = EnergyClassifier(learner).fit(X, y)
    assert clf.n_neighbors_ == 2 and clf.mu_ == 0.3
    Q = rng.randn(5, 2)
    Z, Zq = learner.transform(X), learner.transform(Q)
    expected = [[_brute_force_energy(Z, y, q, c, 2, 0.3) for c in range(3)] for q in Zq]
    assert_allclose(clf.energy(Q), expected, rtol=1e-10)
    assert np.array_equal(clf.predict(Q), np.argmin(expected, axis=1))


def test_defaults_come_from_lmnn():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = EnergyClassifier(LMNN(n_neighbors=5, mu=0.3, solver="lbfgs")).fit(X, y)
    assert clf.n_neighbors_ == 5 and clf.mu_ == 0.3
    other = EnergyClassifier(MahalanobisTransformer()).fit(X, y)
    assert other.n_neighbors_ == 3 and other.mu_ == 0.5
    assert isinstance(EnergyClassifier().fit(X, y).metric_learner_, LMNN)


def test_accuracy_on_wine():
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    clf = EnergyClassifier().fit(scaler.transform(X_tr), y_tr)
    assert clf.score(scaler.transform(X_te), y_te) >= 0.96


def test_string_labels():
    X, y = load_wine(return_X_y=True)
    labels = np.array(["x", "y", "z"])[y]
    clf = EnergyClassifier(MahalanobisTransformer("ledoit_wolf")).fit(X, labels)
    assert set(clf.predict(X)) <= {"x", "y", "z"}


@pytest.mark.parametrize(
    "X, y, msg",
    [
        ([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [1, 1, 1], "needs samples of at least 2 classes"),
        ([[0.0, np.nan], [1.0, 0.0]], [0, 1], "NaN"),
        ([[0.0, 1.0], [1.0, 0.0]], [0.3, 0.7], "Unknown label type"),
    ],
)
def test_bad_input(X, y, msg):
    with pytest.raises(ValueError, match=msg):
        EnergyClassifier().fit(X, y)


def test_proba_and_decision_function():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = EnergyClassifier(LMNN(solver="lbfgs")).fit(X, y)
    proba = clf.predict_proba(X[:10])
    assert_allclose(proba.sum(axis=1), 1)
    assert np.array_equal(np.argmax(proba, axis=1), np.argmin(clf.energy(X[:10]), axis=1))
    assert clf.decision_function(X[:10]).shape == (10, 3)
    binary = y < 2
    clf2 = EnergyClassifier(LMNN(solver="lbfgs")).fit(X[binary], y[binary])
    scores = clf2.decision_function(X[binary][:20])
    assert scores.shape == (20,)
    assert np.array_equal(clf2.predict(X[binary][:20]), clf2.classes_[(scores > 0).astype(int)])
