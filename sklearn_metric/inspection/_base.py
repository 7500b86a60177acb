"""What every display needs: matplotlib (the ``plot`` extra), the learned map of a
fitted estimator, feature names, and a figure with the axes to draw on."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "axes_grid",
    "estimator_name",
    "check_matplotlib",
    "feature_names_of",
    "learned_transform",
    "linear_map",
]


def check_matplotlib(caller):
    """``matplotlib.pyplot``, or an ``ImportError`` that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} requires matplotlib: pip install 'sklearn_metric[plot]' "
            "(or pip install matplotlib)."
        ) from error
    return plt


def learned_transform(estimator):
    """The fitted transformer that maps points into the learned space: the estimator
    itself, its ``metric_learner_`` (a k-NN or tuple classifier around a learner),
    or a pipeline's steps before a final step that does not transform."""
    check_is_fitted(estimator)
    if isinstance(estimator, Pipeline) and not hasattr(estimator[-1], "transform"):
        final = estimator[-1]
        if hasattr(final, "metric_learner_"):
            return Pipeline([*estimator.steps[:-1], ("learner", final.metric_learner_)])
        return estimator[:-1]
    if hasattr(estimator, "transform"):
        return estimator
    learner = getattr(estimator, "metric_learner_", None)
    if learner is None:
        raise TypeError(
            f"{type(estimator).__name__} maps no points into a learned space: give a "
            "fitted learner, a pipeline ending in one, or a classifier fitted with a "
            "metric_learner."
        )
    return learner


def estimator_name(estimator):
    """The class name of the estimator, or of a pipeline's last step."""
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return type(estimator).__name__


def linear_map(estimator):
    """``L`` of shape (n_components, n_features_in): the linear part of the fitted
    estimator's map into the learned space (a learner, or a pipeline of affine steps
    such as scalers, PCA and learners). Raises ``ValueError`` when the map is not affine."""
    transformer = learned_transform(estimator)
    components = getattr(transformer, "components_", None)
    if components is not None and not isinstance(transformer, Pipeline):
        return np.asarray(components, dtype=np.float64)
    n_features = transformer.n_features_in_
    probes = np.vstack([np.zeros(n_features), np.eye(n_features)])
    mapped = np.asarray(transformer.transform(probes), dtype=np.float64)
    origin, L = mapped[0], (mapped[1:] - mapped[0]).T
    x = np.random.RandomState(0).standard_normal((3, n_features))
    expected = origin + x @ L.T
    got = np.asarray(transformer.transform(x), dtype=np.float64)
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max()):
        raise ValueError(
            f"The map of {type(estimator).__name__} into the learned space is not affine "
            "(a kernel approximation or a non-linear step?): it has no matrix to show."
        )
    return L


def feature_names_of(estimator, n_features, feature_names=None):
    """The given names, else the estimator's ``feature_names_in_``, else x0, x1, ..."""
    if feature_names is None:
        feature_names = getattr(estimator, "feature_names_in_", None)
    if feature_names is None:
        return [f"x{i}" for i in range(n_features)]
    feature_names = [str(name) for name in feature_names]
    if len(feature_names) != n_features:
        raise ValueError(f"feature_names has {len(feature_names)} names for {n_features} features.")
    return feature_names


def axes_grid(ax, shape, caller, figsize):
    """``(figure, axes)`` with ``axes`` an array of ``shape``: new ones when ``ax`` is
    None, else ``ax`` (one Axes or an array of them) checked against ``shape``."""
    plt = check_matplotlib(caller)
    if ax is None:
        figure, axes = plt.subplots(*shape, figsize=figsize, squeeze=False, layout="constrained")
        return figure, axes
    axes = np.asarray(ax, dtype=object).reshape(-1)
    if axes.size != np.prod(shape):
        raise ValueError(
            f"{caller} draws on {int(np.prod(shape))} axes {shape}; ax holds {axes.size}."
        )
    return axes[0].figure, axes.reshape(shape)
