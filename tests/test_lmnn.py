import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import check_grad
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_metric import LMNN
from sklearn_metric._core.constraints import find_target_neighbors
from sklearn_metric._core.distances import squared_distances_rows
from sklearn_metric._core.linalg import components_from_psd, project_psd
from sklearn_metric._lmnn import impostors as _lmnn_impostors
from sklearn_metric._lmnn import lbfgs as _lmnn_lbfgs
from sklearn_metric._lmnn.loss import LMNNObjective, lmnn_loss

# Two classes on a line: {0, 1} and {10, 11}, one target neighbour each. The
# objective is f(m) = 2 m + 0.5 * sum_t max(0, 1 - c_t m) with
# c = {99, 120, 80, 99, 99, 80, 120, 99}; its minimum is at m = 1 / 80.
X_LINE = np.array([[0.0], [1.0], [10.0], [11.0]])
Y_LINE = np.array([0, 0, 1, 1])


def test_hand_checkable_line_sdp():
    lmnn = LMNN(n_neighbors=1, solver="sdp").fit(X_LINE, Y_LINE)
    assert_allclose(lmnn.get_mahalanobis_matrix(), [[1 / 80]], rtol=1e-5)
    # At m = 1/80 every hinge is zero: the loss is the pull term 0.5 * 4 * m.
    assert lmnn.loss_ == pytest.approx(2 / 80, rel=1e-5)


def test_hand_checkable_line_lbfgs():
    lmnn = LMNN(n_neighbors=1, solver="lbfgs").fit(X_LINE, Y_LINE)
    # The smoothed hinge (width 0.05) moves the optimum by a fraction of width / c.
    assert_allclose(lmnn.get_mahalanobis_matrix(), [[1 / 80]], rtol=5e-3)


def _standardised(loader, n=None, seed=0):
    X, y = loader(return_X_y=True)
    if n is not None:
        X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=seed)
    return StandardScaler().fit_transform(X), y


@pytest.mark.slow
@pytest.mark.parametrize(
    "loader, n, n_features", [(load_iris, None, 4), (load_wine, 90, 5), (load_wine, 60, 13)]
)
def test_lbfgs_reaches_sdp_optimum(loader, n, n_features):
    X, y = _standardised(loader, n)
    X = X[:, :n_features]
    sdp = LMNN(3, solver="sdp").fit(X, y)
    lbfgs = LMNN(3, solver="lbfgs").fit(X, y)
    assert sdp.solver_ == "sdp" and lbfgs.solver_ == "lbfgs"
    # The paper's hinge objective at the gradient solution is within 2% of the SDP optimum.
    assert lbfgs.loss_ <= sdp.loss_ * 1.02
    assert sdp.loss_ <= lbfgs.loss_ * (1 + 1e-6)


def test_sdp_solution_is_a_minimum():
    X, y = _standardised(load_iris)
    lmnn = LMNN(3, solver="sdp").fit(X, y)
    targets = find_target_neighbors(X, y, 3)
    L = lmnn.components_
    best = lmnn_loss(L, X, y, targets, 0.5)
    assert best == pytest.approx(lmnn.loss_)
    rng = np.random.RandomState(0)
    M = lmnn.get_mahalanobis_matrix()
    for _ in range(20):
        step = rng.randn(4, 4) * 1e-3
        M_new = project_psd(M + step + step.T)
        L_new = components_from_psd(M_new)
        assert lmnn_loss(L_new, X, y, targets, 0.5) >= best - 1e-6 * abs(best)


@pytest.mark.parametrize("n_components", [2, 4])
def test_gradient_matches_finite_differences(n_components):
    rng = np.random.RandomState(1)
    X = rng.randn(40, 4)
    y = rng.randint(3, size=40)
    targets = find_target_neighbors(X, y, 2)
    objective = LMNNObjective(X, y, targets, 0.5, n_components, 10**6)
    L = rng.randn(n_components, 4)
    objective(L.ravel())  # fixes the impostor candidates around L
    err = check_grad(lambda w: objective(w)[0], lambda w: objective(w)[1], L.ravel(), epsilon=1e-7)
    assert err < 1e-5 * max(1.0, np.linalg.norm(objective(L.ravel())[1]))


