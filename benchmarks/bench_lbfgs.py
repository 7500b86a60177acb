"""The package's numpy L-BFGS against scipy's L-BFGS-B on the problems that use it.

From ``LARGE_PROBLEM`` (2**18) unknowns on, the L-BFGS driver (``_core/optim.py``) runs
``_core/lbfgs.lbfgs_numpy`` instead of scipy's L-BFGS-B. This script fits the learners
whose problems are that large both ways, each fit in its own process, the two solvers in
turn (A B A B ...), and reports the fastest time of each, the ratio, the iterations and
the final loss:

- LMNN on Yale B (1689 x 1024: 1,048,576 unknowns), at PyLMNN's 50 iterations;
- LSML on Yale B (its upper triangular L: 524,800 unknowns);
- MultiMetricLMNN on isolet (PCA 172, one metric per class: 26 x 172 x 172 = 769,184
  unknowns), its joint phase at 100 iterations.

Run ``python -m benchmarks.bench_lbfgs [--data-dir DIR] [--rounds 2]``; writes
``benchmarks/results_lbfgs.md``. The numpy solver is worth keeping only where it is
more than 20% faster.
"""

import argparse
import json

from .common import DEFAULT_DATA_DIR, HERE, ab_report

PROBLEMS = {
    "LMNN, Yale B": ("yaleb_faces", "LMNN", {"max_iter": 50}),
    "LSML, Yale B": ("yaleb_faces", "LSML", {"random_state": 0}),
    "MultiMetricLMNN, isolet": (
        "isolet",
        "MultiMetricLMNN",
        {"n_metrics": "classes", "max_iter": 100, "random_state": 0},
    ),
}

_CHILD = """
import json, sys, time, warnings
import numpy as np
import sklearn_metric
import sklearn_metric._core.optim as optim

path, name, params, solver = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
if solver == "scipy":
    optim.LARGE_PROBLEM = float("inf")  # every size through scipy's L-BFGS-B
data = np.load(path)
learner = getattr(sklearn_metric, name)(**params)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    learner.fit(data["X"], data["y"])
    seconds = time.perf_counter() - start
loss = getattr(learner, "loss_", getattr(learner, "objective_", float("nan")))
print(json.dumps({"seconds": seconds, "n_iter": int(learner.n_iter_), "loss": float(loss)}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds per problem")
    parser.add_argument("--out", default=HERE / "results_lbfgs.md")
    args = parser.parse_args(argv)

    ab_report(
        {
            label: (data, [name, json.dumps(params)])
            for label, (data, name, params) in PROBLEMS.items()
        },
        _CHILD,
        ("numpy", "scipy"),
        args,
        title="The numpy L-BFGS against scipy's L-BFGS-B",
        script="bench_lbfgs.py",
        what="the numpy solver",
        cell=lambda run: (
            f"{run['seconds']:.2f} s, {run['n_iter']} iterations, loss {run['loss']:.6g}"
        ),
    )


if __name__ == "__main__":
    main()
