"""One table of bad inputs for every estimator, each with its exact error.

Every error must be raised before any heavy work: the ``unreachable_solvers``
fixture replaces each learner's solver, search and decomposition by a function
that raises :class:`SolverReached` (neither a ``ValueError`` nor a
``TypeError``), so a check that runs too late fails the test instead of
passing by accident.

``KNNClassifier(metric_learner=None)`` is exempt: ``test_neighbors.py`` checks
that it accepts and rejects exactly what ``KNeighborsClassifier`` does.
"""

import re

import numpy as np
import pytest

import sklearn_metric._contrastive.contrastive as contrastive_module
import sklearn_metric._core.base as base_module
import sklearn_metric._core.optim as optim_module
import sklearn_metric._core.sdp as sdp_module
import sklearn_metric._covariance as covariance_module
import sklearn_metric._itml.itml as itml_module
import sklearn_metric._lfda as lfda_module
import sklearn_metric._lmnn.impostors as lmnn_impostors_module
import sklearn_metric._lmnn.lmnn as lmnn_module
import sklearn_metric._lmnn.sdp as lmnn_sdp_module
import sklearn_metric._lsml as lsml_module
import sklearn_metric._mlkr as mlkr_module
import sklearn_metric._mmc.mmc as mmc_module
import sklearn_metric._nca as nca_module
import sklearn_metric._pola as pola_module
import sklearn_metric._rca as rca_module
import sklearn_metric._scml.scml as scml_module
import sklearn_metric._sdml as sdml_module
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
    ContrastiveEmbedding,
    EnergyClassifier,
    KNNClassifier,
    MahalanobisTransformer,
    MultiMetricLMNN,
)
from sklearn_metric._core.compat import InvalidParameterError


class SolverReached(Exception):
    """Heavy work started although the input was bad."""


def _unreachable(*args, **kwargs):
    raise SolverReached("the input should have been rejected before this point")


@pytest.fixture
def unreachable_solvers(monkeypatch):
    for module, name in [
        (lmnn_module, "find_target_neighbors"),
        (lmnn_impostors_module, "find_impostors"),
        (lmnn_sdp_module, "find_impostors"),
        (optim_module, "minimize"),
        (nca_module, "nca_objective"),
        (rca_module, "sample_chunklets"),
        (rca_module, "within_chunklet_covariance"),
        (rca_module, "eigh"),
        (mmc_module, "pairs_from_labels"),
        (mmc_module, "_bounded_subspace"),
        (sdp_module, "solve"),
        (itml_module, "itml_projections"),
        (base_module, "pairs_from_labels"),  # ITML, SDML
        (lsml_module, "sample_quadruplets"),
        (scml_module, "neighbourhood_triplets"),
        (lsml_module, "lsml_objective"),
        (scml_module, "scml_loss"),
        (sdml_module, "graphical_lasso"),
        (lmnn_module, "solve_triplets_lbfgs"),
        (lmnn_module, "solve_triplets_sdp"),
        (pola_module, "sample_pairs"),
        (covariance_module, "inverse_sqrt_psd"),
        (lfda_module, "local_scatter_matrices"),
        (contrastive_module, "batch_loss"),
        (contrastive_module, "tuple_loss"),
        (mlkr_module, "mlkr_loss"),
    ]:
        monkeypatch.setattr(module, name, _unreachable)
    monkeypatch.setattr(mmc_module.MMC, "_solve_projected_gradient", _unreachable)
    monkeypatch.setattr(pola_module.POLA, "_learn", _unreachable)


ESTIMATORS = {
    "MahalanobisTransformer": MahalanobisTransformer,
    "LMNN": LMNN,
    "LMNN-sdp": lambda **kw: LMNN(solver="sdp", **kw),
    "NCA": NCA,
    "RCA": RCA,
    "MMC": MMC,
    "POLA": POLA,
    "ITML": ITML,
    "SDML": SDML,
    "LSML": LSML,
    "SCML": SCML,
    "LFDA": LFDA,
    "MLKR": MLKR,
    "MultiMetricLMNN": MultiMetricLMNN,
    "ContrastiveEmbedding": ContrastiveEmbedding,
    "KNNClassifier(LMNN)": lambda **kw: KNNClassifier(metric_learner=LMNN(**kw)),
    "EnergyClassifier": lambda **kw: EnergyClassifier(metric_learner=LMNN(**kw)),
}
UNSUPERVISED = {"MahalanobisTransformer"}
# Learners of a metric for regression: real targets are their input, class labels are not.
REGRESSION = {"MLKR"}

