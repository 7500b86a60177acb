"""MNIST enlarged by small translations: about a million training points, built on the fly.

    python -m benchmarks.mnist_shifted [--data-dir DIR] [--n-components 164] [--shifts 2]

Every training image of ``mnist.npz`` (in ``--data-dir``, by default ``../shared/datasets``)
is kept and shifted by one pixel (``--shifts 1``: 8 directions, 540,000 points) or by one
and two pixels (``--shifts 2``, the default: 16 directions, 1,020,000 points) up, down,
left, right and diagonally, the pixels moved off the 28 x 28 frame dropped and those
moved in set to 0. The pixels are scaled to [0, 1] and reduced by a PCA to
``--n-components`` dimensions fitted on a seeded sample of 100,000 of the enlarged
points; the official 10,000 test images go through the same PCA, unshifted.

The set is written to ``benchmarks/cache/mnist_shifted_<shifts>_<n_components>.npz``
(``X``, ``y``, ``X_test``, ``y_test``; float32), the form the other scripts read; it is a
cache, never tracked. Building it takes about a minute and 4 GiB at its peak.
"""

import argparse
import time

import numpy as np

from .common import DEFAULT_DATA_DIR, HERE

# The PCA is fitted on this many of the enlarged points (seeded).
_PCA_SAMPLE = 100_000


def shifted(images, dx, dy):
    """``images`` (n, 28, 28) moved ``dx`` pixels right and ``dy`` down, zeros moved in."""
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    src_rows = slice(max(0, -dy), h - max(0, dy))
    dst_rows = slice(max(0, dy), h - max(0, -dy))
    src_cols = slice(max(0, -dx), w - max(0, dx))
    dst_cols = slice(max(0, dx), w - max(0, -dx))
    out[:, dst_rows, dst_cols] = images[:, src_rows, src_cols]
    return out


def offsets(max_shift):
    """The 8 directions at each distance ``1, ..., max_shift``."""
    directions = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    return [(s * dx, s * dy) for s in range(1, max_shift + 1) for dx, dy in directions]


def build(data_dir, max_shift=2, n_components=164, seed=0):
    """``(X, y, X_test, y_test)``: the enlarged training set after PCA, and the test set."""
    from sklearn.decomposition import PCA

    with np.load(f"{data_dir}/mnist.npz") as data:
        images = data["X_train"].reshape(-1, 28, 28)
        y_train, X_test, y_test = data["y_train"], data["X_test"], data["y_test"]
    moves = [(0, 0), *offsets(max_shift)]
    n = images.shape[0] * len(moves)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, min(_PCA_SAMPLE, n), replace=False))
    # The PCA sample first (one pass over the moves), then every point through it.
    rows = []
    for m, (dx, dy) in enumerate(moves):
        chosen = sample[(sample >= m * images.shape[0]) & (sample < (m + 1) * images.shape[0])]
        rows.append(shifted(images[chosen - m * images.shape[0]], dx, dy).reshape(len(chosen), -1))
    pca = PCA(n_components, random_state=seed).fit(np.vstack(rows).astype(np.float32) / 255)
    X = np.empty((n, n_components), dtype=np.float32)
    for m, (dx, dy) in enumerate(moves):
        block = shifted(images, dx, dy).reshape(images.shape[0], -1).astype(np.float32) / 255
        X[m * images.shape[0] : (m + 1) * images.shape[0]] = pca.transform(block)
    y = np.tile(y_train, len(moves))
    X_test = pca.transform(X_test.astype(np.float32) / 255).astype(np.float32)
    return X, y, X_test, y_test


def prepare_shifted(data_dir=DEFAULT_DATA_DIR, max_shift=2, n_components=164):
    """The cached set's path, built first when missing."""
    path = HERE / "cache" / f"mnist_shifted_{max_shift}_{n_components}.npz"
    if not path.is_file():
        path.parent.mkdir(exist_ok=True)
        X, y, X_test, y_test = build(data_dir, max_shift, n_components)
        np.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--n-components", type=int, default=164)
    parser.add_argument("--shifts", type=int, default=2, choices=(1, 2))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    path = prepare_shifted(args.data_dir, args.shifts, args.n_components)
    with np.load(path) as data:
        shape = data["X"].shape
    print(f"{path}: {shape[0]} x {shape[1]} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
