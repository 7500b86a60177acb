"""Wide data: the span split and the learners that solve on it, against the full problem."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from numpy.testing import assert_allclose

import sklearn_metric._covariance as covariance_module
from sklearn_metric import MahalanobisTransformer
from sklearn_metric._core.linalg import components_from_psd, inverse_sqrt_psd
from sklearn_metric._core.span import SpanSplit, wide_span


@pytest.fixture
def wide():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 30))


def _split(U, rng, c):
    A = rng.normal(size=(U.shape[1], U.shape[1]))
    return SpanSplit(U, A @ A.T, c)


def test_wide_span_is_the_centred_span(wide):
    U = wide_span(wide)
    assert U.shape == (30, 11)  # 12 centred points span 11 directions
    assert_allclose(U.T @ U, np.eye(11), atol=1e-12)
    centred = wide - wide.mean(axis=0)
    assert_allclose(centred @ U @ U.T, centred, atol=1e-12)
    assert wide_span(wide.T) is None  # as many samples as features: nothing to save


@pytest.mark.parametrize("c", [0.0, 1.0, 50.0])
def test_split_matches_its_dense_matrix(wide, c):
    rng = np.random.default_rng(1)
    U = wide_span(wide)
    split = _split(U, rng, c)
    M = split.full()
    assert_allclose(M, M.T)
    # Acts as B on the span and as c on the complement.
    assert_allclose(M @ U, U @ split.B, atol=1e-10)
    N = split._complement()
    assert_allclose(M @ N, c * N, atol=1e-10)
    # The trailing columns of U's full Q factor, from its reflectors alone.
    Q = scipy.linalg.qr(U, mode="full")[0]
    assert_allclose(N, Q[:, U.shape[1] :], atol=1e-12)
    # Components: the same rows as the dense decomposition, up to each row's sign.
    L = split.components()
    dense = components_from_psd(M)
    assert_allclose(L.T @ L, M, atol=1e-9)
    # (sqrt of rounding-level eigenvalues: the dense zeros are ~1e-7)
    assert_allclose(np.linalg.norm(L, axis=1), np.linalg.norm(dense, axis=1), atol=1e-6)
    for n in (1, 5, 11, 20):
        assert_allclose(split.components(n), L[:n])
    # Pseudo-inverse square root, eigenvalues and rank as the dense ones.
    root, eigvals, rank = split.inverse_sqrt()
    factors, dense_eigvals, vectors, dense_rank = inverse_sqrt_psd(M)
    assert rank == dense_rank == (30 if c > 0 else 11)
    assert_allclose(eigvals, dense_eigvals, atol=1e-9)
    assert_allclose(root, vectors @ factors, atol=1e-9)


def test_split_of_recognises_the_form_and_nothing_else(wide):
    rng = np.random.default_rng(2)
    U = wide_span(wide)
    split = _split(U, rng, 3.0)
    found = SpanSplit.of(split.full(), U)
    assert found is not None
    assert found.c == pytest.approx(3.0)
    assert_allclose(found.B, split.B, atol=1e-10)
    assert SpanSplit.of(np.eye(30), U).c == pytest.approx(1.0)
    # A matrix mixing the span with its complement, or not a multiple of the
    # identity there, has no split.
    A = rng.normal(size=(30, 30))
    assert SpanSplit.of(A @ A.T, U) is None
    N = split._complement()
    uneven = split.full() + N[:, :1] @ N[:, :1].T
    assert SpanSplit.of(uneven, U) is None


@pytest.mark.parametrize("covariance", ["empirical", "ledoit_wolf", "oas"])
@pytest.mark.parametrize("n_components", [None, 4, 11])
def test_covariance_on_the_span_equals_the_full_decomposition(
    wide, monkeypatch, covariance, n_components
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # singular empirical covariance
        reduced = MahalanobisTransformer(covariance, n_components=n_components).fit(wide)
        monkeypatch.setattr(covariance_module, "wide_span", lambda X: None)
        full = MahalanobisTransformer(covariance, n_components=n_components).fit(wide)
    assert reduced.rank_ == full.rank_
    M, M_full = (m.components_.T @ m.components_ for m in (reduced, full))
    assert_allclose(M, M_full, atol=1e-10 * np.abs(M_full).max())
    if n_components is None:  # the symmetric root is unique
        assert_allclose(reduced.components_, full.components_, atol=1e-9)


def test_points_outside_the_span(wide):
    """Empirical covariance: the complement gets weight zero (pseudo-inverse);
    shrinkage: its variance is the shrunk one."""
    U = wide_span(wide)
    outside = np.random.default_rng(3).normal(size=30)
    outside -= U @ (U.T @ outside)
    with pytest.warns(UserWarning, match="The covariance is singular"):
        empirical = MahalanobisTransformer().fit(wide)
    assert_allclose(empirical.components_ @ outside, 0, atol=1e-10)
    shrunk = MahalanobisTransformer("ledoit_wolf").fit(wide)
    c = SpanSplit.of(shrunk.covariance_, U).c
    assert np.linalg.norm(shrunk.components_ @ outside) == pytest.approx(
        np.linalg.norm(outside) / np.sqrt(c)
    )


# -- learners with a prior: ITML's projections and LSML's gradients stay on the span ------


def _faces_like(n_samples=24, n_features=60, n_classes=4, seed=0, spread=2.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=spread, size=(n_classes, n_features))
    y = np.repeat(np.arange(n_classes), n_samples // n_classes)
    return centres[y] + rng.normal(size=(y.size, n_features)), y


@pytest.mark.parametrize("name", ["ITML", "LSML"])
@pytest.mark.parametrize("n_components", [None, 5])
def test_prior_learners_on_the_span_equal_the_full_problem(monkeypatch, name, n_components):
    import sys

    import sklearn_metric

    module = sys.modules[getattr(sklearn_metric, name).__module__]
    X, y = _faces_like()
    learner = getattr(sklearn_metric, name)(n_components=n_components, random_state=0)
    params = {"max_iter": 200} if name == "ITML" else {"max_iter": 30}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: both stop at the same budget
        reduced = learner.set_params(**params).fit(X, y)
        M = reduced.components_.T @ reduced.components_
        monkeypatch.setattr(module, "prior_split", lambda *args: None)
        full = getattr(sklearn_metric, name)(n_components=n_components, random_state=0)
        full = full.set_params(**params).fit(X, y)
    M_full = full.components_.T @ full.components_
    scale = np.abs(M_full).max()
    tol = 1e-8 if name == "ITML" else 1e-4  # L-BFGS: same iterates up to rounding
    if n_components is None:
        assert_allclose(M, M_full, atol=tol * scale)
    else:
        # The kept rows may end inside the complement's eigenspace (eigenvalue 1, the
        # prior's), where any basis is as good: compare the kept eigenvalues.
        norms = [np.linalg.norm(m.components_, axis=1) for m in (reduced, full)]
        assert_allclose(*norms, rtol=tol)
    assert_allclose(reduced.prior_, full.prior_)
    if name == "ITML":
        assert_allclose(reduced.bounds_, full.bounds_)


def test_points_outside_the_span_keep_the_prior_metric():
    from sklearn_metric import ITML

    X, y = _faces_like()
    U = wide_span(X)
    outside = np.random.default_rng(4).normal(size=X.shape[1])
    outside -= U @ (U.T @ outside)
    itml = ITML(random_state=0).fit(X, y)  # identity prior: Euclidean off the span
    assert np.linalg.norm(itml.components_ @ outside) == pytest.approx(np.linalg.norm(outside))


def test_mmc_on_wide_data_solves_on_the_similar_pairs_span():
    from sklearn_metric import MMC
    from sklearn_metric._core.linalg import row_span
    from sklearn_metric._mmc.mmc import mmc_objective

    X, y = _faces_like(n_samples=24, n_features=80)
    rng = np.random.default_rng(5)
    pairs_idx = rng.integers(24, size=(300, 2))
    labels = np.where(y[pairs_idx[:, 0]] == y[pairs_idx[:, 1]], 1, -1)
    pairs = X[pairs_idx]
    with pytest.warns(UserWarning, match="The MMC problem is unbounded along"):
        mmc = MMC(solver="projected_gradient", max_iter=50).fit_pairs(pairs, labels)
    M = mmc.components_.T @ mmc.components_
    diffs = pairs[:, 0] - pairs[:, 1]
    similar, dissimilar = diffs[labels == 1], diffs[labels == -1]
    # The constraint is tight and the objective is the dense one.
    assert np.einsum("ij,jk,ik->", similar, M, similar) == pytest.approx(1.0)
    assert mmc.objective_ == pytest.approx(mmc_objective(M, similar, dissimilar))
    # Zero weight off the similar pairs' span.
    U = row_span(similar)
    outside = rng.normal(size=80)
    outside -= U @ (U.T @ outside)
    assert_allclose(mmc.components_ @ outside, 0, atol=1e-10)


@pytest.mark.parametrize("n_components", [None, 3, 10])
def test_rca_on_the_span_equals_the_full_problem(monkeypatch, n_components):
    from sklearn_metric import RCA, _rca

    X, y = _faces_like(n_samples=24, n_features=60)
    with pytest.warns(UserWarning, match="rank-deficient"):
        reduced = RCA(n_components=n_components).fit(X, y)
    monkeypatch.setattr(_rca, "wide_span", lambda X: None)
    with pytest.warns(UserWarning, match="rank-deficient"):
        full = RCA(n_components=n_components).fit(X, y)
    M, M_full = (m.components_.T @ m.components_ for m in (reduced, full))
    # The ridge is small, so M's entries are large and the generalised eigenproblem
    # of the Fisher step ill-conditioned: agreement to 1e-5 of the largest entry.
    assert_allclose(M, M_full, atol=1e-5 * np.abs(M_full).max())


@pytest.mark.parametrize("n_components, init", [(None, "identity"), (5, "pca"), (30, "identity")])
def test_nca_on_the_span_gives_the_full_problems_iterates(monkeypatch, n_components, init):
    from sklearn_metric import NCA, _nca

    X, y = _faces_like(n_samples=24, n_features=60, spread=0.3)
    params = dict(n_components=n_components, init=init, max_iter=15, random_state=0)
    seen = {"reduced": [], "full": []}

    def fit(key):
        nca = NCA(callback=lambda flat, n: seen[key].append(flat.copy()), **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at the same budget
            return nca.fit(X, y)

    reduced = fit("reduced")
    monkeypatch.setattr(_nca, "components_problem", lambda X, L0: (X, L0, lambda L: L))
    full = fit("full")
    scale = np.abs(full.components_).max()
    assert len(seen["reduced"]) == len(seen["full"]) > 1
    assert_allclose(seen["reduced"][0], seen["full"][0], atol=1e-9 * scale)
    assert_allclose(reduced.components_, full.components_, atol=1e-6 * scale)
    assert reduced.objective_ == pytest.approx(full.objective_, rel=1e-8)


@pytest.mark.parametrize(
    "n_components, embedding_type",
    [(None, "weighted"), (3, "weighted"), (10, "plain"), (10, "orthonormalized")],
)
def test_lfda_on_the_span_equals_the_full_problem(monkeypatch, n_components, embedding_type):
    from sklearn_metric import LFDA, _lfda

    X, y = _faces_like(n_samples=24, n_features=60)
    lfda = LFDA(n_components=n_components, k=3, embedding_type=embedding_type)
    with pytest.warns(UserWarning, match="singular"):
        reduced = lfda.fit(X, y)
        reduced_components = reduced.components_.copy()
        reduced_eigvals = reduced.eigenvalues_.copy()
    monkeypatch.setattr(_lfda, "wide_span", lambda X: None)
    with pytest.warns(UserWarning, match="singular"):
        full = LFDA(n_components=n_components, k=3, embedding_type=embedding_type).fit(X, y)
    top = min(full.eigenvalues_.size, 20)
    assert_allclose(reduced_eigvals[:top], full.eigenvalues_[:top], atol=1e-8, rtol=1e-6)
    M, M_full = (L.T @ L for L in (reduced_components, full.components_))
    # Past the classes' directions the eigenvalues are small and close together, so
    # the kept eigenvectors are ill-determined: agreement to 1e-4 of the largest entry.
    assert_allclose(M, M_full, atol=1e-4 * np.abs(M_full).max())


def test_components_from_a_factor_equal_those_of_its_matrix():
    from sklearn_metric._core.linalg import components_from_factor

    F = np.random.default_rng(6).normal(size=(7, 40))
    dense = components_from_psd(F.T @ F)
    for n_rows in (None, 3, 7, 12):
        L = components_from_factor(F, n_rows)
        kept = dense[: L.shape[0]]
        assert_allclose(L.T @ L, kept.T @ kept, atol=1e-9)
        assert_allclose(np.linalg.norm(L, axis=1), np.linalg.norm(kept, axis=1), atol=1e-6)


def test_mlkr_on_the_span_gives_the_full_problems_iterates(monkeypatch):
    from sklearn_metric import MLKR, _mlkr

    rng = np.random.default_rng(7)
    X = rng.normal(size=(20, 50))
    target = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=20)
    params = dict(init="identity", max_iter=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the same budget
        reduced = MLKR(**params).fit(X, target)
        monkeypatch.setattr(_mlkr, "components_problem", lambda X, L0: (X, L0, lambda L: L))
        full = MLKR(**params).fit(X, target)
    assert reduced.n_iter_ == full.n_iter_ > 1
    scale = np.abs(full.components_).max()
    assert_allclose(reduced.components_, full.components_, atol=1e-6 * scale)
    assert reduced.loss_ == pytest.approx(full.loss_, rel=1e-8)


def test_scml_on_the_span_equals_the_full_problem(monkeypatch):
    from sklearn_metric import SCML
    from sklearn_metric._scml import scml as _scml

    X, y = _faces_like(n_samples=24, n_features=60, spread=0.5)
    params = dict(n_basis=40, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the same budget
        reduced = SCML(**params).fit(X, y)
        monkeypatch.setattr(_scml, "wide_span", lambda X: None)
        full = SCML(**params).fit(X, y)
    # The basis, the weights and the metric agree (the same problem in other coordinates).
    assert_allclose(reduced.basis_, full.basis_, atol=1e-8)
    assert_allclose(reduced.weights_, full.weights_, rtol=1e-6, atol=1e-12)
    M, M_full = (m.components_.T @ m.components_ for m in (reduced, full))
    assert_allclose(M, M_full, atol=1e-8 * np.abs(M_full).max())


@pytest.mark.parametrize("n_components", [None, 4])
def test_mmc_on_the_span_equals_the_full_problem(monkeypatch, n_components):
    from sklearn_metric import MMC
    from sklearn_metric._mmc import mmc as _mmc

    X, y = _faces_like(n_samples=24, n_features=60, spread=0.5)
    params = dict(solver="projected_gradient", max_iter=40, n_components=n_components)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unbounded directions, convergence
        reduced = MMC(random_state=0, **params).fit(X, y)
        monkeypatch.setattr(_mmc, "wide_span", lambda X: None)
        full = MMC(random_state=0, **params).fit(X, y)
    assert reduced.n_iter_ == full.n_iter_
    assert reduced.objective_ == pytest.approx(full.objective_, rel=1e-9)
    M, M_full = (m.components_.T @ m.components_ for m in (reduced, full))
    assert_allclose(M, M_full, atol=1e-8 * np.abs(M_full).max())


@pytest.mark.parametrize("n_positive", [0, 1, 3, 9, 12])
@pytest.mark.parametrize("expected_rank", [None, 0, 2, 6, 12])
def test_project_psd_factored_matches_project_psd_for_any_rank_guess(n_positive, expected_rank):
    # Whichever side of zero the guess makes it compute (the positive pairs, the
    # non-positive ones, or all), the projection is the same; a factor comes with it
    # unless only the non-positive side was computed.
    from sklearn_metric._core.linalg import project_psd, project_psd_factored

    rng = np.random.default_rng(n_positive)
    Q, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    values = -rng.uniform(0.5, 2, 12)
    values[:n_positive] *= -1
    M = (Q * values) @ Q.T + 1e-3 * rng.standard_normal((12, 12))  # not symmetric
    M_psd, F, rank = project_psd_factored(M, expected_rank)
    assert rank == n_positive
    assert_allclose(M_psd, project_psd(M), atol=1e-12)
    assert_allclose(M_psd, M_psd.T, atol=0)
    if F is not None:
        assert F.shape == (n_positive, 12)
        assert_allclose(F.T @ F, M_psd, atol=1e-12)
    # Only a guess of many positive pairs computes the non-positive side alone.
    assert (F is None) == (expected_rank is not None and expected_rank >= 9)
