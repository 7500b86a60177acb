"""benchmarks.literature: deskewing and validation tuning, on small hand-made data."""

import numpy as np
import pytest

from benchmarks import literature


def _stroke(shear, size=28, top=4, bottom=24, centre=(13.5, 13.5)):
    """A one-pixel-wide bar, ``shear`` columns right per row down, through ``centre``."""
    image = np.zeros((size, size))
    for row in range(top, bottom + 1):
        col = centre[1] + shear * (row - centre[0])
        left = int(np.floor(col))
        frac = col - left
        image[row, left] += 1 - frac
        image[row, left + 1] += frac
    return image


def _column_of_mass_per_row(image):
    rows = image.sum(axis=1) > 0.5
    cols = np.arange(image.shape[1])
    return (image[rows] @ cols) / image[rows].sum(axis=1)


def test_moments_of_a_sheared_stroke_give_its_shear_and_centre():
    centre, shear = literature.image_moments(_stroke(0.4)[None])
    assert shear[0] == pytest.approx(0.4, abs=1e-9)
    assert centre[0] == pytest.approx([14.0, 13.5 + 0.4 * 0.5], abs=1e-9)


def test_deskew_makes_a_sheared_stroke_upright_and_centred():
    image = _stroke(0.4, centre=(12.0, 10.0))
    columns_before = _column_of_mass_per_row(image)
    assert np.ptp(columns_before) > 7  # 20 rows x 0.4

    upright = literature.deskew(image[None])[0]
    columns = _column_of_mass_per_row(upright)
    assert np.ptp(columns) < 0.5
    assert columns.mean() == pytest.approx(13.5, abs=0.3)
    _, shear = literature.image_moments(upright[None])
    assert abs(shear[0]) < 0.02
    assert upright.sum() == pytest.approx(image.sum(), rel=0.05)


def test_deskew_keeps_an_upright_centred_stroke_and_blank_images():
    upright = _stroke(0.0, bottom=23)  # rows 4..23: mass centred at 13.5
    blank = np.zeros((28, 28))
    out = literature.deskew(np.stack([upright, blank]))
    np.testing.assert_allclose(out[0], upright, atol=1e-9)
    np.testing.assert_array_equal(out[1], blank)


def test_deskew_flat_rows_blocks_and_stacks_agree(monkeypatch):
    rng = np.random.RandomState(0)
    images = np.stack(
        [
            _stroke(s, centre=(14 + c, 12 + c))
            for s, c in zip(rng.uniform(-0.5, 0.5, 7), rng.uniform(-2, 2, 7), strict=True)
        ]
    )
    whole = literature.deskew(images)
    monkeypatch.setattr(literature, "_DESKEW_BLOCK", 3)
    flat = literature.deskew(images.reshape(7, -1))
    assert flat.shape == (7, 784)
    np.testing.assert_allclose(flat.reshape(7, 28, 28), whole)
    # each image is deskewed on its own: one image alone gives the same result
    np.testing.assert_allclose(literature.deskew(images[4:5])[0], whole[4])


def test_validation_split_is_stratified_80_20_and_seeded():
    y = np.repeat([0, 1, 2, 3], 25)
    ((train, valid),) = literature.validation_split(0).split(np.zeros((100, 1)), y)
    assert len(train) == 80 and len(valid) == 20
    np.testing.assert_array_equal(np.bincount(y[valid]), [5, 5, 5, 5])
    ((train_again, _),) = literature.validation_split(0).split(np.zeros((100, 1)), y)
    np.testing.assert_array_equal(train, train_again)


def test_tune_lmnn_scores_every_candidate_and_returns_the_best():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    grid = {"n_neighbors": [1, 3], "max_iter": [5, 50]}
    best, candidates, seconds = literature.tune_lmnn(X, y, grid)
    assert [c["params"] for c in candidates] == [
        {"max_iter": 5, "n_neighbors": 1},
        {"max_iter": 5, "n_neighbors": 3},
        {"max_iter": 50, "n_neighbors": 1},
        {"max_iter": 50, "n_neighbors": 3},
    ]
    errors = [c["validation_error"] for c in candidates]
    assert all(0 <= e <= 100 for e in errors)
    # validation errors are multiples of 1/30 (30 validation points)
    np.testing.assert_allclose(np.array(errors) * 30 / 100, np.round(np.array(errors) * 0.3))
    assert candidates[int(np.argmin(errors))]["params"] == best
    assert seconds > 0


def test_reproduce_script_end_to_end_on_iris(tmp_path, monkeypatch):
    """The script's whole path (tune, refit, energy rule, multi-metric, JSON, report)."""
    import json

    from benchmarks import common
    from benchmarks import reproduce_literature as script

    path = common.prepare("iris", cache_dir=tmp_path)
    monkeypatch.setattr(script, "prepare_literature", lambda name, data_dir: path)
    monkeypatch.setitem(script.GRIDS, "isolet", {"n_neighbors": [1, 3], "max_iter": [20]})
    out = tmp_path / "results"
    argv = ["--datasets", "isolet", "--no-peers", "--multi-metric", "isolet", "--out", str(out)]
    script.main(argv)

    report = json.loads(out.with_suffix(".json").read_text())
    assert report["header"]["package"].startswith("ours-")
    row = report["datasets"]["isolet"]
    assert row["chosen"]["max_iter"] == 20 and row["chosen"]["n_neighbors"] in (1, 3)
    assert len(row["candidates"]) == 2
    for error in (
        row["euclidean_error"],
        row["lmnn"]["test_error"],
        row["lmnn"]["test_error_energy"],
        row["lmnn"]["multi_metric"]["test_error"],
    ):
        assert 0 <= error <= 100
    assert row["pylmnn_same_setting"] == {"status": "not run"}
    text = out.with_suffix(".md").read_text()
    assert "| isolet |" in text and "against PyLMNN's published 3.53%" in text

    # a second run of the same package keeps the set without refitting it
    monkeypatch.setattr(script, "run_dataset", lambda *a: pytest.fail("refitted"))
    script.main(argv)
