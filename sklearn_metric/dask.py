"""Running fitted estimators on dask arrays, and online learners on a stream of dask blocks.

Needs the ``dask`` extra (``pip install 'sklearn_metric[dask]'``). Three recipes,
each exact (the same numbers as in memory):

* :func:`transform`, :func:`predict`, :func:`predict_proba`: apply a fitted
  estimator block by block to a :class:`dask.array.Array` of rows, lazily, so
  data larger than memory streams through it (one row block per task, the
  estimator shipped once to each worker).
* :func:`partial_fit`: train an online learner (:class:`~sklearn_metric.POLA`,
  or any estimator with ``partial_fit``) on the row blocks of a dask array, in
  order; one block is in memory at a time.
* Grid search on a cluster needs no helper: run scikit-learn's
  ``GridSearchCV`` inside ``joblib.parallel_config(backend="dask")`` with a
  ``distributed.Client`` open (see the README's "Scaling up").

Examples
--------
>>> import dask.array as da
>>> from sklearn.datasets import load_iris
>>> from sklearn_metric import MahalanobisTransformer
>>> from sklearn_metric import dask as smd
>>> X, y = load_iris(return_X_y=True)
>>> est = MahalanobisTransformer().fit(X)
>>> Z = smd.transform(est, da.from_array(X, chunks=(50, 4)))
>>> Z.chunks
((50, 50, 50), (4,))
>>> bool((Z.compute() == est.transform(X)).all())
True
"""

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import check_is_fitted

__all__ = ["partial_fit", "predict", "predict_proba", "transform"]

_INSTALL_HINT = "pip install 'sklearn_metric[dask]'"


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError(
            "sklearn_metric.dask needs the dask package, which is not installed; install "
            f"the 'dask' extra: {_INSTALL_HINT}"
        ) from exc
    return dask, da


def _rows(X, name="X"):
    """A 2-D dask array chunked by rows only (each block holds whole rows)."""
    dask, da = _import_dask()
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} must be a dask.array.Array; got {type(X).__name__}. Use the "
            "estimator's own method for in-memory data, or dask.array.from_array(X)."
        )
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got {X.ndim}-D.")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _apply(block, estimator, method):
    return getattr(estimator, method)(block)


def _blockwise(estimator, X, method):
    """``estimator.<method>`` on each row block of ``X``, as a lazy dask array."""
    dask, da = _import_dask()
    check_is_fitted(estimator)
    X = _rows(X)
    # Output width and dtype from one row of zeros: no block of X is computed here.
    probe = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if issparse(probe):
        raise TypeError(
            f"{type(estimator).__name__}.{method} returns a sparse matrix; only dense "
            "outputs can be assembled block by block."
        )
    probe = np.asarray(probe)
    if probe.ndim == 2:
        chunks, extra = (X.chunks[0], (probe.shape[1],)), {}
    else:
        chunks, extra = (X.chunks[0],), {"drop_axis": 1}
    meta = np.empty((0,) * probe.ndim, dtype=probe.dtype)
    shared = dask.delayed(estimator, pure=True)  # one copy in the graph, not one per block
    return da.map_blocks(
        _apply,
        X,
        shared,
        method,
        dtype=probe.dtype,
        chunks=chunks,
        meta=meta,
        name=f"{type(estimator).__name__.lower()}-{method}",
        **extra,
    )


def transform(estimator, X):
    """``estimator.transform`` on a dask array, block by block.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted transformer with a dense ``transform`` output.
    X : dask.array.Array of shape (n_samples, n_features)
        Rows to transform; chunked along rows (column chunks are merged).

    Returns
    -------
    Xt : dask.array.Array of shape (n_samples, n_components)
        Lazy; the same row chunks as ``X``.

    See Also
    --------
    sklearn_metric.dask.predict : Labels block by block.
    sklearn_metric.dask.partial_fit : Online learning over a dask array's blocks.

    References
    ----------
    M. Rocklin. Dask: parallel computation with blocked algorithms and task
    scheduling. Proceedings of the 14th Python in Science Conference, 2015.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import NCA
    >>> from sklearn_metric.dask import transform
    >>> X, y = load_iris(return_X_y=True)
    >>> nca = NCA(n_components=2, max_iter=5).fit(X, y)
    >>> transform(nca, da.from_array(X, chunks=50)).compute().shape
    (150, 2)
    """
    return _blockwise(estimator, X, "transform")