RNG = np.random.RandomState(0)
X = RNG.randn(30, 4)
Y = np.repeat([0, 1, 2], 10)


def _with(value, dtype=None):
    X_bad = X.astype(dtype if dtype is not None else X.dtype)
    X_bad[3, 1] = value
    return X_bad


# name: (X, y, exception, message fragment, applies to unsupervised learners)
BAD_DATA = {
    "NaN in X": (_with(np.nan), Y, ValueError, "Input X contains NaN", True),
    "inf in X": (_with(np.inf), Y, ValueError, "Input X contains infinity", True),
    "empty X": (np.empty((0, 4)), np.empty(0), ValueError, "Found array with 0 sample", True),
    "one sample": (X[:1], Y[:1], ValueError, "Found array with 1 sample", True),
    "no feature": (np.empty((30, 0)), Y, ValueError, "0 feature(s)", True),
    "1-D X": (X[:, 0], Y, ValueError, "Expected 2D array, got 1D array", True),
    "3-D X": (X.reshape(30, 2, 2), Y, ValueError, "Found array with dim 3", True),
    "string in X": (_with("a", object), Y, ValueError, "could not convert string to float", True),
    "complex X": (_with(1j, complex), Y, ValueError, "Complex data not supported", True),
    "X and y lengths differ": (X, Y[:-1], ValueError, "inconsistent numbers of samples", False),
    "NaN in y": (
        X,
        np.where(np.arange(30) == 0, np.nan, Y),
        ValueError,
        "Input y contains NaN",
        False,
    ),
    "continuous y": (X, RNG.randn(30), ValueError, "Unknown label type: continuous", False),
    "single class": (X, np.zeros(30), ValueError, "needs samples of at least 2 classes", False),
    "2-D y": (X, np.c_[Y, Y], ValueError, "y should be a 1d array", False),
}
# What a regression learner rejects instead of "continuous y" and "single class".
REGRESSION_BAD_DATA = {
    "string labels": (
        X,
        np.repeat(["a", "b", "c"], 10),
        ValueError,
        "y must hold real targets, but it holds class labels (type_of_target(y) is 'multiclass')",
    ),
    "boolean labels": (X, Y > 0, ValueError, "(type_of_target(y) is 'binary')"),
}


def _data_cases():
    for est_name in ESTIMATORS:
        for case, (X_bad, y_bad, exc, match, unsupervised_too) in BAD_DATA.items():
            if est_name in UNSUPERVISED and not unsupervised_too:
                continue
            if (est_name, case) == ("NCA", "single class"):
                continue  # fits, as scikit-learn's NCA does (test_nca.py checks the warning)
            if est_name in REGRESSION and case in ("continuous y", "single class"):
                continue  # real targets, possibly all equal, are a regressor's input
            yield pytest.param(est_name, X_bad, y_bad, exc, match, id=f"{est_name}-{case}")
    for est_name in REGRESSION:
        for case, (X_bad, y_bad, exc, match) in REGRESSION_BAD_DATA.items():
            yield pytest.param(est_name, X_bad, y_bad, exc, match, id=f"{est_name}-{case}")


@pytest.mark.parametrize("est_name, X_bad, y_bad, exc, match", list(_data_cases()))
def test_bad_data(unreachable_solvers, est_name, X_bad, y_bad, exc, match):
    estimator = ESTIMATORS[est_name]()
    with pytest.raises(exc, match=match.replace("(", r"\(").replace(")", r"\)")):
        estimator.fit(X_bad, y_bad)


def test_unsupervised_learner_ignores_y():
    # y is not used by MahalanobisTransformer: any y (even continuous) is accepted.
    fitted = MahalanobisTransformer().fit(X, RNG.randn(30))
    np.testing.assert_allclose(fitted.transform(X), MahalanobisTransformer().fit(X).transform(X))


