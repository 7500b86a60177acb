"""Defaults fit quietly, and every warning names the user's line.

- Every learner, at its default parameters, fits scikit-learn's four bundled
  classification sets (standardised) without a convergence or solver warning. A
  data warning that names its fallback (digits' singular covariance) may stay.
- Each warning path the package has is triggered from this file, and the recorded
  warning's ``filename`` is this file: the user's line, not the library's.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_metric as sm

LEARNERS = [
    "MahalanobisTransformer",
    "LMNN",
    "NCA",
    "RCA",
    "MMC",
    "POLA",
    "ITML",
    "SDML",
    "LSML",
    "SCML",
    "LFDA",
    "MLKR",
    "MultiMetricLMNN",
    "ContrastiveEmbedding",
]
DATASETS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}
# Data warnings that name their fallback (the fit still does what was asked).
_DATA_WARNINGS = ("covariance is singular", "rank-deficient", "scatter matrix is singular")


def _standardised(name):
    X, y = DATASETS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize("name", LEARNERS)
def test_defaults_fit_without_convergence_or_solver_warnings(name, dataset):
    X, y = _standardised(dataset)
    learner = getattr(sm, name)()
    if "random_state" in learner.get_params():
        learner.set_params(random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learner.fit(X, y)
    unexpected = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not any(text in str(w.message) for text in _DATA_WARNINGS)
    ]
    assert unexpected == []


def test_data_warnings_that_stay_name_their_fallback():
    X, _ = _standardised("digits")
    with pytest.warns(UserWarning, match="pseudo-inverse") as record:
        sm.MahalanobisTransformer().fit(X)
    assert record[0].filename == __file__


# -- every warning path points at the caller's line ---------------------------------


def _digits():
    return _standardised("digits")


def _not_converged_lmnn():
    X, y = load_iris(return_X_y=True)
    sm.LMNN(solver="lbfgs", max_iter=1).fit(X, y)


def _not_converged_nca():
    X, y = load_iris(return_X_y=True)
    sm.NCA(max_iter=1).fit(X, y)


def _not_converged_itml():
    X, y = load_iris(return_X_y=True)
    sm.ITML(max_iter=1, random_state=0).fit(X, y)


def _not_converged_mmc():
    X, y = load_wine(return_X_y=True)
    sm.MMC(max_iter=1, solver="projected_gradient", random_state=0).fit(X, y)


def _not_converged_scml():
    X, y = load_iris(return_X_y=True)
    sm.SCML(max_iter=100, random_state=0).fit(X, y)


def _not_converged_lsml():
    X, y = load_iris(return_X_y=True)
    sm.LSML(max_iter=1, random_state=0).fit(X, y)


def _not_converged_multi_lmnn():
    X, y = load_iris(return_X_y=True)
    sm.MultiMetricLMNN(max_iter=1).fit(X, y)


def _not_converged_lmnn_sdp():
    X, y = load_iris(return_X_y=True)
    sm.LMNN(solver="sdp", max_iter=1).fit(X[:, :2], y)


def _singular_covariance():
    sm.MahalanobisTransformer().fit(_digits()[0])


def _rca_ridge():
    sm.RCA().fit(*_digits())


def _lfda_ridge():
    sm.LFDA().fit(*_digits())


def _lfda_small_class():
    X, y = load_iris(return_X_y=True)
    sm.LFDA().fit(X[:101], y[:101])  # class 2 has a single point


def _too_few_pairs():
    X, y = load_iris(return_X_y=True)
    sm.ITML(n_constraints=5000, random_state=0).fit(X[::5], y[::5])


def _through_a_pipeline():
    X, y = load_iris(return_X_y=True)
    make_pipeline(StandardScaler(), sm.NCA(max_iter=1)).fit(X, y)


_PATHS = {
    "lmnn": (_not_converged_lmnn, ConvergenceWarning),
    "lmnn-sdp": (_not_converged_lmnn_sdp, ConvergenceWarning),
    "nca": (_not_converged_nca, ConvergenceWarning),
    "itml": (_not_converged_itml, ConvergenceWarning),
    "mmc": (_not_converged_mmc, ConvergenceWarning),
    "scml": (_not_converged_scml, ConvergenceWarning),
    "lsml": (_not_converged_lsml, ConvergenceWarning),
    "multi-lmnn": (_not_converged_multi_lmnn, ConvergenceWarning),
    "covariance": (_singular_covariance, UserWarning),
    "rca": (_rca_ridge, UserWarning),
    "lfda-ridge": (_lfda_ridge, UserWarning),
    "lfda-small-class": (_lfda_small_class, UserWarning),
    "pairs": (_too_few_pairs, UserWarning),
    "pipeline": (_through_a_pipeline, ConvergenceWarning),
}


@pytest.mark.parametrize("path", list(_PATHS))
def test_every_warning_names_the_callers_line(path):
    trigger, category = _PATHS[path]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trigger()
    ours = [w for w in caught if issubclass(w.category, category)]
    assert ours, f"{path}: no {category.__name__} was raised"
    assert {w.filename for w in ours} == {__file__}, [(w.filename, str(w.message)) for w in ours]


def test_the_solver_failure_message_suggests_another_solver(fake_solver_status):
    fake_solver_status("infeasible")
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError) as error:
        sm.LMNN(solver="sdp", sdp_solver="CLARABEL").fit(X[::5, :2], y[::5])
    message = str(error.value)
    assert "The CLARABEL solver ended" in message
    assert "sdp_solver='SCS'" in message and "'CLARABEL'" not in message.split("Try", 1)[1]


def test_auto_takes_lbfgs_where_the_sdp_is_inaccurate(fake_solver_status):
    fake_solver_status("optimal_inaccurate")
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lmnn = sm.LMNN().fit(X[::3, :2], y[::3])
    assert lmnn.solver_ == "lbfgs"
    assert np.all(np.isfinite(lmnn.components_))
    # asked for explicitly, the inaccurate SDP is kept, with a warning at this line
    with pytest.warns(ConvergenceWarning, match="optimal_inaccurate") as record:
        sm.LMNN(solver="sdp").fit(X[::3, :2], y[::3])
    assert record[0].filename == __file__
