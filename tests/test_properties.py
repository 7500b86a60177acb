"""Property-based tests (hypothesis) for every public metric learner.

Data sets are drawn with 2-5 classes, 1-20 features, an overall scale from
1e-6 to 1e6, and optionally duplicated rows, constant columns, collinear
columns and classes of one or two points. Properties:

1. ``fit`` succeeds (warnings allowed) or raises a ``ValueError`` whose message
   is one of the documented ones in ``DOCUMENTED_ERRORS``;
2. after a fit, ``components_`` and ``transform(X)`` are finite;
3. ``get_mahalanobis_matrix()`` is symmetric PSD (eigenvalues >= -1e-8 of the largest);
4. ``get_metric()`` is non-negative, symmetric and satisfies the triangle
   inequality on sampled triples;
5. ``pair_distance`` equals the distance between transformed points;
6. float32 input gives float32 output (every learner declares it preserves float32);
7. translation invariance: adding a constant vector to ``X`` leaves the learned
   metric unchanged: the squared learned distances between the training points
   agree to a relative tolerance (Frobenius norm of the difference of the
   distance matrices, relative to the larger one) of 1e-6 for the closed forms,
   1e-3 for POLA's branching online updates (plus 1e-6 of its threshold per
   point: on data in huge units its metric is ~0) and 1e-4 for the iterative
   solvers stopped after 5 iterations (or rounds of the SDP active set, whose
   interior-point solver stops at a relative tolerance near 1e-8) (see
   ``INVARIANCE_LEARNERS``). For the iterative ones (LMNN, NCA, MMC) the data
   is well posed (classes of at least 5 points, fewer features than a third of
   the points, no constant or collinear column): on degenerate problems
   rounding-level differences can lead them to different stationary points; ``M``
   itself is compared only through these distances because along directions
   where the data has no extent (a constant column) no objective depends on it;
8. invariance to the order of the samples for the learners that draw nothing
   at random (``MahalanobisTransformer``, ``LMNN``, ``NCA``), on data without
   duplicated rows (so no tied distances), to the same tolerance.

``LMNN()`` is the default ``solver="auto"``: on these small sets it mostly runs
the SDP (at most 6 features), otherwise L-BFGS.

The number of examples comes from the hypothesis profile (tests/conftest.py):
25 by default, 100 under CI.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sklearn_metric

# The learners of tests/conftest.py's LEARNERS checked here (the SDP variants solve
# the same problems as these), with lighter settings for the many examples.
PROPERTY_LEARNERS = ("MahalanobisTransformer", "LMNN", "NCA", "RCA", "MMC", "POLA")
FAST = {"LMNN": {"n_neighbors": 2}, "NCA": {"max_iter": 30}, "POLA": {"n_pairs": 200}}
# make_learner only looks a factory up: sharing it between examples is safe.
# (too_slow stays suppressed as the CI profile of tests/conftest.py has it.)
_FIXTURE_OK = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
# Iterative solvers can end at different stationary points of degenerate
# problems (fewer points than dimensions, a zero-loss metric of rank one...)
# from rounding-level differences: their invariances are checked on well-posed data.
ITERATIVE = {"LMNN", "NCA", "MMC"}
# Learners whose fit draws nothing at random: the order of the samples cannot matter.
ORDER_FREE = ["MahalanobisTransformer", "LMNN", "NCA"]

# The errors a fit may raise on valid but degenerate data (each is documented
# in its learner's docstring or error message).
DOCUMENTED_ERRORS = (
    "needs a class with at least 2 samples",  # LMNN: every class a singleton
    "No class has two points",  # MMC, POLA: no similar pair can be drawn
    "needs both similar (+1) and dissimilar (-1) pairs of distinct points",  # MMC
    "RCA needs at least one chunklet of two or more points",
    "The within-chunklet covariance is zero",  # RCA: chunklets of identical points
    "The MMC problem is unbounded",  # MMC: similar pairs without extent where dissimilar have some
    # Any learner whose objective is lowest with every distance 0 (LMNN without a
    # triplet to push, POLA on pairs its threshold already separates): refused.
    "learned an all-zero metric",
)
# The closed forms are compared at convergence. The iterative solvers are
# compared after a few iterations: the invariance is a property of each
# iteration (objective, gradient, impostor search), while over hundreds of
# iterations rounding-level differences can take LMNN's L-BFGS and NCA (not
# convex in L) to different stationary points of the same objective.
# name: (settings over LEARNERS' entry, relative tolerance of the metric change)
INVARIANCE_LEARNERS = {
    "MahalanobisTransformer": ({}, 1e-6),
    "LMNN": ({"n_neighbors": 2, "max_iter": 5}, 1e-4),
    "NCA": ({"max_iter": 5}, 1e-4),
    "RCA": ({}, 1e-6),
    "MMC": ({"max_iter": 5}, 1e-4),
    # POLA's online updates branch on each pair's margin and clip the threshold:
    # rounding next to a branch point shifts the later updates a little.
    "POLA": ({"n_pairs": 200}, 1e-3),
}


@st.composite
def labelled_data(draw, allow_duplicates=True, well_posed=False):
    """A small labelled data set with the awkward features listed in the module docstring.

    ``well_posed`` draws classes of at least 5 points, fewer features than a
    third of the points, and no constant or collinear column (along which the
    inits, LDA and PCA, are decided by rounding).
    """
    n_classes = draw(st.integers(2, 5))
    smallest = 5 if well_posed else 1
    sizes = draw(st.lists(st.integers(smallest, 8), min_size=n_classes, max_size=n_classes))
    most_features = max(1, sum(sizes) // 3) if well_posed else 20
    n_features = draw(st.integers(1, min(20, most_features)))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = 10.0 ** draw(st.floats(-6, 6))
    rng = np.random.RandomState(seed)
    y = np.repeat(np.arange(n_classes), sizes)
    centres = rng.randn(n_classes, n_features) * 2
    X = centres[y] + rng.randn(y.size, n_features)
    if n_features > 1 and not well_posed and draw(st.booleans()):
        X[:, rng.randint(n_features)] = rng.randn()  # a constant column
    if n_features > 2 and not well_posed and draw(st.booleans()):
        a, b = rng.choice(n_features, 2, replace=False)
        X[:, a] = 3 * X[:, b]  # collinear columns
    if allow_duplicates and draw(st.booleans()):
        rows = rng.randint(y.size, size=max(1, y.size // 4))
        X, y = np.vstack([X, X[rows]]), np.concatenate([y, y[rows]])
    return X * scale, y


def _fit(learner, X, y):
    """Fit, or return None after a documented error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return learner.fit(X, y)
        except ValueError as exc:
            if any(fragment in str(exc) for fragment in DOCUMENTED_ERRORS):
                return None
            raise


