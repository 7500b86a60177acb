"""SDML, LSML and SCML: hand-checkable cases, gradients, tuple input, bad input."""

import pickle
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import check_grad
from sklearn.datasets import make_blobs, make_classification
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

import sklearn_metric._sdml as sdml_module
from sklearn_metric import LSML, SCML, SDML
from sklearn_metric._core.constraints import neighbourhood_triplets
from sklearn_metric._lsml import lsml_objective
from sklearn_metric._scml.basis import triplet_diffs_basis
from sklearn_metric._scml.scml import scml_loss
from sklearn_metric._sdml import largest_safe_balance, pair_loss_matrix

PAIRS = np.array([[[0.0, 0.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])
Y = np.array([1, -1])


def _knn_error(learner, wine):
    X, y = wine
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    learner.fit(X_tr, y_tr)
    knn = KNeighborsClassifier(3).fit(learner.transform(X_tr), y_tr)
    return 1 - knn.score(learner.transform(X_te), y_te)


# -- SDML ---------------------------------------------------------------------------


def test_sdml_without_sparsity_is_the_inverse_of_s():
    # K = mean(y v v^T) = (diag(4, 0) - diag(0, 1)) / 2; S = I + 0.5 K = diag(2, 0.75).
    assert_allclose(pair_loss_matrix(PAIRS[:, 0] - PAIRS[:, 1], Y), np.diag([2.0, -0.5]))
    sdml = SDML(balance_param=0.5, sparsity_param=0.0).fit_pairs(PAIRS, Y)
    assert_allclose(sdml.precision_, np.diag([0.5, 1 / 0.75]), rtol=1e-6)
    assert_allclose(sdml.get_mahalanobis_matrix(), sdml.precision_, rtol=1e-6, atol=1e-12)


def test_sdml_largest_safe_balance_and_auto():
    # I + eta K is positive definite iff 1 - 0.5 eta > 0: eta < 2.
    K = np.diag([2.0, -0.5])
    assert largest_safe_balance(np.eye(2), K) == pytest.approx(2.0)
    assert largest_safe_balance(np.eye(2), np.eye(2)) == np.inf
    assert SDML(sparsity_param=0.0).fit_pairs(PAIRS, Y).balance_param_ == pytest.approx(1.0)
    msg = (
        "The SDML problem is not positive definite: M0^-1 + balance_param * K stays "
        "positive definite only for balance_param < 2, and balance_param=3 was given."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        SDML(balance_param=3.0).fit_pairs(PAIRS, Y)


def test_sdml_reports_a_failed_graphical_lasso(monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("non SPD result")

    monkeypatch.setattr(sdml_module, "graphical_lasso", broken)
    msg = (
        "The graphical lasso failed on the SDML problem (cd: non SPD result; lars: non SPD "
        "result). Raise sparsity_param, lower balance_param, or standardise X."
    )
    sdml = SDML()
    # Differences along (1, 1) and (1, -0.5): S has an off-diagonal entry above
    # sparsity_param, so the two features form one block for the solver.
    linked = np.array([[[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, -0.5]]])
    with pytest.raises(ValueError, match=re.escape(msg)):
        sdml.fit_pairs(linked, Y)
    assert not hasattr(sdml, "components_")


def test_sdml_graphical_lasso_by_blocks_is_the_whole_one():
    # S with blocks {0, 3}, {1, 4, 5} (linked through 4) and a lone feature 2: the
    # block-by-block solution equals the graphical lasso of the whole S.
    from sklearn.covariance import graphical_lasso

    from sklearn_metric._sdml import lasso_blocks

    S = np.eye(6) * [1.0, 1.5, 2.0, 1.2, 1.0, 0.8]
    for i, j, v in [(0, 3, 0.4), (1, 4, -0.3), (4, 5, 0.25), (2, 5, 0.05), (0, 1, 0.08)]:
        S[i, j] = S[j, i] = v
    singles, blocks = lasso_blocks(S, 0.1)
    assert singles.tolist() == [2]
    assert [b.tolist() for b in blocks] == [[0, 3], [1, 4, 5]]
    sdml = SDML(sparsity_param=0.1, tol=1e-10, max_iter=1000)
    precision, n_iter = sdml._graphical_lasso(S, singles, blocks)
    _, whole = graphical_lasso(S, alpha=0.1, tol=1e-10, max_iter=1000)
    assert_allclose(precision, whole, atol=1e-7)
    assert precision[2, 2] == pytest.approx(0.5) and n_iter >= 1
    # Every |S_ij| below the penalty: diagonal, no solver run.
    S = np.diag([2.0, 4.0]) + 0.05
    precision, n_iter = sdml._graphical_lasso(S, *lasso_blocks(S, 0.1))
    assert_allclose(precision, np.diag([1 / 2.05, 1 / 4.05]))
    assert n_iter == 1  # the diagonal solution: one closed-form step, no solver


def test_sdml_components_by_blocks_square_to_the_precision():
    from sklearn_metric._core.linalg import components_from_psd
    from sklearn_metric._sdml import _components_by_blocks, lasso_blocks

    P = np.diag([3.0, 1.0, 2.0, 0.5, 4.0])
    P[np.ix_([1, 3], [1, 3])] = [[1.0, 0.3], [0.3, 0.5]]
    singles, blocks = lasso_blocks(P, 0.1)
    C = _components_by_blocks(P, singles, blocks)
    assert_allclose(C.T @ C, P, atol=1e-12)
    # Rows in decreasing order of eigenvalue, as components_from_psd's.
    assert_allclose(np.linalg.norm(C, axis=1), np.linalg.norm(components_from_psd(P), axis=1))


def test_sdml_safe_balance_on_the_span_of_wide_points():
    # 6 points in 10 features: K lives on their 5-dim span; the bound computed
    # there is the one of the full 10 x 10 problem.
    from sklearn_metric._core.linalg import row_span

    rng = np.random.RandomState(0)
    points = rng.randn(6, 10)
    a, b = rng.randint(6, size=(2, 12))
    keep = a != b
    diffs = points[a[keep]] - points[b[keep]]
    sign = np.where(np.arange(diffs.shape[0]) % 2, 1.0, -1.0)
    K = pair_loss_matrix(diffs, sign)
    span = row_span(points - points.mean(axis=0))
    assert span.shape == (10, 5)
    full = largest_safe_balance(np.eye(10), K)
    assert np.isfinite(full)
    assert largest_safe_balance(None, K, span) == pytest.approx(full, rel=1e-10)
    assert largest_safe_balance(None, K) == pytest.approx(full, rel=1e-10)


def test_sdml_is_sparse_and_learns(wine):
    sdml = SDML(sparsity_param=0.05, random_state=0)
    assert _knn_error(sdml, wine) <= _knn_error(StandardScaler(), wine)
    off_diagonal = sdml.precision_[~np.eye(13, dtype=bool)]
    assert np.mean(np.abs(off_diagonal) < 1e-10) > 0.2


# -- LSML ---------------------------------------------------------------------------


def test_lsml_gradient_matches_finite_differences():
    rng = np.random.RandomState(0)
    near, far = rng.randn(20, 3), rng.randn(20, 3) * 0.8
    M0_inv = np.linalg.inv(np.eye(3) + 0.1)
    L = np.eye(3) + 0.2 * rng.randn(3, 3)

    def value(flat):
        return lsml_objective(flat.reshape(3, 3), near, far, M0_inv, 0.7)[0]

    def gradient(flat):
        return lsml_objective(flat.reshape(3, 3), near, far, M0_inv, 0.7)[1].ravel()

    err = check_grad(value, gradient, L.ravel(), epsilon=1e-7)
    assert err < 1e-5 * np.linalg.norm(gradient(L.ravel()))


def test_lsml_objective_takes_none_for_the_identity_prior():
    rng = np.random.RandomState(1)
    near, far = rng.randn(20, 3), rng.randn(20, 3)
    L = np.eye(3) + 0.2 * rng.randn(3, 3)
    loss, grad = lsml_objective(L, near, far, np.eye(3), 0.7)
    loss_none, grad_none = lsml_objective(L, near, far, None, 0.7)
    assert loss_none == loss
    np.testing.assert_array_equal(grad_none, grad)


def test_lsml_objective_through_the_points_matches_the_differences():
    # The same quadruplets as differences and as indices into 6 points: equal loss
    # and gradient, and the indexed gradient matches finite differences.
    rng = np.random.RandomState(1)
    points = rng.randn(6, 3)
    index = rng.randint(6, size=(40, 4))
    near = points[index[:, 0]] - points[index[:, 1]]
    far = points[index[:, 2]] - points[index[:, 3]]
    M0_inv = np.linalg.inv(np.eye(3) + 0.1)
    L = np.eye(3) + 0.3 * rng.randn(3, 3)
    loss, grad = lsml_objective(L, near, far, M0_inv, 0.7)
    loss_p, grad_p = lsml_objective(L, index[:, :2], index[:, 2:], M0_inv, 0.7, points)
    assert loss > 0.7 * np.sum(L * L) - 1  # some comparisons are violated
    assert loss_p == pytest.approx(loss, rel=1e-12)
    assert_allclose(grad_p, grad, rtol=1e-10, atol=1e-12)

    def value(flat):
        return lsml_objective(flat.reshape(3, 3), index[:, :2], index[:, 2:], M0_inv, 0.7, points)

    err = check_grad(
        lambda flat: value(flat)[0], lambda flat: value(flat)[1].ravel(), L.ravel(), epsilon=1e-7
    )
    assert err < 1e-5 * np.linalg.norm(grad)


def test_lsml_fit_is_the_same_through_the_points(wine, monkeypatch):
    # 20 * 3**2 quadruplets over wine's points: fitted through the points; forcing the
    # differences gives the same metric.
    X, y = wine
    X = StandardScaler().fit_transform(X)
    import sklearn_metric._lsml as lsml_module

    calls = []
    real = lsml_module._by_points
    monkeypatch.setattr(lsml_module, "_by_points", lambda q: calls.append(real(q)) or calls[-1])
    lsml = LSML(n_constraints=2000, random_state=0).fit(X, y)
    assert calls == [True]
    monkeypatch.setattr(lsml_module, "_by_points", lambda q: False)
    direct = LSML(n_constraints=2000, random_state=0).fit(X, y)
    assert lsml.n_iter_ == direct.n_iter_
    assert_allclose(lsml.get_mahalanobis_matrix(), direct.get_mahalanobis_matrix(), rtol=1e-6)


@pytest.mark.parametrize("by_blocks", [False, True])
@pytest.mark.parametrize("through_points", [False, True])
def test_lsml_triangular_gradient_is_the_upper_triangle(through_points, by_blocks, monkeypatch):
    # For an upper triangular L the triangular form gives the same loss, and the
    # gradient's upper triangle, without inverting L; it matches finite differences
    # in the n (n + 1) / 2 free entries. by_blocks: its products skip the zero half.
    import sklearn_metric._core.products as linalg_module

    if by_blocks:
        monkeypatch.setattr(linalg_module, "_TRIANGLE_MIN", 2)
    rng = np.random.RandomState(3)
    points = rng.randn(8, 4)
    index = rng.randint(8, size=(50, 4))
    if through_points:
        near, far, on = index[:, :2], index[:, 2:], points
    else:
        near = points[index[:, 0]] - points[index[:, 1]]
        far = points[index[:, 2]] - points[index[:, 3]]
        on = None
    M0_inv = np.linalg.inv(np.eye(4) + 0.2)
    L = np.triu(np.eye(4) + 0.3 * rng.randn(4, 4))
    loss, grad = lsml_objective(L, near, far, M0_inv, 0.7, on)
    loss_t, grad_t = lsml_objective(L, near, far, M0_inv, 0.7, on, triangular=True)
    assert loss_t == pytest.approx(loss, rel=1e-12)
    assert_allclose(grad_t, np.triu(grad), rtol=1e-10, atol=1e-12)
    upper = np.triu_indices(4)

    def packed(flat):
        U = np.zeros((4, 4))
        U[upper] = flat
        value, gradient = lsml_objective(U, near, far, M0_inv, 0.7, on, triangular=True)
        return value, gradient[upper]

    err = check_grad(lambda f: packed(f)[0], lambda f: packed(f)[1], L[upper], epsilon=1e-7)
    assert err < 1e-5 * np.linalg.norm(grad_t)


def test_lsml_upper_factor_squares_to_the_prior():
    from sklearn_metric._lsml import _upper_factor

    rng = np.random.RandomState(0)
    A = rng.randn(5, 3)
    for M in (A @ A.T + np.eye(5), A @ A.T):  # definite, then of rank 3
        R = _upper_factor(M)
        assert_allclose(R, np.triu(R))
        assert np.all(np.diag(R) >= 0)
        assert_allclose(R.T @ R, M, atol=1e-10)


def test_lsml_keeps_the_prior_when_every_comparison_holds():
    # d(a, b) = 1 < d(c, d) = 3 at the identity: no residual, and the LogDet
    # divergence is smallest at M0 = I.
    quadruplets = np.array([[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 3.0]]])
    lsml = LSML().fit_quadruplets(quadruplets)
    assert_allclose(lsml.get_mahalanobis_matrix(), np.eye(2), atol=1e-6)


def test_lsml_index_quadruplets_and_learning(wine):
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.5], [3.0, 0.0]])
    by_index = LSML().fit_quadruplets([[0, 2, 0, 1], [0, 1, 0, 3]], preprocessor=points)
    by_points = LSML().fit_quadruplets(points[[[0, 2, 0, 1], [0, 1, 0, 3]]])
    assert_allclose(by_index.components_, by_points.components_)
    assert _knn_error(LSML(random_state=0), wine) <= _knn_error(StandardScaler(), wine)