def test_cached_candidates_give_the_exact_loss():
    rng = np.random.RandomState(2)
    X = rng.randn(80, 3)
    y = rng.randint(2, size=80)
    targets = find_target_neighbors(X, y, 3)
    L = np.eye(3)
    cached = LMNNObjective(X, y, targets, 0.5, 3, 10**6)
    cached(L.ravel())
    for scale in (1.001, 1.01, 1.1, 2.0, 0.5):
        L_new = L * scale + rng.randn(3, 3) * 1e-3
        fresh = LMNNObjective(X, y, targets, 0.5, 3, 10**6)
        assert_allclose(cached(L_new.ravel())[0], fresh(L_new.ravel())[0], rtol=1e-10)
    assert cached.candidates.n_searches < 6


def test_sampled_checks_end_with_every_impostor_and_the_optimum(monkeypatch):
    # Candidates checked on one sampled point at a time miss most new impostors:
    # the full search at convergence must still end the run on a candidate set
    # that holds every impostor, at the optimum of the full problem.
    X, y = _standardised(load_iris)
    completeness = []
    original = LMNNObjective.search_again

    def spy(self, L):
        completeness.append(original(self, L))
        return completeness[-1]

    monkeypatch.setattr(_lmnn_impostors, "_SAMPLED_FRACTION", 0.0)
    monkeypatch.setattr(_lmnn_impostors, "_MIN_SAMPLED", 1)
    monkeypatch.setattr(_lmnn_impostors, "_MAX_SMALL_SAMPLE", 1)
    monkeypatch.setattr(LMNNObjective, "search_again", spy)
    lbfgs = LMNN(3, solver="lbfgs", init="random", random_state=0).fit(X, y)
    sdp = LMNN(3, solver="sdp").fit(X, y)
    assert len(completeness) >= 2 and completeness[-1] and not all(completeness)
    assert lbfgs.loss_ <= sdp.loss_ * 1.02


def _sampled_candidates():
    # 2000 points: the sample (100 points) is not every point, so the sampled rule runs.
    rng = np.random.RandomState(0)
    X = rng.randn(2000, 4)
    y = rng.randint(0, 3, 2000)
    targets = find_target_neighbors(X, y, 2)
    objective = LMNNObjective(X, y, targets, 0.5, 4, 10**6)
    L = np.eye(4)
    objective(L.ravel())  # the first evaluation searches
    candidates = objective.candidates
    assert not candidates.whole_sample and candidates.n_searches == 1
    return objective, candidates, X @ L.T, objective._reach(X)[1]


@pytest.mark.parametrize(
    ("dropped", "tolerance", "kept"),
    [(0.0, 0.0, True), (0.002, 0.05, True), (0.002, 0.0, False), (0.5, 0.05, False)],
)
def test_sampled_check_tolerates_a_few_missing_impostors(monkeypatch, dropped, tolerance, kept):
    # Candidates missing at most _MISSING_TOLERANCE of the sample's impostor
    # pairs are kept; more missing, or any missing with no tolerance, are not.
    monkeypatch.setattr(_lmnn_impostors, "_MISSING_TOLERANCE", tolerance)
    monkeypatch.setattr(_lmnn_impostors, "_TOLERATE_FROM", 0)
    objective, candidates, Z, reach = _sampled_candidates()
    d = squared_distances_rows(Z, candidates.rows, candidates.cols)
    inside = d < reach[candidates.rows] ** 2
    keys = candidates.keys[inside]  # exactly the impostors
    candidates.keys = np.delete(keys, np.arange(0, keys.size, int(1 / dropped)) if dropped else [])
    n_dropped = keys.size - candidates.keys.size
    assert (n_dropped > 0) == (dropped > 0)
    # The same answer over several rotating samples.
    assert all(candidates.sample_complete(Z, reach) == kept for _ in range(5))


def test_small_sets_tolerate_no_missing_impostor():
    _, candidates, _, _ = _sampled_candidates()  # 2000 points
    assert candidates.tolerance == 0.0


