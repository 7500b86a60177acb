"""The compiled kernels' polynomial exponential against numba's ``math.exp``.

The NCA kernel (``nca_softmax_rows`` in ``_core/kernels.py``) takes the exponential
of every soft-neighbour entry through ``_exp_nonpositive``, a polynomial that
vectorises. This script fits NCA with the kernel as shipped and with the same kernel
compiled around ``math.exp`` (numba's call into libm), each fit in its own process,
the two in turn (A B A B ...), and reports the fastest time of each and their ratio.
The polynomial is worth keeping only where it is more than 20% faster.

Run ``python benchmarks/bench_exp.py [--data-dir DIR] [--rounds 2]``; writes
``benchmarks/results_exp.md``. Needs numba (the ``fast`` extra).
"""

import argparse
import json

from common import DEFAULT_DATA_DIR, HERE, ab_report

# NCA at a fixed number of iterations (the compiled path runs from 4096 points on).
PROBLEMS = {
    "NCA, letter": ("letter", {"max_iter": 30, "random_state": 0}),
    "NCA, usps": ("usps", {"max_iter": 30, "random_state": 0}),
    "NCA, isolet": ("isolet", {"max_iter": 30, "random_state": 0}),
}

_CHILD = """
import json, math, sys, time, warnings
import numba
import numpy as np
import sklearn_metric
import sklearn_metric._core.kernels as kernels

path, params, variant = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
kernels._compile_helpers(numba)
if variant == "math.exp":
    kernels._exp_nonpositive = numba.njit(inline="always")(lambda x: math.exp(x))
for name, (function, fastmath) in kernels._KERNELS.items():
    kernels._COMPILED[name] = numba.njit(nogil=True, fastmath=fastmath)(function)
data = np.load(path)
X, y = data["X"], data["y"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sklearn_metric.NCA(max_iter=2).fit(X[:5000], y[:5000])  # compiles the kernel
    learner = sklearn_metric.NCA(**params)
    start = time.perf_counter()
    learner.fit(X, y)
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "n_iter": int(learner.n_iter_),
                  "components": float(np.abs(learner.components_).sum())}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds per problem")
    parser.add_argument("--out", default=HERE / "results_exp.md")
    args = parser.parse_args(argv)

    ab_report(
        {label: (dataset, [json.dumps(params)]) for label, (dataset, params) in PROBLEMS.items()},
        _CHILD,
        ("polynomial", "math.exp"),
        args,
        title="The compiled kernels' polynomial exponential against numba's math.exp",
        script="bench_exp.py",
        what="the polynomial",
        cell=lambda run: f"{run['seconds']:.2f} s, {run['n_iter']} iterations",
    )


if __name__ == "__main__":
    main()
