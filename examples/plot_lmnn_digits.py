"""LMNN on handwritten digits: the embedding and how many neighbours it fixes.
===========================================================================

LMNN learns a linear map under which each point's nearest same-class points
(its target neighbours) come closer than any point of another class, by a
margin. This example fits ``LMNN`` on scikit-learn's ``digits``, then shows

* the 3-NN test accuracy in the Euclidean and in the learned metric, and the
  share of training points whose nearest neighbour has the same label;
* a 2-D picture of the test digits: the first two principal components of the
  raw pixels next to those of the LMNN-transformed pixels.

Run ``python examples/plot_lmnn_digits.py`` (``--small`` for a quick run on a
subset; ``--out FILE.png`` to choose where the figure goes).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_metric import LMNN  # noqa: E402
from sklearn_metric.inspection import EmbeddingDisplay  # noqa: E402


def nearest_neighbour_agreement(Z, y):
    """Share of points whose nearest other point has the same label."""
    neighbour = NearestNeighbors(n_neighbors=1).fit(Z).kneighbors(return_distance=False)[:, 0]
    return float((y[neighbour] == y).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="use 500 digits")
    parser.add_argument("--out", default="lmnn_digits.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    if args.small:
        X, y = X[:500], y[:500]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    lmnn = LMNN(n_neighbors=3).fit(X_train, y_train)
    Z_train, Z_test = lmnn.transform(X_train), lmnn.transform(X_test)
    for name, (A, B) in {"Euclidean": (X_train, X_test), "LMNN": (Z_train, Z_test)}.items():
        accuracy = KNeighborsClassifier(3).fit(A, y_train).score(B, y_test)
        agreement = nearest_neighbour_agreement(A, y_train)
        print(
            f"{name:>9}: 3-NN test accuracy {accuracy:.3f}, "
            f"nearest neighbour of the same class {agreement:.3f}"
        )

    # The test digits in two dimensions: principal components of the pixels and of
    # the LMNN-transformed pixels.
    display = EmbeddingDisplay.from_estimator(lmnn, X_test, y_test, compare_euclidean=True)
    display.figure_.suptitle("test digits: PCA of the pixels, and after LMNN")
    display.figure_.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