def test_final_search_restores_tolerated_misses_and_the_exact_loss():
    # After a run the candidates were searched at the final L, and the loss
    # read off them is the paper's loss searched from scratch.
    objective, candidates, Z, reach = _sampled_candidates()
    L = np.diag([1.3, 0.7, 1.0, 1.1])
    objective(L.ravel())
    objective.search_again(L)
    assert np.array_equal(candidates.L_ref, L)
    assert objective.exact_loss(L) == pytest.approx(
        lmnn_loss(L, objective.X, objective.y, objective.targets, 0.5), rel=1e-12
    )
    assert objective.exact_loss(L * 1.01) == pytest.approx(
        lmnn_loss(L * 1.01, objective.X, objective.y, objective.targets, 0.5), rel=1e-12
    )


def test_improves_knn_on_wine():
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    base = KNeighborsClassifier(3).fit(X_tr, y_tr).score(X_te, y_te)
    lmnn = LMNN(3).fit(X_tr, y_tr)
    learned = (
        KNeighborsClassifier(3).fit(lmnn.transform(X_tr), y_tr).score(lmnn.transform(X_te), y_te)
    )
    assert learned >= base
    assert learned == 1.0


def test_auto_solver_choice():
    X, y = _standardised(load_iris)
    assert LMNN().fit(X, y).solver_ == "sdp"
    assert LMNN(n_components=2).fit(X, y).solver_ == "lbfgs"
    Xw, yw = _standardised(load_wine)
    assert LMNN().fit(Xw, yw).solver_ == "lbfgs"


def test_n_components_reduces_dimension():
    X, y = _standardised(load_wine)
    lmnn = LMNN(3, n_components=2).fit(X, y)
    assert lmnn.components_.shape == (2, 13)
    assert lmnn.transform(X).shape == (178, 2)


def test_sdp_rejects_n_components():
    X, y = _standardised(load_iris)
    msg = "n_components=2 < n_features=4 needs solver='lbfgs': a rank constraint"
    with pytest.raises(ValueError, match=msg):
        LMNN(n_components=2, solver="sdp").fit(X, y)


def test_bad_sdp_solver_name():
    import cvxpy

    X, y = _standardised(load_iris)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "sdp_solver='NOPE' is not an installed cvxpy solver; "
            f"installed: {cvxpy.installed_solvers()}."
        ),
    ):
        LMNN(solver="sdp", sdp_solver="NOPE").fit(X, y)


@pytest.mark.parametrize(
    "status, outcome", [("optimal_inaccurate", "warn"), ("infeasible", "raise")]
)
def test_solver_status_is_reported(fake_solver_status, status, outcome):
    fake_solver_status(status)
    X, y = _standardised(load_iris)
    if outcome == "warn":
        with pytest.warns(
            ConvergenceWarning,
            match=re.escape(
                "The CLARABEL solver ended the LMNN semidefinite program "
                "with status 'optimal_inaccurate': the result may be "
                "inaccurate. Try sdp_solver='SCS', other solver_options or solver='lbfgs'."
            ),
        ):
            LMNN(solver="sdp").fit(X, y)
    else:
        with pytest.raises(
            ValueError,
            match=re.escape(
                "The CLARABEL solver ended the LMNN semidefinite program "
                "with status 'infeasible'. Try sdp_solver='SCS', other "
                "solver_options or solver='lbfgs'."
            ),
        ):
            LMNN(solver="sdp").fit(X, y)


def test_solver_error_is_reported(monkeypatch):
    import cvxpy

    def broken(self, *args, **kwargs):
        raise cvxpy.error.SolverError("numerical trouble")

    monkeypatch.setattr(cvxpy.Problem, "solve", broken)
    X, y = _standardised(load_iris)
    lmnn = LMNN(solver="sdp")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The CLARABEL solver failed on the LMNN semidefinite "
            "program: numerical trouble. Try sdp_solver='SCS', other "
            "solver_options or solver='lbfgs'."
        ),
    ):
        lmnn.fit(X, y)
    assert not hasattr(lmnn, "components_")


def test_max_iter_warns():
    X, y = _standardised(load_wine)
    msg = "[LMNN] LMNN (lbfgs) did not converge after max_iter=2 iterations"
    with pytest.warns(ConvergenceWarning, match=re.escape(msg)):
        lmnn = LMNN(solver="lbfgs", max_iter=2).fit(X, y)
    assert lmnn.n_iter_ == 2


