"""Model selection on pairs: GridSearchCV over ITML's slack and the threshold strategy.
====================================================================================

``PairsClassifier``'s ``X`` is the pair array itself (here integer indices into
the points, given once as ``preprocessor``), so scikit-learn's model selection
splits pairs: ``GridSearchCV`` tunes the learner's ``gamma`` together with the
threshold's calibration strategy, scored by ROC AUC on held-out pairs
(through ``decision_function``) and, separately, by accuracy. The script prints
the grid's scores and the best model's test results.

Run ``python examples/gridsearch_pairs.py`` (``--small`` for a smaller grid).
"""

import argparse

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_metric import ITML, PairsClassifier
from sklearn_metric.tuples import sample_pairs


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a smaller grid, fewer pairs")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    pairs, labels = sample_pairs(y, 300 if args.small else 1500, random_state=0)
    pairs_train, pairs_test, y_train, y_test = train_test_split(
        pairs, labels, test_size=0.3, stratify=labels, random_state=0
    )
    clf = PairsClassifier(ITML(max_iter=50, random_state=0), preprocessor=X)
    grid = {
        "metric_learner__gamma": [0.1, 1.0] if args.small else [0.1, 1.0, 10.0],
        "calibration": ["accuracy", "eer"],
    }
    for scoring in ("roc_auc", "accuracy"):
        search = GridSearchCV(clf, grid, cv=3, scoring=scoring).fit(pairs_train, y_train)
        print(f"scoring={scoring}")
        results = search.cv_results_
        for params, mean, std in zip(
            results["params"],
            results["mean_test_score"],
            results["std_test_score"],
            strict=True,
        ):
            print(f"  {params}: {mean:.4f} +/- {std:.4f}")
        best = search.best_estimator_
        print(
            f"  best {search.best_params_}; test accuracy {best.score(pairs_test, y_test):.4f}, "
            f"threshold {best.threshold_:.3f}"
        )


if __name__ == "__main__":
    main()
