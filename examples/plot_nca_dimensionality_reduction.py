"""NCA as supervised dimensionality reduction, against PCA and LDA.
================================================================

``NCA(n_components=2)`` learns a 2-D projection in which a stochastic nearest
neighbour rule classifies the training points well. This example projects
scikit-learn's ``digits`` to two dimensions with PCA, LDA and NCA, prints the
3-NN test accuracy in each 2-D space and draws the three projections.

Run ``python examples/plot_nca_dimensionality_reduction.py`` (``--small`` for a
quick run; ``--out FILE.png`` for the figure).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_metric import NCA  # noqa: E402
from sklearn_metric.inspection import EmbeddingDisplay  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="use 400 digits and 20 NCA iterations")
    parser.add_argument("--out", default="nca_dimensionality_reduction.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    if args.small:
        X, y = X[:400], y[:400]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    reducers = {
        "PCA": PCA(n_components=2, random_state=0),
        "LDA": LinearDiscriminantAnalysis(n_components=2),
        "NCA": NCA(n_components=2, max_iter=20 if args.small else 50, random_state=0),
    }
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    for ax, (name, reducer) in zip(axes, reducers.items(), strict=True):
        model = make_pipeline(StandardScaler(), reducer).fit(X_train, y_train)
        knn = KNeighborsClassifier(3).fit(model.transform(X_train), y_train)
        accuracy = knn.score(model.transform(X_test), y_test)
        EmbeddingDisplay.from_estimator(
            model,
            X_test,
            y_test,
            name=f"{name}: 3-NN accuracy {accuracy:.2f}",
            ax=ax,
            legend=name == "NCA",
        )
        print(f"{name}: 3-NN test accuracy in 2-D {accuracy:.3f}")
    fig.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
