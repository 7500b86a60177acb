"""Every learner of the package against the peers, in one command: RESULTS.md and plots.

    python -m benchmarks.run [--quick] [--data-dir DIR] [--out DIR] [--timeout 600]
        [--max-memory 16] [--peers-python PATH] [--fresh] [--refit DATASET:METHOD ...]

Our learners run in this environment; metric-learn 0.7.0 (LMNN, NCA, RCA_Supervised,
MMC_Supervised, ITML_Supervised, Covariance) and PyLMNN 1.6.4 run in the pinned peers'
environment (``benchmarks/requirements-peers.txt``, see benchmarks/README.md), and
scikit-learn's NCA in both. Each fit is a subprocess under ``--timeout`` seconds and
``--max-memory`` GiB; a fit past either is reported as "timeout" or "out of memory", one that
raises as "failed: reason". Results are cached (locally, untracked) in
``benchmarks/cache/results_run.json`` by
(dataset, method, version), so a run resumes and re-runs only what changed.

``--quick`` uses scikit-learn's bundled sets (iris, wine, breast_cancer, digits) and skips the
MNIST scaling plot. Without it, the ``.npz`` files of ``--data-dir`` (or
``$SKLEARN_METRIC_DATA``) are added: letter, isolet, usps, mnist, segment, satimage, vowel,
balance_scale and the face sets, with the preprocessing of ``common.prepare``.

Writes ``OUT/RESULTS.md`` (default ``benchmarks/``), the one results file of this script,
and draws from it, beside it (local files, not tracked; the documentation draws its own from
the same report with ``plot_report``): ``embeddings_digits.png`` (PCA, NCA, LMNN in 2-D),
``error_vs_time.png`` (one panel per dataset) and, in the full run, ``lmnn_scaling_mnist.png``
(LMNN fit time against 1000-60000 MNIST training points). A ``--datasets`` run fits and
prints its datasets without writing the report.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .common import (
    BUSY_SHARE,
    DEFAULT_DATA_DIR,
    DEFAULT_PEERS_PYTHON,
    HERE,
    ResultCache,
    cached,
    comparable_peers,
    git_commit,
    markdown_table,
    other_invocation,
    prepare,
    python_for,
    run_fit,
    version_key,
)

QUICK_DATASETS = ["iris", "wine", "breast_cancer", "digits"]
FILE_DATASETS = [
    "letter",
    "isolet",
    "usps",
    "mnist",
    "segment",
    "satimage",
    "vowel",
    "balance_scale",
    "olivetti_faces",
    "yale_faces",
    "yaleb_faces",
]
# algorithm: (our methods, peer methods)
ALGORITHMS = {
    "LMNN": (
        ["sklearn_metric.LMNN", "sklearn_metric.LMNN_energy", "sklearn_metric.LMNN_iter50"],
        ["pylmnn.LMNN", "metric_learn.LMNN", "mlpack.LMNN", "mlpack.LMNN_lbfgs"],
    ),
    "NCA": (
        ["sklearn_metric.NCA"],
        ["sklearn.NCA", "metric_learn.NCA", "mlpack.NCA", "mlpack.NCA_lbfgs"],
    ),
    "RCA": (["sklearn_metric.RCA"], ["metric_learn.RCA_Supervised"]),
    "MMC": (["sklearn_metric.MMC"], ["metric_learn.MMC_Supervised"]),
    "Covariance": (["sklearn_metric.MahalanobisTransformer"], ["metric_learn.Covariance"]),
    "POLA": (["sklearn_metric.POLA"], []),
    "ITML": (["sklearn_metric.ITML"], ["metric_learn.ITML_Supervised"]),
    "SDML": (["sklearn_metric.SDML"], ["metric_learn.SDML_Supervised"]),
    "LSML": (["sklearn_metric.LSML"], ["metric_learn.LSML_Supervised"]),
    "SCML": (["sklearn_metric.SCML"], ["metric_learn.SCML_Supervised"]),
    "LFDA": (["sklearn_metric.LFDA"], ["metric_learn.LFDA"]),
    "Multi-metric LMNN": (["sklearn_metric.MultiMetricLMNN"], []),
    "Contrastive embedding": (["sklearn_metric.ContrastiveEmbedding"], []),
}
METHODS = ["euclidean"] + [m for ours, peers in ALGORITHMS.values() for m in ours + peers]
RATIOS = {
    ours[0]: [("fastest peer of the algorithm", peers)]
    for ours, peers in ALGORITHMS.values()
    if ours and peers
}
# The methods whose rows stand side by side in a ratio: reused from the cache only when
# measured on this machine today, so that each ratio is of two fits of one day and machine.
COMPARED = {m for ours, peers in ALGORITHMS.values() if ours and peers for m in ours + peers}
# PyLMNN stops at its default max_iter=50: our LMNN with the same budget, like for like.
RATIOS["sklearn_metric.LMNN_iter50"] = [("PyLMNN at the same budget", ["pylmnn.LMNN"])]
SCALING_SIZES = [1000, 2000, 5000, 10000, 20000, 60000]
SCALING_METHODS = ["sklearn_metric.LMNN", "pylmnn.LMNN", "metric_learn.LMNN"]


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="bundled datasets only (a few minutes)"
    )
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", default=HERE, help="folder of RESULTS.md and the plots")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per fit")
    parser.add_argument("--max-memory", type=float, default=16, help="GiB per fit")
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=None,
        metavar="NAME",
        help="only these datasets (shell patterns, e.g. '*faces'): their fits are cached and "
        "printed; the report is written by a run over every dataset",
    )
    parser.add_argument(
        "--refit",
        action="append",
        default=[],
        metavar="DATASET:METHOD",
        help="fit again what matches (shell patterns, e.g. 'isolet:sklearn_metric.*'); repeatable",
    )
    parser.add_argument(
        "--timeout-for",
        action="append",
        default=[],
        metavar="DATASET:METHOD=SECONDS",
        help=(
            "another time limit for the fits that match (e.g. 'mnist:*LMNN*=900'); "
            "repeatable, last match wins"
        ),
    )
    args = parser.parse_args(argv)
    for spec in args.timeout_for:
        pattern, _, seconds = spec.rpartition("=")
        try:
            float(seconds)
        except ValueError:
            parser.error(f"--timeout-for expects DATASET:METHOD=SECONDS, got {spec!r}")
    return args


def _matches(pattern, dataset, method):
    from fnmatch import fnmatchcase

    data_pattern, _, method_pattern = pattern.partition(":")
    return fnmatchcase(dataset, data_pattern) and fnmatchcase(method, method_pattern or "*")


def _refit(args, dataset, method):
    return any(_matches(pattern, dataset, method) for pattern in args.refit)


def _timeout(args, dataset, method):
    """The time limit of one fit: ``--timeout`` unless a ``--timeout-for`` pattern matches."""
    timeout = args.timeout
    for spec in args.timeout_for:
        pattern, _, seconds = spec.rpartition("=")
        if _matches(pattern, dataset, method):
            timeout = float(seconds)
    return timeout


def available_datasets(args):
    names = list(QUICK_DATASETS)
    if not args.quick:
        names += [name for name in FILE_DATASETS if (Path(args.data_dir) / f"{name}.npz").is_file()]
    if args.datasets:
        from fnmatch import fnmatchcase

        names = [n for n in names if any(fnmatchcase(n, p) for p in args.datasets)]
    return names


def fit_all(datasets, methods, args, cache, n_train=None, skip=None):
    """{dataset: {method: result}}, from the cache or from a subprocess fit each.

    ``skip`` maps a method to a reason not to fit it (a result reported as given, not cached)."""
    table = {}
    skip = skip or {}
    for dataset in datasets:
        path = prepare(dataset, args.data_dir, n_train=n_train)
        label = dataset if n_train is None else f"{dataset}_n{n_train}"
        table[label] = {}
        for method in methods:
            if method in skip:
                table[label][method] = skip[method]
                print(f"{label:<20} {method:<40} {skip[method]['status']} (not run)", flush=True)
                continue
            version = version_key(method, args.peers_python)
            refit = args.fresh or _refit(args, label, method)
            result = None if refit else cached(cache, label, method, version, COMPARED)
            if result is None:
                python = python_for(method, args.peers_python)
                if not Path(python).exists():
                    result = {
                        "status": "failed",
                        "detail": f"no interpreter at {python} (see benchmarks/README.md)",
                    }
                else:
                    result = run_fit(
                        python,
                        method,
                        path,
                        timeout=_timeout(args, label, method),
                        max_memory_gib=args.max_memory,
                    )
                cache.put(label, method, version, result)
            table[label][method] = result
            print(f"{label:<20} {method:<40} {result['status']}", flush=True)
    return table


def scaling_runs(args, cache):
    """LMNN on growing MNIST subsets; a method past the time or memory limit at one size is
    not run at the larger ones (its fit time only grows) and is reported with the same status."""
    scaling, skip = {}, {}
    for n in SCALING_SIZES:
        scaling.update(
            fit_all(
                ["mnist"], SCALING_METHODS, args, cache, n_train=n if n < 60000 else None, skip=skip
            )
        )
        for method, result in list(scaling.values())[-1].items():
            if method not in skip and result["status"] in ("timeout", "out of memory"):
                skip[method] = {
                    "status": result["status"],
                    "detail": f"not run: {result['status']} at {n} points",
                }
    return scaling


def _ok(result):
    return result is not None and result.get("status") == "ok"


def _error(result):
    return 100 * (1 - result["accuracy"])


def _summary(table, ours, peers):
    """One sentence over every dataset: time ratios and error against peers and Euclidean."""
    ratios, better, worse, beat_euclid, n_ours = [], 0, 0, 0, 0
    for results in table.values():
        mine = results.get(ours[0])
        if not _ok(mine):
            continue
        n_ours += 1
        base = results.get("euclidean")
        beat_euclid += _ok(base) and _error(mine) < _error(base)
        finished = list(comparable_peers(results, mine, peers).values())
        if finished:
            ratios.append(mine["fit_seconds"] / min(r["fit_seconds"] for r in finished))
            best_error = min(_error(r) for r in finished)
            better += _error(mine) < best_error
            worse += _error(mine) > best_error
    if not n_ours:
        return ""
    text = (
        f"Over the {n_ours} datasets {ours[0]} finished, its 3-NN error is below "
        f"Euclidean's on {beat_euclid}."
    )
    if ratios:
        faster = sum(r < 1 for r in ratios)
        text += (
            f" On the {len(ratios)} where a peer finished it is faster than the fastest peer "
            f"on {faster} (median time ratio {np.median(ratios):.2f}), and its error is lower "
            "than the best peer's on "
            f"{better}, equal on {len(ratios) - better - worse} and higher on {worse}."
        )
    return text


def algorithm_paragraphs(table):
    """One paragraph per algorithm: where we stand against the peers and Euclidean k-NN."""
    paragraphs = []
    for algorithm, (ours, peers) in ALGORITHMS.items():
        sentences = [_summary(table, ours, peers)] if ours else []
        for dataset, results in table.items():
            base = results.get("euclidean")
            parts = []
            for method in ours + peers:
                result = results.get(method)
                if _ok(result):
                    parts.append(f"{method} {result['fit_seconds']:.2f} s, {_error(result):.2f}%")
                elif result is not None:
                    parts.append(f"{method} {result['status']}")
            if not parts:
                continue
            euclid = f" (Euclidean 3-NN {_error(base):.2f}%)" if _ok(base) else ""
            verdict = ""
            if ours and peers and _ok(results.get(ours[0])):
                mine = results[ours[0]]
                finished = list(comparable_peers(results, mine, peers).values())
                if finished:
                    fastest = min(finished, key=lambda r: r["fit_seconds"])
                    best_error = min(_error(r) for r in finished)
                    verdict = (
                        f": {mine['fit_seconds'] / fastest['fit_seconds']:.2f}x the fastest "
                        "peer's time, "
                        f"error {_error(mine) - best_error:+.2f} points against the best peer's"
                    )
                else:
                    verdict = ": no peer finished"
            sentences.append(f"{dataset}{euclid}{verdict} ({'; '.join(parts)}).")
        if any(sentences):
            paragraphs.append(f"**{algorithm}.** " + " ".join(filter(None, sentences)))
    return "\n\n".join(paragraphs)


def plot_error_vs_time(table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(table)
    cols = min(4, len(datasets))
    rows = int(np.ceil(len(datasets) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    # The grid may have more panels than datasets (turned off below).
    for ax, dataset in zip(axes.ravel(), datasets, strict=False):
        for method, result in table[dataset].items():
            if not _ok(result) or method == "euclidean":
                continue
            ours = method.startswith("sklearn_metric")
            ax.scatter(
                max(result["fit_seconds"], 1e-3),
                _error(result),
                marker="o" if ours else "x",
                color="C0" if ours else "C3",
                s=30,
            )
            ax.annotate(
                method.split(".")[-1],
                (max(result["fit_seconds"], 1e-3), _error(result)),
                fontsize=6,
            )
        base = table[dataset].get("euclidean")
        if _ok(base):
            ax.axhline(
                _error(base), color="grey", linestyle="--", linewidth=1, label="Euclidean 3-NN"
            )
        ax.set_xscale("log")
        ax.set_title(dataset)
        ax.set_xlabel("fit seconds")
        ax.set_ylabel("3-NN test error %")
    for ax in axes.ravel()[len(datasets) :]:
        ax.axis("off")
    fig.suptitle(
        "3-NN test error against fit time (o: sklearn_metric, x: peers; dashed: Euclidean)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_embeddings(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    from sklearn_metric import LMNN, NCA

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    embeddings = {}
    for name, model in [
        ("PCA", PCA(2, random_state=0)),
        ("NCA", NCA(n_components=2, random_state=0)),
        ("LMNN", LMNN(n_components=2, random_state=0)),
    ]:
        start = time.perf_counter()
        with warnings.catch_warnings():
            # NCA's default budget on digits: the picture, not the optimum, is the point.
            warnings.simplefilter("ignore", ConvergenceWarning)
            embeddings[name] = (model.fit(X, y).transform(X), time.perf_counter() - start)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    for ax, (name, (Z, seconds)) in zip(axes, embeddings.items(), strict=True):
        points = ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap="tab10", s=6)
        ax.set_title(f"{name} (fit {seconds:.1f} s)")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(points, ax=axes, label="digit")
    fig.suptitle("digits in two dimensions")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scaling(scaling, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for i, method in enumerate(SCALING_METHODS):
        sizes, seconds, failed = [], [], []
        for label, results in scaling.items():
            result = results.get(method)
            n = int(label.rsplit("_n", 1)[1])
            if _ok(result):
                sizes.append(n)
                seconds.append(result["fit_seconds"])
            elif result is not None:
                failed.append((n, result["status"]))
        ax.plot(sizes, seconds, marker="o", color=f"C{i}", label=method)
        for n, status in failed:
            ax.annotate(
                status,
                (n, ax.get_ylim()[1] if seconds else 1),
                color=f"C{i}",
                fontsize=7,
                rotation=90,
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MNIST training points (PCA 164)")
    ax.set_ylabel("LMNN fit seconds")
    ax.legend()
    ax.set_title("LMNN fit time against training size")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def headline(table):
    """Per algorithm: our time and error against the fastest finished peer's fitted on this
    machine the same day, and their ratio, on digits and on the largest such dataset."""
    lines = [
        "| algorithm | dataset | ours: fit s, error % "
        "| fastest peer that finished: fit s, error % | fit time, ours / peer's |",
        "|---|---|---|---|---|",
    ]
    for algorithm, (ours, peers) in ALGORITHMS.items():
        if not ours or not peers:
            continue
        candidates = [
            d
            for d in table
            if _ok(table[d].get(ours[0])) and comparable_peers(table[d], table[d][ours[0]], peers)
        ]
        if not candidates:
            continue
        largest = max(candidates, key=lambda d: table[d][ours[0]].get("n_train", 0))
        for dataset in dict.fromkeys(["digits", largest]):
            if dataset not in candidates:
                continue
            mine = table[dataset][ours[0]]
            finished = comparable_peers(table[dataset], mine, peers)
            best = min(finished, key=lambda p: finished[p]["fit_seconds"])
            peer = finished[best]
            mark = "†" if other_invocation(mine, peer) else ""
            lines.append(
                f"| {algorithm} | {dataset} | {mine['fit_seconds']:.2f}, {_error(mine):.2f} | "
                f"{best} {peer['fit_seconds']:.2f}, {_error(peer):.2f} | "
                f"{mine['fit_seconds'] / peer['fit_seconds']:.2f}{mark} |"
            )
    return "\n".join(lines)


def main(argv=None):
    args = parse(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = ResultCache(HERE / "cache" / "results_run.json")
    started = time.perf_counter()
    table = fit_all(available_datasets(args), METHODS, args, cache)

    if args.datasets:
        print(markdown_table(table, RATIOS))
        print("a --datasets run writes no report: run without --datasets to write it")
        return
    scaling_section = ""
    if not args.quick and (Path(args.data_dir) / "mnist.npz").is_file():
        scaling = scaling_runs(args, cache)
        scaling = {(k if "_n" in k else f"{k}_n60000"): v for k, v in scaling.items()}
        scaling_section = (
            "\n## LMNN fit time against training size (MNIST)\n\n"
            + markdown_table(scaling, {})
            + "\n"
        )

    report = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks.run" + (" --quick" if args.quick else "") + "` "
        f"({time.strftime('%Y-%m-%d')}, commit {git_commit()}, "
        f"package {version_key('sklearn_metric.LMNN', '')}, "
        f"this machine's 2 cores; {time.perf_counter() - started:.0f} s in the "
        "invocation that wrote this file, which reuses the cached results of earlier ones). "
        "Same preprocessing for every method (see `benchmarks/common.py`: standardised, "
        "pixels/255 for MNIST, PCA 172 for isolet and 164 for MNIST; official test splits or "
        "a stratified 70/30 split "
        "with seed 0); 3-NN test error in the learned metric (the energy rule for `LMNN_energy`). "
        "PyLMNN stops at its default max_iter=50 (iterations column: 51 at the cap) while our LMNN "
        "runs to convergence, so on hard sets its time buys less: compare errors too; "
        "`LMNN_iter50` is ours with PyLMNN's budget (max_iter=50), like for like. Peers run "
        f"in their pinned environment; a fit past the time limit ({args.timeout:.0f} s in this run"
        + "".join(
            f", {spec.rpartition('=')[2]} s for {spec.rpartition('=')[0]}"
            for spec in args.timeout_for
        )
        + "; "
        "a result kept from an earlier run of the same versions may have had a longer one) "
        "or the memory "
        f"cap ({args.max_memory:g} GiB) is reported as such. "
        "A time ratio sets our fit beside a peer's only when both were fitted on this "
        "machine the same day (UTC); such rows are reused from the cache only on the day "
        "they were measured, and † marks a peer row from an earlier invocation that day. "
        "A fit during which other processes used more than "
        f"{BUSY_SHARE:.0%} of the cores says so in its notes: its time is inflated and worth "
        "a rerun "
        "(`--refit DATASET:METHOD`).",
        "",
        "## Headline",
        "",
        headline(table),
        "",
        "## Where we stand, by algorithm",
        "",
        algorithm_paragraphs(table),
        "",
        "## All results",
        "",
        markdown_table(table, RATIOS),
        scaling_section,
    ]
    (out / "RESULTS.md").write_text("\n".join(report) + "\n")
    plots = plot_report(out / "RESULTS.md", out)
    print(f"wrote {out / 'RESULTS.md'} and, from it, {', '.join(plots)}")


def read_report(path):
    """The results tables of a report written by ``main``, as ``(table, scaling)``.

    Each is ``{dataset: {method: result}}`` with the fields the plots use: ``status``
    ("ok", "timeout", ...), and for a finished fit ``fit_seconds`` and ``accuracy``.
    ``scaling`` holds the rows of the MNIST training-size section (empty without it).
    """
    tables = {"table": {}, "scaling": {}}
    current = None
    for line in Path(path).read_text().splitlines():
        if line.startswith("## "):
            sections = {"## All results": "table", "## LMNN fit time": "scaling"}
            current = next((v for k, v in sections.items() if line.startswith(k)), None)
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if current is None or len(cells) < 5 or cells[0] in ("dataset", "---"):
            continue
        dataset, method, seconds, _, error = cells[:5]
        try:
            result = {
                "status": "ok",
                "fit_seconds": float(seconds),
                "accuracy": 1 - float(error) / 100,
            }
        except ValueError:
            result = {"status": seconds.split(" ")[0].rstrip(":")}
        tables[current].setdefault(dataset, {})[method] = result
    return tables["table"], tables["scaling"]


def plot_report(path, out):
    """Draw the figures of the report at ``path`` into the folder ``out``; returns their
    file names (the MNIST scaling figure only when the report has that section)."""
    table, scaling = read_report(path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_embeddings(out / "embeddings_digits.png")
    plot_error_vs_time(table, out / "error_vs_time.png")
    names = ["embeddings_digits.png", "error_vs_time.png"]
    if scaling:
        plot_scaling(scaling, out / "lmnn_scaling_mnist.png")
        names.append("lmnn_scaling_mnist.png")
    return names


if __name__ == "__main__":
    sys.exit(main())
