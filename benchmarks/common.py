"""Shared benchmark machinery: data preparation, one fit per subprocess, a result cache.

Every fit runs in its own subprocess (``_fit_one.py``), with the Python of the
environment it needs: ours for sklearn_metric and scikit-learn, the pinned peers'
environment (``requirements-peers.txt``) for metric-learn and PyLMNN. The parent
prepares each dataset once (same preprocessing for every method) and hands it to the
children as an ``.npz`` file, so all methods see identical arrays. A child that runs
past ``timeout`` seconds is killed and reported as "timeout"; one that exceeds the
memory cap (``RLIMIT_AS``) is reported as "out of memory".
"""

import json
import os
import resource
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HOST = socket.gethostname()
# One invocation of a benchmark script: ratios prefer rows measured in the same one.
RUN_ID = f"{HOST}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
DEFAULT_DATA_DIR = Path(
    os.environ.get("SKLEARN_METRIC_DATA", HERE.parents[1] / "shared" / "datasets")
)
DEFAULT_PEERS_PYTHON = Path(
    os.environ.get("SKLEARN_METRIC_PEERS_PYTHON", HERE.parent / ".venv-peers" / "bin" / "python")
)
# mlpack's Python bindings need a newer stack than the peers' pins: their own environment
# (``requirements-mlpack.txt``).
MLPACK_PYTHON = Path(
    os.environ.get("SKLEARN_METRIC_MLPACK_PYTHON", HERE.parent / ".venv-mlpack" / "bin" / "python")
)
# A fit during which other processes used more than this share of all cores' time shared
# the machine with other work; its fit time is flagged in the tables.
BUSY_SHARE = 0.25


def invocation(module, argv):
    """The command line that ran ``module`` with ``argv``, without its ``--out``."""
    argv = list(argv)
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not arg.startswith("--out="):
            kept.append(arg)
    return shlex.join(["python", "-m", f"benchmarks.{module}", *kept])


SECTION = "<!-- results of: {} -->"


def write_results(path, title, command, body):
    """Write one invocation's results into its script's one results file.

    The file holds the title ``# title`` and one section per command line
    (``command``, from ``invocation``): a rerun of the same command replaces its
    section, a new command appends one. ``body`` is the run's Markdown; a leading
    level-1 heading is dropped (the file's title stands for it) and the other headings
    move one level down, under the section's own ``## command`` heading.
    """
    path = Path(path)
    lines = body.strip("\n").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    lines = ["#" + line if line.startswith("#") else line for line in lines]
    section = "\n".join([SECTION.format(command), f"## `{command}`", *lines]).strip() + "\n"
    sections = read_sections(path) if path.is_file() else {}
    sections[command] = section
    path.write_text(f"# {title}\n\n" + "\n".join(sections.values()))


def read_sections(path):
    """The sections of a results file written by ``write_results``, by command line."""
    marker = SECTION.split("{}")[0]
    sections, command = {}, None
    for line in Path(path).read_text().splitlines(keepends=True):
        if line.startswith(marker):
            command = line[len(marker) :].rsplit(" -->", 1)[0]
            sections[command] = ""
        if command is not None:
            sections[command] += line
    return {command: text.rstrip("\n") + "\n" for command, text in sections.items()}


def provenance():
    """One sentence: when (UTC), at which commit and on how many cores this run measured."""
    return (
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at commit {git_commit()}, "
        f"on this machine ({HOST}, {os.cpu_count()} cores); a time ratio sets two rows side "
        "by side only when both were measured on this machine the same day (a dagger marks a "
        "peer row of an earlier invocation)."
    )