# -- SCML ---------------------------------------------------------------------------


@pytest.mark.parametrize("block_entries", [2**20, 12])  # one block; blocks of 2 rows
def test_scml_basis_margins_through_the_points_equal_the_differences(
    set_block_entries, block_entries
):
    from sklearn_metric._core.tuples import Tuples
    from sklearn_metric._scml.scml import _basis_margins, _unit

    set_block_entries(block_entries)
    rng = np.random.RandomState(2)
    points, B = rng.randn(7, 4), rng.randn(5, 4)
    z = rng.randn(9, 5)
    assert _unit(z) == pytest.approx(np.abs(z).mean(), rel=1e-12)
    assert _unit(np.zeros((3, 5))) == 1.0
    for n_triplets in (3, 51):  # fewer triplets than points: the differences
        triplets = Tuples(rng.randint(7, size=(n_triplets, 3)), points)
        near, far = triplets.differences(0, 1), triplets.differences(0, 2)
        assert_allclose(
            _basis_margins(triplets, near, far, B),
            (near @ B.T) ** 2 - (far @ B.T) ** 2,
            rtol=1e-10,
            atol=1e-12,
        )


def test_scml_loss_is_linear_in_the_weights():
    rng = np.random.RandomState(0)
    z = rng.randn(30, 5)
    w = rng.rand(5)
    loss, grad = scml_loss(w, z, 0.1)
    margins = 1 + z @ w
    assert loss == pytest.approx(np.maximum(margins, 0).mean() + 0.1 * w.sum())
    # Away from the kinks the subgradient is the gradient.
    err = check_grad(lambda v: scml_loss(v, z, 0.1)[0], lambda v: scml_loss(v, z, 0.1)[1], w)
    assert err < 1e-6


