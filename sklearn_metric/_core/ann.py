"""Approximate nearest-neighbour indexes (faiss) for the Euclidean distance.

:class:`KNNClassifier` and :class:`ApproximateNeighborsTransformer` transform
their points by the learned metric first, so a plain Euclidean index serves
every learner; LMNN searches impostors with one in the current learned space.
This module imports nothing from the rest of the package. Three index families,
both from faiss (the ``ann`` extra):

* ``"hnsw"``: a hierarchical navigable small-world graph (``IndexHNSWFlat``).
  No training; memory about ``n * (4 * d + 8 * M)`` bytes.
* ``"ivf"``: an inverted file (``IndexIVFFlat``), k-means cells of which
  ``n_probe`` are scanned per query; with ``pq_m`` the vectors are compressed by
  product quantisation (``IndexIVFPQ``, ``pq_m`` bytes per point) and the
  ``refine`` best candidates per neighbour are re-ranked exactly (which keeps an
  exact copy of the vectors; ``refine=0`` keeps only the codes).
* ``"lsh"``: locality-sensitive hashing (``IndexLSH``, ``n_bits`` random
  hyperplanes: a scan of binary codes), its ``refine * k`` best candidates by
  Hamming distance re-ranked exactly.

``refine`` (an exact re-ranking of ``refine * k`` candidates from an exact copy
of the points) is available for every index: for HNSW it widens the candidate
list, for IVF it applies with product quantisation, for LSH it is the breadth.

The index stores float32 vectors; distances are returned as Euclidean
distances (the square root of faiss's squared ones).

The search breadth (``ef_search`` for HNSW, ``n_probe`` for IVF) is, by default,
calibrated at fit for a recall target (``target_recall=0.95``): a seeded sample
of the points (a tenth, at most 1000) is held out of the index while it is
built, searched as queries the index has not seen and compared with exact
search over the other points; the smallest breadth whose recall@k meets the
target (its 95% lower confidence bound over the sample does) is kept, then the
sample is indexed. An explicit
``ef_search`` / ``n_probe`` is used as given. ``algorithm_params={"verbose":
True}`` prints each breadth tried and its measured recall; the trace is kept
as the index's ``calibration_`` (``(breadth, recall, lower_bound)``, in the order
tried).
"""

import time
from contextlib import contextmanager

import numpy as np

ANN_ALGORITHMS = ("hnsw", "ivf", "lsh")

# ef_search / n_probe None: calibrated for target_recall at fit.
_DEFAULT_PARAMS = {
    "hnsw": {
        "M": 32,
        "ef_construction": 80,
        "ef_search": None,
        "refine": 0,
        "target_recall": None,
        "verbose": False,
    },
    "lsh": {"n_bits": None, "refine": None, "target_recall": None, "verbose": False},
    "ivf": {
        "n_lists": None,
        "n_probe": None,
        "pq_m": None,
        "pq_bits": 8,
        "refine": 16,
        "seed": 0,
        "target_recall": None,
        "verbose": False,
    },
}
DEFAULT_TARGET_RECALL = 0.95
# Points held out of the index and searched to measure its recall (seeded).
_CALIBRATION_SAMPLE = 1000
_BREADTH = {"hnsw": "ef_search", "ivf": "n_probe", "lsh": "refine"}

_INSTALL_HINT = "pip install 'sklearn_metric[ann]'"


