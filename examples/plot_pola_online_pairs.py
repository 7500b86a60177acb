"""Online verification with POLA: pair accuracy as labelled pairs stream in.
=========================================================================

In verification ("are these two the same person / class?") the labels often
arrive as pairs, one batch at a time. ``POLA`` updates a metric and a
threshold after every pair with ``partial_fit_pairs``; ``predict_pairs`` says
+1 (same) when the learned distance is below the threshold. This example
streams pairs of ``digits`` in batches and prints (and plots) the accuracy on
held-out pairs after each batch.

Run ``python examples/plot_pola_online_pairs.py`` (``--small`` for fewer batches;
``--out FILE.png`` for the figure).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_metric import POLA  # noqa: E402
from sklearn_metric.inspection import PairDistanceDisplay  # noqa: E402


def draw_pairs(X, y, n_pairs, rng):
    """Half similar, half dissimilar pairs of points, shape (n_pairs, 2, n_features)."""
    first = rng.randint(len(y), size=20 * n_pairs)
    second = rng.randint(len(y), size=20 * n_pairs)
    same = (y[first] == y[second]) & (first != second)
    different = y[first] != y[second]
    half = n_pairs // 2
    idx = np.vstack(
        [
            np.column_stack([first, second])[same][:half],
            np.column_stack([first, second])[different][:half],
        ]
    )
    labels = np.r_[np.ones(half), -np.ones(half)]
    order = rng.permutation(len(labels))
    return np.stack([X[idx[order, 0]], X[idx[order, 1]]], axis=1), labels[order]


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="5 batches of 100 pairs")
    parser.add_argument("--out", default="plot_pola_online_pairs.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    pca = PCA(20, random_state=0).fit(scaler.transform(X_train))
    X_train, X_test = (
        pca.transform(scaler.transform(X_train)),
        pca.transform(scaler.transform(X_test)),
    )

    rng = np.random.RandomState(0)
    test_pairs, test_labels = draw_pairs(X_test, y_test, 2000, rng)
    n_batches, batch = (5, 100) if args.small else (30, 200)
    pola = POLA(random_state=0)
    seen, accuracy = [], []
    for _ in range(n_batches):
        pairs, labels = draw_pairs(X_train, y_train, batch, rng)
        pola.partial_fit_pairs(pairs, labels)
        seen.append(pola.n_pairs_seen_)
        accuracy.append(float(np.mean(pola.predict_pairs(test_pairs) == test_labels)))
        print(
            f"{seen[-1]:>6} pairs seen: held-out pair accuracy {accuracy[-1]:.3f}, "
            f"threshold {pola.threshold_:.2f}, mistakes so far {pola.n_mistakes_}"
        )

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    axes[0].plot(seen, accuracy, marker="o")
    axes[0].set_xlabel("training pairs seen")
    axes[0].set_ylabel("held-out pair accuracy")
    axes[0].set_title("POLA on digits pairs")
    # POLA calls a pair similar when its squared distance is at most threshold_.
    PairDistanceDisplay.from_estimator(
        pola, test_pairs, test_labels, threshold=np.sqrt(pola.threshold_), ax=axes[1]
    )
    axes[1].set_title("held-out pairs after the last batch")
    fig.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
