"""Beyond one global metric: local metrics and kernels on two concentric rings.
============================================================================

Two rings of alternating labels, sampled sparsely enough that a point's nearest
neighbours often sit on the other ring. Every linear metric fails here: the
problem looks the same after any rotation, so no single Mahalanobis metric can
stretch "across the rings" everywhere at once. Two ways out are compared:

- ``MultiMetricLMNN``: one metric per k-means cluster, learned jointly, each
  stretching the radial direction of its own sector of the rings (k-NN vote
  and LMNN's energy rule);
- the kernel trick: ``Nystroem(kernel="rbf")`` followed by a linear learner
  (kernel LMNN, kernel NCA), ``gamma`` chosen by ``GridSearchCV``.

The script prints the test error of each and, unless ``--no-plot``, saves
``local_and_kernel_metrics.png`` with the decision regions of Euclidean 3-NN,
LMNN and multi-metric LMNN.

Run ``python examples/plot_local_and_kernel_metrics.py`` (``--small``: fewer
test points and a smaller grid).
"""

import argparse

import numpy as np
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from sklearn_metric import LMNN, NCA, KNNClassifier, MultiMetricLMNN


def rings(n, seed, radii=(1.0, 1.2), noise=0.02):
    """Two concentric rings with alternating labels."""
    rng = np.random.RandomState(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    y = np.arange(n) % 2
    r = np.where(y == 0, radii[0], radii[1]) + rng.randn(n) * noise
    return np.c_[r * np.cos(angle), r * np.sin(angle)], y


def kernel(learner, gammas):
    pipe = make_pipeline(
        Nystroem(kernel="rbf", n_components=100, random_state=0),
        KNNClassifier(3, metric_learner=learner),
    )
    return GridSearchCV(pipe, {"nystroem__gamma": gammas}, cv=3)


def plot(models, X, y, path):
    import matplotlib.pyplot as plt
    from sklearn.inspection import DecisionBoundaryDisplay

    fig, axes = plt.subplots(1, len(models), figsize=(4 * len(models), 4))
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        DecisionBoundaryDisplay.from_estimator(
            model, X, grid_resolution=150, eps=0.3, alpha=0.3, cmap="coolwarm", ax=ax
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, s=12, cmap="coolwarm", edgecolors="k", linewidths=0.3)
        ax.set_title(name)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"saved {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="fewer test points, smaller grid")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    parser.add_argument("--out", default="local_and_kernel_metrics.png")
    args = parser.parse_args(argv)

    X_train, y_train = rings(120, 0)
    X_test, y_test = rings(300 if args.small else 2000, 1)
    gammas = [0.5, 8.0] if args.small else [0.1, 0.5, 2.0, 8.0, 32.0]
    models = {
        "Euclidean 3-NN": KNeighborsClassifier(3),
        "LMNN 3-NN": KNNClassifier(3, metric_learner=LMNN(random_state=0)),
        "multi-metric LMNN (8 clusters)": MultiMetricLMNN(8, random_state=0),
        "multi-metric LMNN, energy": MultiMetricLMNN(8, rule="energy", random_state=0),
        "multi-metric LMNN (per class)": MultiMetricLMNN("classes", random_state=0),
        "kernel LMNN (Nystroem)": kernel(LMNN(random_state=0), gammas),
        "kernel NCA (Nystroem)": kernel(NCA(random_state=0), gammas),
    }
    print(f"{'model':>32} {'test error':>10}")
    for name, model in models.items():
        model.fit(X_train, y_train)
        print(f"{name:>32} {1 - model.score(X_test, y_test):>10.3f}")
    if not args.no_plot:
        shown = ["Euclidean 3-NN", "LMNN 3-NN", "multi-metric LMNN (8 clusters)"]
        plot({name: models[name] for name in shown}, X_train, y_train, args.out)


if __name__ == "__main__":
    main()
