"""Regression tests for the bugs the property-based tests and the bad-input matrix found.

Each test names the bug it pins down; see the closing note of the hardening issue.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine

from sklearn_metric import LMNN, MMC, NCA
from sklearn_metric._core.init import initial_components


@pytest.mark.parametrize("scale", [1e-6, 1e5])
def test_lmnn_sdp_solves_data_in_any_unit(iris_scaled, scale):
    # Bug: Clarabel failed on the LMNN SDP for data of scale 1e5 (squared
    # distances ~1e11). The SDP is now solved on rescaled data; the problem for
    # c X is the problem for X with M / c^2.
    X, y = iris_scaled
    reference = LMNN(3, solver="sdp").fit(X, y)
    scaled = LMNN(3, solver="sdp").fit(X * scale, y)
    np.testing.assert_allclose(
        scaled.get_mahalanobis_matrix() * scale**2,
        reference.get_mahalanobis_matrix(),
        rtol=1e-3,
        atol=1e-6,
    )


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_mmc_sdp_solves_data_in_any_unit(iris_scaled, scale):
    # Bug: Clarabel failed on the MMC SDP for data of scale 1e-6.
    X, y = iris_scaled
    reference = MMC(solver="sdp", random_state=0).fit(X, y)
    scaled = MMC(solver="sdp", random_state=0).fit(X * scale, y)
    np.testing.assert_allclose(
        scaled.get_mahalanobis_matrix() * scale**2,
        reference.get_mahalanobis_matrix(),
        rtol=1e-3,
        atol=1e-6,
    )


def test_auto_init_skips_lda_when_every_class_is_a_singleton():
    # Bug: NCA() (init="auto" -> "lda") raised scikit-learn's LDA error "The number
    # of samples must be more than the number of classes".
    X = np.array([[4.5], [3.0]])
    y = np.array([0, 1])
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "every class has a single sample, so no point has a "
            "same-class neighbour: the NCA objective is constant and "
            "components_ is the init."
        ),
    ):
        nca = NCA().fit(X, y)
    assert np.all(np.isfinite(nca.components_))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "init='lda' needs more samples than classes; got 2 samples "
            "of 2 classes. Use init='pca' or 'identity'."
        ),
    ):
        initial_components("lda", X, y, 1)


def test_lda_init_without_within_class_spread_falls_back_to_pca():
    # Bug: an IndexError deep in scikit-learn's LDA when every class holds copies
    # of one point.
    X = np.array([[4.5, 1.0], [3.0, 2.0], [3.0, 2.0]])
    y = np.array([0, 1, 1])
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "init='lda' needs some spread of the points within their "
            "classes; every class holds copies of one point, so "
            "init='pca' is used instead."
        ),
    ):
        L = initial_components("lda", X, y, 1)
    assert L.shape == (1, 2) and np.all(np.isfinite(L))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lmnn = LMNN(n_neighbors=1, solver="lbfgs", n_components=1).fit(X, y)
    assert np.all(np.isfinite(lmnn.components_))


# Found by the translation property: 21 points at scale ~500 (the last column is
# three times the sixth).
X_FAR = np.array(
    [
        [
            5.060884e02,
            2.269673e02,
            2.112423e02,
            4.859949e02,
            2.847330e02,
            -3.935352e02,
            -1.180606e03,
        ],
        [
            3.684454e02,
            2.030605e02,
            3.159856e02,
            4.094460e02,
            3.432813e02,
            -3.003109e02,
            -9.009326e02,
        ],
        [
            1.821834e02,
            2.751090e02,
            1.447824e02,
            4.043712e02,
            2.482321e02,
            -1.177065e02,
            -3.531196e02,
        ],
        [
            3.315364e02,
            -9.515214e00,
            2.344378e02,
            3.970981e02,
            2.554484e02,
            -1.982738e02,
            -5.948214e02,
        ],
        [
            3.594622e02,
            1.102786e02,
            1.323154e02,
            4.119045e02,
            3.062656e02,
            -2.314109e02,
            -6.942327e02,
        ],
        [
            -2.028997e02,
            -2.901156e00,
            4.194161e01,
            -1.342111e02,
            3.371329e02,
            6.147771e01,
            1.844331e02,
        ],
        [
            4.263761e01,
            -7.745479e00,
            1.960598e02,
            -9.467387e01,
            3.310889e02,
            8.372654e01,
            2.511796e02,
        ],
        [
            -8.815641e01,
            -5.179902e01,
            8.773623e01,
            -8.770627e01,
            3.809373e02,
            1.987738e02,
            5.963214e02,
        ],
        [1.185538e02, 1.689451e02, 1.999977e02, 1.081623e01, 1.837794e02, 2.576527e02, 7.729582e02],
        [
            9.197307e01,
            1.837274e-01,
            1.797836e02,
            6.444535e01,
            3.615120e02,
            1.532575e02,
            4.597726e02,
        ],
        [
            1.014639e02,
            1.069338e02,
            4.871309e02,
            -1.758076e02,
            -6.443496e01,
            -7.387948e01,
            -2.216384e02,
        ],
        [2.831348e02, 2.537297e01, 2.240703e02, 1.512626e02, 2.106650e02, 1.593675e01, 4.781024e01],
        [
            2.650078e00,
            2.577414e02,
            2.720155e02,
            3.921399e01,
            1.573387e02,
            -1.863202e02,
            -5.589605e02,
        ],
        [
            1.809933e02,
            1.043774e02,
            1.888757e02,
            -1.120784e01,
            1.952521e02,
            -2.402759e02,
            -7.208278e02,
        ],
        [
            4.525729e01,
            2.516612e02,
            3.660453e02,
            -2.854691e-01,
            -1.437807e01,
            -1.168942e02,
            -3.506827e02,
        ],
        [
            1.339068e02,
            1.093026e02,
            -8.078967e01,
            5.116100e02,
            -3.117030e02,
            4.875237e01,
            1.462571e02,
        ],
        [
            -1.840204e01,
            2.168264e02,
            -1.317657e02,
            5.174541e02,
            -5.255866e01,
            1.035997e02,
            3.107990e02,
        ],
        [
            2.424253e02,
            4.129650e01,
            -1.945915e02,
            4.471268e02,
            -1.195389e02,
            -6.532378e01,
            -1.959713e02,
        ],
        [
            1.208785e02,
            1.065394e02,
            -3.576941e01,
            3.459578e02,
            -4.056200e02,
            -3.463030e01,
            -1.038909e02,
        ],
        [
            3.236769e02,
            2.678293e02,
            -1.396779e02,
            3.314074e02,
            -2.064368e02,
            -9.086983e01,
            -2.726095e02,
        ],
        [
            2.495267e02,
            2.045815e02,
            -5.634712e01,
            4.858237e02,
            -2.051901e02,
            -5.595086e01,
            -1.678526e02,
        ],
    ]
)
Y_FAR = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3])


@pytest.mark.slow
def test_lbfgs_does_not_stop_on_a_loss_raised_by_new_impostors():
    # Bug: L-BFGS-B read a rise of the loss after an impostor refresh as "no
    # progress" and stopped 12% above the SDP optimum; scipy's ftol is also
    # absolute for a loss below 1. Now the stopping rule is relative and a run
    # that ends on such a rise goes on.
    shift = np.random.RandomState(0).randn(7) * np.abs(X_FAR).max()
    sdp = LMNN(2, solver="sdp").fit(X_FAR, Y_FAR)
    for X in (X_FAR, X_FAR + shift):
        lbfgs = LMNN(2, solver="lbfgs", tol=1e-10).fit(X, Y_FAR)
        assert lbfgs.loss_ <= sdp.loss_ * 1.02


def test_mmc_checks_the_sdp_solver_name_before_sampling(monkeypatch):
    # Bug (bad-input matrix): MMC(solver="sdp", sdp_solver="NOPE") drew its pairs
    # before rejecting the name.
    import cvxpy

    import sklearn_metric._mmc.mmc as mmc_module

    def unreachable(*args, **kwargs):
        raise AssertionError("pairs drawn before the solver name was checked")

    monkeypatch.setattr(mmc_module, "pairs_from_labels", unreachable)
    X, y = load_wine(return_X_y=True)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "sdp_solver='NOPE' is not an installed cvxpy solver; "
            f"installed: {cvxpy.installed_solvers()}."
        ),
    ):
        MMC(solver="sdp", sdp_solver="NOPE").fit(X, y)


def test_a_failed_fit_leaves_the_learner_unfitted(monkeypatch, iris_scaled):
    # Bug: after a fit that raised, check_is_fitted passed (n_features_in_ was
    # set, and a refit kept the previous components_).
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    import sklearn_metric._core.optim as optim_module

    X, y = iris_scaled
    lmnn = LMNN(solver="lbfgs").fit(X, y)

    def broken(*args, **kwargs):
        raise FloatingPointError("injected")

    monkeypatch.setattr(optim_module, "minimize", broken)
    with pytest.raises(FloatingPointError):
        lmnn.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(lmnn)
    assert not hasattr(lmnn, "n_features_in_")


def test_run_until_complete_ends_when_runs_stop_iterating():
    # Bug: LMNN on data far from the origin looped for ever: each L-BFGS run ended
    # at once (a gradient lost to rounding) and each impostor check found new ones.
    from sklearn_metric._core.optim import Exit, LBFGSResult, run_until_complete

    class NeverIterates:
        n_iter, max_iter, last_rose = 0, 100, False

        def __init__(self):
            self.runs = 0

        def run(self, x):
            self.runs += 1
            return LBFGSResult(x, 0.0, Exit.CONVERGED, False, "")

    lbfgs = NeverIterates()
    result, converged = run_until_complete(lbfgs, np.zeros(2), lambda x: False)
    assert not converged
    assert lbfgs.runs == 3


def test_pair_outer_sum_keeps_its_precision_far_from_the_origin():
    # Bug: Z^T (Lap X) on data offset by 1e6 lost the pair differences to
    # cancellation; the Laplacian ignores constants, so both are centred first.
    from sklearn_metric._core.products import pair_outer_sum

    rng = np.random.RandomState(0)
    X = rng.randn(40, 4) + 1e6
    Z = X @ rng.randn(4, 4).T
    rows, cols = rng.randint(0, 40, 100), rng.randint(0, 40, 100)
    weights = rng.rand(100)
    expected = ((Z[rows] - Z[cols]) * weights[:, None]).T @ (X[rows] - X[cols])
    assert_allclose(pair_outer_sum(Z, X, rows, cols, weights), expected, rtol=1e-8)