# name: (factory, exception, message fragment)
BAD_PARAMS = {
    "LMNN n_neighbors=0": (lambda: LMNN(n_neighbors=0), "'n_neighbors' parameter of LMNN must be"),
    "LMNN n_neighbors=-1": (
        lambda: LMNN(n_neighbors=-1),
        "'n_neighbors' parameter of LMNN must be",
    ),
    "LMNN n_neighbors=2.5": (
        lambda: LMNN(n_neighbors=2.5),
        "'n_neighbors' parameter of LMNN must be",
    ),
    "LMNN mu=1.5": (lambda: LMNN(mu=1.5), "'mu' parameter of LMNN must be"),
    "LMNN mu='a'": (lambda: LMNN(mu="a"), "'mu' parameter of LMNN must be"),
    "LMNN max_iter=0": (lambda: LMNN(max_iter=0), "'max_iter' parameter of LMNN must be"),
    "LMNN tol=-1": (lambda: LMNN(tol=-1), "'tol' parameter of LMNN must be"),
    "LMNN solver": (lambda: LMNN(solver="newton"), "'solver' parameter of LMNN must be"),
    "LMNN init": (lambda: LMNN(init="zeros"), "'init' parameter of LMNN must be"),
    "LMNN n_passes=0": (lambda: LMNN(n_passes=0), "'n_passes' parameter of LMNN must be"),
    "LMNN max_impostors=0": (
        lambda: LMNN(max_impostors=0),
        "'max_impostors' parameter of LMNN must be",
    ),
    "LMNN n_components=0": (
        lambda: LMNN(n_components=0),
        "'n_components' parameter of LMNN must be",
    ),
    "LMNN callback": (lambda: LMNN(callback=3), "'callback' parameter of LMNN must be"),
    "LMNN solver_options": (
        lambda: LMNN(solver_options=[1]),
        "'solver_options' parameter of LMNN must be",
    ),
    "NCA max_iter=0": (lambda: NCA(max_iter=0), "'max_iter' parameter of NCA must be"),
    "NCA tol=-1": (lambda: NCA(tol=-1), "'tol' parameter of NCA must be"),
    "NCA n_components=0": (lambda: NCA(n_components=0), "'n_components' parameter of NCA must be"),
    "NCA init": (lambda: NCA(init="zeros"), "'init' parameter of NCA must be"),
    "RCA chunk_size=1": (lambda: RCA(chunk_size=1), "'chunk_size' parameter of RCA must be"),
    "MultiMetricLMNN n_metrics='clusters'": (
        lambda: MultiMetricLMNN(n_metrics="clusters"),
        "'n_metrics' parameter of MultiMetricLMNN must be",
    ),
    "MultiMetricLMNN n_metrics=0": (
        lambda: MultiMetricLMNN(n_metrics=0),
        "'n_metrics' parameter of MultiMetricLMNN must be",
    ),
    "MultiMetricLMNN n_metrics=2.5": (
        lambda: MultiMetricLMNN(n_metrics=2.5),
        "'n_metrics' parameter of MultiMetricLMNN must be",
    ),
    "MultiMetricLMNN rule": (
        lambda: MultiMetricLMNN(rule="vote"),
        "'rule' parameter of MultiMetricLMNN must be",
    ),
    "LFDA k=0": (lambda: LFDA(k=0), "'k' parameter of LFDA must be"),
    "ContrastiveEmbedding loss": (
        lambda: ContrastiveEmbedding(loss="arcface"),
        "'loss' parameter of ContrastiveEmbedding must be",
    ),
    "ContrastiveEmbedding batch_size=1": (
        lambda: ContrastiveEmbedding(batch_size=1),
        "'batch_size' parameter of ContrastiveEmbedding must be",
    ),
    "ContrastiveEmbedding learning_rate=0": (
        lambda: ContrastiveEmbedding(learning_rate=0),
        "'learning_rate' parameter of ContrastiveEmbedding must be",
    ),
    "ContrastiveEmbedding margin=0": (
        lambda: ContrastiveEmbedding(margin=0),
        "'margin' parameter of ContrastiveEmbedding must be",
    ),
    "LFDA embedding_type": (
        lambda: LFDA(embedding_type="scaled"),
        "'embedding_type' parameter of LFDA must be",
    ),
    "MLKR init='lda'": (lambda: MLKR(init="lda"), "'init' parameter of MLKR must be"),
    "MLKR max_iter=0": (lambda: MLKR(max_iter=0), "'max_iter' parameter of MLKR must be"),
    "MMC n_components=0": (lambda: MMC(n_components=0), "'n_components' parameter of MMC must be"),
    "POLA n_components=0": (
        lambda: POLA(n_components=0),
        "'n_components' parameter of POLA must be",
    ),
    "RCA n_chunks=0": (lambda: RCA(n_chunks=0), "'n_chunks' parameter of RCA must be"),
    "RCA shrinkage=0": (lambda: RCA(shrinkage=0), "'shrinkage' parameter of RCA must be"),
    "RCA shrinkage='x'": (lambda: RCA(shrinkage="x"), "'shrinkage' parameter of RCA must be"),
    "MMC max_iter=0": (lambda: MMC(max_iter=0), "'max_iter' parameter of MMC must be"),
    "MMC n_constraints=-3": (
        lambda: MMC(n_constraints=-3),
        "'n_constraints' parameter of MMC must be",
    ),
    "MMC solver": (lambda: MMC(solver="newton"), "'solver' parameter of MMC must be"),
    "MMC diagonal='yes'": (lambda: MMC(diagonal="yes"), "'diagonal' parameter of MMC must be"),
    "POLA n_pairs=0": (lambda: POLA(n_pairs=0), "'n_pairs' parameter of POLA must be"),
    "POLA shuffle='no'": (lambda: POLA(shuffle="no"), "'shuffle' parameter of POLA must be"),
    "Mahalanobis covariance": (
        lambda: MahalanobisTransformer(covariance="bogus"),
        "'covariance' parameter of MahalanobisTransformer must be",
    ),
    "Mahalanobis n_components=0": (
        lambda: MahalanobisTransformer(n_components=0),
        "'n_components' parameter of MahalanobisTransformer must be",
    ),
    "Mahalanobis tol=-1": (
        lambda: MahalanobisTransformer(tol=-1),
        "'tol' parameter of MahalanobisTransformer must be",
    ),
    "KNN n_neighbors=0": (
        lambda: KNNClassifier(n_neighbors=0, metric_learner=LMNN()),
        "'n_neighbors' parameter of KNNClassifier must be",
    ),
    "KNN metric_learner='lmnn'": (
        lambda: KNNClassifier(metric_learner="lmnn"),
        "'metric_learner' parameter of KNNClassifier must be",
    ),
    "KNN learner's own parameter": (
        lambda: KNNClassifier(metric_learner=LMNN(mu=-1)),
        "'mu' parameter of LMNN must be",
    ),
    "Energy metric_learner=3": (
        lambda: EnergyClassifier(metric_learner=3),
        "'metric_learner' parameter of EnergyClassifier must be",
    ),
}


