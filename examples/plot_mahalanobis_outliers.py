"""Outlier scores from a robust Mahalanobis metric.
================================================

``MahalanobisTransformer`` whitens the data by a covariance estimate;
``score_samples`` is minus the squared Mahalanobis distance to the estimated
centre (as scikit-learn's covariance estimators define it), so low scores are
outliers. With ``covariance="min_cov_det"`` the estimate itself ignores the
outliers. This example plants 5% outliers in correlated Gaussian data and
compares how well the empirical and the robust metric rank them (ROC AUC), then
draws the points in the robust metric's whitened space beside the input space.

Run ``python examples/plot_mahalanobis_outliers.py`` (``--small`` for fewer points;
``--out FILE.png`` for the figure).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from sklearn_metric import MahalanobisTransformer  # noqa: E402
from sklearn_metric.inspection import EmbeddingDisplay  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--small", action="store_true", help="300 points")
    parser.add_argument("--out", default="plot_mahalanobis_outliers.png")
    args = parser.parse_args(argv)

    rng = np.random.RandomState(0)
    n = 300 if args.small else 2000
    n_out = n // 20
    inliers = rng.multivariate_normal([0, 0], [[1.0, 0.9], [0.9, 1.0]], size=n - n_out)
    outliers = rng.uniform(-4, 4, size=(n_out, 2)) + np.array([2.0, -2.0])
    X = np.vstack([inliers, outliers])
    is_outlier = np.r_[np.zeros(n - n_out), np.ones(n_out)]

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, covariance in zip(axes, ["empirical", "min_cov_det"], strict=True):
        metric = MahalanobisTransformer(covariance=covariance, random_state=0).fit(X)
        scores = metric.score_samples(X)
        auc = roc_auc_score(is_outlier, -scores)
        print(f"{covariance:>12}: ROC AUC of -score_samples for the planted outliers {auc:.3f}")
        points = ax.scatter(X[:, 0], X[:, 1], c=-scores, cmap="viridis", s=8)
        ax.set_title(f"{covariance} (AUC {auc:.2f})")
        fig.colorbar(points, ax=ax, label="squared Mahalanobis distance")
    fig.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")

    # The robust metric's space: whitened by the inliers' covariance, where the
    # inliers form a round cloud and the planted outliers lie outside it.
    robust = MahalanobisTransformer(covariance="min_cov_det", random_state=0).fit(X)
    labels = np.where(is_outlier == 1, "planted outlier", "inlier")
    display = EmbeddingDisplay.from_estimator(
        robust, X, labels, compare_euclidean=True, name="whitened (min_cov_det)"
    )
    for axis in display.ax_:
        axis.set_aspect("equal", adjustable="datalim")


if __name__ == "__main__":
    main()
