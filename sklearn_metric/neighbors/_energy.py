"""EnergyClassifier: LMNN's energy-based decision rule."""

import warnings

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from .._core.base import validate_labelled_data
from .._core.compat import HasMethods, fit_context
from .._core.constraints import find_target_neighbors
from .._core.distances import block_rows, squared_cross, squared_distances_rows
from .._lmnn.energy import block_energy

__all__ = ["EnergyClassifier"]


class EnergyClassifier(ClassifierMixin, BaseEstimator):
    """LMNN's energy-based decision rule (Weinberger & Saul, JMLR 2009, sec. 4).

    A test point ``x`` gets the label ``c`` that minimises the LMNN loss of the
    training set with ``(x, c)`` added, in the learned metric ``D``:

        E(c) = (1 - mu) sum_{j ~> x} D(x, x_j)
               + mu sum_{j ~> x} sum_{l: y_l != c} [1 + D(x, x_j) - D(x, x_l)]_+
               + mu sum_{i, j ~> i: y_i != c} [1 + D(x_i, x_j) - D(x_i, x)]_+

    where ``j ~> x`` are the ``n_neighbors`` nearest training points of class
    ``c`` and ``j ~> i`` the target neighbours of training point ``i``.
    Computed in blocks of queries: memory is O(block * n_train).

    Parameters
    ----------
    metric_learner : estimator or None, default=None
        The metric: an :class:`~sklearn_metric.LMNN` (``None`` means
        ``LMNN()``), or any transformer whose ``transform`` maps into the
        learned space. Always cloned and refitted; pass
        ``sklearn.frozen.FrozenEstimator(learner)`` to keep a prefitted one.
        The rule uses the learner's ``n_neighbors`` and ``mu`` (3 and 0.5
        for a learner without them).

    Attributes
    ----------
    metric_learner_ : estimator
        The fitted clone of the learner.

    n_neighbors_ : int
        Target neighbours used by the rule.

    mu_ : float
        Push weight used by the rule.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are strings.

    See Also
    --------
    sklearn_metric.KNNClassifier : The k-NN vote in the learned metric.
    sklearn_metric.LMNN : The learner whose loss the energy rule evaluates.

    References
    ----------
    K. Q. Weinberger and L. K. Saul. Distance metric learning for large margin
    nearest neighbor classification. JMLR 10:207-244, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import EnergyClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = EnergyClassifier().fit(X, y)
    >>> clf.predict(X[[0, 50, 100]])
    array([0, 1, 2])
    """

    _parameter_constraints: dict = {
        "metric_learner": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(self, metric_learner=None):
        self.metric_learner = metric_learner

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the metric learner and store the training set in its space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : EnergyClassifier
            The fitted classifier.
        """
        from .._lmnn.lmnn import LMNN

        X, y, classes, y_enc = validate_labelled_data(self, X, y)
        learner = LMNN() if self.metric_learner is None else clone(self.metric_learner)
        Z = np.asarray(learner.fit(X, y).transform(X), dtype=np.float64)
        inner = learner.estimator if isinstance(learner, FrozenEstimator) else learner
        self.n_neighbors_ = int(getattr(inner, "n_neighbors", 3))
        self.mu_ = float(getattr(inner, "mu", 0.5))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the learner warned already
            targets = find_target_neighbors(Z, y_enc, self.n_neighbors_)
        rows = np.repeat(np.arange(Z.shape[0]), targets.shape[1])
        valid = targets.ravel() >= 0
        margin = np.full(targets.size, -np.inf)
        margin[valid] = 1 + squared_distances_rows(Z, rows[valid], targets.ravel()[valid])
        self.metric_learner_ = learner
        self.classes_ = classes
        self._Z = Z
        self._y = y_enc
        self._margins = margin.reshape(targets.shape)  # 1 + D(x_i, x_j), -inf if padded
        return self

    def energy(self, X):
        """Energy of each test point under each class label (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        energy : ndarray of shape (n_queries, n_classes)
            ``E(c)`` for each class of ``classes_``.
        """
        check_is_fitted(self)
        Q = np.asarray(self.metric_learner_.transform(X), dtype=np.float64)
        Z, y, mu, k = self._Z, self._y, self.mu_, self.n_neighbors_
        n_classes = self.classes_.shape[0]
        z_norms = np.einsum("ij,ij->i", Z, Z)
        out = np.empty((Q.shape[0], n_classes))
        step = block_rows(Z.shape[0])
        for start in range(0, Q.shape[0], step):
            q = Q[start : start + step]
            D = squared_cross(q, Z, B_norms=z_norms)
            out[start : start + step] = block_energy(
                D, lambda c, D=D: D, y, self._margins, mu, k, n_classes
            )
        return out

    def decision_function(self, X):
        """Confidence scores: negative energies, as scikit-learn classifiers shape them.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        scores : ndarray of shape (n_queries,) or (n_queries, n_classes)
            With two classes, ``E(classes_[0]) - E(classes_[1])`` (positive
            means ``classes_[1]``); otherwise ``-energy(X)``.
        """
        energy = self.energy(X)
        if energy.shape[1] == 2:
            return energy[:, 0] - energy[:, 1]
        return -energy

    def predict_proba(self, X):
        """Class probabilities: a softmax of the negative energies.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_classes)
            ``exp(-E(c)) / sum_c' exp(-E(c'))``, in the order of ``classes_``.
        """
        return softmax(-self.energy(X), axis=1)

    def predict(self, X):
        """Label of least energy for each test point.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Test points.

        Returns
        -------
        y : ndarray of shape (n_queries,)
            Predicted class labels.
        """
        energy = self.energy(X)
        return self.classes_[np.argmin(energy, axis=1)]
