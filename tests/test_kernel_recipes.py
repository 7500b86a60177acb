"""Kernel metric learning by the KPCA trick: a linear learner after a kernel feature map.

Learning a linear metric on (approximate) kernel-PCA coordinates is learning a
kernelised metric, so ``make_pipeline(Nystroem(kernel="rbf"), LMNN())`` is kernel
LMNN and the same with NCA is the kernel NCA of the literature; ``gamma`` is tuned
with ``GridSearchCV`` like any other parameter. No ``kernel=`` argument is added to
the learners: the pipeline already does everything it would.
"""

import pytest
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from conftest import make_rings
from sklearn_metric import LMNN, NCA, KNNClassifier


@pytest.mark.parametrize(
    "learner",
    [LMNN(max_iter=50, random_state=0), NCA(max_iter=50, random_state=0)],
    ids=["kernel LMNN", "kernel NCA"],
)
def test_kernel_learner_tuned_by_grid_search_separates_the_rings(learner):
    X_train, y_train = make_rings(120, 0)
    X_test, y_test = make_rings(600, 1)
    euclidean = 1 - KNeighborsClassifier(3).fit(X_train, y_train).score(X_test, y_test)
    linear = KNNClassifier(3, metric_learner=learner).fit(X_train, y_train)
    linear_error = 1 - linear.score(X_test, y_test)
    pipe = make_pipeline(
        Nystroem(kernel="rbf", n_components=60, random_state=0),
        KNNClassifier(3, metric_learner=learner),
    )
    search = GridSearchCV(pipe, {"nystroem__gamma": [0.5, 50.0]}, cv=3).fit(X_train, y_train)
    kernel_error = 1 - search.score(X_test, y_test)
    assert search.best_params_ == {"nystroem__gamma": 0.5}
    assert kernel_error < 0.5 * min(euclidean, linear_error)