def test_triplet_diffs_basis_keeps_the_directions_that_separate_negatives():
    # Positives differ along y by 1, negatives along x by 2: in a group of two,
    # sum (a-n)(a-n)^T - sum (a-p)(a-p)^T = diag(8, -2), one positive direction.
    near = np.tile([0.0, 1.0], (6, 1))
    far = np.tile([-2.0, 0.0], (6, 1))
    basis = triplet_diffs_basis(near, far, n_basis=5, group_size=2, random_state=0)
    # Each of the three groups gives the one direction x, sign-normalised.
    assert_allclose(basis, np.tile([1.0, 0.0], (3, 1)))
    assert_allclose(triplet_diffs_basis(near, far, 2, 2, 0), np.tile([1.0, 0.0], (2, 1)))


def test_triplet_diffs_basis_without_a_separating_direction():
    # Every negative is nearer to its anchor than its positive: the order is reversed.
    triplets = np.array(
        [[[0.0, 0.0], [3.0, 0.0], [1.0, 0.0]], [[0.0, 0.0], [0.0, 3.0], [0.0, 1.0]]]
    )
    msg = "basis='triplet_diffs' found no direction along which the negatives lie farther"
    with pytest.raises(ValueError, match=re.escape(msg)):
        SCML().fit_triplets(triplets)


