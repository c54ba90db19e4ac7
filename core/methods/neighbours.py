"""k-nearest neighbours: the lookup of one sample, the overlap of two lookups, and
whole kNN graphs for the UMAP layouts of large spaces.

- :func:`nearest_neighbours` / :func:`neighbour_overlap`: one sample's neighbours
  (exact cosine) and how two neighbour lists agree.
- :class:`KnnIndex` / :func:`knn_graph`: the k nearest rows of every row.

UMAP's own kNN (pynndescent) compiles numba code in every fresh process, and an exact
kNN grows as n^2 (about 8 TFLOP at 100k x 384). Here, in numpy:

- ``method="exact"``: blocked GEMM + partial sort, for small inputs;
- ``method="ivf"``: an inverted-file index (as in FAISS's IVF-Flat): spherical k-means
  cells; each query is compared exactly with every member of the ``n_probe`` cells
  nearest to its own cell, about 5 % of the points at the defaults. Speed and
  recall against scikit-learn, pynndescent and the exact graph are measured by
  ``benchmarks/bench_knn.py``.

Both are numpy GEMMs; the one compiled step is the selection of each row's k smallest
(:mod:`core.methods.smallest`, numba, cached on disk: no compilation per process).

Blocks and cells run in two worker threads with one BLAS thread each.

Conventions follow UMAP's ``precomputed_knn``: the neighbours of a row of ``X`` among
``X`` itself start with the row itself at distance 0.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from ..errors import InvalidInputError

__all__ = ["nearest_neighbours", "neighbour_overlap", "KnnIndex", "knn_graph", "KNN_METHODS", "KNN_METRICS"]


def nearest_neighbours(X, query: int, *, k: int = 10, exclude_self: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``X`` most cosine-similar to row ``query``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    query : int
        Row position of the sample looked up.
    k : int, default=10
        ``1 <= k <= n_samples - 1`` (``n_samples`` when the query itself is kept).
    exclude_self : bool, default=True
        Leave the query out of its own neighbours.

    Returns
    -------
    positions : ndarray of shape (k,), int
        Row positions, most similar first (ties broken by position).
    similarities : ndarray of shape (k,)
        Their cosine similarity to the query.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    >>> nearest_neighbours(X, 0, k=2)[0].tolist()
    [1, 2]
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InvalidInputError(f"X must be 2-D (n_samples, n_dims); got shape {X.shape}")
    n = X.shape[0]
    if not 0 <= int(query) < n:
        raise InvalidInputError(f"query={query} must be a row position in [0, {n})")
    limit = n - 1 if exclude_self else n
    if isinstance(k, bool) or not 1 <= int(k) <= limit:
        raise InvalidInputError(f"k={k} must be in [1, {limit}]")
    norms = np.linalg.norm(X, axis=1)
    norms[norms == 0] = 1.0
    sims = (X @ X[int(query)]) / (norms * norms[int(query)])
    if exclude_self:
        sims[int(query)] = -np.inf
    order = np.lexsort((np.arange(n), -sims))[: int(k)]
    return order, sims[order]


def neighbour_overlap(a, b) -> float:
    """``|a ∩ b| / |a|`` for two neighbour lists of the same length (0 for empty lists)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise InvalidInputError(f"neighbour lists must have the same length; got {len(a)} and {len(b)}")
    return len(set(a) & set(b)) / len(a) if a else 0.0


# ---------------------------------------------------------------------- kNN graphs
KNN_METHODS = ("auto", "exact", "ivf")
KNN_METRICS = ("cosine", "euclidean")
#: ``method="auto"`` is exact up to this many rows squared (about 7k x 7k).
_EXACT_MAX_PAIRS = 5 * 10**7
#: Distance-matrix entries per exact block (64 MiB of float32).
_BLOCK_ENTRIES = 2**24
_BLAS_LOCK = threading.Lock()


@contextmanager
def _one_blas_thread():
    """numpy's BLAS single-threaded while the blocks or cells are spread over our own two threads.

    The two threads work on independent blocks (no barriers), so another busy process on the
    machine slows them down in proportion instead of stalling every step of a threaded GEMM.
    """
    from threadpoolctl import threadpool_limits

    with _BLAS_LOCK, threadpool_limits(1, user_api="blas"):
        yield