def git_commit():
    """The checked-out commit of this repository (short hash), or "unknown"."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def run_child(code, *args):
    """Run ``code`` in a fresh Python process with ``args``; its last printed line is
    JSON, returned decoded."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def ab_report(problems, code, variants, args, *, title, script, what, cell):
    """Fit each problem's two ``variants`` in turn (A B A B ..., ``args.rounds`` times),
    each in its own process running ``code`` with ``(path, *extra, variant)``; write
    the fastest run of each and their ratio to ``args.out`` as a Markdown table.

    ``problems`` maps a label to ``(dataset, extra)``; ``cell(run)`` formats a run.
    """
    rows = []
    for label, (dataset, extra) in problems.items():
        path = prepare(dataset, data_dir=args.data_dir)
        runs = {variant: [] for variant in variants}
        for _ in range(args.rounds):
            for variant in variants:
                runs[variant].append(run_child(code, path, *extra, variant))
                print(label, variant, runs[variant][-1], flush=True)
        a, b = (min(runs[v], key=lambda run: run["seconds"]) for v in variants)
        rows.append(f"| {label} | {cell(a)} | {cell(b)} | {a['seconds'] / b['seconds']:.2f} |")
    lines = [
        f"# {title}",
        "",
        f"Generated by `python benchmarks/{script}` ({time.strftime('%Y-%m-%d')}, commit "
        f"{git_commit()}, {args.rounds} alternating rounds, each fit in its own process; the "
        f"fastest of each). Ratio below 0.8: {what} earns its place.",
        "",
        f"| problem | {variants[0]} | {variants[1]} | time {variants[0]} / {variants[1]} |",
        "|---|---|---|---|",
        *rows,
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _busy_cpu_seconds():
    """CPU seconds all cores spent busy since boot (Linux /proc/stat; None elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


PCA_DIMS = {"isolet": 172, "mnist": 164}


def _split_standardise(X, y, X_test=None, y_test=None, seed=0, scale="standard"):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X = np.asarray(X, dtype=np.float64)
    if X_test is None:
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    X_test = np.asarray(X_test, dtype=np.float64)
    if scale == "pixels":
        X, X_test = X / 255.0, X_test / 255.0
    else:
        scaler = StandardScaler().fit(X)
        X, X_test = scaler.transform(X), scaler.transform(X_test)
    return X, y, X_test, y_test


def prepare(name, data_dir=DEFAULT_DATA_DIR, cache_dir=HERE / "cache", n_train=None):
    """Prepare a dataset once and return the path of its ``.npz`` (X, y, X_test, y_test).

    ``name`` is a bundled scikit-learn set (iris, wine, breast_cancer, digits), a file
    of ``data_dir`` (letter, isolet, mnist, ...: standardised, or pixels / 255 for
    MNIST, then PCA to 172 dimensions for isolet and 164 for MNIST, fitted on the
    training part), or ``synthetic_N`` (``make_classification(N, 50 features, 20
    informative, 10 classes, random_state=0)``, standardised, stratified 70/30).
    ``n_train`` keeps a stratified subsample of the training part.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{name}{'' if n_train is None else f'_n{n_train}'}.npz"
    if path.exists():
        return path
    from sklearn import datasets
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    if name in ("iris", "wine", "breast_cancer", "digits"):
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        X, y, X_test, y_test = _split_standardise(X, y)
    elif name.startswith("synthetic_"):
        n = int(name.split("_")[1])
        X, y = datasets.make_classification(
            n, n_features=50, n_informative=20, n_classes=10, random_state=0
        )
        X, y, X_test, y_test = _split_standardise(X, y)
    else:
        file = Path(data_dir) / f"{name}.npz"
        if not file.is_file():
            raise FileNotFoundError(f"{file} not found (set --data-dir or SKLEARN_METRIC_DATA)")
        with np.load(file) as d:
            if "X_train" in d.files:
                arrays = d["X_train"], d["y_train"], d["X_test"], d["y_test"]
            else:
                arrays = d["X"], d["y"], None, None
        X, y, X_test, y_test = _split_standardise(
            *arrays, scale="pixels" if name == "mnist" else "standard"
        )
        if name in PCA_DIMS:
            pca = PCA(PCA_DIMS[name], random_state=0).fit(X)
            X, X_test = pca.transform(X), pca.transform(X_test)
    if n_train is not None and n_train < X.shape[0]:
        X, _, y, _ = train_test_split(X, y, train_size=n_train, stratify=y, random_state=0)
    np.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)
    return path


def _limit_memory(max_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))

    return apply


def run_fit(python, method, data_path, **kwargs):
    """Fit one method in a subprocess; return a dict of results or of the failure,
    stamped with where and when it was measured (``measured``: this invocation, this
    machine, the UTC date and time).

    ``n_neighbors`` is the k of the k-NN test (and the learner's, unless ``params``, a
    dict of constructor arguments that only PyLMNN takes, says otherwise).
    """
    result = _run_fit(python, method, data_path, **kwargs)
    now = time.gmtime()
    result["measured"] = {
        "run": RUN_ID,
        "host": HOST,
        "date": time.strftime("%Y-%m-%d", now),
        "time": time.strftime("%H:%M", now),
    }
    return result


def measured_here_today(result):
    """Whether ``result`` was measured on this machine today (UTC)."""
    measured = (result or {}).get("measured") or {}
    return measured.get("host") == HOST and measured.get("date") == time.strftime(
        "%Y-%m-%d", time.gmtime()
    )


