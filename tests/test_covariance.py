import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.covariance import OAS, EmpiricalCovariance, LedoitWolf, MinCovDet
from sklearn.frozen import FrozenEstimator
from sklearn.neighbors import KNeighborsClassifier

from sklearn_metric import MahalanobisTransformer


@pytest.fixture
def correlated():
    rng = np.random.RandomState(0)
    A = np.array([[2.0, 0.0, 0.0], [1.0, 0.5, 0.0], [0.3, -0.2, 3.0]])
    return rng.randn(300, 3) @ A + np.array([1.0, -2.0, 5.0])


def test_whitened_data_has_identity_covariance(correlated):
    Xt = MahalanobisTransformer().fit_transform(correlated)
    assert_allclose(np.cov(Xt, rowvar=False, bias=True), np.eye(3), atol=1e-10)


def test_hand_checkable_diagonal_case():
    # Two features with variances 4 and 1/4 around the mean (0, 0):
    # L must scale them by 1/2 and 2.
    X = np.array([[2.0, 0.5], [-2.0, -0.5], [2.0, -0.5], [-2.0, 0.5]])
    est = MahalanobisTransformer().fit(X)
    assert_allclose(est.components_, np.diag([0.5, 2.0]), atol=1e-12)
    assert_allclose(est.mahalanobis([[2.0, 0.0], [0.0, 1.0]]), [1.0, 4.0])


@pytest.mark.parametrize(
    "name, sk_cls",
    [
        ("empirical", EmpiricalCovariance),
        ("ledoit_wolf", LedoitWolf),
        ("oas", OAS),
        ("min_cov_det", MinCovDet),
    ],
)
def test_named_covariance_matches_sklearn(correlated, name, sk_cls):
    kwargs = {"random_state": 0} if name == "min_cov_det" else {}
    est = MahalanobisTransformer(name, random_state=0).fit(correlated)
    ref = sk_cls(**kwargs).fit(correlated)
    assert_allclose(est.covariance_, ref.covariance_)
    assert_allclose(est.get_mahalanobis_matrix(), ref.get_precision(), rtol=1e-8)
    assert_allclose(est.mahalanobis(correlated), ref.mahalanobis(correlated), rtol=1e-8)
    assert_allclose(est.score_samples(correlated), -ref.mahalanobis(correlated), rtol=1e-8)


def test_estimator_instance_is_cloned_and_refitted(correlated):
    cov = LedoitWolf()
    est = MahalanobisTransformer(cov).fit(correlated)
    assert not hasattr(cov, "covariance_")
    assert est.covariance_estimator_ is not cov
    assert_allclose(est.covariance_, LedoitWolf().fit(correlated).covariance_)


def test_frozen_estimator_is_kept(correlated):
    other = np.random.RandomState(1).randn(50, 3)
    prefitted = EmpiricalCovariance().fit(other)
    est = MahalanobisTransformer(FrozenEstimator(prefitted)).fit(correlated)
    assert_allclose(est.covariance_, prefitted.covariance_)
    assert_allclose(est.location_, prefitted.location_)


def test_frozen_estimator_with_wrong_dimension(correlated):
    prefitted = EmpiricalCovariance().fit(np.random.RandomState(1).randn(50, 2))
    msg = r"matrix of shape \(2, 2\), but X has 3 features"
    with pytest.raises(ValueError, match=msg):
        MahalanobisTransformer(FrozenEstimator(prefitted)).fit(correlated)


def test_random_state_reaches_min_cov_det(correlated):
    est = MahalanobisTransformer("min_cov_det", random_state=42).fit(correlated)
    assert est.covariance_estimator_.random_state == 42
    est = MahalanobisTransformer(MinCovDet(random_state=3)).fit(correlated)
    assert est.covariance_estimator_.random_state == 3
    est = MahalanobisTransformer(MinCovDet(random_state=3), random_state=7).fit(correlated)
    assert est.covariance_estimator_.random_state == 7


def test_estimator_without_covariance_attribute(correlated):
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(
        TypeError,
        match=re.escape(
            "covariance=StandardScaler() must set covariance_ and "
            "location_ when fitted, as sklearn.covariance estimators do."
        ),
    ):
        MahalanobisTransformer(StandardScaler()).fit(correlated)


def test_constant_data_gives_no_metric():
    # Its covariance is zero, whose pseudo-inverse is the all-zero metric: refused.
    est = MahalanobisTransformer()
    with pytest.warns(UserWarning, match="covariance is singular"):
        with pytest.raises(ValueError, match="MahalanobisTransformer learned an all-zero metric"):
            est.fit(np.ones((10, 3)))
    assert not hasattr(est, "components_")


