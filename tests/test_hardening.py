"""Solver faults, persistence, determinism, threads, integration and memory, for every estimator."""

import io
import pickle
import re
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

import sklearn_metric._core.optim as optim_module
import sklearn_metric._core.sdp as sdp_module
import sklearn_metric._lmnn.lmnn as lmnn_module
from sklearn_metric import (
    LMNN,
    MMC,
    NCA,
    EnergyClassifier,
    KNNClassifier,
)

CLASSIFIERS = {
    "KNNClassifier(LMNN)": lambda: KNNClassifier(3, metric_learner=LMNN()),
    "KNNClassifier(NCA)": lambda: KNNClassifier(3, metric_learner=NCA(random_state=0)),
    "EnergyClassifier": lambda: EnergyClassifier(),
}
# One parameter of each learner to tune in a grid search.
LEARNER_GRIDS = {
    "MahalanobisTransformer": {"learner__covariance": ["empirical", "ledoit_wolf"]},
    "LMNN": {"learner__mu": [0.3, 0.5]},
    "LMNN-sdp": {"learner__mu": [0.3, 0.5]},
    "NCA": {"learner__max_iter": [5, 10]},
    "NCA-references": {"learner__n_references": [20, 60]},
    "RCA": {"learner__chunk_size": [None, 3]},
    "MMC": {"learner__diagonal": [False, True]},
    "MMC-sdp": {"learner__diagonal": [False, True]},
    "POLA": {"learner__n_pairs": [200, 400]},
    "ITML": {"learner__gamma": [0.5, 1.0]},
    "SDML": {"learner__sparsity_param": [0.01, 0.1]},
    "LSML": {"learner__regularization": [0.5, 1.0]},
    "SCML": {"learner__beta": [1e-5, 1e-3]},
    "LFDA": {"learner__k": [3, 7]},
    "MLKR": {"learner__n_components": [2, 4]},
    "MultiMetricLMNN": {"learner__mu": [0.3, 0.5]},
    "ContrastiveEmbedding": {"learner__miner": ["hard", "semihard"]},
}


def _data_for(name, wine, wine5):
    return wine5 if name.endswith("-sdp") else wine


# -- solver faults ------------------------------------------------------------------


@pytest.mark.learners("LMNN-sdp", "MMC-sdp")
def test_inaccurate_sdp_warns(fake_solver_status, wine5, make_learner):
    fake_solver_status("optimal_inaccurate")
    with pytest.warns(ConvergenceWarning, match="ended .* with status 'optimal_inaccurate'"):
        make_learner().fit(*wine5)


@pytest.mark.learners("LMNN-sdp", "MMC-sdp")
@pytest.mark.parametrize("status", ["infeasible", "unbounded", "solver_error"])
def test_failed_sdp_raises_and_leaves_no_fitted_state(
    fake_solver_status, wine5, make_learner, status
):
    fake_solver_status(status)
    learner = make_learner()
    with pytest.raises(
        ValueError, match=f"CLARABEL solver ended .* with status '{status}'. Try sdp_solver='SCS'"
    ):
        learner.fit(*wine5)
    with pytest.raises(NotFittedError):
        check_is_fitted(learner)


def test_mmc_auto_continues_with_projected_gradient_when_the_sdp_fails(
    fake_solver_status, wine5, capsys
):
    fake_solver_status("infeasible")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # auto: what was asked, so no warning
        mmc = MMC(random_state=0, verbose=1).fit(*wine5)
    assert mmc.solver_ == "projected_gradient"
    assert np.all(np.isfinite(mmc.components_))
    assert (
        "[MMC] The CLARABEL solver ended the MMC problem with status 'infeasible'. Try "
        "sdp_solver='SCS', other solver_options or solver='projected_gradient'. "
        "solver='auto' continues with 'projected_gradient'."
    ) in capsys.readouterr().out


def test_auto_continues_with_lbfgs_when_the_sdp_fails(fake_solver_status, wine5, capsys):
    fake_solver_status("infeasible")
    X, y = wine5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lmnn = LMNN(verbose=1).fit(X[:100], y[:100])
    assert lmnn.solver_ == "lbfgs"
    assert np.all(np.isfinite(lmnn.components_))
    assert (
        "[LMNN] The CLARABEL solver ended the LMNN semidefinite program with status "
        "'infeasible'. Try sdp_solver='SCS', other solver_options or solver='lbfgs'. "
        "solver='auto' continues with 'lbfgs'."
    ) in capsys.readouterr().out


