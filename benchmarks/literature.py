"""Helpers of ``reproduce_literature.py``: digit deskewing, the tuned sets, tuning.

Kept apart from the script so the tests can check them on small data:

- :func:`deskew` is the moment-based shear correction applied to MNIST before PCA in
  the LMNN literature (Weinberger & Saul, JMLR 2009; PyLMNN's benchmark);
- :func:`prepare_literature` builds each set's preprocessing (cached as ``.npz``);
- :func:`tune_lmnn` picks LMNN's hyperparameters on one seeded, stratified 80/20
  validation split of the training set with scikit-learn's ``GridSearchCV``.
"""

import time
from pathlib import Path

import numpy as np

from .common import DEFAULT_DATA_DIR, HERE, PCA_DIMS, prepare

# Rows of MNIST deskewed at once: a block's sampling grid holds 3 x 28 x 28 floats a row.
_DESKEW_BLOCK = 4096


def image_moments(images):
    """Centre of mass and shear of each image.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width)
        Non-negative intensities.

    Returns
    -------
    centre : ndarray of shape (n_images, 2)
        Row and column of each image's centre of mass (the image centre for a blank
        image).
    shear : ndarray of shape (n_images,)
        ``cov(row, col) / var(row)`` of the intensity distribution: how many columns
        the stroke moves right per row down (0 for a blank or one-row image).
    """
    images = np.asarray(images, dtype=np.float64)
    _, height, width = images.shape
    rows, cols = np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64)
    row_mass, col_mass = images.sum(axis=2), images.sum(axis=1)
    mass = row_mass.sum(axis=1)
    blank = mass <= 0
    mass = np.where(blank, 1.0, mass)
    mu_row = np.where(blank, (height - 1) / 2, row_mass @ rows / mass)
    mu_col = np.where(blank, (width - 1) / 2, col_mass @ cols / mass)
    d_row = rows[None, :] - mu_row[:, None]
    d_col = cols[None, :] - mu_col[:, None]
    var_row = np.einsum("nh,nh->n", row_mass, d_row**2) / mass
    cov = np.einsum("nh,nhw,nw->n", d_row, images, d_col) / mass
    shear = np.divide(cov, var_row, out=np.zeros_like(cov), where=var_row > 1e-12)
    return np.column_stack([mu_row, mu_col]), shear


def deskew(images, shape=(28, 28)):
    """Straighten slanted digits: undo each image's shear and centre its mass.

    The standard moment-based correction: the affine map sending output pixel ``(r, c)``
    to input ``(r - r0 + mu_r, c - c0 + mu_c + shear * (r - r0))``, with ``(mu_r, mu_c)``
    the centre of mass, ``(r0, c0)`` the image centre and ``shear`` from
    :func:`image_moments`, so a stroke ``c - mu_c = shear (r - mu_r)`` becomes the
    vertical line through the centre. It is :func:`scipy.ndimage.affine_transform`'s
    map with bilinear interpolation, applied through
    :func:`scipy.ndimage.map_coordinates` to a block of images at once (one call per
    block, not one per image).

    Parameters
    ----------
    images : array-like of shape (n_images, height * width) or (n_images, height, width)
        Non-negative intensities.
    shape : tuple of int, default=(28, 28)
        ``(height, width)`` of flat rows.

    Returns
    -------
    deskewed : ndarray of the input's shape, float64
        Bilinear interpolation of the input (so within its range); pixels mapped
        from outside the source image are 0.
    """
    from scipy.ndimage import map_coordinates

    images = np.asarray(images, dtype=np.float64)
    flat = images.ndim == 2
    stack = images.reshape(-1, *shape) if flat else images
    height, width = stack.shape[1:]
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    grid_r, grid_c = np.meshgrid(
        np.arange(height, dtype=np.float64) - centre[0],
        np.arange(width, dtype=np.float64) - centre[1],
        indexing="ij",
    )
    out = np.empty_like(stack)
    for start in range(0, stack.shape[0], _DESKEW_BLOCK):
        block = stack[start : start + _DESKEW_BLOCK]
        mass_centre, shear = image_moments(block)
        n = block.shape[0]
        coords = np.empty((3, n, height, width))
        coords[0] = np.arange(n, dtype=np.float64)[:, None, None]
        coords[1] = grid_r[None] + mass_centre[:, 0, None, None]
        coords[2] = grid_c[None] + mass_centre[:, 1, None, None] + shear[:, None, None] * grid_r
        # order=1 at integer image indices: no blending across images.
        out[start : start + n] = map_coordinates(block, coords, order=1, mode="constant")
    return out.reshape(images.shape)


