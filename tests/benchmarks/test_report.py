"""The report of benchmarks.run, built from a hand-made table of results (no fits)."""

import sys
import time

import pytest

from benchmarks import run

TODAY = {"run": "here-1", "host": "here", "date": "2026-12-08", "time": "10:00"}


def _ok(seconds, accuracy, n_train=100, measured=TODAY):
    return {
        "status": "ok",
        "fit_seconds": seconds,
        "accuracy": accuracy,
        "peak_mib": 150.0,
        "n_train": n_train,
        "measured": dict(measured),
    }


@pytest.fixture
def table():
    return {
        "digits": {
            "euclidean": _ok(0.0, 0.98),
            "sklearn_metric.LMNN": _ok(0.8, 0.985),
            "pylmnn.LMNN": _ok(1.0, 0.985),
            "metric_learn.LMNN": {"status": "timeout", "detail": "over 600 s"},
            "sklearn_metric.RCA": _ok(0.01, 0.97),
            "metric_learn.RCA_Supervised": {
                "status": "failed",
                "detail": "NaN or inf in components_",
            },
        },
        "letter": {
            "euclidean": _ok(0.0, 0.94, 16000),
            "sklearn_metric.LMNN": _ok(6.0, 0.958, 16000),
            "pylmnn.LMNN": _ok(12.0, 0.96, 16000),
        },
    }


def test_headline_compares_with_the_best_peer_on_digits_and_the_largest_set(table):
    lines = run.headline(table).splitlines()
    assert lines[2] == "| LMNN | digits | 0.80, 1.50 | pylmnn.LMNN 1.00, 1.50 | 0.80 |"
    assert lines[3] == "| LMNN | letter | 6.00, 4.20 | pylmnn.LMNN 12.00, 4.00 | 0.50 |"
    assert not any("RCA" in line for line in lines)  # no peer finished


def test_paragraphs_report_failures_and_ratios(table):
    text = run.algorithm_paragraphs(table)
    assert (
        "**LMNN.** Over the 2 datasets sklearn_metric.LMNN finished, its 3-NN error is below "
        "Euclidean's on 2. On the 2 where a peer finished it is faster than the fastest peer on 2 "
        "(median time ratio 0.65), and its error is lower than the best peer's on 0, "
        "equal on 1 and "
        "higher on 1. digits (Euclidean 3-NN 2.00%): 0.80x the fastest peer's time"
    ) in text
    assert "metric_learn.LMNN timeout" in text
    assert "below Euclidean's on 0. digits (Euclidean 3-NN 2.00%): no peer finished" in text
    assert "metric_learn.RCA_Supervised failed" in text


def test_error_vs_time_plot_is_written(table, tmp_path):
    path = tmp_path / "error_vs_time.png"
    run.plot_error_vs_time(table, path)
    assert path.stat().st_size > 1000


def test_the_report_reads_back_into_the_table_it_was_written_from(table, tmp_path):
    report = tmp_path / "RESULTS.md"
    report.write_text(
        "# Benchmark results\n\n## Headline\n\n"
        + run.headline(table)
        + "\n\n## All results\n\n"
        + run.markdown_table(table, run.RATIOS)
    )
    read, scaling = run.read_report(report)
    assert scaling == {}
    assert list(read) == ["digits", "letter"]
    assert read["digits"]["sklearn_metric.LMNN"] == {
        "status": "ok",
        "fit_seconds": 0.8,
        "accuracy": pytest.approx(0.985),
    }
    assert read["digits"]["metric_learn.LMNN"] == {"status": "timeout"}
    assert read["digits"]["metric_learn.RCA_Supervised"] == {"status": "failed"}
    assert list(read["letter"]) == ["euclidean", "sklearn_metric.LMNN", "pylmnn.LMNN"]


def test_every_algorithm_of_the_issue_is_benchmarked():
    assert set(run.METHODS) >= {
        "euclidean",
        "metric_learn.LMNN",
        "metric_learn.NCA",
        "metric_learn.RCA_Supervised",
        "metric_learn.MMC_Supervised",
        "metric_learn.ITML_Supervised",
        "metric_learn.Covariance",
        "pylmnn.LMNN",
        "sklearn.NCA",
    }