def _relative_difference(A, B):
    return np.linalg.norm(A - B) / max(np.linalg.norm(A), np.linalg.norm(B), np.finfo(float).tiny)


def _metric_change(first, second, X):
    """Relative change of the squared learned distances between the training points.

    Only distances within the data's span are identifiable: along a constant
    column, say, no objective depends on ``M``, so ``M`` itself may differ there.
    """
    Z1 = first.transform(X)
    Z2 = second.transform(X)
    D1 = ((Z1[:, None] - Z1[None]) ** 2).sum(-1)
    D2 = ((Z2[:, None] - Z2[None]) ** 2).sum(-1)
    return _relative_difference(D1, D2)


def _assert_same_metric(name, first, second, X):
    if name == "POLA":
        # POLA's metric lives on the scale of its threshold (b >= 1): on data in
        # huge units it stays ~0, and differences far below b are rounding that
        # no prediction can see.
        Z1, Z2 = first.transform(X), second.transform(X)
        D1 = ((Z1[:, None] - Z1[None]) ** 2).sum(-1)
        D2 = ((Z2[:, None] - Z2[None]) ** 2).sum(-1)
        atol = 1e-6 * max(first.threshold_, second.threshold_) * D1.shape[0]
        rtol = INVARIANCE_LEARNERS[name][1]
        assert np.linalg.norm(D1 - D2) <= rtol * max(np.linalg.norm(D1), np.linalg.norm(D2)) + atol
        return
    assert _metric_change(first, second, X) <= INVARIANCE_LEARNERS[name][1]