def test_callback_verbose_and_warm_start(capsys):
    X, y = _standardised(load_wine)
    seen = []
    lmnn = LMNN(solver="lbfgs", callback=lambda L, n: seen.append((L.shape, n)), verbose=1)
    lmnn.fit(X, y)
    assert seen and seen[0] == ((13, 13), 1) and len(seen) == lmnn.n_iter_
    assert "[LMNN] lbfgs:" in capsys.readouterr().out
    first = lmnn.components_.copy()
    lmnn.set_params(warm_start=True, callback=None, verbose=0).fit(X, y)
    assert lmnn.n_iter_ < len(seen)
    assert_allclose(lmnn.components_, first, atol=1e-2 * np.abs(first).max())


def test_multi_pass():
    X, y = _standardised(load_wine)
    one = LMNN(solver="lbfgs").fit(X, y)
    seen = []
    two = LMNN(solver="lbfgs", n_passes=2, callback=lambda L, n: seen.append(n)).fit(X, y)
    # The second pass runs (at least one iteration past the first pass, which is
    # the one-pass fit) and numbers its iterations on from the first pass's.
    assert two.n_iter_ > one.n_iter_
    assert seen == list(range(1, two.n_iter_ + 1))
    assert np.all(np.isfinite(two.components_))


def test_small_class_warns_and_fits():
    X, y = _standardised(load_iris)
    X, y = np.vstack([X, X[:2] + 0.1]), np.append(y, [7, 7])
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "1 class(es) have n_neighbors=3 or fewer points (smallest: "
            "2); their points get only the other points of their class "
            "as target neighbours."
        ),
    ):
        lmnn = LMNN(3, solver="lbfgs").fit(X, y)
    assert np.all(np.isfinite(lmnn.components_))


def test_all_singleton_classes():
    X = np.random.RandomState(0).randn(4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(
            ValueError,
            match=re.escape(
                "LMNN needs a class with at least 2 samples to find target "
                "neighbours; every class has a single sample."
            ),
        ):
            LMNN().fit(X, [0, 1, 2, 3])


@pytest.mark.parametrize(
    "params, X, y, msg",
    [
        (
            {},
            [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]],
            [1, 1, 1],
            "needs samples of at least 2 classes",
        ),
        ({}, [[0.0, np.nan], [1.0, 0.0]], [0, 1], "NaN"),
        ({}, [[0.0, 1.0], [1.0, 0.0]], [0.5, 1.5], "Unknown label type"),
        (
            {"n_components": 3},
            [[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [1.0, 2.0]],
            [0, 1, 0, 1],
            re.escape(
                "The preferred dimensionality of the projected space `n_components` (3) "
                "cannot be greater than the given data dimensionality (2)!"
            ),
        ),
        ({"mu": 1.5}, [[0.0, 1.0], [1.0, 0.0]], [0, 1], "'mu' parameter"),
        ({"init": "nope"}, [[0.0, 1.0], [1.0, 0.0]], [0, 1], "'init' parameter"),
        (
            {"init": np.eye(3)},
            [[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [1.0, 2.0]],
            [0, 1, 0, 1],
            re.escape(
                "The input dimensionality (3) of the given linear transformation `init` "
                "must match the dimensionality of the given inputs `X` (2)."
            ),
        ),
    ],
)
def test_bad_input(params, X, y, msg):
    with pytest.raises(ValueError, match=msg):
        LMNN(**params).fit(X, y)


def test_string_labels_and_determinism():
    X, y = _standardised(load_wine)
    labels = np.array(["a", "b", "c"])[y]
    a = LMNN(solver="lbfgs", init="random", random_state=3).fit(X, labels)
    b = LMNN(solver="lbfgs", init="random", random_state=3).fit(X, labels)
    assert np.array_equal(a.components_, b.components_)
    assert list(a.classes_) == ["a", "b", "c"]


def test_problem_without_impostors():
    # Classes 100 apart: at the identity no impostor exists, the loss is the pull term.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(20, 2), rng.randn(20, 2) + 100])
    y = np.repeat([0, 1], 20)
    targets = find_target_neighbors(X, y, 3)
    rows = np.repeat(np.arange(40), 3)
    pull = np.sum((X[rows] - X[targets.ravel()]) ** 2)
    assert lmnn_loss(np.eye(2), X, y, targets, 0.5) == pytest.approx(0.5 * pull)
    for solver in ("sdp", "lbfgs"):
        lmnn = LMNN(3, solver=solver).fit(X, y)
        assert np.all(np.isfinite(lmnn.components_))
        assert lmnn.loss_ <= 0.5 * pull


def test_singleton_class_is_left_out_of_the_pull_term():
    X, y = _standardised(load_iris)
    X, y = np.vstack([X, [[5.0, 5.0, 5.0, 5.0]]]), np.append(y, 9)
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "1 class(es) have n_neighbors=3 or fewer points (smallest: "
            "1); their points get only the other points of their class "
            "as target neighbours."
        ),
    ):
        lmnn = LMNN(3, solver="lbfgs").fit(X, y)
    targets = find_target_neighbors(X, y, 3)
    assert np.all(targets[-1] == -1)
    assert np.all(np.isfinite(lmnn.components_))


