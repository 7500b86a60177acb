"""Meta-estimators whose ``X`` is a tuple array: model selection on pairs,
triplets and quadruplets with scikit-learn's tools."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from .._core.compat import HasMethods, Interval, StrOptions, fit_context
from .._core.tuples import TUPLE_NAMES, check_pair_labels, check_tuples
from ._calibration import STRATEGIES, calibrate_threshold

__all__ = ["PairsClassifier", "TupleEstimator"]

_FIT_METHOD = {2: "fit_pairs", 3: "fit_triplets", 4: "fit_quadruplets"}


class TupleEstimator(ClassifierMixin, BaseEstimator):
    """Fitting the learner on tuples and measuring its distances (shared by the three)."""

    _size = 2

    def _default_learner(self):
        raise NotImplementedError

    def _fit_learner(self, tuples, y=None):
        """The fitted learner: a FrozenEstimator as it is, else a clone fitted on the tuples."""
        learner = self._default_learner() if self.metric_learner is None else self.metric_learner
        if isinstance(learner, FrozenEstimator):
            check_is_fitted(learner.estimator)
            return learner
        method = _FIT_METHOD[self._size]
        if not hasattr(learner, method):
            raise TypeError(
                f"{type(learner).__name__} cannot learn from {TUPLE_NAMES[self._size]} (it has "
                f"no {method}); pass a learner that has, or a fitted learner wrapped in "
                "sklearn.frozen.FrozenEstimator to use its metric as it is."
            )
        learner = clone(learner)
        args = (tuples,) if y is None else (tuples, y)
        getattr(learner, method)(*args)
        return learner

    def _tuples(self, X):
        n_features = getattr(self, "n_features_in_", None)
        return check_tuples(X, self._size, self.preprocessor, n_features=n_features, estimator=self)

    def _distances(self, tuples, columns):
        return tuples.embedded_distances(self.metric_learner_.transform, columns)

    def _set_fitted(self, learner, tuples):
        self.metric_learner_ = learner
        self.n_features_in_ = tuples.n_features
        self.classes_ = np.array([-1, 1])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


class PairsClassifier(TupleEstimator):
    """Same/different verification of pairs in a learned metric, with a calibrated threshold.

    ``fit(pairs, y)`` fits the metric learner on the pairs (its ``fit_pairs``),
    or keeps a prefitted one given as ``FrozenEstimator(learner)``, then sets
    the distance threshold: a given number, or the best one for
    ``calibration`` on the training pairs (or on a held-out fraction,
    ``calibration_split``). A pair is called similar (+1) when its learned
    distance is at most ``threshold_``. ``X`` is the pair array itself, so
    ``cross_val_score``, ``GridSearchCV`` (learner and threshold parameters
    together) and ``roc_auc`` scoring (through :meth:`decision_function`) work
    on pairs.

    Parameters
    ----------
    metric_learner : estimator or None, default=None
        A learner with ``fit_pairs`` (``ITML``, ``SDML``, ``MMC``, ``POLA``),
        or ``FrozenEstimator`` of any fitted learner (``LMNN``, ``NCA``, ...).
        ``None`` means ``ITML()``.

    threshold : "calibrate" or float, default="calibrate"
        The distance threshold, or ``"calibrate"`` to choose it.

    calibration : {"accuracy", "f_beta", "max_tpr", "max_tnr", "eer"}, \
            default="accuracy"
        The criterion of the calibration (see :func:`calibrate_threshold`).

    min_rate : float or None, default=None
        The rate kept by ``"max_tpr"`` (true negatives) and ``"max_tnr"``
        (true positives).

    beta : float, default=1.0
        The ``beta`` of ``"f_beta"``.

    calibration_split : float or None, default=None
        Hold out this fraction of the pairs (stratified) for the threshold and
        the probabilities; ``None`` uses the training pairs.

    preprocessor : array-like of shape (n_points, n_features), callable or None, \
            default=None
        The points that index pairs (shape ``(n_pairs, 2)``) refer to.

    random_state : int, RandomState instance or None, default=None
        Seed of the held-out split.

    Attributes
    ----------
    metric_learner_ : estimator
        The fitted learner.

    threshold_ : float
        The distance threshold.

    classes_ : ndarray of shape (2,)
        ``[-1, 1]``.

    n_features_in_ : int
        Number of features of the points.

    See Also
    --------
    sklearn_metric.tuples.calibrate_threshold : The threshold strategies.
    sklearn_metric.TripletClassifier : Order prediction on triplets.
    sklearn_metric.QuadrupletClassifier : Order prediction on quadruplets.

    References
    ----------
    T. Fawcett. An introduction to ROC analysis. Pattern Recognition Letters
    27(8):861-874, 2006.

    J. Platt. Probabilistic outputs for support vector machines and comparisons
    to regularized likelihood methods. Advances in Large Margin Classifiers,
    MIT Press, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric import ITML
    >>> from sklearn_metric.tuples import PairsClassifier
    >>> points = np.array([[0.0, 0.0], [0.1, 3.0], [2.0, 0.0], [2.1, 3.0]])
    >>> pairs, y = [[0, 1], [2, 3], [0, 2], [1, 3]], [1, 1, -1, -1]
    >>> clf = PairsClassifier(ITML(bounds=(1.0, 4.0)), preprocessor=points)
    >>> clf.fit(pairs, y).predict([[0, 1], [1, 2]])
    array([ 1, -1])
    """

    _parameter_constraints: dict = {
        "metric_learner": [HasMethods(["fit", "transform"]), None],
        "threshold": [StrOptions({"calibrate"}), Real],
        "calibration": [StrOptions(set(STRATEGIES))],
        "min_rate": [Interval(Real, 0, 1, closed="both"), None],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "calibration_split": [Interval(Real, 0, 1, closed="neither"), None],
        "preprocessor": ["array-like", callable, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        metric_learner=None,
        *,
        threshold="calibrate",
        calibration="accuracy",
        min_rate=None,
        beta=1.0,
        calibration_split=None,
        preprocessor=None,
        random_state=None,
    ):
        self.metric_learner = metric_learner
        self.threshold = threshold
        self.calibration = calibration
        self.min_rate = min_rate
        self.beta = beta
        self.calibration_split = calibration_split
        self.preprocessor = preprocessor
        self.random_state = random_state

    def _default_learner(self):
        from .._itml.itml import ITML

        return ITML()

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the learner on the pairs, then the threshold.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Pairs of points, or of indices into ``preprocessor``.
        y : array-like of shape (n_pairs,)
            +1 similar, -1 dissimilar.

        Returns
        -------
        self : PairsClassifier
        """
        vars(self).pop("n_features_in_", None)
        tuples = self._tuples(X)
        y = check_pair_labels(y, tuples.n_tuples, estimator=self)
        if self.calibration in ("max_tpr", "max_tnr") and self.min_rate is None:
            raise ValueError(f"calibration={self.calibration!r} needs min_rate, a rate in [0, 1].")
        rows = np.arange(tuples.n_tuples)
        fit_rows = calib_rows = rows
        if self.calibration_split is not None:
            fit_rows, calib_rows = train_test_split(
                rows, test_size=self.calibration_split, stratify=y, random_state=self.random_state
            )
        learner = self._fit_learner(tuples.subset(fit_rows), y[fit_rows])
        self._set_fitted(learner, tuples)
        distances = self._pair_distances(tuples.subset(calib_rows))
        if self.threshold == "calibrate":
            self.threshold_ = calibrate_threshold(
                distances,
                y[calib_rows],
                self.calibration,
                min_rate=self.min_rate,
                beta=self.beta,
            )
        else:
            self.threshold_ = float(self.threshold)
        self._fit_probabilities(distances, y[calib_rows])
        return self

    def _pair_distances(self, tuples):
        return self._distances(tuples, [(0, 1)])[0]

    def _fit_probabilities(self, distances, y):
        """A sigmoid of the decision values (Platt scaling), increasing in them."""
        scores = (self.threshold_ - distances)[:, None]
        if np.ptp(scores) == 0 or np.unique(y).size < 2:
            self._sigmoid = (1.0, 0.0)
            return
        logistic = LogisticRegression(C=1e4).fit(scores, y)
        slope, intercept = float(logistic.coef_[0, 0]), float(logistic.intercept_[0])
        # A metric that ranks pairs backwards cannot give a decreasing probability here.
        self._sigmoid = (max(slope, 1e-12), intercept)

    def calibrate_threshold(self, X, y, strategy="accuracy", *, min_rate=None, beta=1.0):
        """Set ``threshold_`` to the best one for ``strategy`` on these pairs.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)
            Labelled pairs (e.g. a validation set).
        y : array-like of shape (n_pairs,)
            +1 similar, -1 dissimilar.
        strategy : {"accuracy", "f_beta", "max_tpr", "max_tnr", "eer"}, default="accuracy"
        min_rate : float or None, default=None
            Required by ``"max_tpr"`` and ``"max_tnr"``.
        beta : float, default=1.0
            The ``beta`` of ``"f_beta"``.

        Returns
        -------
        self : PairsClassifier
        """
        check_is_fitted(self)
        tuples = self._tuples(X)
        y = check_pair_labels(y, tuples.n_tuples, estimator=self)
        distances = self._pair_distances(tuples)
        self.threshold_ = calibrate_threshold(distances, y, strategy, min_rate=min_rate, beta=beta)
        self._fit_probabilities(distances, y)
        return self

    def pair_distance(self, X):
        """Learned distance of each pair.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)

        Returns
        -------
        distances : ndarray of shape (n_pairs,)
        """
        check_is_fitted(self)
        return self._pair_distances(self._tuples(X))

    def decision_function(self, X):
        """``threshold_ - distance``: positive means similar.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)

        Returns
        -------
        scores : ndarray of shape (n_pairs,)
        """
        distances = self.pair_distance(X)
        return self.threshold_ - distances

    def predict(self, X):
        """+1 (similar) when the distance is at most ``threshold_``, else -1.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)

        Returns
        -------
        y : ndarray of shape (n_pairs,)
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def predict_proba(self, X):
        """Probabilities of different (column 0) and similar (column 1).

        A sigmoid of :meth:`decision_function` fitted on the calibration pairs
        (Platt scaling): increasing in the decision value, 1/2 near the
        threshold when the classes are balanced there.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2, n_features) or (n_pairs, 2)

        Returns
        -------
        proba : ndarray of shape (n_pairs, 2)
        """
        slope, intercept = self._sigmoid
        similar = 1 / (1 + np.exp(-(slope * self.decision_function(X) + intercept)))
        return np.column_stack([1 - similar, similar])
