"""Displays and feature relevance: what is drawn (artists, labels, positions), and
their errors. matplotlib runs on its Agg backend."""

import re
import sys
import warnings

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import GroupKFold
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import ITML, LMNN, NCA, KNNClassifier, MahalanobisTransformer, PairsClassifier
from sklearn_metric.inspection import (
    EmbeddingDisplay,
    MetricDisplay,
    NeighborsDisplay,
    PairDistanceDisplay,
    RetrievalCurveDisplay,
    feature_relevance,
)
from sklearn_metric.metrics import mean_average_precision_at_r, retrieval_curve
from sklearn_metric.tuples import sample_pairs

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Short fits keep the tests fast; their ConvergenceWarning is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def nca2(iris):
    return NCA(n_components=2, random_state=0).fit(*iris)


def _with_components(L):
    """A fitted learner whose map is ``L`` (hand-checkable relevance)."""
    L = np.asarray(L, dtype=float)
    learner = MahalanobisTransformer().fit(np.random.RandomState(0).randn(20, L.shape[1]))
    learner.components_ = L
    return learner


# -- feature_relevance -----------------------------------------------------------


def test_relevance_by_hand():
    learner = _with_components([[3.0, 0.0], [0.0, 4.0]])
    assert_allclose(feature_relevance(learner), [3 / 7, 4 / 7])
    # Scaled by each feature's standard deviation in X: 3 * 2 and 4 * 1.
    X = np.array([[2.0, 1.0], [-2.0, -1.0]])
    assert_allclose(feature_relevance(learner, X), [0.6, 0.4])
    # Column norms: features mixed by L count by their whole column.
    assert_allclose(feature_relevance(_with_components([[3.0, 4.0]])), [3 / 7, 4 / 7])


@pytest.mark.parametrize("seed", range(4))
def test_relevance_recovers_the_informative_features(seed):
    # shuffle=False puts the 3 informative features first, then 7 of pure noise; an
    # NCA down to two dimensions must choose where to look.
    X, y = make_classification(
        n_samples=400,
        n_features=10,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        shuffle=False,
        random_state=seed,
    )
    pipe = make_pipeline(StandardScaler(), NCA(n_components=2, random_state=0)).fit(X, y)
    relevance = feature_relevance(pipe, X)
    assert relevance.min() >= 0 and relevance.sum() == pytest.approx(1.0)
    assert relevance[:3].min() > relevance[3:].max()


def test_relevance_composes_a_pipeline_and_reads_a_classifier(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), NCA(random_state=0)).fit(X, y)
    scaler, nca = pipe[0], pipe[1]
    expected = np.linalg.norm(nca.components_ / scaler.scale_, axis=0)
    assert_allclose(feature_relevance(pipe), expected / expected.sum(), rtol=1e-8)
    knn = KNNClassifier(metric_learner=NCA(random_state=0)).fit(X, y)
    assert_allclose(feature_relevance(knn), feature_relevance(knn.metric_learner_), rtol=1e-12)


