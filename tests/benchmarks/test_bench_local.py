"""benchmarks.bench_local's data and report, on hand-made results (no fits)."""

import numpy as np

from benchmarks import bench_local


def _ok(seconds, **scores):
    return {"status": "ok", "fit_seconds": seconds, "peak_mib": 150.0, **scores}


def test_report_has_errors_rmse_and_ratios_against_the_namesake():
    table = {
        "digits": {
            "euclidean": _ok(0.0, accuracy=0.98),
            "sklearn_metric.LFDA": _ok(0.1, accuracy=0.97),
            "metric_learn.LFDA": _ok(0.4, accuracy=0.96),
        },
        "friedman1": {
            "euclidean": _ok(0.0, rmse=2.5),
            "sklearn_metric.MLKR": _ok(30.0, rmse=1.5, n_iter=100),
            "metric_learn.MLKR": {"status": "timeout", "detail": "over 600 s"},
        },
    }
    args = type("Args", (), {"timeout": 600, "max_memory": 16})()
    text = bench_local.report(table, {"peer_fixed": 1e-15}, args)
    assert "| digits | sklearn_metric.LFDA | 0.10 | 150 | 3.00 |  | 0.250 |" in text
    assert "| friedman1 | sklearn_metric.MLKR | 30.00 | 150 | 1.5000 | 100 |  |" in text
    assert "| friedman1 | metric_learn.MLKR | timeout (over 600 s) |" in text
    assert '"peer_fixed": 1e-15' in text


def test_every_estimator_of_the_issue_is_benchmarked():
    methods = set(bench_local.CLASSIFIERS) | set(bench_local.REGRESSORS)
    for name in ("LMNN", "MultiMetricLMNN", "NystroemLMNN", "NystroemNCA", "LFDA", "MLKR"):
        assert f"sklearn_metric.{name}" in methods
    assert {"metric_learn.LFDA", "metric_learn.MLKR"} <= methods
    assert {"rings", "letter", "isolet"} <= set(bench_local.CLASSIFICATION)


def test_rings_have_alternating_labels_on_two_radii():
    X, y = bench_local._rings(200, 0)
    radius = np.linalg.norm(X, axis=1)
    assert np.all(np.abs(radius[y == 0] - 1.0) < 0.1)
    assert np.all(np.abs(radius[y == 1] - 1.2) < 0.1)
