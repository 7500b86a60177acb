"""Inspecting a learned metric: five displays on handwritten digits.
==================================================================

A learned metric is judged by looking at it. This example fits LMNN and NCA on
scikit-learn's ``digits`` (pixels standardised inside a pipeline) and draws, with
the displays of ``sklearn_metric.inspection``:

* the test digits in the learned space beside the pixel space
  (``EmbeddingDisplay``);
* the learned Mahalanobis matrix over the 64 pixels and each pixel's share of the
  learned distance (``MetricDisplay``, ``feature_relevance``), as 8 x 8 images too;
* the learned distances of similar and dissimilar test pairs, with the threshold a
  ``PairsClassifier`` calibrated on training pairs (``PairDistanceDisplay``);
* precision@k against k for each space (``RetrievalCurveDisplay``);
* a few test digits' nearest training digits before and after learning
  (``NeighborsDisplay``).

Run ``python examples/plot_inspection.py`` (``--small`` for a quick run on a subset;
``--out FILE.png`` for the figure of the neighbours).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_metric import LMNN, NCA, PairsClassifier  # noqa: E402
from sklearn_metric.inspection import (  # noqa: E402
    EmbeddingDisplay,
    MetricDisplay,
    NeighborsDisplay,
    PairDistanceDisplay,
    RetrievalCurveDisplay,
    feature_relevance,
)
from sklearn_metric.tuples import sample_pairs  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="600 digits, shorter fits")
    parser.add_argument("--out", default="plot_inspection.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    if args.small:
        X, y = X[:600], y[:600]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    lmnn = make_pipeline(StandardScaler(), LMNN(n_neighbors=3, random_state=0))
    nca = make_pipeline(StandardScaler(), NCA(n_components=2, max_iter=200, random_state=0))
    lmnn.fit(X_train, y_train)
    nca.fit(X_train, y_train)

    # The points: a 2-D NCA and the first two principal components after LMNN.
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    EmbeddingDisplay.from_estimator(
        lmnn, X_test, y_test, compare_euclidean=True, name="LMNN", ax=axes[:2], legend=False
    )
    EmbeddingDisplay.from_estimator(nca, X_test, y_test, name="NCA (2 components)", ax=axes[2])
    fig.suptitle("test digits: pixels, LMNN and NCA")

    # What LMNN weighs: the 64 x 64 matrix, and the relevance of each pixel as an image.
    display = MetricDisplay.from_estimator(lmnn, X_train)
    display.figure_.set_size_inches(11, 4.4)
    relevance = feature_relevance(lmnn, X_train)
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    image = ax.imshow(relevance.reshape(8, 8), cmap="magma")
    fig.colorbar(image, ax=ax)
    ax.set_title("pixel relevance (LMNN)")
    ax.set_xticks([])
    ax.set_yticks([])
    print("the five most relevant pixels:", relevance.argsort()[::-1][:5].tolist())

    # Pairs of test digits against a threshold calibrated on pairs of training digits.
    train_pairs, train_labels = sample_pairs(y_train, 400, random_state=0)
    test_pairs, test_labels = sample_pairs(y_test, 400, random_state=1)
    pairs = PairsClassifier(FrozenEstimator(lmnn), preprocessor=X_train)
    pairs.fit(train_pairs, train_labels)
    # Test pairs as arrays of points (the classifier's preprocessor holds the training digits).
    display = PairDistanceDisplay.from_estimator(pairs, X_test[test_pairs], test_labels)
    display.ax_.set_title("LMNN: test pairs, threshold calibrated on training pairs")
    print(f"test pairs at the calibrated threshold: TPR {display.tpr_:.3f}, FPR {display.fpr_:.3f}")

    # Retrieval: each test digit queries the training digits.
    display = RetrievalCurveDisplay.from_estimator(
        {"LMNN": lmnn, "NCA (2-D)": nca}, X_test, y_test, X_train, y_train, k_max=15
    )
    for name, line in display.lines_.items():
        print(f"{name:>10}: precision@1 {line.get_ydata()[0]:.3f}, {line.get_label()}")

    # The three test digits with the most wrong neighbours in the pixel space, and their
    # nearest training digits before and after learning.
    pixels = NearestNeighbors(n_neighbors=6).fit(X_train)
    wrong = (y_train[pixels.kneighbors(X_test, return_distance=False)] != y_test[:, None]).sum(1)
    hard = np.argsort(-wrong, kind="stable")[:3]
    display = NeighborsDisplay.from_estimator(
        lmnn, X_train, y_train, X_test[hard], y_test[hard], n_neighbors=6, image_shape=(8, 8)
    )
    display.figure_.suptitle("three hard test digits: nearest training digits")
    for view, matches in display.matches_.items():
        print(f"{view:>10}: {int(matches.sum())} of {matches.size} neighbours share the label")
    display.figure_.savefig(args.out, dpi=100)
    print(f"figure of the neighbours written to {args.out}")


if __name__ == "__main__":
    main()