def test_relevance_errors(iris):
    X, y = iris
    kernel = make_pipeline(Nystroem(n_components=20, random_state=0), NCA(max_iter=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short budget's ConvergenceWarning
        kernel.fit(X, y)
    with pytest.raises(ValueError, match="is not affine"):
        feature_relevance(kernel)
    with pytest.raises(TypeError, match="KNeighborsClassifier maps no points into a learned"):
        feature_relevance(KNeighborsClassifier().fit(X, y))
    with pytest.raises(ValueError, match="X has 3 features, but the estimator was fitted on 4"):
        feature_relevance(NCA(max_iter=5).fit(X, y), X[:, :3])


# -- EmbeddingDisplay ----------------------------------------------------------------


def test_embedding_draws_each_class_at_its_learned_coordinates(iris, nca2):
    X, y = iris
    display = EmbeddingDisplay.from_estimator(nca2, X, y)
    assert display.ax_.get_title() == "NCA"
    (collections,) = display.scatters_
    assert len(collections) == 3
    Z = nca2.transform(X)
    for label, collection in zip(range(3), collections, strict=True):
        assert_allclose(collection.get_offsets(), Z[y == label])
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["0", "1", "2"]
    assert display.figure_ is display.ax_.figure


def test_embedding_beside_the_euclidean_view_and_projections(iris):
    X, y = iris
    lmnn = LMNN(random_state=0).fit(X, y)  # 4 output dimensions: PCA to two
    display = EmbeddingDisplay.from_estimator(lmnn, X, y, compare_euclidean=True)
    assert [ax.get_title() for ax in display.ax_] == ["Euclidean", "LMNN"]
    assert len(display.scatters_) == 2
    euclidean = np.vstack([c.get_offsets() for c in display.scatters_[0]])
    from sklearn.decomposition import PCA

    expected = PCA(2, random_state=0).fit_transform(X)
    assert_allclose(np.abs(euclidean), np.abs(np.vstack([expected[y == c] for c in range(3)])))
    first = EmbeddingDisplay.from_estimator(lmnn, X, y, projection="first")
    assert_allclose(first.scatters_[0][0].get_offsets(), lmnn.transform(X)[y == 0][:, :2])
    # One dimension: drawn along a line.
    line = EmbeddingDisplay.from_embedding(X[:, :1], y, name="one")
    assert_allclose(np.vstack([c.get_offsets() for c in line.scatters_[0]])[:, 1], 0.0)
    assert line.ax_.get_title() == "one"


def test_embedding_errors_and_given_axes(iris, nca2):
    X, y = iris
    with pytest.raises(ValueError, match="projection must be one of"):
        EmbeddingDisplay.from_estimator(nca2, X, y, projection="tsne")
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=re.escape("draws on 2 axes (1, 2); ax holds 1")):
        EmbeddingDisplay.from_estimator(nca2, X, y, compare_euclidean=True, ax=ax)
    display = EmbeddingDisplay.from_estimator(nca2, X, y, ax=ax, s=40, alpha=0.3)
    assert display.ax_ is ax
    assert display.scatters_[0][0].get_sizes()[0] == 40


# -- MetricDisplay ----------------------------------------------------------------


def test_metric_display_draws_the_matrix_and_the_relevance():
    data = load_iris(as_frame=True)
    lmnn = LMNN(random_state=0).fit(data.data, data.target)
    display = MetricDisplay.from_estimator(lmnn, data.data)
    # In standard units: entry (i, j) times the standard deviations of i and j.
    std = data.data.to_numpy().std(axis=0)
    M = lmnn.get_mahalanobis_matrix() * np.outer(std, std)
    assert_allclose(display.im_.get_array(), M)
    low, high = display.im_.get_clim()
    assert low == -high == pytest.approx(-np.abs(M).max(), rel=1e-12)
    heights = [bar.get_height() for bar in display.bars_]
    assert_allclose(heights, feature_relevance(lmnn, data.data))
    names = [label.get_text() for label in display.ax_[0].get_yticklabels()]
    assert names == list(data.data.columns)
    assert display.colorbar_ is not None
    assert display.ax_[1].get_ylabel() == "share of the learned distance"


def test_metric_display_kinds_names_and_errors(iris):
    X, y = iris
    lmnn = LMNN(random_state=0).fit(X, y)
    matrix = MetricDisplay.from_estimator(lmnn, kind="matrix", colorbar=False)
    assert matrix.bars_ is None and matrix.colorbar_ is None
    assert_allclose(matrix.im_.get_array(), lmnn.get_mahalanobis_matrix())
    assert matrix.ax_.get_title() == "Mahalanobis matrix (LMNN)"
    bars = MetricDisplay.from_estimator(lmnn, kind="relevance", feature_names=list("abcd"))
    assert bars.im_ is None
    assert [t.get_text() for t in bars.ax_.get_xticklabels()] == list("abcd")
    with pytest.raises(ValueError, match="kind must be one of"):
        MetricDisplay.from_estimator(lmnn, kind="both!")
    with pytest.raises(ValueError, match="feature_names has 2 names for 4 features"):
        MetricDisplay.from_estimator(lmnn, feature_names=["a", "b"])


# -- PairDistanceDisplay -----------------------------------------------------------


def test_pair_display_by_hand():
    distances = np.array([0.2, 0.4, 0.5, 1.1, 1.3, 0.45])
    y = np.array([1, 1, 1, -1, -1, -1])
    display = PairDistanceDisplay.from_predictions(distances, y, threshold=0.5, bins=4)
    assert display.tpr_ == 1.0 and display.fpr_ == pytest.approx(1 / 3)
    assert display.threshold_line_.get_xdata()[0] == 0.5
    assert len(display.hist_["similar"]) == len(display.hist_["dissimilar"]) == 4
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == [
        "similar pairs (3)",
        "dissimilar pairs (3)",
        "threshold 0.5: TPR 1.00, FPR 0.33",
    ]
    without = PairDistanceDisplay.from_predictions(distances, y)
    assert without.threshold_line_ is None and without.tpr_ is None


def test_pair_display_of_a_calibrated_classifier_on_group_split_pairs():
    # Pairs within groups of classes; GroupKFold keeps test pairs' groups out of training.
    X, y = load_digits(return_X_y=True)
    groups = y // 5  # two groups of five digits
    pairs, y_pairs = sample_pairs(y, 400, groups=groups, random_state=0)
    pair_groups = groups[pairs[:, 0]]
    train, test = next(GroupKFold(n_splits=2).split(pairs, y_pairs, pair_groups))
    clf = PairsClassifier(ITML(random_state=0), preprocessor=X)
    clf.fit(pairs[train], y_pairs[train])
    display = PairDistanceDisplay.from_estimator(clf, pairs[test], y_pairs[test])
    assert display.threshold_line_.get_xdata()[0] == clf.threshold_
    distances = clf.pair_distance(pairs[test])
    similar = y_pairs[test] == 1
    assert display.tpr_ == pytest.approx(np.mean(distances[similar] <= clf.threshold_))
    assert display.fpr_ == pytest.approx(np.mean(distances[~similar] <= clf.threshold_))
    # A bare learner with the preprocessor: the same distances, no threshold.
    bare = PairDistanceDisplay.from_estimator(
        clf.metric_learner_, pairs[test], y_pairs[test], preprocessor=X
    )
    assert_allclose(bare.distances, distances)
    assert bare.threshold_line_ is None


def test_pair_display_errors():
    with pytest.raises(ValueError, match=r"y must hold \+1 \(similar\) and -1"):
        PairDistanceDisplay.from_predictions([0.1, 0.2], [0, 1])
    with pytest.raises(ValueError, match="The distances must be finite"):
        PairDistanceDisplay.from_predictions([0.1, np.nan], [1, -1])


# -- RetrievalCurveDisplay -----------------------------------------------------------


def test_retrieval_curves_are_the_metrics_of_each_space(iris):
    X, y = iris
    nca = NCA(random_state=0).fit(X[::2], y[::2])
    lmnn = LMNN(random_state=0).fit(X[::2], y[::2])
    queries, refs = (X[1::2], y[1::2]), (X[::2], y[::2])
    display = RetrievalCurveDisplay.from_estimator(
        {"nca": nca, "lmnn": lmnn}, *queries, *refs, k_max=6
    )
    assert list(display.lines_) == ["Euclidean", "nca", "lmnn"]
    for name, learner in (("nca", nca), ("lmnn", lmnn)):
        Z, Z_ref = learner.transform(queries[0]), learner.transform(refs[0])
        _, precision, _ = retrieval_curve(Z, queries[1], Z_ref, refs[1], k_max=6)
        assert_allclose(display.lines_[name].get_ydata(), precision)
        assert_allclose(display.lines_[name].get_xdata(), np.arange(1, 7))
        map_at_r = mean_average_precision_at_r(Z, queries[1], Z_ref, refs[1])
        assert display.lines_[name].get_label() == f"{name} (MAP@R {map_at_r:.3f})"
    assert display.lines_["Euclidean"].get_linestyle() == "--"
    assert display.ax_.get_ylabel() == "precision@k"
    recall = display.plot(metric="recall")
    assert recall.ax_.get_ylabel() == "recall@k"


def test_retrieval_display_names_and_errors(iris):
    X, y = iris
    learners = [NCA(max_iter=5, random_state=0).fit(X, y), NCA(max_iter=10).fit(X, y)]
    display = RetrievalCurveDisplay.from_estimator(learners, X, y, k_max=3, euclidean=False)
    assert list(display.lines_) == ["NCA 1", "NCA 2"]
    with pytest.raises(ValueError, match="metric must be one of"):
        display.plot(metric="map")


# -- NeighborsDisplay ---------------------------------------------------------------


def test_neighbors_display_shows_both_searches_as_images():
    X, y = load_digits(return_X_y=True)
    train, queries = slice(0, 600), slice(600, 603)
    nca = NCA(n_components=16, max_iter=20, random_state=0).fit(X[train], y[train])
    display = NeighborsDisplay.from_estimator(
        nca, X[train], y[train], X[queries], y[queries], n_neighbors=4, image_shape=(8, 8)
    )
    assert display.ax_.shape == (6, 5)
    euclidean = NearestNeighbors(n_neighbors=4).fit(X[train]).kneighbors(X[queries])[1]
    learned = NearestNeighbors(n_neighbors=4).fit(nca.transform(X[train]))
    learned = learned.kneighbors(nca.transform(X[queries]))[1]
    assert_allclose(display.neighbors["Euclidean"], euclidean)
    assert_allclose(display.neighbors["NCA"], learned)
    for q in range(3):
        row = display.ax_[2 * q]
        assert_allclose(row[0].images[0].get_array(), X[600 + q].reshape(8, 8))
        assert_allclose(row[1].images[0].get_array(), X[euclidean[q, 0]].reshape(8, 8))
        assert (
            row[0].get_ylabel() == "Euclidean" and display.ax_[2 * q + 1][0].get_ylabel() == "NCA"
        )
        for j in range(4):
            match = y[euclidean[q, j]] == y[600 + q]
            assert display.matches_["Euclidean"][q, j] == match
            colour = row[1 + j].title.get_color()
            assert colour == ("tab:green" if match else "tab:red")


def test_neighbors_display_without_images_or_labels(iris, nca2):
    X, y = iris
    display = NeighborsDisplay.from_estimator(nca2, X[:100], None, X[100:102], n_neighbors=2)
    assert display.matches_ is None
    assert len(display.ax_[0, 1].patches) == 4  # one bar per feature
    with pytest.raises(ValueError, match=re.escape("draws on 6 axes (2, 3); ax holds 2")):
        NeighborsDisplay.from_estimator(
            nca2, X[:100], None, X[100:101], n_neighbors=2, ax=plt.subplots(1, 2)[1]
        )


# -- matplotlib missing -------------------------------------------------------------


def test_a_clear_error_without_matplotlib(monkeypatch, nca2, iris):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'sklearn_metric[plot]'")):
        EmbeddingDisplay.from_estimator(nca2, *iris)
    # The relevance needs no matplotlib.
    assert feature_relevance(nca2).shape == (4,)