def prepare_literature(name, data_dir=DEFAULT_DATA_DIR, cache_dir=HERE / "cache"):
    """Path of a set's ``.npz`` (X, y, X_test, y_test) in the literature's preprocessing.

    ``mnist`` is deskewed (:func:`deskew` of the pixels / 255), then projected by a PCA
    to 164 dimensions fitted on the training images; the other sets (isolet with PCA to
    172, letter, usps, ...) are :func:`common.prepare`'s, the main report's.
    """
    if name != "mnist":
        return prepare(name, data_dir=data_dir, cache_dir=cache_dir)
    from sklearn.decomposition import PCA

    path = Path(cache_dir) / "mnist_deskewed.npz"
    if path.exists():
        return path
    with np.load(Path(data_dir) / "mnist.npz") as d:
        X, y, X_test, y_test = d["X_train"], d["y_train"], d["X_test"], d["y_test"]
    X, X_test = deskew(X / 255.0), deskew(X_test / 255.0)
    pca = PCA(PCA_DIMS["mnist"], random_state=0).fit(X)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, X=pca.transform(X), y=y, X_test=pca.transform(X_test), y_test=y_test)
    return path


def validation_split(seed=0):
    """The one seeded, stratified 80/20 split of the training set used for tuning."""
    from sklearn.model_selection import StratifiedShuffleSplit

    return StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)


def tune_lmnn(X, y, grid, *, n_neighbors_test=3, seed=0, verbose=0):
    """Choose LMNN's hyperparameters by 3-NN error on a validation split.

    Parameters
    ----------
    X, y : ndarray
        The training set (the test set is not seen).
    grid : dict of str to list
        LMNN parameters to search (``n_neighbors``, ``n_components``, ``max_iter``,
        ``mu``, ...), every combination tried.
    n_neighbors_test : int, default=3
        k of the k-NN classifier that scores each candidate.
    seed : int, default=0
        Seed of the split (and of LMNN's ``random_state``).
    verbose : int, default=0
        Passed to ``GridSearchCV``.

    Returns
    -------
    best : dict
        The chosen LMNN parameters.
    candidates : list of dict
        Every candidate's parameters, validation error (%) and fit seconds, in grid
        order.
    seconds : float
        Wall time of the whole search.
    """
    from sklearn.model_selection import GridSearchCV

    from sklearn_metric import LMNN, KNNClassifier

    model = KNNClassifier(n_neighbors=n_neighbors_test, metric_learner=LMNN(random_state=seed))
    search = GridSearchCV(
        model,
        {f"metric_learner__{key}": list(values) for key, values in grid.items()},
        cv=validation_split(seed),
        refit=False,
        error_score="raise",
        verbose=verbose,
    )
    start = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - start
    results = search.cv_results_
    strip = len("metric_learner__")
    candidates = [
        {
            "params": {key[strip:]: value for key, value in params.items()},
            "validation_error": 100 * (1 - float(score)),
            "fit_seconds": float(fit_time),
        }
        for params, score, fit_time in zip(
            results["params"], results["mean_test_score"], results["mean_fit_time"], strict=True
        )
    ]
    best = {key[strip:]: value for key, value in search.best_params_.items()}
    return best, candidates, seconds