def predict(estimator, X):
    """``estimator.predict`` on a dask array, block by block.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted classifier (``KNNClassifier``, ``EnergyClassifier``, a
        ``Pipeline`` ending in one, ...).
    X : dask.array.Array of shape (n_samples, n_features)
        Query rows.

    Returns
    -------
    y : dask.array.Array of shape (n_samples,)
        Lazy predicted labels.

    See Also
    --------
    sklearn_metric.dask.predict_proba : Class probabilities block by block.
    sklearn_metric.dask.transform : Transform a dask array block by block.

    References
    ----------
    M. Rocklin. Dask: parallel computation with blocked algorithms and task
    scheduling. Proceedings of the 14th Python in Science Conference, 2015.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import KNNClassifier
    >>> from sklearn_metric.dask import predict
    >>> X, y = load_iris(return_X_y=True)
    >>> knn = KNNClassifier(3).fit(X, y)
    >>> predict(knn, da.from_array(X, chunks=50)).compute()[:3]
    array([0, 0, 0])
    """
    return _blockwise(estimator, X, "predict")


def predict_proba(estimator, X):
    """``estimator.predict_proba`` on a dask array, block by block.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted classifier with ``predict_proba``.
    X : dask.array.Array of shape (n_samples, n_features)
        Query rows.

    Returns
    -------
    proba : dask.array.Array of shape (n_samples, n_classes)
        Lazy class probabilities.

    See Also
    --------
    sklearn_metric.dask.predict : Labels block by block.
    sklearn_metric.dask.transform : Transform a dask array block by block.

    References
    ----------
    M. Rocklin. Dask: parallel computation with blocked algorithms and task
    scheduling. Proceedings of the 14th Python in Science Conference, 2015.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import KNNClassifier
    >>> from sklearn_metric.dask import predict_proba
    >>> X, y = load_iris(return_X_y=True)
    >>> knn = KNNClassifier(3).fit(X, y)
    >>> predict_proba(knn, da.from_array(X, chunks=50)).compute().shape
    (150, 3)
    """
    return _blockwise(estimator, X, "predict_proba")


def partial_fit(estimator, X, y, **kwargs):
    """Train an online estimator on the row blocks of dask arrays, in order.

    Equivalent to ``for Xb, yb in blocks: estimator.partial_fit(Xb, yb, **kwargs)``
    with each block computed just before its update (on the cluster when a
    ``distributed.Client`` is open), so one block is in memory at a time.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Updated in place, e.g. :class:`~sklearn_metric.POLA`.
    X : dask.array.Array of shape (n_samples, n_features)
        Training rows.
    y : dask.array.Array of shape (n_samples,)
        Labels, chunked like the rows of ``X`` (rechunked to match otherwise).
    **kwargs : dict
        Passed to every ``partial_fit`` call (e.g. ``classes=...``).

    Returns
    -------
    estimator : estimator
        The updated estimator.

    See Also
    --------
    sklearn_metric.POLA.partial_fit : The online update it calls per block.
    sklearn_metric.dask.transform : Transform a dask array block by block.

    References
    ----------
    M. Rocklin. Dask: parallel computation with blocked algorithms and task
    scheduling. Proceedings of the 14th Python in Science Conference, 2015.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_metric import POLA
    >>> from sklearn.utils import shuffle
    >>> from sklearn_metric.dask import partial_fit
    >>> X, y = shuffle(*load_iris(return_X_y=True), random_state=0)  # classes in every block
    >>> Xd, yd = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    >>> pola = partial_fit(POLA(n_pairs=50, random_state=0), Xd, yd, classes=[0, 1, 2])
    >>> pola.components_.shape
    (4, 4)
    """
    dask, da = _import_dask()
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(f"{type(estimator).__name__} has no partial_fit method.")
    X = _rows(X)
    if not isinstance(y, da.Array):
        raise TypeError(f"y must be a dask.array.Array; got {type(y).__name__}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y have different numbers of rows: {X.shape[0]} and {y.shape[0]}.")
    if y.chunks[0] != X.chunks[0]:
        y = y.rechunk({0: X.chunks[0]})
    for X_block, y_block in zip(X.blocks, y.blocks, strict=True):
        X_now, y_now = dask.compute(X_block, y_block)
        estimator.partial_fit(X_now, y_now, **kwargs)
    return estimator
