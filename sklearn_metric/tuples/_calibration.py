"""Same/different thresholds on learned distances, chosen by a criterion."""

import numpy as np

__all__ = ["STRATEGIES", "calibrate_threshold", "rates_at_cuts"]

STRATEGIES = ("accuracy", "f_beta", "max_tpr", "max_tnr", "eer")


def rates_at_cuts(distances, y):
    """Every threshold that splits the sorted distances, and the counts at each.

    A pair is predicted similar (+1) when its distance is at most the
    threshold. Cut ``k`` predicts the ``k`` nearest pairs similar; cuts
    between equal distances are left out (no threshold realises them).

    Returns
    -------
    thresholds : ndarray of shape (n_cuts,)
        Increasing; the first lies below every distance, the last above.
    true_pos, false_pos : ndarray of shape (n_cuts,)
        Similar and dissimilar pairs predicted similar at each cut.
    n_pos, n_neg : int
    """
    order = np.argsort(distances, kind="stable")
    d, positive = distances[order], y[order] == 1
    true_pos = np.concatenate([[0], np.cumsum(positive)])
    false_pos = np.concatenate([[0], np.cumsum(~positive)])
    margin = max(1e-12, 1e-6 * (d[-1] - d[0]))
    thresholds = np.concatenate([[d[0] - margin], (d[:-1] + d[1:]) / 2, [d[-1] + margin]])
    realisable = np.concatenate([[True], d[:-1] < d[1:], [True]])
    return (
        thresholds[realisable],
        true_pos[realisable],
        false_pos[realisable],
        int(positive.sum()),
        int((~positive).sum()),
    )


def calibrate_threshold(distances, y, strategy="accuracy", *, min_rate=None, beta=1.0):
    """The distance threshold that is best for ``strategy`` on labelled pairs.

    Parameters
    ----------
    distances : ndarray of shape (n_pairs,)
        Learned distances of the pairs.
    y : ndarray of shape (n_pairs,)
        +1 similar, -1 dissimilar; both present.
    strategy : {"accuracy", "f_beta", "max_tpr", "max_tnr", "eer"}, default="accuracy"
        - ``"accuracy"``: the most pairs right;
        - ``"f_beta"``: the best F-beta score of the similar class;
        - ``"max_tpr"``: the highest true-positive rate (similar pairs called
          similar) with a true-negative rate of at least ``min_rate``;
        - ``"max_tnr"``: the highest true-negative rate with a true-positive
          rate of at least ``min_rate``;
        - ``"eer"``: the equal error rate, where the false-positive rate meets
          the false-negative rate (the face-verification convention).
    min_rate : float in [0, 1] or None, default=None
        The rate ``"max_tpr"`` and ``"max_tnr"`` must keep; required by them.
    beta : float, default=1.0
        The ``beta`` of ``"f_beta"``.

    Returns
    -------
    threshold : float
        Pairs at most this far apart are called similar.

    See Also
    --------
    sklearn_metric.PairsClassifier : Uses it to set its threshold.
    sklearn.metrics.roc_curve : The operating points searched.

    References
    ----------
    T. Fawcett. An introduction to ROC analysis. Pattern Recognition Letters
    27(8):861-874, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_metric.tuples import calibrate_threshold
    >>> distances = np.array([0.1, 0.2, 0.4, 0.5])
    >>> float(calibrate_threshold(distances, np.array([1, 1, -1, -1])))
    0.30000000000000004
    """
    _check_strategy(strategy, min_rate, beta)
    thresholds, tp, fp, n_pos, n_neg = rates_at_cuts(distances, y)
    tpr, fpr = tp / n_pos, fp / n_neg
    tnr = 1 - fpr
    if strategy == "accuracy":
        score = tp + (n_neg - fp)
    elif strategy == "f_beta":
        b2 = beta**2
        denominator = (1 + b2) * tp + b2 * (n_pos - tp) + fp
        score = np.divide((1 + b2) * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0)
    elif strategy == "max_tpr":
        # Feasible cuts first, then the highest TPR, then the highest TNR.
        score = np.where(tnr >= min_rate, tpr + 1e-9 * tnr, -np.inf)
    elif strategy == "max_tnr":
        score = np.where(tpr >= min_rate, tnr + 1e-9 * tpr, -np.inf)
    else:  # "eer"
        score = -np.abs(fpr - (1 - tpr))
    return float(thresholds[int(np.argmax(score))])


def _check_strategy(strategy, min_rate, beta):
    if strategy not in STRATEGIES:
        raise ValueError(
            f"Unknown threshold strategy {strategy!r}; choose one of {list(STRATEGIES)}."
        )
    if strategy in ("max_tpr", "max_tnr"):
        if min_rate is None:
            raise ValueError(f"strategy={strategy!r} needs min_rate, a rate in [0, 1].")
        if not 0 <= min_rate <= 1:
            raise ValueError(f"min_rate must be in [0, 1]; got {min_rate!r}.")
    if not beta > 0:
        raise ValueError(f"beta must be positive; got {beta!r}.")