@pytest.mark.parametrize(
    "learner, match",
    [
        (
            LMNN(solver="lbfgs", max_iter=2),
            re.escape("[LMNN] LMNN (lbfgs) did not converge after max_iter=2 iterations"),
        ),
        (NCA(max_iter=2), "max_iter=2"),
        (MMC(solver="projected_gradient", max_iter=2), "max_iter=2"),
    ],
)
def test_iteration_limit_warns(wine, learner, match):
    with pytest.warns(ConvergenceWarning, match=match):
        learner.fit(*wine)


def test_a_failed_refit_does_not_leave_the_old_model(
    wine, wine5, learner_name, make_learner, monkeypatch
):
    # A first fit succeeds; a second one fails inside the solver. The learner
    # must not keep looking fitted with the old components and new data's state.
    learner = make_learner().fit(*_data_for(learner_name, wine, wine5))

    def broken(*args, **kwargs):
        raise FloatingPointError("injected fault")

    monkeypatch.setattr(lmnn_module, "find_target_neighbors", broken)
    monkeypatch.setattr(sdp_module, "solve", broken)  # LMNN and MMC SDPs
    monkeypatch.setattr(optim_module, "minimize", broken)  # LMNN (lbfgs) and NCA
    import sklearn_metric._covariance as covariance_module
    import sklearn_metric._mmc.mmc as mmc_module
    import sklearn_metric._pola as pola_module
    import sklearn_metric._rca as rca_module

    monkeypatch.setattr(mmc_module.MMC, "_solve_projected_gradient", broken)
    monkeypatch.setattr(rca_module, "within_chunklet_covariance", broken)
    monkeypatch.setattr(pola_module.POLA, "_learn", broken)
    monkeypatch.setattr(covariance_module, "inverse_sqrt_psd", broken)
    import sklearn_metric._itml.itml as itml_module

    monkeypatch.setattr(itml_module, "itml_projections", broken)
    import sklearn_metric._lsml as lsml_module
    import sklearn_metric._scml.scml as scml_module
    import sklearn_metric._sdml as sdml_module

    monkeypatch.setattr(sdml_module, "pair_loss_matrix", broken)
    monkeypatch.setattr(lsml_module, "lsml_objective", broken)
    monkeypatch.setattr(scml_module, "scml_loss", broken)
    import sklearn_metric._lfda as lfda_module

    monkeypatch.setattr(lfda_module, "local_scatter_matrices", broken)
    import sklearn_metric._mlkr as mlkr_module

    monkeypatch.setattr(mlkr_module, "mlkr_loss", broken)
    import sklearn_metric._contrastive.contrastive as contrastive_module

    monkeypatch.setattr(contrastive_module, "batch_loss", broken)
    X, y = _data_for(learner_name, wine, wine5)
    with pytest.raises(FloatingPointError, match="injected fault"):
        learner.fit(X[:, :4], y)
    with pytest.raises(NotFittedError):
        check_is_fitted(learner)


# -- persistence and determinism ----------------------------------------------------


def _roundtrips(estimator):
    yield pickle.loads(pickle.dumps(estimator))
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    yield joblib.load(buffer)


def test_learner_persistence(wine, wine5, learner_name, make_learner):
    X, y = _data_for(learner_name, wine, wine5)
    learner = make_learner().fit(X, y)
    for loaded in _roundtrips(learner):
        np.testing.assert_array_equal(loaded.transform(X), learner.transform(X))
        pairs = np.stack([X[:5], X[5:10]], axis=1)
        np.testing.assert_array_equal(loaded.pair_distance(pairs), learner.pair_distance(pairs))
        assert loaded.get_metric()(X[0], X[1]) == learner.get_metric()(X[0], X[1])


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_persistence(wine, name):
    X, y = wine
    classifier = CLASSIFIERS[name]().fit(X, y)
    for loaded in _roundtrips(classifier):
        np.testing.assert_array_equal(loaded.predict(X), classifier.predict(X))
        np.testing.assert_array_equal(loaded.predict_proba(X), classifier.predict_proba(X))


