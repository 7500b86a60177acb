"""scikit-learn's estimator checks for every public estimator of the package.

(Tuple estimators, whose X is 3-D, get the checks that apply in test_tuples.py.)

The list is built from ``sklearn_metric.__all__``, so a learner is covered the
moment it is exported. Meta-estimators are also checked with a learner inside.
"""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_metric
from sklearn_metric import (
    ITML,
    LFDA,
    LMNN,
    LSML,
    MLKR,
    MMC,
    NCA,
    POLA,
    RCA,
    SCML,
    SDML,
    ApproximateNeighborsTransformer,
    ContrastiveEmbedding,
    KNNClassifier,
    KNNRegressor,
    KNNTransformer,
    MahalanobisTransformer,
    MultiMetricLMNN,
)


def _public_estimator_classes(tuple_input=False):
    """Public estimator classes; those whose X is a tuple array (3-D) apart.

    scikit-learn's checks feed 2-D data, which tuple estimators reject by
    design; tests/test_tuples.py checks them with tuples (cloning, parameters,
    pickling, not-fitted errors, cross-validation and grid search).
    """
    classes = []
    for name in sklearn_metric.__all__:
        obj = getattr(sklearn_metric, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            takes_tuples = obj().__sklearn_tags__().input_tags.three_d_array
            if takes_tuples == tuple_input:
                classes.append(obj)
    return classes


def _instances():
    instances = [cls() for cls in _public_estimator_classes()]
    instances += [
        KNNClassifier(metric_learner=MahalanobisTransformer(covariance="ledoit_wolf")),
        MahalanobisTransformer(n_components=1),
        MahalanobisTransformer(covariance="min_cov_det", random_state=0),
        LMNN(solver="lbfgs"),
        LMNN(solver="sdp", n_neighbors=1),
        NCA(n_references=10, random_state=0),
        KNNClassifier(metric_learner=LMNN(n_neighbors=2)),
        KNNClassifier(algorithm="hnsw"),
        KNNClassifier(algorithm="ivf", weights="distance", metric_learner=MahalanobisTransformer()),
        ApproximateNeighborsTransformer(algorithm="ivf", mode="connectivity"),
        KNNRegressor(metric_learner=MLKR(max_iter=5)),
        KNNRegressor(algorithm="hnsw", weights="distance"),
        KNNClassifier(algorithm="lsh"),
        KNNTransformer(metric_learner=MahalanobisTransformer()),
        KNNTransformer(metric_learner=LMNN(n_neighbors=2), mode="connectivity"),
    ]
    # Each learner again at settings that take other code paths than its defaults:
    # other solvers and priors, diagonal or low-rank metrics, other bases and losses.
    instances += [
        LMNN(n_passes=2, init="pca", random_state=0),
        NCA(init="lda", n_components=2, random_state=0),
        NCA(init="identity", max_iter=5),
        MLKR(init="pca", n_components=2, random_state=0),
        MLKR(init="identity", max_iter=5),
        RCA(n_components=1, chunk_size=3, random_state=0),
        LFDA(embedding_type="orthonormalized", k=3),
        LFDA(embedding_type="plain", n_components=1),
        ITML(prior="covariance", random_state=0),
        ITML(prior="random", bounds=(0.5, 4.0), n_components=1, random_state=0),
        SDML(balance_param=1e-5, random_state=0),
        SDML(sparsity_param=10.0, random_state=0),
        SDML(prior="covariance", n_components=1, random_state=0),
        LSML(prior="covariance", random_state=0),
        LSML(prior="random", regularization=0.1, random_state=0),
        MMC(diagonal=True, random_state=0),
        MMC(solver="projected_gradient", random_state=0),
        MMC(solver="sdp", random_state=0),
        SCML(basis="lda", n_basis=20, max_iter=2000, random_state=0),
        SCML(n_components=1, batch_size=50, max_iter=2000, random_state=0),
        POLA(shuffle=False, n_pairs=50, n_components=1, random_state=0),
        ContrastiveEmbedding(loss="contrastive", miner="hard", max_iter=50, random_state=0),
        ContrastiveEmbedding(miner="all", init="identity", max_iter=50, random_state=0),
        MultiMetricLMNN(n_metrics=2, rule="energy", max_iter=50, random_state=0),
        MultiMetricLMNN(n_components=1, max_iter=50, random_state=0),
    ]
    return instances


# Every entry needs a reason a scikit-learn maintainer would accept.
_SDP_REASON = (
    "the check sets n_components=1, and LMNN(solver='sdp') rejects n_components < "
    "n_features by design (a rank constraint is not convex); LMNN() and "
    "LMNN(solver='lbfgs') run the same check with n_components=1"
)
EXPECTED_FAILED_CHECKS = {
    ("LMNN", "sdp"): {
        "check_dont_overwrite_parameters": _SDP_REASON,
        "check_fit2d_predict1d": _SDP_REASON,
        "check_methods_subset_invariance": _SDP_REASON,
        "check_methods_sample_order_invariance": _SDP_REASON,
    },
}


def _expected_failed_checks(estimator):
    key = (type(estimator).__name__, getattr(estimator, "solver", None))
    return EXPECTED_FAILED_CHECKS.get(key, {})


def test_every_public_estimator_is_checked():
    checked = {type(est) for est in _instances()}
    assert set(_public_estimator_classes()) <= checked
    assert len(_public_estimator_classes()) >= 2


@parametrize_with_checks(_instances(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", _public_estimator_classes())
def test_docstring_has_example(cls):
    assert "Examples" in (cls.__doc__ or "")
