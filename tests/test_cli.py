import io
import subprocess
import sys

import numpy as np
import pytest

from sklearn_metric.__main__ import compare, learners, main


def test_compare_prints_baseline_first_and_every_learner(capsys):
    assert main(["compare", "--dataset", "iris", "--n-neighbors", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "dataset iris: 105 train / 45 test points, 4 features, 3 classes; 5-NN"
    )
    assert lines[2].startswith("Euclidean k-NN")
    rows = [line for line in lines[2:] if not line.startswith("    ")]  # warnings are indented
    names = [line.split()[0] for line in rows[1:]]
    assert names == [name for name, _ in learners()]
    assert "MLKR" not in names and "MultiMetricLMNN" in names  # regression learner left out
    for line in rows:
        accuracy = float(line.split()[-1])
        assert 0.8 <= accuracy <= 1.0


def test_compare_reads_npz_with_and_without_split(tmp_path):
    rng = np.random.RandomState(0)
    X, y = rng.randn(60, 3), np.repeat([0, 1, 2], 20)
    np.savez(tmp_path / "plain.npz", X=X, y=y)
    np.savez(
        tmp_path / "split.npz", X_train=X[:40], y_train=y[:40] % 2, X_test=X[40:], y_test=y[40:] % 2
    )
    out = io.StringIO()
    compare(str(tmp_path / "plain.npz"), 3, out=out)
    assert "42 train / 18 test points" in out.getvalue()
    out = io.StringIO()
    compare(str(tmp_path / "split.npz"), 3, out=out)
    assert "40 train / 20 test points, 3 features, 2 classes" in out.getvalue()


def test_dataset_by_name_from_data_dir(tmp_path, monkeypatch, capsys):
    rng = np.random.RandomState(0)
    np.savez(tmp_path / "tiny.npz", X=rng.randn(30, 2), y=np.repeat([0, 1], 15))
    monkeypatch.setenv("SKLEARN_METRIC_DATA", str(tmp_path))
    assert main(["compare", "--dataset", "tiny"]) == 0
    assert "dataset tiny: 21 train / 9 test" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["compare", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["compare", "--dataset", "missing.npz"], "no such file: missing.npz"),
        (["compare", "--n-neighbors", "0"], "expected a positive integer, got '0'"),
        (["compare", "--n-neighbors", "three"], "expected a positive integer, got 'three'"),
        (["compare", "--max-train", "-4"], "expected a positive integer"),
        (["fit"], "invalid choice: 'fit'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert fragment in err


def test_no_command_prints_usage(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m sklearn_metric")
    for command in ("compare", "retrieve", "regress"):
        assert command in out


def test_warnings_are_shown_under_their_row_unless_quiet(capsys, monkeypatch):
    import sklearn_metric.__main__ as cli
    from sklearn_metric import NCA

    monkeypatch.setattr(cli, "learners", lambda seed=0, kind=None: [("NCA", NCA(max_iter=1))])
    assert main(["compare", "--dataset", "iris"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("NCA ")
    assert lines[-1].startswith("    ConvergenceWarning: [NCA]")
    assert main(["compare", "--dataset", "iris", "--quiet"]) == 0
    assert "ConvergenceWarning" not in capsys.readouterr().out


def test_regress_compares_mlkr_with_euclidean(capsys):
    assert main(["regress", "--max-train", "300"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dataset friedman1: 300 train / 300 test points, 10 features")
    assert [line.split()[0] for line in lines[2:]] == ["Euclidean", "MLKR"]
    euclidean, mlkr = (float(line.split()[-1]) for line in lines[2:])
    assert mlkr > euclidean  # half of friedman1's features are noise


def test_npz_without_arrays(tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", features=np.zeros((3, 2)))
    assert main(["compare", "--dataset", str(tmp_path / "bad.npz")]) == 2
    assert "must hold arrays X, y or X_train" in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_metric", "compare", "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "--n-neighbors" in result.stdout


def test_retrieve_prints_baseline_first_and_every_learner(capsys):
    assert main(["retrieve", "--dataset", "iris", "--max-train", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dataset iris: 45 queries against 60 references")
    assert lines[1].split() == ["learner", "fit", "s", "P@1", "R-prec", "MAP@R", "query", "s"]
    assert lines[2].startswith("Euclidean ")
    rows = [line for line in lines[2:] if not line.startswith("    ")]
    names = {line.split()[0] for line in rows[1:]}
    assert {"LMNN", "NCA", "LFDA", "ContrastiveEmbedding"} <= names
    # a regression learner and one whose transform is not its (local) metric stay out
    assert not {"MLKR", "MultiMetricLMNN"} & names
    for line in rows:
        p1, r_prec, map_r = (float(v) for v in line.split()[2:5])
        assert 0 <= map_r <= r_prec <= 1 and 0 <= p1 <= 1
