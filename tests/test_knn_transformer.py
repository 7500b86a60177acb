import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import DBSCAN, SpectralClustering
from sklearn.datasets import load_wine
from sklearn.frozen import FrozenEstimator
from sklearn.manifold import TSNE, Isomap
from sklearn.neighbors import KNeighborsTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import LMNN, KNNTransformer, MahalanobisTransformer

X, Y = load_wine(return_X_y=True)
X = StandardScaler().fit_transform(X)


@pytest.mark.parametrize("mode", ["distance", "connectivity"])
@pytest.mark.parametrize("algorithm", ["auto", "brute", "kd_tree"])
def test_without_a_learner_it_is_kneighbors_transformer(mode, algorithm):
    ours = KNNTransformer(mode=mode, n_neighbors=4, algorithm=algorithm).fit(X[:100])
    ref = KNeighborsTransformer(mode=mode, n_neighbors=4, algorithm=algorithm).fit(X[:100])
    assert_array_equal(ours.transform(X[100:]).toarray(), ref.transform(X[100:]).toarray())
    assert_array_equal(ours.fit_transform(X).toarray(), ref.fit_transform(X).toarray())
    for a, b in zip(ours.kneighbors(None), ref.kneighbors(None), strict=True):
        assert_array_equal(a, b)
    assert ours.metric_learner_ is None and ours.n_samples_fit_ == ref.n_samples_fit_


def test_graph_is_the_graph_of_the_transformed_points():
    learner = LMNN(n_neighbors=3, max_iter=20, random_state=0).fit(X, Y)
    ours = KNNTransformer(n_neighbors=6, metric_learner=FrozenEstimator(learner)).fit(X, Y)
    ref = KNeighborsTransformer(n_neighbors=6).fit(learner.transform(X))
    assert_allclose(ours.transform(X).toarray(), ref.transform(learner.transform(X)).toarray())
    assert_allclose(ours.kneighbors_graph(None).toarray(), ref.kneighbors_graph(None).toarray())
    assert ours.n_features_in_ == 13
    assert ours.get_feature_names_out().shape == (178,)


def test_manifold_and_clustering_run_in_the_learned_metric():
    learner = MahalanobisTransformer()
    Xt = MahalanobisTransformer().fit(X).transform(X)
    graph = KNNTransformer(n_neighbors=10, metric_learner=learner)
    iso = make_pipeline(graph, Isomap(n_neighbors=10, metric="precomputed")).fit_transform(X)
    ref = Isomap(n_neighbors=10).fit_transform(Xt)
    assert_allclose(np.abs(iso), np.abs(ref), atol=1e-6)
    # DBSCAN sees only the graph's edges: with every other point in it, the same clusters.
    complete = KNNTransformer(n_neighbors=177, metric_learner=learner)
    dbscan = make_pipeline(complete, DBSCAN(eps=3.0, metric="precomputed")).fit(X)
    ref_labels = DBSCAN(eps=3.0).fit(Xt).labels_
    assert_array_equal(dbscan[-1].labels_, ref_labels)
    spectral = make_pipeline(
        KNNTransformer(n_neighbors=10, mode="connectivity", metric_learner=learner),
        SpectralClustering(3, affinity="precomputed_nearest_neighbors", random_state=0),
    )
    assert np.unique(spectral.fit(X)[-1].labels_).size == 3
    tsne = make_pipeline(
        KNNTransformer(n_neighbors=30, metric_learner=learner),
        TSNE(metric="precomputed", init="random", perplexity=8, max_iter=250, random_state=0),
    )
    assert tsne.fit_transform(X).shape == (178, 2)


def test_precomputed_metric_with_a_learner_is_an_error():
    msg = "metric='precomputed' cannot be used with a metric_learner"
    with pytest.raises(ValueError, match=re.escape(msg)):
        KNNTransformer(metric="precomputed", metric_learner=LMNN()).fit(X, Y)