@pytest.mark.parametrize("factory, match", list(BAD_PARAMS.values()), ids=list(BAD_PARAMS))
def test_bad_parameters(unreachable_solvers, factory, match):
    # InvalidParameterError is both a ValueError and a TypeError.
    with pytest.raises(InvalidParameterError, match=match):
        factory().fit(X, Y)


_TOO_MANY_COMPONENTS = re.escape(
    "The preferred dimensionality of the projected space `n_components` (5) "
    "cannot be greater than the given data dimensionality (4)!"
)

# Bad values that depend on the data.
DATA_DEPENDENT = {
    "LMNN n_components > n_features": (
        lambda: LMNN(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "NCA n_components > n_features": (
        lambda: NCA(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "RCA n_components > n_features": (
        lambda: RCA(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "Mahalanobis n_components > n_features": (
        lambda: MahalanobisTransformer(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "MMC n_components > n_features": (
        lambda: MMC(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "POLA n_components > n_features": (
        lambda: POLA(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "ITML n_components > n_features": (
        lambda: ITML(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "SDML n_components > n_features": (
        lambda: SDML(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "LSML n_components > n_features": (
        lambda: LSML(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "SCML n_components > n_features": (
        lambda: SCML(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "LFDA n_components > n_features": (
        lambda: LFDA(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "MLKR n_components > n_features": (
        lambda: MLKR(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "MultiMetricLMNN n_components > n_features": (
        lambda: MultiMetricLMNN(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "ContrastiveEmbedding n_components > n_features": (
        lambda: ContrastiveEmbedding(n_components=5),
        ValueError,
        _TOO_MANY_COMPONENTS,
    ),
    "ContrastiveEmbedding miner for another loss": (
        lambda: ContrastiveEmbedding(loss="contrastive", miner="distance_weighted"),
        ValueError,
        re.escape("miner='distance_weighted' does not apply to loss='contrastive'"),
    ),
    "MultiMetricLMNN n_metrics > n_samples": (
        lambda: MultiMetricLMNN(n_metrics=31),
        ValueError,
        re.escape("n_metrics=31 is larger than the number of samples (30)."),
    ),
    "LMNN sdp with n_components": (
        lambda: LMNN(solver="sdp", n_components=2),
        ValueError,
        "n_components=2 < n_features=4 needs solver='lbfgs'",
    ),
    "LMNN unknown sdp_solver": (
        lambda: LMNN(solver="sdp", sdp_solver="NOPE"),
        ValueError,
        "NOPE",
    ),
    "LMNN init of the wrong shape": (lambda: LMNN(init=np.eye(3)), ValueError, "init"),
    "NCA init of the wrong shape": (lambda: NCA(init=np.eye(3)), ValueError, "init"),
    "MMC unknown sdp_solver": (
        lambda: MMC(solver="sdp", sdp_solver="NOPE"),
        ValueError,
        "NOPE",
    ),
}


@pytest.mark.parametrize(
    "factory, exc, match", list(DATA_DEPENDENT.values()), ids=list(DATA_DEPENDENT)
)
def test_bad_values_for_the_data(unreachable_solvers, factory, exc, match):
    with pytest.raises(exc, match=match):
        factory().fit(X, Y)


PAIRS = np.stack([X[:10], X[10:20]], axis=1)
PAIR_LABELS = np.array([1, -1] * 5)

BAD_PAIRS = {
    "2-D pairs": (
        PAIRS[:, 0],
        PAIR_LABELS,
        ValueError,
        r"pairs must be an array of shape \(n_pairs, 2, n_features\)",
    ),
    "triples": (
        np.stack([X[:10]] * 3, axis=1),
        PAIR_LABELS,
        ValueError,
        r"pairs must be an array of shape \(n_pairs, 2, n_features\)",
    ),
    "NaN in pairs": (
        np.where(PAIRS == PAIRS[0, 0, 0], np.nan, PAIRS),
        PAIR_LABELS,
        ValueError,
        "Input pairs contains NaN",
    ),
    "labels of another length": (
        PAIRS,
        PAIR_LABELS[:-1],
        ValueError,
        "pairs and y have different lengths: 10 and 9",
    ),
    "labels not +1/-1": (PAIRS, np.arange(10) % 3, ValueError, "+1"),
}


@pytest.mark.parametrize("learner", [MMC, POLA, ITML, SDML])
@pytest.mark.parametrize("pairs, labels, exc, match", list(BAD_PAIRS.values()), ids=list(BAD_PAIRS))
def test_bad_pairs(unreachable_solvers, learner, pairs, labels, exc, match):
    with pytest.raises(exc, match=match.replace("+", r"\+")):
        learner().fit_pairs(pairs, labels)


def test_mmc_needs_both_kinds_of_pairs(unreachable_solvers):
    # An online learner (POLA) may see a batch of one kind; MMC's problem needs both.
    with pytest.raises(
        ValueError,
        match=re.escape(
            "MMC needs both similar (+1) and dissimilar (-1) pairs of "
            "distinct points; got 10 similar and 0 dissimilar."
        ),
    ):
        MMC().fit_pairs(PAIRS, np.ones(10))


@pytest.mark.parametrize("learner", [LMNN, NCA, RCA, MMC, POLA, MahalanobisTransformer])
def test_pairs_of_the_wrong_width_after_fit(learner):
    fitted = learner().fit(X, Y)
    wrong = np.stack([X[:5, :3], X[5:10, :3]], axis=1)
    with pytest.raises(
        ValueError,
        match=re.escape("pairs have 3 features, but the metric was fitted on 4 features."),
    ):
        fitted.pair_distance(wrong)


@pytest.mark.parametrize("learner", [LMNN, NCA, RCA, MMC, POLA, MahalanobisTransformer])
def test_transform_checks_its_input(learner):
    fitted = learner().fit(X, Y)
    with pytest.raises(ValueError, match="X has 3 features, but"):
        fitted.transform(X[:, :3])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.transform(_with(np.nan))


def test_n_neighbors_larger_than_a_class_shrinks_with_a_warning():
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "3 class(es) have n_neighbors=12 or fewer points (smallest: "
            "10); their points get only the other points of their class "
            "as target neighbours."
        ),
    ):
        lmnn = LMNN(n_neighbors=12).fit(X, Y)
    assert np.all(np.isfinite(lmnn.components_))


def test_n_neighbors_larger_than_the_training_set_shrinks_with_a_warning():
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "3 class(es) have n_neighbors=50 or fewer points (smallest: "
            "10); their points get only the other points of their class "
            "as target neighbours."
        ),
    ):
        energy = EnergyClassifier(LMNN(n_neighbors=50)).fit(X, Y)
    assert energy.predict(X).shape == (30,)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (
            lambda p: p.partial_fit(_with(np.nan), Y, classes=[0, 1, 2]),
            ValueError,
            "Input X contains NaN",
        ),
        (lambda p: p.partial_fit(X, RNG.randn(30)), ValueError, "Unknown label type: continuous"),
        (
            lambda p: p.partial_fit(X[:, :3], Y),
            ValueError,
            "X has 3 features, but POLA is expecting 4",
        ),
        (
            lambda p: p.partial_fit(X, Y + 7),
            ValueError,
            r"y holds labels \[7, 8, 9\] not in classes",
        ),
        (
            lambda p: p.partial_fit_pairs(PAIRS[:, :, :3], PAIR_LABELS),
            ValueError,
            "pairs have 3 features",
        ),
        (lambda p: p.predict_pairs(PAIRS[:, 0]), ValueError, r"pairs must be an array of shape"),
    ],
    ids=["NaN", "continuous y", "features", "unknown labels", "pair features", "pair shape"],
)
def test_pola_online_calls_check_their_input(call, exc, match):
    pola = POLA(random_state=0).partial_fit(X, Y, classes=[0, 1, 2])
    with pytest.raises(exc, match=match):
        call(pola)


# Tuple input of every width, for every tuple method: (method, size).
TUPLE_METHODS = {
    "ITML.fit_pairs": (lambda: ITML(), "fit_pairs", 2),
    "SDML.fit_pairs": (lambda: SDML(), "fit_pairs", 2),
    "MMC.fit_pairs": (lambda: MMC(), "fit_pairs", 2),
    "POLA.fit_pairs": (lambda: POLA(), "fit_pairs", 2),
    "SCML.fit_triplets": (lambda: SCML(), "fit_triplets", 3),
    "LMNN.fit_triplets": (lambda: LMNN(), "fit_triplets", 3),
    "ContrastiveEmbedding.fit_pairs": (lambda: ContrastiveEmbedding(), "fit_pairs", 2),
    "ContrastiveEmbedding.fit_triplets": (lambda: ContrastiveEmbedding(), "fit_triplets", 3),
    "LSML.fit_quadruplets": (lambda: LSML(), "fit_quadruplets", 4),
}
_NAMES = {2: "pairs", 3: "triplets", 4: "quadruplets"}


def _bad_tuples(size):
    points = X[:6]
    good_indices = np.arange(4 * size).reshape(4, size) % 6
    return {
        "wrong width": (np.zeros((4, size + 1, 4)), None, ValueError, "must be an array of shape"),
        "1-D": (np.zeros(4), None, ValueError, "must be an array of shape"),
        "4-D": (np.zeros((4, size, 4, 1)), None, ValueError, "must be an array of shape"),
        "indices without preprocessor": (
            good_indices,
            None,
            ValueError,
            f"{_NAMES[size]} of shape (4, {size}) hold indices, but no preprocessor was given",
        ),
        "indices out of range": (
            good_indices + 6,
            points,
            ValueError,
            "Tuple indices must be in [0, 6) for a preprocessor of 6 points",
        ),
        "non-integer indices": (
            good_indices + 0.5,
            points,
            TypeError,
            "Tuples of indices must hold integers; got dtype float64.",
        ),
        "NaN in points": (
            np.full((4, size, 4), np.nan),
            None,
            ValueError,
            f"Input {_NAMES[size]} contains NaN.",
        ),
        "inf in the preprocessor": (
            good_indices,
            np.full((6, 4), np.inf),
            ValueError,
            "Input preprocessor contains infinity",
        ),
        "preprocessor returning the wrong rows": (
            good_indices,
            lambda idx: np.zeros((1, 4)),
            ValueError,
            "The preprocessor returned an array of shape (1, 4) for 6 indices",
        ),
    }


def _tuple_cases():
    for method_name, (factory, method, size) in TUPLE_METHODS.items():
        for case, (tuples, preprocessor, exc, msg) in _bad_tuples(size).items():
            yield pytest.param(
                factory, method, size, tuples, preprocessor, exc, msg, id=f"{method_name}-{case}"
            )


@pytest.mark.parametrize(
    "factory, method, size, tuples, preprocessor, exc, msg", list(_tuple_cases())
)
def test_bad_tuples(unreachable_solvers, factory, method, size, tuples, preprocessor, exc, msg):
    args = (tuples, np.resize([1, -1], len(tuples))) if size == 2 else (tuples,)
    with pytest.raises(exc, match=re.escape(msg)):
        getattr(factory(), method)(*args, preprocessor=preprocessor)
