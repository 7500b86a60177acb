"""benchmarks.mnist_shifted: the translations, on hand-made images (no MNIST)."""

import numpy as np
from numpy.testing import assert_array_equal

from benchmarks import mnist_shifted


def test_shift_moves_pixels_and_fills_zeros():
    image = np.arange(1, 10).reshape(1, 3, 3)
    right_down = mnist_shifted.shifted(image, 1, 1)[0]
    assert_array_equal(right_down, [[0, 0, 0], [0, 1, 2], [0, 4, 5]])
    left_up_two = mnist_shifted.shifted(image, -2, -2)[0]
    assert_array_equal(left_up_two, [[9, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert_array_equal(mnist_shifted.shifted(image, 0, 0), image)


def test_sixteen_distinct_moves_at_two_pixels():
    moves = mnist_shifted.offsets(2)
    assert len(moves) == len(set(moves)) == 16
    assert (0, 0) not in moves and (2, -2) in moves and max(map(max, moves)) == 2


def test_build_keeps_the_originals_first_and_tiles_the_labels(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "mnist.npz",
        X_train=rng.integers(0, 256, size=(30, 784), dtype=np.uint8),
        y_train=np.arange(30) % 10,
        X_test=rng.integers(0, 256, size=(5, 784), dtype=np.uint8),
        y_test=np.arange(5),
    )
    X, y, X_test, y_test = mnist_shifted.build(tmp_path, max_shift=1, n_components=6)
    assert X.shape == (30 * 9, 6) and X.dtype == np.float32
    assert_array_equal(y, np.tile(np.arange(30) % 10, 9))
    assert X_test.shape == (5, 6) and y_test.tolist() == [0, 1, 2, 3, 4]
    # Shifted copies differ from their originals.
    assert not np.allclose(X[:30], X[30:60])