def comparable(ours, peer):
    """Whether the two fit times may stand in one ratio: both measured on one machine the
    same day (rows measured elsewhere or on other days never are)."""
    a, b = ours.get("measured") or {}, peer.get("measured") or {}
    return bool(a) and bool(b) and a["host"] == b["host"] and a["date"] == b["date"]


def comparable_peers(results, ours, peers):
    """``{peer: result}`` of the ``peers`` that finished and may be set beside ``ours``."""
    return {
        p: results[p]
        for p in peers
        if (results.get(p) or {}).get("status") == "ok" and comparable(ours, results[p])
    }


def other_invocation(ours, peer):
    """Whether the peer's row comes from another invocation than ours (same day, machine)."""
    return (ours.get("measured") or {}).get("run") != (peer.get("measured") or {}).get("run")


def _run_fit(
    python, method, data_path, *, timeout=600, max_memory_gib=16, n_neighbors=3, params=None
):
    cmd = [str(python), str(HERE / "_fit_one.py"), method, str(data_path), str(n_neighbors)]
    if params:
        cmd.append(json.dumps(params))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    # CPU used by other processes during the fit: a busy machine inflates fit times.
    busy_before = _busy_cpu_seconds()
    child_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            preexec_fn=_limit_memory(int(max_memory_gib * 2**30)),
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "detail": f"over {timeout} s"}
    except FileNotFoundError as exc:
        return {"status": "failed", "detail": f"cannot run {python}: {exc}"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode == 0 and lines:
        result = json.loads(lines[-1])
        busy_after = _busy_cpu_seconds()
        if busy_before is not None and busy_after is not None:
            child = resource.getrusage(resource.RUSAGE_CHILDREN)
            own = (child.ru_utime - child_before.ru_utime) + (
                child.ru_stime - child_before.ru_stime
            )
            wall = time.perf_counter() - start
            other = max(0.0, busy_after - busy_before - own)
            result["other_cpu_share"] = other / (wall * (os.cpu_count() or 1))
        return result
    err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    if "MemoryError" in proc.stderr or "Unable to allocate" in proc.stderr or proc.returncode == -9:
        return {
            "status": "out of memory",
            "detail": f"over {max_memory_gib:g} GiB",
            "error": err[:200],
        }
    return {"status": "failed", "detail": err[:200], "wall": time.perf_counter() - start}


class ResultCache:
    """Results keyed by (dataset, method, version), kept in a JSON file across runs."""

    def __init__(self, path):
        self.path = Path(path)
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}

    @staticmethod
    def key(dataset, method, version):
        return f"{dataset}|{method}|{version}"

    def get(self, dataset, method, version):
        return self.data.get(self.key(dataset, method, version))

    def put(self, dataset, method, version, result):
        # Merge with the file first: another run may have added results meanwhile.
        if self.path.exists():
            self.data = {**json.loads(self.path.read_text()), **self.data}
        self.data[self.key(dataset, method, version)] = result
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        tmp.replace(self.path)


def python_for(method, peers_python=DEFAULT_PEERS_PYTHON):
    """Our interpreter for our methods and scikit-learn's, the peers' for metric-learn's
    and PyLMNN's, mlpack's own for mlpack's."""
    family = method.split(".")[0]
    if family == "mlpack":
        return MLPACK_PYTHON
    return peers_python if family in ("metric_learn", "pylmnn", "peers_sklearn") else sys.executable


def add_arguments(parser, datasets, methods, out):
    """The options every benchmark script shares."""
    parser.add_argument("--datasets", nargs="+", default=datasets)
    parser.add_argument("--methods", nargs="+", default=methods)
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per fit")
    parser.add_argument("--max-memory", type=float, default=16, help="GiB per fit")
    parser.add_argument("--n-neighbors", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="fit each method this many times, the methods taking turns, and keep the fastest "
        "(a fairer comparison on a machine shared with other jobs); implies --fresh",
    )
    parser.add_argument("--out", default=out)