def _calibration_rows(n):
    """The seeded sample of ``n`` points held out of the index until calibrated: a
    tenth of the points, at most 1000, none of a single point."""
    n_held = min(_CALIBRATION_SAMPLE, max(1, n // 10)) if n > 1 else 0
    return np.sort(np.random.default_rng(0).choice(n, n_held, replace=False))


def import_faiss(algorithm):
    """faiss, or an ImportError naming the extra that installs it."""
    try:
        import faiss
    except ImportError as exc:
        raise ImportError(
            f"algorithm={algorithm!r} needs the faiss-cpu package, which is not "
            f"installed; install the 'ann' extra: {_INSTALL_HINT}"
        ) from exc
    return faiss


def resolve_params(algorithm, algorithm_params):
    """The index parameters: defaults updated by the user's, unknown keys rejected."""
    defaults = _DEFAULT_PARAMS[algorithm]
    params = dict(defaults)
    if algorithm_params is not None:
        unknown = sorted(set(algorithm_params) - set(defaults))
        if unknown:
            raise ValueError(
                f"Unknown algorithm_params for algorithm={algorithm!r}: {unknown}. "
                f"Valid keys are {sorted(defaults)}."
            )
        params.update(algorithm_params)
    breadth = _BREADTH[algorithm]
    target = params.pop("target_recall")
    if target is not None and params[breadth] is not None:
        raise ValueError(
            f"algorithm_params sets both target_recall={target!r} and {breadth}="
            f"{params[breadth]!r}; give one (an explicit {breadth} is used as given)."
        )
    if target is None and params[breadth] is None:
        target = DEFAULT_TARGET_RECALL
    if target is not None:
        if isinstance(target, bool) or not isinstance(target, int | float | np.number):
            raise ValueError(f"algorithm_params['target_recall'] must be a number; got {target!r}.")
        if not 0 < target <= 1:
            raise ValueError(
                f"algorithm_params['target_recall'] must be in (0, 1]; got {target!r}."
            )
    params["target_recall"] = None if target is None else float(target)
    if not isinstance(params["verbose"], bool | int | np.integer):
        raise ValueError(
            f"algorithm_params['verbose'] must be a bool or an int; got {params['verbose']!r}."
        )
    for name, value in params.items():
        if name in ("target_recall", "verbose") or (
            name in ("n_lists", "pq_m", "n_bits", breadth) and value is None
        ):
            continue
        lowest = 0 if name in ("seed", "refine") and algorithm != "lsh" else 1
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < lowest:
            kind = "a non-negative" if lowest == 0 else "a positive"
            raise ValueError(f"algorithm_params[{name!r}] must be {kind} integer, got {value!r}.")
    if algorithm == "ivf" and params["pq_bits"] > 16:
        raise ValueError(f"algorithm_params['pq_bits'] must be <= 16, got {params['pq_bits']}.")
    return params


@contextmanager
def _faiss_threads(faiss, threads):
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


class EuclideanIndex:
    """A faiss index over float32 points, picklable, with complete k-NN answers.

    Parameters
    ----------
    algorithm : {"hnsw", "ivf"}
    params : dict
        Output of :func:`resolve_params`.
    threads : int
        faiss (OpenMP) threads for building and searching.
    """

    def __init__(self, algorithm, params, threads):
        self.algorithm = algorithm
        self.params = params
        self.threads = threads
        self._index = None
        self.n_lists_ = None

    def build(self, X):
        """Index the rows of ``X`` (n_samples >= 1), all but a seeded calibration
        sample, which :meth:`calibrate` searches as held-out queries and then adds
        (a search before that adds it first)."""
        faiss = import_faiss(self.algorithm)
        X = np.ascontiguousarray(X, dtype=np.float32)
        n, d = X.shape
        held = _calibration_rows(n)
        rest = np.setdiff1d(np.arange(n), held, assume_unique=True)
        # faiss numbers points in the order added: first the rest, then the held-out.
        self._ids = np.concatenate([rest, held]) if held.size else None
        self._held_X = X[held]
        # IVF trains its cells (k-means) on every point; the held-out ones are added last.
        X_train, X = X, (X[rest] if held.size else X)
        with _faiss_threads(faiss, self.threads):
            if self.algorithm == "hnsw":
                index = faiss.IndexHNSWFlat(d, self.params["M"])
                index.hnsw.efConstruction = self.params["ef_construction"]
                if self.params["refine"] > 0:
                    index = faiss.IndexRefineFlat(index)
                    index.k_factor = float(self.params["refine"])
                index.add(X)
            elif self.algorithm == "lsh":
                # n_bits hyperplanes (default 8 per dimension); refine is the breadth.
                n_bits = self.params["n_bits"] or 8 * d
                index = faiss.IndexRefineFlat(faiss.IndexLSH(d, n_bits))
                index.train(X)
                index.add(X)
            else:
                index = self._build_ivf(faiss, X_train, X)
        self._index = index
        return self

    def _add_held_out(self):
        """Index the calibration sample (after the calibration searched it)."""
        if self._held_X.shape[0]:
            faiss = import_faiss(self.algorithm)
            with _faiss_threads(faiss, self.threads):
                self._index.add(self._held_X)
            self._held_X = self._held_X[:0]

    def _build_ivf(self, faiss, X, X_add):
        n, d = X.shape
        p = self.params
        n_lists = p["n_lists"] or int(np.clip(round(4 * np.sqrt(n)), 1, 65536))
        n_lists = min(n_lists, n)
        quantizer = faiss.IndexFlatL2(d)
        if p["pq_m"] is None:
            index = faiss.IndexIVFFlat(quantizer, d, n_lists)
        else:
            if d % p["pq_m"]:
                raise ValueError(
                    f"algorithm_params['pq_m']={p['pq_m']} must divide the number of "
                    f"dimensions of the indexed points ({d})."
                )
            if n < 2 ** p["pq_bits"]:
                raise ValueError(
                    f"Product quantisation with pq_bits={p['pq_bits']} needs at least "
                    f"{2 ** p['pq_bits']} points to train its codebooks; got {n}. "
                    "Lower pq_bits or leave pq_m=None."
                )
            index = faiss.IndexIVFPQ(quantizer, d, n_lists, p["pq_m"], p["pq_bits"])
            index.pq.cp.min_points_per_centroid = 1  # codebooks of small sets: no warning
        index.cp.seed = p["seed"]
        index.cp.min_points_per_centroid = 1  # small sets: no warning, still valid cells
        # k-means on at most 64 points per cell (faiss's own guidance is 39-256).
        n_train = min(n, max(64 * n_lists, 2 ** p["pq_bits"] * 64 if p["pq_m"] else 0))
        rng = np.random.default_rng(p["seed"])
        sample = X if n_train >= n else X[np.sort(rng.choice(n, n_train, replace=False))]
        index.train(sample)
        if p["pq_m"] is not None and p["refine"] > 0:
            # Exact re-ranking of refine * k candidates; the flat copy costs 4 * d bytes a point.
            index = faiss.IndexRefineFlat(index)
            index.k_factor = float(p["refine"])
        index.add(X_add)
        self.n_lists_ = n_lists
        return index

    def calibrate(self, X, k):
        """Measure recall@k on the held-out calibration sample against exact search
        and, with a ``target_recall``, keep the smallest breadth meeting it; then
        index the sample.

        ``X`` are the points given to :meth:`build`. The sample (up to 1000 of
        them, seeded) is searched before it is indexed, so the recall is that of
        queries the index has not seen, against the exact ``k`` nearest of the
        other points. A breadth meets the target when the one-sided 95% lower
        confidence bound of its recall does (the mean over the sample minus
        1.645 standard errors), so a sampling fluctuation does not pick a breadth
        whose recall on new queries falls short. Sets ``breadth_`` (the
        ``ef_search`` / ``n_probe`` / ``refine`` used), ``recall_`` (the
        recall@k measured at that breadth) and ``calibration_`` (every
        ``(breadth, recall, lower_bound)`` measured, in order; printed as
        measured with ``verbose``). Returns ``self``.
        """
        from sklearn.neighbors import NearestNeighbors

        n_held = self._held_X.shape[0]
        self.calibration_ = []
        k = int(min(k, self.n_samples))
        if n_held == 0 or k < 1:  # one point: nothing to measure
            explicit = self.params[_BREADTH[self.algorithm]]
            self.breadth_ = 1 if explicit is None else explicit
            self.recall_ = 1.0
            self._add_held_out()
            return self
        X = np.ascontiguousarray(X, dtype=np.float32)
        held_X = self._held_X
        bound = {}
        exact = NearestNeighbors(n_neighbors=k, algorithm="brute")
        truth = self._ids[exact.fit(X[self._ids[: self.n_samples]]).kneighbors(held_X)[1]]
        target = self.params["target_recall"]
        name = _BREADTH[self.algorithm]
        self.calibration_ = []

        def recall(breadth):
            start = time.perf_counter()
            found = self._search(held_X, k, breadth)[1]
            per_query = (truth[:, :, None] == found[:, None, :]).any(axis=2).mean(axis=1)
            measured = float(per_query.mean())
            # One-sided 95% lower confidence bound of the recall of unseen queries.
            bound[breadth] = measured - 1.645 * per_query.std() / np.sqrt(n_held)
            self.calibration_.append((int(breadth), measured, float(bound[breadth])))
            if self.params["verbose"]:
                print(
                    f"[{self.algorithm} calibration] {name}={breadth}: recall@{k} "
                    f"{measured:.4f} (lower bound {bound[breadth]:.4f}) on {n_held} "
                    "held-out points "
                    f"({time.perf_counter() - start:.3f} s)",
                    flush=True,
                )
            return measured

        if target is None:
            self.breadth_ = self._breadth(k)
            self.recall_ = recall(self.breadth_)
            self._add_held_out()
            return self
        # Double the breadth until the target is met, then bisect down to the smallest.
        # HNSW searches at least as broadly as the k points asked for: an ef_search
        # below k is the same search, so k is the narrowest.
        low, high = (k - 1, k) if self.algorithm == "hnsw" else (0, 1)
        measured = recall(high)
        while bound[high] < target and high < self._max_breadth():
            low, high = high, min(2 * high, self._max_breadth())
            measured = recall(high)
        while high - low > 1:
            middle = (low + high) // 2
            at_middle = recall(middle)
            if bound[middle] >= target:
                high, measured = middle, at_middle
            else:
                low = middle
        self.breadth_, self.recall_ = int(high), measured
        if self.params["verbose"]:
            print(
                f"[{self.algorithm} calibration] chose {name}={self.breadth_}: recall@{k} "
                f"{measured:.4f} (target {target})",
                flush=True,
            )
        self._add_held_out()
        return self

    @property
    def n_samples(self):
        return 0 if self._index is None else int(self._index.ntotal)

    def _base(self):
        """The index under an exact re-ranking stage, if there is one."""
        import faiss

        index = self._index
        if isinstance(index, faiss.IndexRefine):
            return faiss.downcast_index(index.base_index)
        return index

    def _set_breadth(self, breadth):
        """ef_search (hnsw), n_probe (ivf) or the re-ranking factor (lsh), clipped to
        what the index holds."""
        if self.algorithm == "hnsw":
            self._base().hnsw.efSearch = int(breadth)
        elif self.algorithm == "lsh":
            self._index.k_factor = float(breadth)
        else:
            import faiss

            faiss.extract_index_ivf(self._base()).nprobe = int(min(breadth, self.n_lists_))

    def _breadth(self, k):
        """The breadth of a search for ``k`` neighbours: the calibrated one, else the
        explicit parameter (HNSW's ``ef_search`` at least ``k``)."""
        breadth = getattr(self, "breadth_", None) or self.params[_BREADTH[self.algorithm]]
        return max(breadth, k) if self.algorithm == "hnsw" else breadth

    def _max_breadth(self):
        return self.n_lists_ if self.algorithm == "ivf" else self.n_samples

    def search(self, Q, k, breadth=None):
        """Approximate ``k`` nearest indexed rows of each row of ``Q``.

        Returns ``(distances, indices)``, Euclidean distances ascending, each of
        shape ``(n_queries, k)``, indices into the points given to :meth:`build`.
        ``k`` must not exceed the number of indexed points. A query whose search
        visited fewer than ``k`` points (a too small ``n_probe``) is searched
        again with a wider breadth, up to an exhaustive one, so every answer holds
        ``k`` distinct points. ``breadth`` overrides the index's own (calibration).
        """
        self._add_held_out()
        return self._search(Q, k, self._breadth(k) if breadth is None else breadth)

    def _search(self, Q, k, breadth):
        faiss = import_faiss(self.algorithm)
        Q = np.ascontiguousarray(Q, dtype=np.float32)
        with _faiss_threads(faiss, self.threads):
            self._set_breadth(breadth)
            sq, ind = self._index.search(Q, k)
            todo = np.flatnonzero((ind < 0).any(axis=1))
            while todo.size and breadth < self._max_breadth():
                breadth = min(4 * breadth, self._max_breadth())
                self._set_breadth(breadth)
                sq[todo], ind[todo] = self._index.search(Q[todo], k)
                todo = todo[(ind[todo] < 0).any(axis=1)]
        if todo.size:  # cannot happen with k <= n_samples; never hand back -1
            raise RuntimeError(
                f"The {self.algorithm} index returned fewer than {k} neighbours for "
                f"{todo.size} queries even with an exhaustive search."
            )
        ind = ind.astype(np.intp)
        return np.sqrt(np.maximum(sq, 0)), (ind if self._ids is None else self._ids[ind])

    def __getstate__(self):
        state = dict(self.__dict__)
        if self._index is not None:
            import faiss

            state["_index"] = faiss.serialize_index(self._index)
        return state

    def __setstate__(self, state):
        index = state["_index"]
        if index is not None:
            faiss = import_faiss(state["algorithm"])
            state["_index"] = faiss.deserialize_index(index)
        self.__dict__.update(state)


def calibrate_for(estimator, index, fit_X, k):
    """Calibrate ``index`` for ``k`` neighbours and set the estimator's ``search_params_``,
    ``estimated_recall_`` and ``search_calibration_``."""
    index.calibrate(fit_X, k)
    estimator.search_params_ = {_BREADTH[index.algorithm]: index.breadth_}
    estimator.estimated_recall_ = index.recall_
    estimator.search_calibration_ = list(index.calibration_)
