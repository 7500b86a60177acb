"""A metric learner and k-NN in one Pipeline, tuned with GridSearchCV.
===================================================================

Metric learners are transformers, so they sit in a ``Pipeline`` before
``KNNClassifier`` and their parameters are tuned like any other step's. This
example searches LMNN's ``mu`` and the number of neighbours of k-NN on the
``wine`` data with 5-fold cross-validation, and compares the tuned pipeline
with plain Euclidean k-NN on a held-out test set.

Run ``python examples/pipeline_gridsearch.py`` (``--small`` for a smaller grid).
"""

import argparse

from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_metric import LMNN, KNNClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a 2 x 2 grid with 3 folds")
    args = parser.parse_args(argv)

    X, y = load_wine(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    pipe = Pipeline([("scale", StandardScaler()), ("lmnn", LMNN()), ("knn", KNNClassifier())])
    grid = {
        "lmnn__mu": [0.3, 0.5] if args.small else [0.2, 0.4, 0.5, 0.6, 0.8],
        "knn__n_neighbors": [1, 3] if args.small else [1, 3, 5, 7],
    }
    search = GridSearchCV(pipe, grid, cv=3 if args.small else 5, n_jobs=1).fit(X_train, y_train)
    print(
        f"best parameters {search.best_params_}, cross-validated accuracy {search.best_score_:.3f}"
    )

    baseline = Pipeline([("scale", StandardScaler()), ("knn", KNNClassifier(3))]).fit(
        X_train, y_train
    )
    print(
        f"test accuracy: Euclidean 3-NN {baseline.score(X_test, y_test):.3f}, "
        f"tuned LMNN + k-NN {search.score(X_test, y_test):.3f}"
    )


if __name__ == "__main__":
    main()