def test_scaling_skips_larger_sizes_after_a_timeout(monkeypatch, tmp_path):
    fitted = []

    def fake_fit(python, method, path, **kwargs):
        n = int(path.rsplit("_", 1)[1])
        fitted.append((method, n))
        if method == "metric_learn.LMNN" and n >= 2000:
            return {"status": "timeout", "detail": "over 600 s"}
        return _ok(n / 1000, 0.97, n)

    monkeypatch.setattr(
        run, "prepare", lambda name, data_dir, n_train=None: f"{name}_{n_train or 60000}"
    )
    monkeypatch.setattr(run, "run_fit", fake_fit)
    args = run.parse(["--peers-python", sys.executable, "--data-dir", str(tmp_path)])
    scaling = run.scaling_runs(args, run.ResultCache(tmp_path / "cache.json"))

    assert [n for method, n in fitted if method == "metric_learn.LMNN"] == [1000, 2000]
    assert [n for method, n in fitted if method == "pylmnn.LMNN"] == run.SCALING_SIZES
    assert scaling["mnist_n5000"]["metric_learn.LMNN"] == {
        "status": "timeout",
        "detail": "not run: timeout at 2000 points",
    }
    assert scaling["mnist"]["sklearn_metric.LMNN"]["fit_seconds"] == 60.0


def test_timeout_for_patterns_override_the_time_limit():
    args = run.parse(
        [
            "--timeout",
            "300",
            "--timeout-for",
            "mnist:*LMNN*=900",
            "--timeout-for",
            "mnist:pylmnn.*=600",
        ]
    )
    assert run._timeout(args, "mnist", "sklearn_metric.LMNN_energy") == 900
    assert run._timeout(args, "mnist", "pylmnn.LMNN") == 600
    assert run._timeout(args, "mnist", "sklearn_metric.NCA") == 300
    assert run._timeout(args, "letter", "pylmnn.LMNN") == 300
    with pytest.raises(SystemExit):
        run.parse(["--timeout-for", "mnist:LMNN"])


def test_ratios_only_between_rows_of_one_machine_and_day(table):
    other_day = {**TODAY, "run": "here-0", "date": "2026-12-01"}
    other_host = {**TODAY, "run": "there-1", "host": "there"}
    earlier = {**TODAY, "run": "here-0", "time": "08:00"}
    table["digits"]["pylmnn.LMNN"] = _ok(1.0, 0.985, measured=other_day)
    table["letter"]["pylmnn.LMNN"] = _ok(12.0, 0.96, 16000, measured=earlier)
    table["digits"]["metric_learn.LMNN"] = _ok(2.0, 0.985, measured=other_host)
    rows = run.markdown_table(table, run.RATIOS).splitlines()
    digits = next(r for r in rows if r.startswith("| digits | sklearn_metric.LMNN |"))
    letter = next(r for r in rows if r.startswith("| letter | sklearn_metric.LMNN |"))
    assert digits.endswith("|  |  |")  # no peer of this machine and day: no ratio
    assert letter.endswith("| 0.50† |  |")
    assert rows[-1] == "† over a row of an earlier invocation on this machine the same day."
    lines = run.headline(table).splitlines()
    assert lines[2:] == ["| LMNN | letter | 6.00, 4.20 | pylmnn.LMNN 12.00, 4.00 | 0.50† |"]


def test_compared_rows_are_reused_only_on_the_day_they_were_measured(tmp_path, monkeypatch):
    from benchmarks import common

    cache = common.ResultCache(tmp_path / "cache.json")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    fresh = {"status": "ok", "measured": {"run": "r", "host": common.HOST, "date": today}}
    stale = {"status": "ok", "measured": {"run": "r", "host": common.HOST, "date": "2000-01-01"}}
    cache.put("digits", "pylmnn.LMNN", "v", fresh)
    cache.put("digits", "metric_learn.LMNN", "v", stale)
    cache.put("digits", "euclidean", "v", stale)
    compared = {"pylmnn.LMNN", "metric_learn.LMNN"}
    assert common.cached(cache, "digits", "pylmnn.LMNN", "v", compared) == fresh
    assert common.cached(cache, "digits", "metric_learn.LMNN", "v", compared) is None
    assert common.cached(cache, "digits", "euclidean", "v", compared) == stale  # in no ratio


def test_every_fit_is_stamped_with_its_machine_and_day(tmp_path):
    from benchmarks import common

    result = common.run_fit(tmp_path / "no-python", "euclidean", tmp_path / "x.npz")
    assert result["status"] == "failed"
    assert result["measured"]["run"] == common.RUN_ID
    assert common.measured_here_today(result)