def version_key(method, peers_python):
    """What a cached result depends on: the environment and our package's version."""
    if method.split(".")[0] in ("metric_learn", "pylmnn", "peers_sklearn"):
        return f"peers@{peers_python}"
    if method.split(".")[0] == "mlpack":
        return f"mlpack@{MLPACK_PYTHON}"
    import hashlib

    import sklearn

    if method.split(".")[0] in ("sklearn", "euclidean"):
        return f"sklearn-{sklearn.__version__}"  # does not depend on our package

    import sklearn_metric

    # The package's source enters the key, so a changed learner is measured again.
    digest = hashlib.sha256()
    for path in sorted(Path(sklearn_metric.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return (
        f"ours-{sklearn_metric.__version__}-{digest.hexdigest()[:12]}-sklearn-{sklearn.__version__}"
    )


def compared_methods(ratios):
    """Every method that stands in a ratio of ``ratios``: ours and the references."""
    return set(ratios) | {m for specs in ratios.values() for _, refs in specs for m in refs}


def cached(cache, dataset, method, version, compared):
    """A cached result worth reusing: any for a method in no ratio, else only one measured
    on this machine today (so that a ratio never sets a fresh row beside an old one)."""
    result = cache.get(dataset, method, version)
    if result is not None and method in compared and not measured_here_today(result):
        return None
    return result


def run_all(datasets, args, cache_name, ratios=None):
    """Fit every method on every dataset (cached; a method of ``ratios`` reuses only a
    result measured here today); returns {dataset: {method: result}}."""
    compared = compared_methods(ratios or {})
    cache = ResultCache(HERE / "cache" / cache_name)
    table = {}
    for dataset in datasets:
        path = prepare(dataset, args.data_dir)
        table[dataset] = {}
        repeat = getattr(args, "repeat", 1)
        for turn in range(repeat):
            for method in args.methods:
                version = version_key(method, args.peers_python)
                fresh = args.fresh or repeat > 1
                result = None if fresh else cached(cache, dataset, method, version, compared)
                if result is None:
                    result = run_fit(
                        python_for(method, args.peers_python),
                        method,
                        path,
                        timeout=args.timeout,
                        max_memory_gib=args.max_memory,
                        n_neighbors=args.n_neighbors,
                    )
                    best = table[dataset].get(method)
                    if (
                        best is not None
                        and best["status"] == "ok"
                        and (
                            result["status"] != "ok" or result["fit_seconds"] >= best["fit_seconds"]
                        )
                    ):
                        result = best
                    if repeat > 1:
                        result = {**result, "repeats": turn + 1}  # the fastest of these turns
                    cache.put(dataset, method, version, result)
                table[dataset][method] = result
                print(f"{dataset:<16} {method:<32} {_cells(result)}", flush=True)
    return table


def _cells(result):
    if result["status"] != "ok":
        detail = (
            f" ({result['detail']})"
            if result.get("detail") and result["status"] != "failed"
            else ""
        )
        detail = f": {result.get('detail', '')}" if result["status"] == "failed" else detail
        return f"{result['status']}{detail} | | | |"
    extra = []
    if "objective" in result:
        extra.append(f"objective {result['objective']:.4g}")
    if "pair_accuracy" in result:
        extra.append(f"pair accuracy {result['pair_accuracy']:.3f}")
    if result.get("other_cpu_share", 0) > BUSY_SHARE:
        share = 100 * result["other_cpu_share"]
        extra.append(f"busy machine (other work used {share:.0f}% of the cores): time inflated")
    if result.get("carried_over_from"):
        # A result of an earlier package whose code path for this method is unchanged.
        extra.append(f"measured at {result['carried_over_from']}")
    return (
        f"{result['fit_seconds']:.2f} | {result['peak_mib']:.0f} | "
        f"{100 * (1 - result['accuracy']):.2f} | {result.get('n_iter', '')} | {', '.join(extra)}"
    )


def markdown_table(table, ratios):
    """Rows for every (dataset, method); ``ratios`` maps our method to
    ``(column title, [reference methods])`` pairs: fit time over the fastest reference
    measured on the same machine the same day (see ``comparable``); a ratio over a row of
    an earlier invocation that day is marked with a dagger."""
    titles = []
    for specs in ratios.values():
        titles += [title for title, _ in specs if title not in titles]
    columns = ["dataset", "method", "fit s", "peak MiB", "3-NN test error %", "iterations", "notes"]
    columns += [f"fit time / {t}" for t in titles]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    daggers = False
    for dataset, results in table.items():
        for method, result in results.items():
            cells = {t: "" for t in titles}
            if result["status"] == "ok":
                for title, refs in ratios.get(method, []):
                    peers = comparable_peers(results, result, refs)
                    if peers:
                        fastest = min(peers.values(), key=lambda r: r["fit_seconds"])
                        mark = "†" if other_invocation(result, fastest) else ""
                        daggers = daggers or bool(mark)
                        cells[title] = f"{result['fit_seconds'] / fastest['fit_seconds']:.2f}{mark}"
            extra = "".join(f" {cell} |" for cell in cells.values())
            lines.append(f"| {dataset} | {method} | {_cells(result)} |{extra}")
    if daggers:
        lines += ["", "† over a row of an earlier invocation on this machine the same day."]
    return "\n".join(lines)
