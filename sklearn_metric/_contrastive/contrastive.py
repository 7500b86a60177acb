"""ContrastiveEmbedding: a linear embedding trained by minibatch losses with hard-example mining."""

import sys
import time
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from .._core.base import MetricLearnerMixin, validate_labelled_data, validate_pairs
from .._core.compat import Interval, StrOptions, fit_context, validate_params
from .._core.init import n_components_of, starting_components
from .._core.span import span_coordinates
from .._core.tuples import validate_tuples
from .loss import LOSSES, MINERS_OF, batch_loss, tuple_loss

__all__ = ["ContrastiveEmbedding"]

# Adam's moment decays and the floor of its denominator (Kingma & Ba, 2015).
_BETA1, _BETA2, _ADAM_EPS = 0.9, 0.999, 1e-8
# Points drawn per class in a labelled minibatch.
_PER_CLASS = 4


def _members_by_class(y):
    """The indices of each class's points (ascending), computed once per fit."""
    order = np.argsort(y, kind="stable")
    counts = np.bincount(y)
    return np.split(order, np.cumsum(counts)[:-1])


def _class_balanced_batch(members, batch_size, rng):
    """Indices of a minibatch of ``_PER_CLASS`` points from each of several classes, the
    classes with two or more points first (they give positive pairs)."""
    sizes = np.array([m.size for m in members])
    n_classes = max(2, batch_size // _PER_CLASS)
    paired = np.flatnonzero(sizes >= 2)
    pool = paired if paired.size >= 2 else np.flatnonzero(sizes > 0)
    chosen = rng.choice(pool, size=min(n_classes, pool.size), replace=False)
    batch = [
        rng.choice(members[c], size=min(_PER_CLASS, members[c].size), replace=False) for c in chosen
    ]
    return np.concatenate(batch)


class ContrastiveEmbedding(MetricLearnerMixin):
    """A linear embedding trained by contrastive, triplet or cosine losses with mining.

    ``L`` is trained by minibatch stochastic gradient (Adam) on one of three
    losses, each over tuples mined inside the minibatch:

    - ``"contrastive"``: similar pairs pulled together, dissimilar pairs pushed
      beyond ``margin`` (miners ``"all"`` pairs, or ``"hard"``: those with a
      non-zero loss);
    - ``"triplet"``: ``max(d(a, p) - d(a, n) + margin, 0)`` (miners ``"all"``,
      ``"hard"`` = batch-hard: each anchor's farthest positive and nearest
      negative, ``"semihard"``: for each positive pair the nearest negative
      farther than the positive but within the margin, ``"distance_weighted"``:
      one negative per pair drawn by inverse density of distances on the unit
      sphere, Wu et al. 2017);
    - ``"cosine"``: the triplet loss on the unit sphere (rows of ``L x``
      normalised); ``transform`` then returns unit vectors.

    Distances are Euclidean. Minibatches from labels hold 4 points from each
    of ``batch_size // 4`` classes, so positives exist; memory is O(batch^2)
    whatever the number of samples. A minibatch without a positive pair (or
    negative) contributes no step.

    Wide data (fewer samples than features: faces, text): every gradient's
    rows lie in the span of the training points, so ``fit``, ``fit_pairs``
    and ``fit_triplets`` run Adam in the coordinates of that span and its
    complement (an orthonormal basis of the training points' span), where
    the complement's columns of ``L`` never move; that costs ``rank /
    n_features`` of the raw coordinates' run. Adam is not rotation-invariant,
    so this is the same method in another orthonormal basis of the input, not
    the same iterates. Points outside the span keep the initial ``L``'s action
    there.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the embedding; ``None`` keeps ``n_features``.

    loss : {"contrastive", "triplet", "cosine"}, default="triplet"

    margin : float, default=None
        The margin; ``None`` is 1.0, or 0.2 for ``"cosine"``.

    miner : {"all", "hard", "semihard", "distance_weighted"}, default="semihard"
        Which tuples of a minibatch enter the loss (see above); ``"semihard"``
        and ``"distance_weighted"`` apply to the triplet and cosine losses only.

    batch_size : int, default=64

    max_iter : int, default=500
        Minibatch steps of ``fit``.

    learning_rate : float, default=0.01
        Adam's step size.

    init : {"auto", "pca", "identity", "random"} or ndarray, default="auto"
        Initial ``L`` (as in :class:`NCA`).

    callback : callable, default=None
        Called after each step as ``callback(components, n_iter)``.

    verbose : int, default=0
        Print the mean loss every 50 steps and the training time.

    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation, the minibatches and the sampling miner.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``L``.

    n_iter_ : int
        Minibatch steps run (over all ``fit`` / ``partial_fit`` calls).

    loss_curve_ : list of float
        The minibatch loss of each step.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.NCA : A linear embedding learned from labels by a softmax over neighbours.
    sklearn_metric.LMNN : A linear metric from a large-margin triplet loss.

    References
    ----------
    F. Schroff, D. Kalenichenko, J. Philbin. FaceNet. CVPR 2015 (semi-hard
    mining); A. Hermans, L. Beyer, B. Leibe. In defense of the triplet loss.
    2017 (batch-hard); C.-Y. Wu et al. Sampling matters in deep embedding
    learning. ICCV 2017 (distance-weighted sampling).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import ContrastiveEmbedding
    >>> X, y = load_iris(return_X_y=True)
    >>> emb = ContrastiveEmbedding(n_components=2, max_iter=50, random_state=0).fit(X, y)
    >>> emb.transform(X).shape
    (150, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "loss": [StrOptions(set(LOSSES))],
        "margin": [Interval(Real, 0, None, closed="neither"), None],
        "miner": [StrOptions({"all", "hard", "semihard", "distance_weighted"})],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "init": [StrOptions({"auto", "pca", "identity", "random"}), np.ndarray],
        "callback": [callable, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        loss="triplet",
        margin=None,
        miner="semihard",
        batch_size=64,
        max_iter=500,
        learning_rate=0.01,
        init="auto",
        callback=None,
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.loss = loss
        self.margin = margin
        self.miner = miner
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.init = init
        self.callback = callback
        self.verbose = verbose
        self.random_state = random_state

    _private_fitted_attributes = ("_adam", "_rng")

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the embedding for ``max_iter`` minibatch steps from labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : ContrastiveEmbedding
            The fitted learner.
        """
        self._check_miner()
        X, y, _, y_enc = validate_labelled_data(self, X, y)
        X = X.astype(np.float64, copy=False)
        n_components = n_components_of(self, X.shape[1])
        self._start(X, y_enc, n_components)
        X_fit = self._enter_span(X)
        self._train(X_fit, y_enc, self.max_iter)
        self._leave_span()
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_pairs(self, pairs, y, *, preprocessor=None):
        """Train on given pairs: the contrastive loss (on the unit sphere for ``loss="cosine"``).

        Each step takes ``batch_size`` pairs drawn at random; ``miner`` does not
        apply (every pair of the minibatch enters the loss).

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor``.
        y : array-like of shape (n_pairs,)
            +1 for a similar pair, -1 for a dissimilar one.
        preprocessor : array-like or callable, default=None
            The points that index pairs refer to.

        Returns
        -------
        self : ContrastiveEmbedding
            The fitted learner.
        """
        tuples, signs = validate_pairs(self, pairs, y, preprocessor=preprocessor, both_kinds=True)
        return self._fit_tuples(tuples, signs)

    @fit_context(prefer_skip_nested_validation=True)
    def fit_triplets(self, triplets, *, preprocessor=None):
        """Train on given triplets ``(anchor, positive, negative)``: the triplet loss (on the
        unit sphere for ``loss="cosine"``), ``batch_size`` triplets a step.

        Parameters
        ----------
        triplets : array-like of shape (n_triplets, 3, n_features) or (n_triplets, 3)
            Triplets of points, or of indices into ``preprocessor``.
        preprocessor : array-like or callable, default=None
            The points that index triplets refer to.

        Returns
        -------
        self : ContrastiveEmbedding
            The fitted learner.
        """
        return self._fit_tuples(validate_tuples(self, triplets, 3, preprocessor).compact(), None)

    def _fit_tuples(self, tuples, signs):
        points = tuples.points.astype(np.float64, copy=False)
        n_components = n_components_of(self, tuples.n_features)
        self._start(points, np.zeros(points.shape[0], dtype=np.intp), n_components)
        points = self._enter_span(points)
        sphere = self.loss == "cosine"
        margin = self._margin()
        for _ in range(self.max_iter):
            rows = self._rng.choice(tuples.n_tuples, min(self.batch_size, tuples.n_tuples), False)
            used, local = np.unique(tuples.indices[rows], return_inverse=True)
            local = local.reshape(rows.size, -1)
            Xb = points[used]
            batch_signs = None if signs is None else signs[rows]
            value, dZ = tuple_loss(
                Xb @ self.components_.T, local, margin, signs=batch_signs, sphere=sphere
            )
            self._update(dZ.T @ Xb, value)
        self._leave_span()
        self._check_finite()
        return self

    def partial_fit(self, X, y):
        """One minibatch step on ``X, y`` (the whole of it as the batch).

        Steps are in the raw coordinates of the input; after a ``fit`` on wide
        data (run on the span's coordinates), Adam's moment estimates start
        afresh.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A minibatch.
        y : array-like of shape (n_samples,)
            Its labels.

        Returns
        -------
        self : ContrastiveEmbedding
            The updated learner.
        """
        first_call = not hasattr(self, "components_")
        if first_call:
            validate_params(self)
            self._check_miner()
        X, y = validate_data(self, X, y, reset=first_call, dtype=[np.float64, np.float32])
        y_enc = np.unique(y, return_inverse=True)[1]
        X = X.astype(np.float64, copy=False)
        if first_call:
            self._start(X, y_enc, n_components_of(self, X.shape[1]))
        self._step(X, y_enc, np.arange(X.shape[0]))
        return self

    def _check_miner(self):
        if self.miner not in MINERS_OF[self.loss]:
            raise ValueError(
                f"miner={self.miner!r} does not apply to loss={self.loss!r}; use one of "
                f"{list(MINERS_OF[self.loss])}."
            )

    def _margin(self):
        if self.margin is not None:
            return float(self.margin)
        return 0.2 if self.loss == "cosine" else 1.0

    def _start(self, X, y_enc, n_components):
        self._rng = check_random_state(self.random_state)
        self.components_ = starting_components(self, X, y_enc, n_components)
        self._reset_adam()
        self._lift = None
        self.n_iter_ = 0
        self.loss_curve_ = []

    def _reset_adam(self):
        self._adam = [np.zeros_like(self.components_), np.zeros_like(self.components_), 0]

    def _enter_span(self, X):
        """On wide data, train ``L U`` on ``X U`` from here on (see the class notes):
        returns the data to train on."""
        X_fit, L_start, self._lift = span_coordinates(X, self.components_)
        if self._lift is not None:
            self.components_ = L_start
            self._reset_adam()
        return X_fit

    def _leave_span(self):
        """Lift the components trained on the span back to the input's coordinates."""
        if self._lift is not None:
            self.components_ = self._lift(self.components_)
            self._lift = None
            self._reset_adam()

    def _step(self, X, y, batch):
        Xb = X[batch]
        Z = Xb @ self.components_.T
        value, dZ = batch_loss(Z, y[batch], self.loss, self._margin(), self.miner, self._rng)
        self._update(dZ.T @ Xb, value)

    def _update(self, gradient, value):
        """One Adam step on ``L`` with ``gradient`` (overwritten: scratch); records
        ``value`` and calls back."""
        first, second, t = self._adam
        t += 1
        # In place, one scratch array: the moments are as large as L.
        first *= _BETA1
        first += (1 - _BETA1) * gradient
        gradient *= gradient
        second *= _BETA2
        second += (1 - _BETA2) * gradient
        step = np.sqrt(second, out=gradient)
        step *= 1 / np.sqrt(1 - _BETA2**t)
        step += _ADAM_EPS
        np.divide(first, step, out=step)
        step *= self.learning_rate / (1 - _BETA1**t)
        self.components_ = self.components_ - step
        self._adam[2] = t
        self.n_iter_ += 1
        self.loss_curve_.append(float(value))
        if self.callback is not None:
            full = self.components_ if self._lift is None else self._lift(self.components_)
            self.callback(full, self.n_iter_)

    def _train(self, X, y, n_steps):
        started = time.perf_counter()
        members = _members_by_class(y)
        for _ in range(n_steps):
            self._step(X, y, _class_balanced_batch(members, self.batch_size, self._rng))
            if self.verbose and self.n_iter_ % 50 == 0:
                recent = np.mean(self.loss_curve_[-50:])
                print(f"[{type(self).__name__}] step {self.n_iter_:>6}  loss {recent:.6f}")
        self._check_finite()
        if self.verbose:
            took = time.perf_counter() - started
            print(f"[{type(self).__name__}] Training took {took:8.2f}s.", file=sys.stdout)

    def _check_finite(self):
        if not np.all(np.isfinite(self.components_)):
            raise ValueError(
                "ContrastiveEmbedding produced non-finite components; lower learning_rate "
                "or standardise X."
            )

    def transform(self, X):
        """Embed ``X``: ``X @ components_.T``, rows normalised for ``loss="cosine"``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to embed.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        Z = super().transform(X)
        if self.loss == "cosine":
            Z = Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)
        return Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