@pytest.mark.learners(*PROPERTY_LEARNERS)
@_FIXTURE_OK
@given(data=labelled_data())
def test_fitted_metric_is_a_valid_metric(learner_name, make_learner, data):
    X, y = data
    learner = _fit(make_learner().set_params(**FAST.get(learner_name, {})), X, y)
    assume(learner is not None)
    L = learner.components_
    Z = learner.transform(X)
    assert np.all(np.isfinite(L))
    assert np.all(np.isfinite(Z))

    M = learner.get_mahalanobis_matrix()
    np.testing.assert_allclose(M, M.T, rtol=0, atol=1e-12 * max(1.0, np.abs(M).max()))
    eigvals = np.linalg.eigvalsh(M)
    assert eigvals.min() >= -1e-8 * max(eigvals.max(), 0.0)

    rng = np.random.RandomState(0)
    metric = learner.get_metric()
    triples = X[rng.randint(X.shape[0], size=(10, 3))]
    for a, b, c in triples:
        d_ab, d_ba = metric(a, b), metric(b, a)
        assert d_ab >= 0
        assert d_ab == pytest.approx(d_ba, rel=1e-12, abs=0)
        # Rounding of L (u - v) is relative to ||L|| ||u||, not to the distance
        # (which is ~0 when L collapses the data's span).
        rounding = (
            1e-12
            * np.linalg.norm(L, 2)
            * (np.linalg.norm(a) + np.linalg.norm(b) + np.linalg.norm(c))
        )
        tolerance = 1e-9 * (metric(a, c) + metric(c, b) + d_ab) + rounding
        assert d_ab <= metric(a, c) + metric(c, b) + tolerance

    pairs = np.stack([X[:5], X[-5:]], axis=1)
    expected = np.linalg.norm(Z[:5] - Z[-5:], axis=1)
    # L (a - b) and L a - L b differ by rounding relative to ||L a||, not to their difference.
    atol = 1e-10 * np.abs(Z).max()
    np.testing.assert_allclose(learner.pair_distance(pairs), expected, rtol=1e-7, atol=atol)

    assert learner.transform(X.astype(np.float32)).dtype == np.float32


def _invariance_learner(name, make_learner, like=None):
    """The learner of the invariance tests; ``like``: a first fit whose solver it keeps.

    LMNN's ``solver="auto"`` leaves an SDP that ends inaccurate for L-BFGS, and whether
    it does can change with the rounding of a shifted or permuted copy: the second fit
    takes the solver the first one ran, so both solve the same problem.
    """
    learner = make_learner().set_params(**INVARIANCE_LEARNERS[name][0])
    if like is not None and hasattr(like, "solver_") and "solver" in learner.get_params():
        learner.set_params(solver=like.solver_)
    return learner


@pytest.mark.learners(*INVARIANCE_LEARNERS)
@_FIXTURE_OK
@given(data=st.data(), shift_seed=st.integers(0, 2**31 - 1))
def test_translation_leaves_the_metric_unchanged(learner_name, make_learner, data, shift_seed):
    name = learner_name
    X, y = data.draw(labelled_data(well_posed=name in ITERATIVE))
    # A shift of the size of the data itself (a far larger one would only
    # measure the rounding of X + c).
    shift = np.random.RandomState(shift_seed).randn(X.shape[1]) * np.abs(X).max()
    learner = _fit(_invariance_learner(name, make_learner), X, y)
    assume(learner is not None)
    shifted = _fit(_invariance_learner(name, make_learner, like=learner), X + shift, y)
    assert shifted is not None
    _assert_same_metric(name, learner, shifted, X)


@pytest.mark.learners(*ORDER_FREE)
@_FIXTURE_OK
@given(data=st.data(), order_seed=st.integers(0, 2**31 - 1))
def test_sample_order_does_not_matter(learner_name, make_learner, data, order_seed):
    name = learner_name
    X, y = data.draw(labelled_data(allow_duplicates=False, well_posed=name in ITERATIVE))
    order = np.random.RandomState(order_seed).permutation(y.size)
    learner = _fit(_invariance_learner(name, make_learner), X, y)
    assume(learner is not None)
    permuted = _fit(_invariance_learner(name, make_learner, like=learner), X[order], y[order])
    assert permuted is not None
    _assert_same_metric(name, learner, permuted, X)


# -- n_components for every learner ----------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        lambda n: sklearn_metric.MMC(n_components=n, random_state=0),
        lambda n: sklearn_metric.POLA(n_components=n, random_state=0),
        lambda n: sklearn_metric.ITML(n_components=n, random_state=0),
        lambda n: sklearn_metric.LSML(n_components=n, random_state=0),
    ],
    ids=["MMC", "POLA", "ITML", "LSML"],
)
def test_learners_of_M_truncate_its_eigendecomposition(factory, wine):
    X, y = wine
    full = factory(None).fit(X, y)
    reduced = factory(3).fit(X, y)
    assert reduced.components_.shape == (3, 13)
    assert reduced.transform(X).shape == (178, 3)
    # The leading directions of the full M, scaled by the roots of its eigenvalues.
    eigvals, eigvecs = np.linalg.eigh(full.get_mahalanobis_matrix())
    top = eigvecs[:, ::-1][:, :3] * np.sqrt(np.maximum(eigvals[::-1][:3], 0))
    np.testing.assert_allclose(
        reduced.components_.T @ reduced.components_, top @ top.T, atol=1e-8 * eigvals[-1]
    )