def test_scml_fit_from_labels_uses_neighbourhood_triplets(monkeypatch, wine):
    import sklearn_metric._scml.scml as scml_module

    X, y = wine
    seen = []

    def spy(Z, labels, anchors, n_genuine, n_impostors):
        seen.append((anchors, n_genuine, n_impostors))
        return neighbourhood_triplets(Z, labels, anchors, n_genuine, n_impostors)

    monkeypatch.setattr(scml_module, "neighbourhood_triplets", spy)
    est = SCML(n_triplets=50, k_genuine=2, k_impostor=4, random_state=0).fit(X, y)
    anchors, n_genuine, n_impostors = seen[0]
    assert (n_genuine, n_impostors) == (2, 4)
    assert anchors.size == 50 and np.unique(anchors).size == 50
    assert est.weights_.shape[0] == est.basis_.shape[0]


def test_scml_anchors_skip_points_alone_in_their_class(wine):
    # One triplet, with most classes single points: the anchor must come from the class of two.
    X, _ = wine
    y = np.arange(20)
    y[[5, 11]] = 0  # class 0 holds points 0, 5 and 11; every other class one point
    est = SCML(n_triplets=1, max_iter=200, random_state=0).fit(X[:20], y)
    assert est.weights_.shape == (est.basis_.shape[0],)


