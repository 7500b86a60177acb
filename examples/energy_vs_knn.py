"""LMNN's energy-based rule against k-NN in the same learned metric.
=================================================================

Besides k-NN in the learned metric, the LMNN paper classifies a test point by
the label that would give it the least LMNN energy: the pull to its nearest
points of that label plus the hinge terms of the margins it would violate or
cause. ``EnergyClassifier`` implements that rule on a fitted ``LMNN``. This
example compares, on the same learned metric, Euclidean 3-NN, 3-NN after
LMNN and the energy rule on a few data sets bundled with scikit-learn.

Run ``python examples/energy_vs_knn.py`` (``--small`` for two small data sets).
"""

import argparse

from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_metric import LMNN, EnergyClassifier, KNNClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="iris and wine only")
    args = parser.parse_args(argv)

    loaders = [load_iris, load_wine] + ([] if args.small else [load_breast_cancer, load_digits])
    print(f"{'data':>14} {'Euclidean 3-NN':>15} {'LMNN 3-NN':>10} {'LMNN energy':>12}")
    for loader in loaders:
        X, y = loader(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        lmnn = LMNN(n_neighbors=3).fit(X_train, y_train)
        # FrozenEstimator: both classifiers use this one fitted LMNN.
        knn = KNNClassifier(3, metric_learner=FrozenEstimator(lmnn)).fit(X_train, y_train)
        energy = EnergyClassifier(FrozenEstimator(lmnn)).fit(X_train, y_train)
        euclidean = KNeighborsClassifier(3).fit(X_train, y_train)
        name = loader.__name__.removeprefix("load_")
        print(
            f"{name:>14} {euclidean.score(X_test, y_test):>15.3f} "
            f"{knn.score(X_test, y_test):>10.3f} "
            f"{energy.score(X_test, y_test):>12.3f}"
        )


if __name__ == "__main__":
    main()
