"""Sparse Compositional Metric Learning (Shi, Bellet & Sha, AAAI 2014), global version:
the learner, its loss and its AdaGrad solver (the basis is built in ``basis.py``)."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .._core.base import MetricLearnerMixin, validate_labelled_data
from .._core.compat import Interval, StrOptions, fit_context
from .._core.constraints import neighbourhood_triplets
from .._core.distances import block_rows
from .._core.linalg import components_from_factor, components_from_psd
from .._core.optim import warn_not_converged
from .._core.span import wide_span
from .._core.tuples import Tuples, validate_tuples
from .._core.warn import warn
from .basis import lda_basis, signed_rows, triplet_diffs_basis

__all__ = ["SCML", "scml_loss"]

# n_basis=None builds 20 directions per feature, at most this many.
_MAX_DEFAULT_BASIS = 2000
# The loss over every triplet is checked every this many minibatch steps, and the
# run stops after this many checks without improvement.
_CHECK_EVERY = 100
_N_NO_CHANGE = 5


def _basis_margins(triplets, near, far, B):
    """``(near @ B.T)**2 - (far @ B.T)**2``: each triplet's squared distances along
    each basis direction, through the points' projections when the triplets
    outnumber their points (one product of the points instead of two of the
    triplets)."""
    if triplets.points.shape[0] >= triplets.n_tuples:
        return (near @ B.T) ** 2 - (far @ B.T) ** 2
    projected = triplets.points @ B.T
    z = np.empty((triplets.n_tuples, B.shape[0]))
    # In blocks of rows, (a - p)^2 - (a - n)^2 = (n - p)(2a - p - n): whole-size
    # temporaries cost more in page faults than in work (Yale B, 28,880 x 2000:
    # 5.2 s -> 0.4 s); blocks of 2**20 to 2**24 entries ran within 7% of each other.
    step = block_rows(B.shape[0])
    for start in range(0, triplets.n_tuples, step):
        rows = triplets.indices[start : start + step]
        anchor, positive, negative = (projected[rows[:, j]] for j in range(3))
        out = z[start : start + step]
        np.subtract(negative, positive, out=out)
        anchor *= 2
        anchor -= positive
        anchor -= negative
        out *= anchor
    return z


def scml_loss(w, z, beta):
    """SCML's objective on triplet features ``z`` and its subgradient.

    ``mean_t max(0, 1 + w . z_t) + beta * sum(w)`` for ``w >= 0``, where
    ``z_t = (B (a - p))^2 - (B (a - n))^2`` (elementwise squares): the squared
    distance of ``M = B^T diag(w) B`` is linear in ``w``.
    """
    # einsum, not BLAS: the same sums whatever the number of BLAS threads.
    margins = 1 + np.einsum("ij,j->i", z, w)
    active = margins > 0
    loss = margins[active].sum() / z.shape[0] + beta * w.sum()
    grad = z[active].sum(axis=0) / z.shape[0] + beta
    return float(loss), grad


def _unit(z):
    """Mean absolute entry of ``z`` (1 when it is zero or not finite), by blocks of rows
    (no temporary the size of ``z``)."""
    step = block_rows(z.shape[1])
    total = sum(float(np.abs(z[start : start + step]).sum()) for start in range(0, len(z), step))
    scale = total / z.size if z.size else 0.0
    return scale if np.isfinite(scale) and scale > 0 else 1.0


class SCML(MetricLearnerMixin):
    """Sparse Compositional Metric Learning (SCML), from triplets.

    Learns ``M = sum_i w_i b_i b_i^T`` over a fixed basis of directions ``b_i``
    with sparse non-negative weights: the mean triplet hinge
    ``max(0, 1 + d(a, p) - d(a, n))`` plus ``beta * sum(w)`` (Shi, Bellet & Sha,
    2014). The squared distance is linear in ``w``, so the problem is convex;
    it is solved by minibatch projected subgradient steps with AdaGrad step
    sizes, keeping the weights of the best full loss seen. The problem is
    solved in units where the triplets' squared-distance differences have mean
    magnitude 1 (so the margin, ``beta`` and ``gamma`` do not depend on the
    units of ``X``), and ``w`` mapped back.

    ``fit(X, y)`` builds triplets from neighbourhoods, as a k-NN rule sees
    them: each of up to ``n_triplets`` random anchors with each of its
    ``k_genuine`` nearest points of its class (positives) and its
    ``k_impostor`` nearest points of other classes (negatives), Euclidean in
    the input space, of which ``n_triplets`` are kept at random (the
    constraints of metric-learn's ``SCML_Supervised``). Against random
    triplets of random points, most of them already in order, this lowered
    the 3-NN test error of our benchmark report on its larger sets (letter
    4.7% to 3.7%, isolet 8.0% to 6.7%, MNIST 3.1% to 2.7%) but raised it on
    vowel (44% to 53%), whose test speakers are not the training ones; pass
    such triplets to ``fit_triplets`` where they suit the data better.
    ``fit_triplets`` takes ``(anchor, positive, negative)`` triplets.

    Parameters
    ----------
    beta : float, default=1e-5
        L1 weight on ``w`` (sparsity of the combination).

    basis : {"triplet_diffs", "lda"} or ndarray of shape (n_basis, n_features), \
            default="triplet_diffs"
        The directions ``b_i``: for "triplet_diffs", the triplets are split at
        random into groups of ``n_features`` and each group gives the
        eigenvectors of positive eigenvalue of
        ``sum (a - n)(a - n)^T - sum (a - p)(a - p)^T`` (directions that put its
        negatives farther than its positives); "lda" takes the discriminant
        directions of local neighbourhoods (around each k-means centre of ``X``,
        the 5 nearest points of every class; ``fit(X, y)`` only); an array gives
        the rows.

    n_basis : int or None, default=None
        Directions to build; ``None`` means ``20 * n_features``, at most 2000
        (``"lda"`` builds at most ``n_classes - 1`` per neighbourhood and one
        neighbourhood per point, and warns when that is fewer than asked).

    n_triplets : int or None, default=None
        Triplets ``fit(X, y)`` keeps; ``None`` means ``20 * n_classes**2``.

    k_genuine : int, default=3
        Positives per anchor in ``fit(X, y)``: its nearest points of its class
        (fewer in a smaller class; a point alone in its class is no anchor).

    k_impostor : int, default=10
        Negatives per anchor in ``fit(X, y)``: its nearest points of other
        classes.

    gamma : float, default=5e-3
        AdaGrad learning rate.

    max_iter : int, default=100000
        Most minibatch steps; the stopping rule of ``tol`` usually ends the
        run well before (letter: 4,800 steps; iris, whose small loss keeps
        improving slowly, up to about 36,000).

    batch_size : int, default=10
        Triplets per step.

    tol : float, default=1e-3
        Stop when the loss over all triplets, measured every 100 steps, has
        not improved by more than ``tol`` (relative) five times in a row.

    n_components : int or None, default=None
        Keep the ``n_components`` directions of largest eigenvalue of ``M``.

    random_state : int, RandomState instance or None, default=None
        Seed of the triplet drawing, the basis and the minibatches.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        ``L`` with ``L.T @ L = M`` (or its truncation).

    basis_ : ndarray of shape (n_basis, n_features)
        The directions ``b_i``.

    weights_ : ndarray of shape (n_basis,)
        The non-negative ``w``.

    n_iter_ : int
        Minibatch steps run.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.LSML : A metric from quadruplets.
    sklearn_metric.TripletClassifier : Order prediction on triplets.

    References
    ----------
    Y. Shi, A. Bellet and F. Sha. Sparse compositional metric learning. AAAI
    2014.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import SCML
    >>> X, y = load_iris(return_X_y=True)
    >>> scml = SCML(random_state=0).fit(X, y)
    >>> scml.transform(X).shape
    (150, 4)
    """

    _parameter_constraints: dict = {
        "beta": [Interval(Real, 0, None, closed="left")],
        "basis": [StrOptions({"triplet_diffs", "lda"}), np.ndarray],
        "n_basis": [Interval(Integral, 1, None, closed="left"), None],
        "n_triplets": [Interval(Integral, 1, None, closed="left"), None],
        "k_genuine": [Interval(Integral, 1, None, closed="left")],
        "k_impostor": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        beta=1e-5,
        basis="triplet_diffs",
        n_basis=None,
        n_triplets=None,
        k_genuine=3,
        k_impostor=10,
        gamma=5e-3,
        max_iter=100000,
        batch_size=10,
        tol=1e-3,
        n_components=None,
        random_state=None,
    ):
        self.beta = beta
        self.basis = basis
        self.n_basis = n_basis
        self.n_triplets = n_triplets
        self.k_genuine = k_genuine
        self.k_impostor = k_impostor
        self.gamma = gamma
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.tol = tol
        self.n_components = n_components
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the metric from triplets drawn from class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : SCML
            The fitted learner.
        """
        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        self._check_n_components(X.shape[1])
        X = X.astype(np.float64, copy=False)
        rng = check_random_state(self.random_state)
        t = self._neighbourhood_triplets(X, y_enc, self.n_triplets or 20 * classes.size**2, rng)
        basis = None
        if isinstance(self.basis, str) and self.basis == "lda":
            n_basis = self._n_basis(X.shape[1])
            with threadpool_limits(limits=1):
                basis = lda_basis(X, y_enc, n_basis, rng)
            if basis.shape[0] < n_basis:
                warn(
                    f"basis='lda' built {basis.shape[0]} directions, fewer than the "
                    f"n_basis={n_basis} asked: each of at most n_samples={X.shape[0]} "
                    f"neighbourhoods gives at most n_classes - 1 = {classes.size - 1} "
                    "(fewer when its points span fewer dimensions). Pass a smaller n_basis "
                    "to silence this warning."
                )
        return self._fit(Tuples(t, X).compact(), rng, basis)

    @fit_context(prefer_skip_nested_validation=True)
    def fit_triplets(self, triplets, *, preprocessor=None):
        """Learn the metric from ``(anchor, positive, negative)`` triplets.

        Parameters
        ----------
        triplets : array-like of shape (n_triplets, 3, n_features) or (n_triplets, 3)
            Points, or their indices into ``preprocessor``.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index triplets refer to.

        Returns
        -------
        self : SCML
            The fitted learner.
        """
        if isinstance(self.basis, str) and self.basis == "lda":
            raise ValueError(
                "basis='lda' needs class labels (fit(X, y)); for triplets use "
                "basis='triplet_diffs' or a basis array."
            )
        tuples = validate_tuples(self, triplets, 3, preprocessor)
        self._check_n_components(tuples.n_features)
        rng = check_random_state(self.random_state)
        tuples = tuples.compact()
        return self._fit(tuples.mapped(tuples.points.astype(np.float64, copy=False)), rng, None)

    def _neighbourhood_triplets(self, X, y, n_triplets, rng):
        """``n_triplets`` triplets (fewer when there are not that many), drawn at random
        from the neighbourhood triplets of up to ``n_triplets`` random anchors (points
        whose class has another point)."""
        eligible = np.flatnonzero(np.bincount(y)[y] > 1)
        if eligible.size == 0:
            raise ValueError(
                "SCML needs a class with two points or more to build triplets from labels; "
                "every class has one point."
            )
        anchors = rng.choice(eligible, min(eligible.size, n_triplets), replace=False)
        triplets = neighbourhood_triplets(X, y, np.sort(anchors), self.k_genuine, self.k_impostor)
        if triplets.shape[0] > n_triplets:
            triplets = triplets[rng.choice(triplets.shape[0], n_triplets, replace=False)]
        return triplets

    def _n_basis(self, n_features):
        return self.n_basis or min(20 * n_features, _MAX_DEFAULT_BASIS)

    def _basis(self, near, far, rng, basis, n_features, group_size):
        if basis is not None:
            return basis
        if isinstance(self.basis, str):
            return triplet_diffs_basis(near, far, self._n_basis(n_features), group_size, rng)
        basis = np.asarray(self.basis, dtype=np.float64)
        if basis.ndim != 2 or basis.shape[1] != n_features or not np.all(np.isfinite(basis)):
            raise ValueError(
                f"The basis array must be finite, of shape (n_basis, {n_features}); got "
                f"shape {basis.shape}."
            )
        return basis

    def _fit(self, triplets, rng, basis):
        n_features = triplets.n_features
        n_components = self._check_n_components(n_features)
        # Groups of n_features triplets build the basis (at most n_points - 1: the rank
        # the points' differences can have, so the groups are the same on the span).
        group_size = max(1, min(n_features, triplets.points.shape[0] - 1))
        # Wide data with the triplet-differences basis: its eigenvectors and the loss
        # are Euclidean in the differences, which lie on the span of the centred
        # points: solved in its coordinates.
        U = None
        if basis is None and isinstance(self.basis, str):
            U = wide_span(triplets.points)
        if U is not None:
            points = triplets.points
            triplets = triplets.mapped((points - points.mean(axis=0)) @ U)
        near, far = triplets.differences(0, 1), triplets.differences(0, 2)
        # One thread (BLAS and OpenMP): the minibatch products are tiny, and the basis's
        # and the products' sums are then the same however many fits run at once.
        with threadpool_limits(limits=1):
            B = self._basis(near, far, rng, basis, n_features, group_size)
            z = _basis_margins(triplets, near, far, B)
            # The weights are learned on z in units of its mean magnitude (the margin
            # 1 and the steps then mean the same whatever the data's units), and
            # mapped back: w = w_unit / scale.
            scale = _unit(z)
            z /= scale  # in place: z is this fit's own
            w, n_iter, converged = self._adagrad(z, rng)
            w = w / scale
        if not np.any(w > 0):
            raise ValueError(
                "SCML found no direction of the basis that lowers the triplet loss: every "
                "weight is zero. Use basis='triplet_diffs', a larger n_basis, or a basis array."
            )
        if not converged:
            warn_not_converged(type(self).__name__, "SCML", self.max_iter, steps="steps")
        active = w > 0
        self.weights_ = w
        self.n_iter_ = n_iter
        if U is not None:  # lifted from the span's coordinates
            self.basis_ = signed_rows(B @ U.T)
            F = np.sqrt(w[active])[:, None] * B[active]
            self.components_ = components_from_factor(F, n_components) @ U.T
        elif np.count_nonzero(active) < n_features:
            # A metric of rank below n_features: from its factor, no d x d eigh.
            self.basis_ = B
            F = np.sqrt(w[active])[:, None] * B[active]
            self.components_ = components_from_factor(F, n_components)
        else:
            self.basis_ = B
            self.components_ = components_from_psd((B.T * w) @ B)[:n_components]
        return self

    def _adagrad(self, z, rng):
        """Minibatch projected subgradient on ``w >= 0`` with AdaGrad steps.

        Every ``_CHECK_EVERY`` steps the loss over all triplets is measured;
        the best weights seen are kept, and the run stops once that best has
        not improved by more than ``tol`` (relative) for ``_N_NO_CHANGE``
        checks in a row (scikit-learn's SGD rule).
        """
        n, k = z.shape
        w = np.zeros(k)
        squares = np.zeros(k)
        best_w, best_loss = w.copy(), scml_loss(w, z, self.beta)[0]
        stale = 0
        for step in range(1, self.max_iter + 1):
            batch = z[rng.randint(n, size=min(self.batch_size, n))]
            _, grad = scml_loss(w, batch, self.beta)
            squares += grad**2
            w = np.maximum(w - self.gamma * grad / (np.sqrt(squares) + 1e-12), 0)
            if step % _CHECK_EVERY:
                continue
            loss = scml_loss(w, z, self.beta)[0]
            improved = loss < best_loss - self.tol * abs(best_loss)
            if loss < best_loss:
                best_w, best_loss = w.copy(), loss
            stale = 0 if improved else stale + 1
            if stale >= _N_NO_CHANGE:
                return best_w, step, True
        return best_w, self.max_iter, False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