def test_same_random_state_gives_identical_components(wine, wine5, learner_name, make_learner):
    X, y = _data_for(learner_name, wine, wine5)
    # A deterministic learner (no random_state, e.g. LFDA) must repeat itself too.
    seed = {"random_state": 7} if "random_state" in make_learner().get_params() else {}
    first = make_learner().set_params(**seed).fit(X, y)
    second = make_learner().set_params(**seed).fit(X, y)
    np.testing.assert_array_equal(first.components_, second.components_)


def test_threads_give_the_serial_results(wine, wine5, learner_name, make_learner):
    X, y = _data_for(learner_name, wine, wine5)
    template = make_learner()
    serial = [clone(template).fit(X, y).components_ for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        threaded = list(
            pool.map(lambda est: est.fit(X, y).components_, [clone(template) for _ in range(3)])
        )
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


# -- integration ----------------------------------------------------------------------


def test_pipeline_grid_search(wine, wine5, learner_name, make_learner):
    X, y = _data_for(learner_name, wine, wine5)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("learner", make_learner()), ("knn", KNNClassifier())]
    )
    grid = dict(LEARNER_GRIDS[learner_name], knn__n_neighbors=[1, 3])
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_score_ > 0.6
    assert set(search.best_params_) == set(grid)
    tuned = clone(pipe).set_params(**search.best_params_)
    assert tuned.get_params()["knn__n_neighbors"] == search.best_params_["knn__n_neighbors"]


@pytest.mark.learners("LMNN", "NCA", "MMC", "POLA")
def test_cross_val_score_in_parallel(wine, make_learner):
    X, y = wine
    pipe = Pipeline(
        [("scale", StandardScaler()), ("learner", make_learner()), ("knn", KNNClassifier())]
    )
    parallel = cross_val_score(pipe, X, y, cv=3, n_jobs=2)
    serial = cross_val_score(pipe, X, y, cv=3, n_jobs=1)
    np.testing.assert_allclose(parallel, serial)


def test_pandas_output_and_feature_names(wine, wine5, learner_name, make_learner):
    pd = pytest.importorskip("pandas")
    X, y = _data_for(learner_name, wine, wine5)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    learner = make_learner().set_output(transform="pandas").fit(frame, y)
    out = learner.transform(frame)
    assert isinstance(out, pd.DataFrame)
    prefix = type(learner).__name__.lower()
    assert list(out.columns) == [f"{prefix}{i}" for i in range(out.shape[1])]
    np.testing.assert_array_equal(learner.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        learner.transform(X)


# -- memory -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "learner",
    [LMNN(solver="lbfgs", max_iter=3), NCA(max_iter=2)],
    ids=["LMNN", "NCA"],
)
def test_no_n_by_n_allocation(learner):
    # 20000 points: one n x n float64 matrix would be 3.2 GB; the learners work
    # in blocks, so their traced peak stays far below even a float32 one.
    rng = np.random.RandomState(0)
    n = 20000
    y = rng.randint(10, size=n)
    X = rng.randn(n, 8) + y[:, None] * 0.3
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Compiling the kernels (numba, on first use) allocates Python objects: done
        # before the trace, on a size that takes the same code paths.
        clone(learner).fit(X[:5000], y[:5000])
    tracemalloc.start()
    try:
        # Blocks follow scikit-learn's working_memory (1 GiB by default, which at this
        # size lets a block hold 800 rows): at 128 MiB the peak is bounded by the
        # setting, far below an n x n matrix.
        with warnings.catch_warnings(), config_context(working_memory=128):
            warnings.simplefilter("ignore", ConvergenceWarning)
            learner.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < n * n * 4 / 4, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("bad", [0.0, np.nan, np.inf], ids=["zero", "nan", "inf"])
def test_no_learner_returns_an_all_zero_or_non_finite_metric(bad):
    # Whatever a solver returns, every fit method checks the metric before returning.
    from sklearn_metric._core.base import MetricLearnerMixin

    class Broken(MetricLearnerMixin):
        def fit(self, X, y=None):
            self.components_ = np.full((2, X.shape[1]), bad)
            return self

    est = Broken()
    match = "all-zero metric" if bad == 0 else "non-finite metric"
    with pytest.raises(ValueError, match=f"Broken learned an {match}|Broken learned a {match}"):
        est.fit(np.eye(3))
    assert not hasattr(est, "components_")