@pytest.mark.parametrize("case", ["more_features_than_samples", "duplicated_column"])
def test_singular_covariance_gives_pseudo_inverse_and_warns(case):
    rng = np.random.RandomState(0)
    if case == "more_features_than_samples":
        X = rng.randn(5, 8)
    else:
        X = rng.randn(40, 3)
        X = np.hstack([X, X[:, :1]])
    with pytest.warns(UserWarning, match="covariance is singular"):
        est = MahalanobisTransformer().fit(X)
    assert np.all(np.isfinite(est.components_))
    assert np.all(np.isfinite(est.transform(X)))
    cov = np.cov(X, rowvar=False, bias=True)
    assert_allclose(
        est.get_mahalanobis_matrix(), np.linalg.pinv(cov, rcond=1e-10, hermitian=True), atol=1e-8
    )


def test_shrinkage_avoids_singular_warning():
    X = np.random.RandomState(0).randn(5, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MahalanobisTransformer("ledoit_wolf").fit(X)


def test_n_components_keeps_largest_variance_directions(correlated):
    full = MahalanobisTransformer().fit(correlated)
    est = MahalanobisTransformer(n_components=2).fit(correlated)
    assert est.components_.shape == (2, 3)
    Xt = est.transform(correlated)
    assert_allclose(np.cov(Xt, rowvar=False, bias=True), np.eye(2), atol=1e-10)
    eigvals, eigvecs = np.linalg.eigh(full.covariance_)
    top = eigvecs[:, np.argsort(eigvals)[::-1][:2]]
    # Rows of L span the two top principal directions.
    assert_allclose(np.abs(est.components_ @ eigvecs[:, np.argmin(eigvals)]), 0, atol=1e-10)
    assert np.linalg.matrix_rank(np.hstack([est.components_.T, top]), tol=1e-8) == 2


def test_n_components_larger_than_features(correlated):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The preferred dimensionality of the projected space `n_components` (4) "
            "cannot be greater than the given data dimensionality (3)!"
        ),
    ):
        MahalanobisTransformer(n_components=4).fit(correlated)


def test_float32_is_preserved(correlated):
    X32 = correlated.astype(np.float32)
    est = MahalanobisTransformer().fit(X32)
    assert est.transform(X32).dtype == np.float32
    assert est.components_.dtype == np.float64


def test_pandas_output_and_feature_names(correlated):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(correlated, columns=["a", "b", "c"])
    est = MahalanobisTransformer().set_output(transform="pandas").fit(df)
    out = est.transform(df)
    assert list(out.columns) == [
        "mahalanobistransformer0",
        "mahalanobistransformer1",
        "mahalanobistransformer2",
    ]
    assert list(est.feature_names_in_) == ["a", "b", "c"]


def test_learned_metric_in_kneighbors(correlated):
    y = (correlated[:, 0] > 1).astype(int)
    est = MahalanobisTransformer().fit(correlated)
    via_callable = KNeighborsClassifier(3, metric=est.get_metric(), algorithm="brute").fit(
        correlated, y
    )
    via_transform = KNeighborsClassifier(3).fit(est.transform(correlated), y)
    d1, i1 = via_callable.kneighbors(correlated[:20])
    d2, i2 = via_transform.kneighbors(est.transform(correlated[:20]))
    assert_allclose(d1, d2, atol=1e-10)
    assert np.array_equal(i1, i2)


@pytest.mark.parametrize(
    "X, err, msg",
    [
        ([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]], ValueError, "NaN"),
        ([[1.0, np.inf], [2.0, 3.0], [0.0, 1.0]], ValueError, "infinity"),
        ([1.0, 2.0, 3.0], ValueError, "Expected 2D array"),
        (np.zeros((0, 3)), ValueError, "0 sample"),
        (np.zeros((3, 0)), ValueError, "0 feature"),
        (np.zeros((3, 2, 2)), ValueError, "dim 3"),
        ([[1.0, 2.0]], ValueError, "minimum of 2 is required"),
        ([["a", "b"], ["c", "d"]], ValueError, "could not convert"),
    ],
)
def test_bad_input(X, err, msg):
    with pytest.raises(err, match=msg):
        MahalanobisTransformer().fit(X)


def test_sparse_fit_says_so():
    from scipy import sparse

    with pytest.raises(
        TypeError,
        match=re.escape(
            "Sparse data was passed for X, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        ),
    ):
        MahalanobisTransformer().fit(
            sparse.random(10, 3, density=0.5, format="csr", random_state=0)
        )


def test_sparse_transform_matches_dense(correlated):
    from scipy import sparse

    est = MahalanobisTransformer().fit(correlated)
    assert_allclose(est.transform(sparse.csr_matrix(correlated)), est.transform(correlated))


def test_bad_parameter():
    with pytest.raises(
        ValueError,
        # (the set of options prints in no fixed order)
        match=re.escape(
            "The 'covariance' parameter of MahalanobisTransformer must be a str among {"
        )
        + r"[^}]*"
        + re.escape("} or an object implementing 'fit'. Got 'nope' instead."),
    ):
        MahalanobisTransformer("nope").fit(np.eye(3))