def test_scml_from_labels_needs_a_class_with_two_points():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    msg = "SCML needs a class with two points or more to build triplets from labels"
    with pytest.raises(ValueError, match=msg):
        SCML().fit(X, [0, 1, 2])


def test_scml_triplets_by_index_and_weights(wine):
    X, y = wine
    rng = np.random.RandomState(0)
    anchors = rng.randint(len(y), size=300)
    same = np.array(
        [rng.choice(np.flatnonzero((y == y[a]) & (np.arange(len(y)) != a))) for a in anchors]
    )
    other = np.array([rng.choice(np.flatnonzero(y != y[a])) for a in anchors])
    triplets = np.column_stack([anchors, same, other])
    by_index = SCML(random_state=0).fit_triplets(triplets, preprocessor=X)
    by_points = SCML(random_state=0).fit_triplets(X[triplets])
    assert_allclose(by_index.components_, by_points.components_)
    assert np.all(by_index.weights_ >= 0) and np.any(by_index.weights_ > 0)
    assert_allclose(
        by_index.get_mahalanobis_matrix(),
        (by_index.basis_.T * by_index.weights_) @ by_index.basis_,
        atol=1e-10,
    )
    assert _knn_error(SCML(random_state=0), wine) <= _knn_error(StandardScaler(), wine)


