"""Pseudo-metric Online Learning Algorithm (Shalev-Shwartz, Singer & Ng, ICML 2004)."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._core.base import MetricLearnerMixin, validate_pairs
from ._core.compat import Interval, fit_context, validate_params
from ._core.linalg import row_span, smallest_eigenpair
from ._core.sampling import sample_pairs
from ._core.span import SpanSplit

__all__ = ["POLA"]


# A pair's part off the metric's range counts as a new direction from this fraction of
# its length on (below it, the part is rounding from the basis).
_NEW_DIRECTION_RTOL = 1e-10


def _remove_negative_direction(S, basis):
    """Project ``M = basis S basis^T`` (PSD but for one rank-one subtraction) onto
    the PSD cone, and drop the direction that empties from ``basis``.

    Subtracting ``a v v^T`` from a PSD matrix leaves at most one negative
    eigenvalue, so only the smallest eigenpair ``(value, u)`` of ``S`` is
    needed. Removing it leaves ``S`` zero along ``u``: a Householder reflection
    turns ``u`` into the last coordinate, which is dropped, so the basis keeps
    spanning the range of ``M`` only.

    Parameters
    ----------
    S : ndarray of shape (r, r)
        Symmetric, PSD but for one negative eigenvalue at most.
    basis : ndarray of shape (n_features, r)
        Orthonormal columns.

    Returns
    -------
    S : ndarray of shape (r, r) or (r - 1, r - 1)
    basis : ndarray of shape (n_features, r) or (n_features, r - 1)
    """
    value, u = smallest_eigenpair(S)
    if value >= 0:
        return S, basis
    S = S - value * np.outer(u, u)
    h = u.copy()
    h[-1] += 1.0 if u[-1] >= 0 else -1.0
    h /= np.linalg.norm(h)  # (I - 2 h h^T) u = -+ e_last
    S = S - 2 * np.outer(h, h @ S)
    S -= 2 * np.outer(S @ h, h)
    basis = basis - 2 * np.outer(basis @ h, h)
    S = S[:-1, :-1]
    return (S + S.T) / 2, basis[:, :-1]


def _with_direction(basis, S, coords, v):
    """Extend ``basis`` (and ``S`` by a zero row and column) with ``v``'s part off
    its span, if any; ``coords`` are ``v``'s coordinates on the basis, returned
    on the extended one."""
    rest = v - basis @ coords
    extra = basis.T @ rest  # a second Gram-Schmidt pass, for rounding
    rest -= basis @ extra
    length = np.linalg.norm(rest)
    if basis.shape[1] == basis.shape[0] or length <= _NEW_DIRECTION_RTOL * np.linalg.norm(v):
        return basis, S, coords
    basis = np.column_stack([basis, rest / length])
    S = np.pad(S, ((0, 1), (0, 1)))
    return basis, S, np.append(coords + extra, length)


class POLA(MetricLearnerMixin):
    """Online metric learning by projections (POLA).

    Learns a PSD ``M`` and a threshold ``b >= 1`` so that similar pairs have
    ``D_M(a, b) <= b - 1`` and dissimilar pairs ``D_M(a, b) >= b + 1``. Each
    pair is processed once, in order: ``(M, b)`` is projected onto the
    half-space where that pair's hinge loss is zero, then onto the PSD cone
    (only one eigenpair is needed, see below) and ``b >= 1``. It starts from
    ``M = 0``, ``b = 1``.

    ``fit(X, y)`` and ``partial_fit(X, y)`` draw ``n_pairs`` pairs (half
    similar, half dissimilar) from the labels of the batch; ``fit_pairs`` and
    ``partial_fit_pairs`` take explicit pairs with ``y`` in {+1, -1}. ``fit*``
    start afresh, ``partial_fit*`` go on from the current state.

    Parameters
    ----------
    n_pairs : int, default=1000
        Pairs drawn per call of ``fit`` or ``partial_fit`` (``n_pairs // 2``
        similar, the rest dissimilar).

    n_components : int, default=None
        Keep the ``n_components`` leading directions of the learned ``M``
        (its eigendecomposition truncated, the best rank-``n_components``
        approximation of ``M``; ``M`` itself, and so later ``partial_fit``
        calls, stay full rank). ``None`` keeps all.

    shuffle : bool, default=True
        Process the pairs of a call in random order (else in the given order;
        drawn pairs then come similar first).

    random_state : int, RandomState instance or None, default=None
        Seed of the pair drawing and of the shuffling.

    Attributes
    ----------
    components_ : ndarray of shape (n_features, n_features)
        ``L`` with ``L.T @ L = M``.

    threshold_ : float
        The threshold ``b``.

    n_pairs_seen_ : int
        Pairs processed since the last ``fit``.

    n_mistakes_ : int
        Pairs that were on the wrong side of the threshold when processed.

    classes_ : ndarray of shape (n_classes,)
        Labels declared by ``classes`` or seen by ``fit``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.MMC : A batch metric learner from pairs.
    sklearn_metric.PairsClassifier : Same/different prediction on pairs with a threshold.

    Notes
    -----
    A similar pair subtracts ``a v v^T`` from ``M``, which can create one
    negative eigenvalue and nothing else; it is removed with the smallest
    eigenpair only. Dissimilar pairs add ``a v v^T`` and keep ``M`` PSD.
    ``M`` is kept as ``B S B^T`` with ``B`` an orthonormal basis of its range,
    which only dissimilar pairs widen, so each pair costs O(n_features * r +
    r^3) for ``M`` of rank ``r`` instead of O(n_features^3) (on wide data and
    whenever fewer dissimilar pairs than features have been processed).

    References
    ----------
    S. Shalev-Shwartz, Y. Singer and A. Y. Ng. Online and batch learning of
    pseudo-metrics. ICML 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import POLA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 2) * [1.0, 0.1]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> pola = POLA(random_state=0).fit(X, y)
    >>> pola.predict_pairs([[X[0], X[0] + [0.0, 0.05]], [X[0], -X[0]]])
    array([ 1, -1])
    """

    _private_fitted_attributes = ("_M", "_basis")

    _parameter_constraints: dict = {
        "n_pairs": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, n_pairs=1000, *, n_components=None, shuffle=True, random_state=None):
        self.n_pairs = n_pairs
        self.n_components = n_components
        self.shuffle = shuffle
        self.random_state = random_state

    # -- learning ----------------------------------------------------------------------

    def _reset(self, n_features):
        self._check_n_components(n_features)
        # M = basis S basis^T with orthonormal columns spanning M's range: rank x rank
        # work per pair instead of d x d (the rank grows by dissimilar pairs only).
        self._basis = np.zeros((n_features, 0))
        self._M = np.zeros((0, 0))
        self.threshold_ = 1.0
        self.n_pairs_seen_ = 0
        self.n_mistakes_ = 0
        self._rng = check_random_state(self.random_state)

    def _pairs_from_labels(self, X, y):
        n_similar = max(1, self.n_pairs // 2)
        index_pairs, labels = sample_pairs(y, n_similar, self._rng)
        keep = np.concatenate(
            [np.arange(n_similar), n_similar + np.arange(max(0, self.n_pairs - n_similar))]
        )
        index_pairs, labels = index_pairs[keep], labels[keep]
        return X[index_pairs[:, 0]] - X[index_pairs[:, 1]], labels, X

    def _learn(self, diffs, labels, points):
        """Process the pairs ``diffs`` (differences of rows of ``points``) in turn."""
        order = (
            self._rng.permutation(labels.shape[0]) if self.shuffle else np.arange(labels.shape[0])
        )
        basis, S, b = self._basis, self._M, self.threshold_
        # Wide data: M's range and the pairs lie in the span of the points' differences
        # (and of the range so far); each pair then costs O(rank) instead of O(d).
        span = None
        if points.shape[0] - 1 + basis.shape[1] <= basis.shape[0] // 2:
            span = row_span(np.vstack([points[1:] - points[0], basis.T]))
            basis, diffs = span.T @ basis, diffs @ span
        mistakes = 0
        for v, label in zip(diffs[order], labels[order], strict=True):
            coords = basis.T @ v
            distance = coords @ S @ coords
            mistakes += (distance > b) if label == 1 else (distance < b)
            loss = label * (distance - b) + 1
            if loss <= 0:
                continue
            alpha = loss / ((v @ v) ** 2 + 1)
            basis, S, coords = _with_direction(basis, S, coords, v)
            S -= (label * alpha) * np.outer(coords, coords)
            b += label * alpha
            if label == 1:
                S, basis = _remove_negative_direction(S, basis)
            b = max(b, 1.0)
        if span is not None:
            basis = span @ basis
        self._basis, self._M, self.threshold_ = basis, S, float(b)
        self.n_pairs_seen_ += labels.shape[0]
        self.n_mistakes_ += int(mistakes)
        n_components = self._check_n_components(basis.shape[0])
        self.components_ = SpanSplit(basis, S, 0.0).components(n_components)
        return self

    def _check_labels(self, y, classes, first_call):
        check_classification_targets(y)
        if classes is not None:
            classes = np.unique(classes)
            if not first_call and not np.array_equal(classes, getattr(self, "classes_", classes)):
                raise ValueError(
                    f"classes={classes.tolist()} is not the same as on the first call to "
                    f"partial_fit: {self.classes_.tolist()}."
                )
            self.classes_ = classes
        if hasattr(self, "classes_"):
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y holds labels {unknown.tolist()} not in classes {self.classes_.tolist()}."
                )
        return np.unique(y, return_inverse=True)[1]

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn afresh from ``n_pairs`` pairs drawn from class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes, one with two points).

        Returns
        -------
        self : POLA
            The fitted learner.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2)
        if hasattr(self, "classes_"):
            del self.classes_
        y_enc = self._check_labels(y, np.unique(y), True)
        if self.classes_.size < 2:
            raise ValueError(
                f"POLA needs samples of at least 2 classes; got {self.classes_.tolist()}."
            )
        self._reset(X.shape[1])
        return self._learn(*self._pairs_from_labels(X.astype(np.float64), y_enc))

    def partial_fit(self, X, y, classes=None):
        """Go on learning from ``n_pairs`` pairs drawn from this batch's labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of data.
        y : array-like of shape (n_samples,)
            Its class labels (two classes at least).
        classes : array-like of shape (n_classes,), default=None
            All labels the stream will hold; checked against every batch.
            Only allowed to differ from ``None`` consistently across calls.

        Returns
        -------
        self : POLA
            The updated learner.
        """
        first_call = not hasattr(self, "_M")
        if first_call:
            validate_params(self)
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2, reset=first_call
        )
        y_enc = self._check_labels(y, classes, first_call)
        if np.unique(y_enc).size < 2:
            raise ValueError(
                "A partial_fit batch needs samples of at least 2 classes to draw pairs."
            )
        if first_call:
            self._reset(X.shape[1])
        return self._learn(*self._pairs_from_labels(X.astype(np.float64), y_enc))

    @fit_context(prefer_skip_nested_validation=True)
    def fit_pairs(self, pairs, y, *, preprocessor=None):
        """Learn afresh from explicit pairs.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            The two points of each pair, or their indices into ``preprocessor``.
        y : array-like of shape (n_pairs,)
            +1 for a similar pair, -1 for a dissimilar one.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        self : POLA
            The fitted learner.
        """
        pairs, y = validate_pairs(self, pairs, y, preprocessor=preprocessor)
        self._reset(pairs.n_features)
        return self._learn(pairs.differences(0, 1), y, pairs.points)

    def partial_fit_pairs(self, pairs, y, *, preprocessor=None):
        """Go on learning from explicit pairs.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            The two points of each pair, or their indices into ``preprocessor``.
        y : array-like of shape (n_pairs,)
            +1 for a similar pair, -1 for a dissimilar one.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        self : POLA
            The updated learner.
        """
        first_call = not hasattr(self, "_M")
        if first_call:
            validate_params(self)
        pairs, y = validate_pairs(self, pairs, y, reset=first_call, preprocessor=preprocessor)
        if first_call:
            self._reset(pairs.n_features)
        return self._learn(pairs.differences(0, 1), y, pairs.points)

    # -- using the metric ------------------------------------------------------------

    def decision_function_pairs(self, pairs, *, preprocessor=None):
        """``threshold_ - D_M`` of each pair: positive means similar.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor``.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        scores : ndarray of shape (n_pairs,)
        """
        check_is_fitted(self)
        return self.threshold_ - self.pair_distance(pairs, preprocessor=preprocessor) ** 2

    def predict_pairs(self, pairs, *, preprocessor=None):
        """+1 (similar) where ``D_M <= threshold_``, else -1.

        Parameters
        ----------
        pairs : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor``.
        preprocessor : array-like of shape (n_points, n_features), callable or None
            The points that index pairs refer to.

        Returns
        -------
        labels : ndarray of shape (n_pairs,)
        """
        scores = self.decision_function_pairs(pairs, preprocessor=preprocessor)
        return np.where(scores >= 0, 1, -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