def _few_points_many_features(n=30, d=70, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.arange(n) % 3
    X[:, 0] += 2 * y
    return X, y


@pytest.mark.parametrize(
    "n_components, init", [(None, "identity"), (12, "pca"), (50, "random"), (None, "random")]
)
def test_span_reduction_gives_the_full_problems_iterates(monkeypatch, n_components, init):
    # With fewer points than features L-BFGS runs on the span of the points
    # (and of L0's columns); the iterates must be those of the full problem.
    X, y = _few_points_many_features()
    params = dict(solver="lbfgs", n_components=n_components, init=init, random_state=0)
    reduced_seen, full_seen = [], []
    reduced = LMNN(callback=lambda L, n: reduced_seen.append(L.copy()), **params).fit(X, y)
    monkeypatch.setattr(_lmnn_lbfgs, "wide_span", lambda X: None)
    full = LMNN(callback=lambda L, n: full_seen.append(L.copy()), **params).fit(X, y)
    assert reduced.n_iter_ == full.n_iter_ > 1
    assert reduced.components_.shape == full.components_.shape
    assert reduced_seen[0].shape == full.components_.shape
    scale = np.abs(full.components_).max()
    assert_allclose(reduced_seen[0], full_seen[0], atol=1e-9 * scale)
    assert_allclose(reduced.components_, full.components_, atol=1e-8 * scale)
    assert reduced.loss_ == pytest.approx(full.loss_, rel=1e-8)
    # Points outside the training span are mapped as in the full problem too.
    X_new = np.random.RandomState(1).randn(5, X.shape[1])
    assert_allclose(reduced.transform(X_new), full.transform(X_new), atol=1e-8 * scale * 10)


def test_sdp_round_limit_warns():
    X, y = _standardised(load_iris)
    msg = (
        "[LMNN] LMNN (sdp) did not converge after max_iter=1 active-set rounds: "
        "violated triplets are left; increase max_iter."
    )
    with pytest.warns(ConvergenceWarning, match=re.escape(msg)):
        lmnn = LMNN(solver="sdp", max_iter=1).fit(X, y)
    assert lmnn.n_iter_ == 1


# -- fit_triplets ---------------------------------------------------------------------


def test_fit_triplets_line_by_hand():
    # On a line, triplet (0, 1, 2) with x = 0, 1, 3 at M = m: pull m, hinge
    # [1 + m - 9 m]_+. The loss 0.5 m + 0.5 [1 - 8 m]_+ is smallest at m = 1/8.
    X = np.array([[0.0], [1.0], [3.0]])
    lmnn = LMNN(solver="sdp").fit_triplets([[0, 1, 2]], preprocessor=X)
    assert_allclose(lmnn.get_mahalanobis_matrix(), [[1 / 8]], rtol=1e-5)
    assert lmnn.loss_ == pytest.approx(0.5 / 8, rel=1e-5)


def test_fit_triplets_lbfgs_reaches_the_sdp_optimum():
    from sklearn_metric._core.sampling import sample_triplets

    X, y = _standardised(load_iris)
    triplets = sample_triplets(y, 300, np.random.RandomState(0))
    sdp = LMNN(solver="sdp").fit_triplets(triplets, preprocessor=X)
    lbfgs = LMNN(solver="lbfgs").fit_triplets(X[triplets])
    assert sdp.solver_ == "sdp" and lbfgs.solver_ == "lbfgs"
    assert lbfgs.loss_ <= sdp.loss_ * 1.01
    assert sdp.loss_ <= lbfgs.loss_ * (1 + 1e-6)


def test_triplet_gradient_matches_finite_differences():
    from sklearn_metric._lmnn.triplets import _loss_and_gradient

    rng = np.random.RandomState(0)
    X = rng.randn(12, 3)
    triplets = rng.randint(12, size=(20, 3))
    L = rng.randn(2, 3)

    def value(flat):
        return _loss_and_gradient(flat.reshape(2, 3), X, triplets, 0.4, 0.1)[0]

    def gradient(flat):
        return _loss_and_gradient(flat.reshape(2, 3), X, triplets, 0.4, 0.1)[1]

    assert check_grad(value, gradient, L.ravel(), epsilon=1e-7) < 1e-5


def test_fit_triplets_bad_input():
    msg = "init='lda' needs class labels; fit_triplets has none. Use 'pca'."
    with pytest.raises(ValueError, match=re.escape(msg)):
        LMNN(init="lda").fit_triplets(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=re.escape("LMNN: triplets must be an array of shape")):
        LMNN().fit_triplets(np.zeros((2, 2, 2)))


# -- approximate impostor search -------------------------------------------------


def test_approximate_impostors_at_recall_one_are_the_exact_ones():
    from sklearn_metric._core.constraints import approximate_impostors, find_impostors

    rng = np.random.RandomState(0)
    Z, y = rng.randn(2000, 6), rng.randint(4, size=2000)
    radii_sq = rng.uniform(0.2, 2.5, size=2000)  # some points hold more than 8 impostors
    rows, cols, dists = approximate_impostors(Z, y, radii_sq, n_neighbors=8, target_recall=1.0)
    exact_rows, exact_cols, _ = find_impostors(Z, y, radii_sq, dtype=np.float32)
    found = set(zip(rows.tolist(), cols.tolist(), strict=True))
    assert found == set(zip(exact_rows.tolist(), exact_cols.tolist(), strict=True))
    assert_allclose(dists, ((Z[rows] - Z[cols]) ** 2).sum(axis=1), rtol=1e-5)
    # At the default recall a few may be missed, never a pair outside a radius.
    rows, cols, _ = approximate_impostors(Z, y, radii_sq, n_neighbors=8)
    assert np.all(((Z[rows] - Z[cols]) ** 2).sum(axis=1) < radii_sq[rows] * (1 + 1e-5))
    assert np.all(y[rows] != y[cols])
    assert rows.size >= 0.9 * exact_rows.size


def test_lmnn_with_approximate_search_reports_the_exact_objective():
    # The solver ends with an exact search: loss_ is the paper's loss over every
    # impostor at the returned components_.
    rng = np.random.RandomState(0)
    y = rng.randint(5, size=1500)
    X = rng.randn(1500, 8) + y[:, None] * 0.4
    lmnn = LMNN(3, impostor_search="approximate", max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lmnn.fit(X, y)
    targets = find_target_neighbors(X, y, 3)
    assert lmnn.loss_ == pytest.approx(lmnn_loss(lmnn.components_, X, y, targets, 0.5), rel=1e-9)
    exact = LMNN(3, impostor_search="exact", max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exact.fit(X, y)
    assert lmnn.loss_ == pytest.approx(exact.loss_, rel=0.05)


def test_impostor_search_choice(monkeypatch):
    assert not _lmnn_impostors.approximate_search("auto", _lmnn_impostors.APPROXIMATE_FROM - 1)
    assert _lmnn_impostors.approximate_search("auto", _lmnn_impostors.APPROXIMATE_FROM)
    assert not _lmnn_impostors.approximate_search("exact", 10**7)

    def no_faiss(algorithm):
        raise ImportError("algorithm='ivf' needs the faiss-cpu package")

    monkeypatch.setattr(_lmnn_impostors, "import_faiss", no_faiss)
    assert not _lmnn_impostors.approximate_search("auto", 10**7)  # falls back to exact
    with pytest.raises(ImportError, match="needs the faiss-cpu package"):
        LMNN(solver="lbfgs", impostor_search="approximate").fit(*load_iris(return_X_y=True))