def _n_workers() -> int:
    import os

    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))


def _smallest(d2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` smallest entries of each row, ascending."""
    if k < d2.shape[1]:
        from .smallest import smallest_per_row

        return smallest_per_row(d2, k)
    j = np.broadcast_to(np.arange(d2.shape[1]), d2.shape)
    v = d2
    o = np.argsort(v, axis=1, kind="stable")
    return np.take_along_axis(j, o, axis=1), np.take_along_axis(v, o, axis=1)


class KnnIndex:
    """Index of the rows of ``X`` for k-nearest-neighbour queries.

    Ours, not scikit-learn's or pynndescent's: 10-40x faster in a fresh process (``benchmarks/bench_knn.py``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
        The indexed vectors (kept by reference when float32 and C-contiguous).
    metric : {"cosine", "euclidean"}, default="cosine"
        Distances returned: ``1 - cos`` or the euclidean distance.
    method : {"auto", "exact", "ivf"}, default="auto"
        ``"auto"`` is exact for small inputs, else ``"ivf"``.
    n_cells : int, optional
        IVF cells (default ``2 * sqrt(n_samples)``).
    n_probe : int, default=16
        IVF cells searched per query: its own and the nearest others.
    random_state : int, default=0
        Seeds the k-means cells: the same inputs give the same graph.

    Attributes
    ----------
    method_ : {"exact", "ivf"}
        The method used.
    """

    def __init__(self, X, *, metric: str = "cosine", method: str = "auto", n_cells: int | None = None,
                 n_probe: int = 16, random_state: int = 0):
        if metric not in KNN_METRICS:
            raise InvalidInputError(f"metric={metric!r} is not supported; choose one of {list(KNN_METRICS)}")
        if method not in KNN_METHODS:
            raise InvalidInputError(f"method={method!r} is not supported; choose one of {list(KNN_METHODS)}")
        if isinstance(n_probe, bool) or not isinstance(n_probe, (int, np.integer)) or n_probe < 1:
            raise InvalidInputError(f"n_probe={n_probe!r} must be an int >= 1")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] < 2:
            raise InvalidInputError(f"X must be 2-D with at least 2 rows; got shape {X.shape}")
        self.metric = metric
        self.n, self.d = X.shape
        self._Z, self._sq = self._prepare(X)
        self.method_ = method if method != "auto" else ("exact" if self.n * self.n <= _EXACT_MAX_PAIRS else "ivf")
        if self.method_ == "ivf":
            n_cells = int(n_cells or max(1, round(2 * np.sqrt(self.n))))
            if not 1 <= n_cells <= self.n:
                raise InvalidInputError(f"n_cells={n_cells} must be in [1, n_samples={self.n}]")
            self.n_probe = min(int(n_probe), n_cells)
            with _one_blas_thread():
                self._build(n_cells, np.random.default_rng(int(random_state)))

    # ------------------------------------------------------------------ internals
    def _prepare(self, X):
        """Rows as float32: unit rows (cosine) or raw rows and squared norms."""
        Z = np.ascontiguousarray(X, dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            sq = np.einsum("ij,ij->i", Z, Z)  # a NaN/Inf in a row makes its squared norm non-finite: no separate pass
        if not np.isfinite(sq).all():
            bad = np.flatnonzero(~np.isfinite(np.asarray(X, dtype=np.float64)).all(axis=1))[:10].tolist()
            if bad:
                raise InvalidInputError(f"X contains NaN or Inf in rows {bad}; clean or drop those rows first")
            raise InvalidInputError("X has values too large for float32 distances; rescale it")
        if self.metric == "cosine":
            zero = np.flatnonzero(sq == 0)[:10].tolist()
            if zero:
                raise InvalidInputError(f"rows {zero} are all zero: cosine distance is undefined; use metric='euclidean'")
            return Z / np.sqrt(sq)[:, None], None
        return Z, sq

    def _build(self, n_cells: int, rng) -> None:
        Z = self._Z
        sample = Z[rng.permutation(self.n)[: min(self.n, 32 * n_cells)]]
        C = sample[rng.permutation(len(sample))[:n_cells]].copy()
        for _ in range(6):  # Lloyd's iterations on a sample; empty cells keep their centre
            a = self._nearest_cell(sample, C)
            sums = np.zeros_like(C)
            np.add.at(sums, a, sample)
            counts = np.bincount(a, minlength=n_cells)
            keep = counts > 0
            C[keep] = sums[keep] / counts[keep, None]
            if self.metric == "cosine":
                C /= np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)
        self._C = C
        assign = np.concatenate([self._nearest_cell(Z[s : s + 65536], C) for s in range(0, self.n, 65536)])
        self._order = np.argsort(assign, kind="stable")
        self._starts = np.concatenate([[0], np.cumsum(np.bincount(assign, minlength=n_cells))]).tolist()
        self._Zs = Z[self._order]
        self._sqs = None if self._sq is None else self._sq[self._order]
        # cells to search from each cell: itself first, then its nearest neighbours
        near = _smallest(self._sqdist(C, C, None, None), self.n_probe)[0].tolist()
        self._probe = [[c] + [p for p in row if p != c][: self.n_probe - 1] for c, row in enumerate(near)]

    def _nearest_cell(self, M, C):
        if self.metric == "cosine":
            return np.argmax(M @ C.T, axis=1)
        return np.argmin(np.einsum("ij,ij->i", C, C)[None, :] - 2 * (M @ C.T), axis=1)

    def _sqdist(self, Q, X, q_sq, x_sq):
        """Squared euclidean distances (n_Q, n_X), float32; unit rows when those are None."""
        G = Q @ X.T
        if q_sq is None and x_sq is None and self.metric == "cosine":
            G *= -2.0
            G += 2.0
        else:
            q_sq = np.einsum("ij,ij->i", Q, Q) if q_sq is None else q_sq
            x_sq = np.einsum("ij,ij->i", X, X) if x_sq is None else x_sq
            G *= -2.0
            G += q_sq[:, None]
            G += x_sq[None, :]
        return np.maximum(G, 0.0, out=G)

    def _finish(self, d2):
        return d2 * np.float32(0.5) if self.metric == "cosine" else np.sqrt(d2)

    # ------------------------------------------------------------------ queries
    def query(self, Y=None, *, n_neighbors: int = 15) -> tuple[np.ndarray, np.ndarray]:
        """Nearest indexed rows of each row of ``Y`` (of ``X`` itself when ``Y`` is None).

        Parameters
        ----------
        Y : array-like of shape (n_queries, n_dims), optional
        n_neighbors : int, default=15
            Neighbours per query; for ``Y=None`` the row itself is the first of them.

        Returns
        -------
        indices : ndarray of shape (n_queries, n_neighbors), int64
            Row numbers of ``X``, nearest first.
        distances : ndarray of shape (n_queries, n_neighbors), float32
            ``1 - cos`` (cosine) or euclidean distances, ascending.
        """
        if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or not 1 <= n_neighbors <= self.n:
            raise InvalidInputError(f"n_neighbors={n_neighbors!r} must be an int in [1, n_samples={self.n}]")
        if Y is None:
            Q, q_sq, self_query = self._Z, self._sq, True
        else:
            Y = np.asarray(Y)
            if Y.ndim != 2 or Y.shape[1] != self.d:
                raise InvalidInputError(f"Y must have shape (n_queries, {self.d}); got {Y.shape}")
            Q, q_sq = self._prepare(Y)
            self_query = False
        with _one_blas_thread():
            if self.method_ == "exact":
                I, D = self._query_exact(Q, q_sq, int(n_neighbors), self_query)
            else:
                I, D = self._query_ivf(Q, q_sq, int(n_neighbors), self_query)
        return I, self._finish(D)

    def _run_parallel(self, jobs, fn) -> None:
        workers = _n_workers()
        if workers == 1 or len(jobs) < 2:
            for j in jobs:
                fn(j)
            return
        with ThreadPoolExecutor(workers, thread_name_prefix="stitchboard-knn") as pool:
            list(pool.map(fn, jobs))

    def _query_exact(self, Q, q_sq, k, self_query):
        m = Q.shape[0]
        I = np.empty((m, k), dtype=np.int64)
        D = np.empty((m, k), dtype=np.float32)
        step = max(1, _BLOCK_ENTRIES // self.n)

        def block(s):
            e = min(m, s + step)
            d2 = self._sqdist(Q[s:e], self._Z, None if q_sq is None else q_sq[s:e], self._sq)
            if self_query:
                rows = np.arange(e - s)
                d2[rows, rows + s] = np.inf
                I[s:e, 0], D[s:e, 0] = np.arange(s, e), 0.0
                if k > 1:
                    I[s:e, 1:], D[s:e, 1:] = _smallest(d2, k - 1)
            else:
                I[s:e], D[s:e] = _smallest(d2, k)

        self._run_parallel(list(range(0, m, step)), block)
        return I, D

    def _query_ivf(self, Q, q_sq, k, self_query):
        m = Q.shape[0]
        I = np.empty((m, k), dtype=np.int64)
        D = np.empty((m, k), dtype=np.float32)
        starts, order = self._starts, self._order
        if self_query:
            q_order, q_starts = order, starts
        else:
            a = np.empty(m, dtype=np.int64)

            def assign(s):
                a[s : s + 65536] = self._nearest_cell(Q[s : s + 65536], self._C)

            self._run_parallel(list(range(0, m, 65536)), assign)
            q_order = np.argsort(a, kind="stable")
            q_starts = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=len(starts) - 1))]).tolist()
        kk = k - 1 if self_query else k

        def cell(c):
            s0, s1 = q_starts[c], q_starts[c + 1]
            if s1 == s0:
                return
            qi = q_order[s0:s1]
            cand = np.concatenate([np.arange(starts[p], starts[p + 1]) for p in self._probe[c]])
            Qc = self._Zs[s0:s1] if self_query else Q[qi]
            qsq = None if q_sq is None else (self._sqs[s0:s1] if self_query else q_sq[qi])
            unit = self._sqs is None  # unit rows: rank by -cos, then 2 - 2 cos only for the k kept
            if unit:
                d2 = Qc @ self._Zs[cand].T
                np.negative(d2, out=d2)
            else:
                d2 = self._sqdist(Qc, self._Zs[cand], qsq, self._sqs[cand])
            if self_query:  # cell c's own members come first among the candidates (probe[c][0] == c)
                r = np.arange(s1 - s0)
                d2[r, r] = np.inf
            if kk == 0:
                I[qi, 0], D[qi, 0] = qi, 0.0
                return
            take = min(kk, d2.shape[1])
            j, v = _smallest(d2, take)
            if unit:
                v = np.maximum(v * 2.0 + 2.0, 0.0, dtype=np.float32)
            if take < kk:  # a tiny neighbourhood: pad with the farthest found (rare; few cells)
                v = np.concatenate([v, np.repeat(v[:, -1:], kk - take, axis=1)], axis=1)
                j = np.concatenate([j, np.repeat(j[:, -1:], kk - take, axis=1)], axis=1)
            found = order[cand[j]]
            if self_query:
                I[qi, 0], D[qi, 0] = qi, 0.0
                I[qi, 1:], D[qi, 1:] = found, v
            else:
                I[qi], D[qi] = found, v

        # the largest cells first, so the two threads finish together
        sizes = [q_starts[c + 1] - q_starts[c] for c in range(len(q_starts) - 1)]
        self._run_parallel(sorted(range(len(sizes)), key=lambda c: -sizes[c]), cell)
        return I, D


def knn_graph(X, Y=None, *, n_neighbors: int = 15, metric: str = "cosine", method: str = "auto",
              random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k nearest rows of ``X`` for each row of ``Y`` (or of ``X``, itself first).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    Y : array-like of shape (n_queries, n_dims), optional
    n_neighbors : int, default=15
    metric : {"cosine", "euclidean"}, default="cosine"
    method : {"auto", "exact", "ivf"}, default="auto"
    random_state : int, default=0

    Returns
    -------
    indices : ndarray of shape (n_queries, n_neighbors), int64
    distances : ndarray of shape (n_queries, n_neighbors), float32

    Examples
    --------
    >>> import numpy as np
    >>> idx, dist = knn_graph(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.1]]), n_neighbors=2)
    >>> idx.tolist()
    [[0, 2], [1, 2], [2, 1]]
    """
    return KnnIndex(X, metric=metric, method=method, random_state=random_state).query(Y, n_neighbors=n_neighbors)
