"""NCA, RCA, MMC and POLA side by side with metric-learn and scikit-learn's NCA, in one run.

    python -m benchmarks.bench_learners [--datasets digits letter isolet segment]
        [--data-dir DIR] [--peers-python PATH] [--timeout 600] [--max-memory 16] [--fresh]

Set-up, subprocesses and caching as in bench_lmnn.py (see common.py). For the MMC rows,
"objective" is Xing et al.'s objective of the learned M, rescaled onto its constraint, on
one fixed set of pairs drawn from the training labels (seed 0), so that our MMC and
metric-learn's MMC_Supervised are compared on the same problem. POLA's "pair accuracy" is
on 2000 test pairs (half similar) drawn from the test labels.
"""

import argparse
import sys

from .common import (
    HERE,
    add_arguments,
    invocation,
    markdown_table,
    provenance,
    run_all,
    write_results,
)

METHODS = [
    "euclidean",
    "sklearn_metric.NCA",
    "sklearn.NCA",
    "metric_learn.NCA",
    "sklearn_metric.RCA",
    "metric_learn.RCA_Supervised",
    "sklearn_metric.MMC",
    "sklearn_metric.MMC_diagonal",
    "metric_learn.MMC_Supervised",
    "sklearn_metric.POLA",
]
RATIOS = {
    "sklearn_metric.NCA": [
        ("sklearn NCA", ["sklearn.NCA"]),
        ("metric-learn", ["metric_learn.NCA"]),
    ],
    "sklearn_metric.RCA": [("metric-learn", ["metric_learn.RCA_Supervised"])],
    "sklearn_metric.MMC": [("metric-learn", ["metric_learn.MMC_Supervised"])],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(
        parser, ["digits", "letter", "isolet", "segment"], METHODS, HERE / "results_learners.md"
    )
    args = parser.parse_args(argv)
    table = markdown_table(run_all(args.datasets, args, "results_learners.json", RATIOS), RATIOS)
    write_results(
        args.out,
        "NCA, RCA, MMC, POLA benchmark",
        invocation("bench_learners", sys.argv[1:] if argv is None else argv),
        provenance() + " See the script's docstring for the set-up.\n\n" + table,
    )
    print(table)


if __name__ == "__main__":
    main()
