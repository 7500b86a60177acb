"""Verification ("same class or not?") from pairs: ROC curves and the equal error rate.
====================================================================================

Pairs are drawn from labelled data (scikit-learn's bundled ``digits`` by default,
or any ``.npz`` with ``X`` and ``y`` arrays, such as a set of face images, with
``--data``). Verification is judged on identities no metric saw: the classes
(identities) are split, not the points, with ``GroupShuffleSplit``, and pairs are
drawn within each side. A ``PairsClassifier`` is fitted on the training pairs with each metric:
the Euclidean distance (a frozen identity map), ITML, SDML and MMC learned from
the pairs, and LMNN learned from the training points' labels (frozen, so that
only its threshold is fitted on the pairs). The script prints each metric's
test ROC AUC, equal error rate (EER) and accuracy at the threshold calibrated
for the EER, and plots the ROC curves with the EER point of each marked.

Run ``python examples/plot_pair_verification.py`` (``--small`` for fewer pairs,
``--data FILE.npz`` for another set, ``--out FILE.png`` for the figure).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.metrics import RocCurveDisplay, roc_auc_score, roc_curve  # noqa: E402
from sklearn.model_selection import GroupShuffleSplit  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

from sklearn_metric import ITML, LMNN, MMC, SDML, PairsClassifier  # noqa: E402
from sklearn_metric.inspection import PairDistanceDisplay  # noqa: E402
from sklearn_metric.tuples import sample_pairs  # noqa: E402


def load(path, n_components):
    """Standardised points (PCA to ``n_components`` when there are more features)."""
    if path is None:
        X, y = load_digits(return_X_y=True)
    else:
        data = np.load(path)
        X, y = data["X"], data["y"]
    X = StandardScaler().fit_transform(X.astype(np.float64))
    if X.shape[1] > n_components:
        X = PCA(n_components, random_state=0).fit_transform(X)
    return X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--data", default=None, help=".npz with X and y (default: digits)")
    parser.add_argument("--small", action="store_true", help="fewer pairs, quicker fits")
    parser.add_argument("--out", default="plot_pair_verification.png")
    args = parser.parse_args(argv)

    X, y = load(args.data, n_components=30)
    # Identities are split first, so that test pairs join people (here: digits) that
    # no metric saw, as in a real verification task.
    split = GroupShuffleSplit(n_splits=1, test_size=0.4, random_state=0)
    idx_train, idx_test = next(split.split(X, y, groups=y))
    n_pairs = 300 if args.small else 2000
    train_pairs, y_train = sample_pairs(y[idx_train], n_pairs, random_state=0)
    test_pairs, y_test = sample_pairs(y[idx_test], n_pairs, random_state=1)
    train_pairs, test_pairs = idx_train[train_pairs], idx_test[test_pairs]

    identity = FrozenEstimator(FunctionTransformer().fit(X))
    lmnn = FrozenEstimator(LMNN().fit(X[idx_train], y[idx_train]))
    metrics = {
        "Euclidean": identity,
        "ITML": ITML(max_iter=100 if args.small else 1000, random_state=0),
        "SDML": SDML(random_state=0),
        "MMC": MMC(random_state=0),
        "LMNN (labels)": lmnn,
    }
    print(f"{'metric':>14} {'ROC AUC':>8} {'EER':>7} {'accuracy at EER threshold':>27}")
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
    fitted = {}
    for name, learner in metrics.items():
        clf = PairsClassifier(learner, calibration="eer", preprocessor=X)
        fitted[name] = clf.fit(train_pairs, y_train)
        scores = clf.decision_function(test_pairs)
        fpr, tpr, _ = roc_curve(y_test, scores)
        eer_index = np.argmin(np.abs(fpr - (1 - tpr)))
        eer = (fpr[eer_index] + 1 - tpr[eer_index]) / 2
        auc = roc_auc_score(y_test, scores)
        print(f"{name:>14} {auc:>8.4f} {eer:>7.4f} {clf.score(test_pairs, y_test):>27.4f}")
        roc = RocCurveDisplay.from_predictions(y_test, scores, name=name, ax=axes[0])
        axes[0].plot(fpr[eer_index], tpr[eer_index], "o", color=roc.line_.get_color())
    axes[0].plot([0, 1], [1, 0], ":", color="grey", label="FPR = FNR")
    axes[0].set_title("Test pairs (dots: equal error rate)")
    axes[0].legend(loc="lower right", fontsize=8)
    # ITML's test distances against its calibrated (EER) threshold.
    PairDistanceDisplay.from_estimator(fitted["ITML"], test_pairs, y_test, ax=axes[1])
    axes[1].set_title("ITML: test pairs and the EER threshold")
    fig.savefig(args.out, dpi=110)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