def test_scml_lda_basis_comes_from_neighbourhoods_holding_every_class():
    # Three well-separated blobs: no k-means cluster holds two classes, yet every
    # neighbourhood holds the nearest points of each class, so the basis is found.
    X, y = make_blobs(random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = SCML(basis="lda", n_basis=80, random_state=0).fit(X, y)
    assert est.basis_.shape == (80, 2)
    assert_allclose(np.linalg.norm(est.basis_, axis=1), 1.0)
    # Along the blobs' discriminant directions, the classes separate.
    assert _knn_error(SCML(basis="lda", n_basis=80, random_state=0), (X, y)) == 0.0


def test_scml_lda_basis_warns_when_it_builds_fewer_directions_than_asked():
    # 100 points, 3 classes: at most 100 neighbourhoods of 2 directions each.
    X, y = make_classification(
        n_samples=100,
        n_classes=3,
        n_features=60,
        n_informative=60,
        n_redundant=0,
        random_state=42,
    )
    with pytest.warns(UserWarning, match=r"fewer than the n_basis=399 asked") as record:
        est = SCML(basis="lda", n_basis=399, max_iter=500, random_state=0).fit(X, y)
    built = int(re.search(r"built (\d+) directions", str(record[0].message)).group(1))
    assert 11 < built <= 200
    assert est.basis_.shape[0] == built


@pytest.mark.parametrize(
    "learner, call, msg",
    [
        (
            SCML(basis="lda"),
            lambda est: est.fit_triplets(np.zeros((3, 3, 2))),
            "basis='lda' needs class labels (fit(X, y))",
        ),
        (
            SCML(basis=np.ones((4, 3))),
            lambda est: est.fit_triplets(np.random.RandomState(0).randn(5, 3, 2)),
            "The basis array must be finite, of shape (n_basis, 2); got shape (4, 3).",
        ),
        (
            LSML(),
            lambda est: est.fit_quadruplets(np.zeros((3, 3, 2))),
            "LSML: quadruplets must be an array of shape (n_quadruplets, 4, n_features)",
        ),
        (
            SCML(),
            lambda est: est.fit_triplets([[0, 1, 2]]),
            "SCML: triplets of shape (1, 3) hold indices, but no preprocessor was given",
        ),
    ],
)
def test_bad_tuple_input(learner, call, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        call(learner)


@pytest.mark.parametrize(
    "learner", [SDML(random_state=0), LSML(random_state=0), SCML(random_state=0)]
)
def test_pickle_round_trip(learner, wine):
    X, y = wine
    learner.fit(X, y)
    restored = pickle.loads(pickle.dumps(learner))
    assert_allclose(restored.transform(X), learner.transform(X))


@pytest.mark.parametrize(
    "params", [{"balance_param": 1e-5}, {"sparsity_param": 10.0}], ids=["tiny-eta", "diagonal"]
)
def test_sdml_reports_an_iteration_when_the_lasso_is_skipped(params):
    # Bug: a diagonal solution (no graphical lasso run) set n_iter_ = 0, which
    # scikit-learn's check_transformer_n_iter rejects for an iterative estimator.
    from sklearn.utils.estimator_checks import check_transformer_n_iter

    from sklearn_metric import SDML

    learner = SDML(**params)
    from sklearn.datasets import load_iris

    check_transformer_n_iter("SDML", learner)
    X, y = load_iris(return_X_y=True)
    assert learner.fit(X, y).n_iter_ == 1


# -- priors and the metric learned ---------------------------------------------------


def _singular_prior(n_features=4, seed=0):
    """``P diag(w) P^T`` with ``P`` orthogonal and ``w[0] = 0``: singular, though
    its computed smallest eigenvalue may round to either side of zero."""
    P, _ = np.linalg.qr(np.random.RandomState(seed).randn(n_features, n_features))
    return (P * np.array([0.0, 1.0, 2.0, 3.0])) @ P.T


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "make_learner, fit",
    [
        (
            lambda M0: SDML(prior=M0, balance_param=1e-3),
            lambda est, X, y: est.fit(X, y),
        ),
        (
            lambda M0: LSML(prior=M0),
            lambda est, X, y: est.fit(X, y),
        ),
    ],
    ids=["SDML", "LSML"],
)
def test_a_singular_prior_is_refused_whatever_the_rounding(make_learner, fit, seed):
    X, y = make_classification(n_samples=60, n_features=4, n_redundant=0, random_state=seed)
    M0 = _singular_prior(seed=seed)
    est = make_learner(M0)
    with pytest.raises(ValueError, match=r"The prior array must be positive definite"):
        fit(est, X, y)
    assert not hasattr(est, "components_")
    # Lifted off zero, the same prior is accepted.
    fit(make_learner(M0 + 0.1 * np.eye(4)), X, y)


def test_covariance_prior_of_points_that_do_not_vary_everywhere():
    # Covariance diag(4, 1, 0): the inverse is diag(1/4, 1) where the points vary,
    # and the mean of those, 5/8, along the constant third feature (with a warning).
    from sklearn_metric._core.init import prior_matrix

    points = np.array([[2.0, 1.0, 7.0], [-2.0, 1.0, 7.0], [2.0, -1.0, 7.0], [-2.0, -1.0, 7.0]])
    with pytest.warns(UserWarning, match=r"covariance has rank 2 < 3 features"):
        M0 = prior_matrix("covariance", points, 3)
    assert_allclose(M0, np.diag([0.25, 1.0, 0.625]), atol=1e-12)
    with pytest.raises(ValueError, match="every feature is constant"):
        prior_matrix("covariance", np.ones((4, 3)), 3)
