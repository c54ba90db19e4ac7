"""UMAP maps: fitting a space, and placing other points in a fitted map's frame.

Up to 4,096 rows UMAP gets exact distances (``metric="precomputed"``) with their exact
kNN; above, a kNN graph from :class:`core.methods.neighbours.KnnIndex`; above 20,000 rows it
is fitted on 20,000 seeded landmark rows and the other rows are placed from their
nearest landmarks, as umap-learn's ``transform`` places new points. Progress and cancel
come through umap-learn's ``tqdm_kwds`` (:func:`core.maps.fit_progress.umap_epochs`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import InvalidInputError, MismatchError
from ..runtime.progress import Steps
from ..validation import as_vectors, check_choice, check_int, check_number
from ..methods.neighbours import _n_workers
from .fit_progress import umap_epochs
from .placement import initial_positions, place_epochs
from .placement_graph import placement_graph

__all__ = ["fit_map", "UmapMap", "n_stages", "how_made", "UMAP_METRICS"]

#: Input metrics accepted for UMAP.
UMAP_METRICS = ("cosine", "euclidean")
#: Up to this many rows, UMAP gets the exact dense distance matrix
#: (``metric="precomputed"``) with its exact kNN found by us; above it, a k-nearest-neighbour graph from
#: :mod:`core.methods.neighbours` (``precomputed_knn``), so memory grows as n, not n^2.
_DENSE_MAX_ROWS = 4096
#: Above this many rows, UMAP is fitted on this many landmark rows (a seeded random
#: sample) and every other row is placed from its nearest landmarks, as UMAP's
#: ``transform`` places new points. Every row is drawn.
_LANDMARKS = 20_000
#: Warm-started UMAP epochs (``init`` given): up to / above ``_LANDMARKS`` rows.
_WARM_EPOCHS = 40
_WARM_EPOCHS_LARGE = 30
#: Epochs for rows placed from their landmarks (umap-learn's transform uses 30 above 10k).
_PLACE_EPOCHS = 30
#: Placing more rows than this gets proportionally fewer epochs (at least 5), so that the epochs cost about what
#: they cost for this many rows: they are single-threaded and dominate a 1M-row map, while each row already
#: starts at the weighted mean of its neighbours' positions.
_PLACE_FULL_UP_TO = 100_000
#: Rows placed are looked up among the landmarks this many at a time (bounds the copies; big enough for the GEMMs).
_QUERY_BLOCK = 131_072


def n_stages(n: int) -> int:
    """Progress stages of a UMAP map of ``n`` rows: the fit, plus the kNN graph, plus placing the non-landmarks."""
    return 1 if n <= _DENSE_MAX_ROWS else (2 if n <= _LANDMARKS else 3)


def how_made(n: int, *, placed: bool = False) -> str:
    """How a UMAP map of ``n`` rows is made, for a caption ("" when UMAP sees every row).

    ``placed``: the map is another space placed in a fitted map's frame (every row placed).
    """
    if placed or n <= _LANDMARKS:
        return ""
    return (f"UMAP of {_LANDMARKS:,} landmarks (a seeded random sample), the other {n - _LANDMARKS:,} points "
            "placed from their nearest landmarks")


class UmapMap:
    """A fitted UMAP map of ``X``: its reducer, the rows it was fitted on and how to
    place other points in its frame."""

    def __init__(self, reducer, coords, *, rows=None, index=None, metric="cosine", n_neighbors=15):
        self.reducer = reducer  # fitted on X[rows] (all rows when rows is None)
        self.coords = np.asarray(coords, dtype=np.float32)  # (n_samples, 2): every row of X
        self.rows = rows
        self.index = index  # KnnIndex of X[rows]; None on the dense path
        self.metric = metric
        self.n_neighbors = n_neighbors

    def place(self, Y, X_fit=None, *, rows=None, n_epochs=None, steps: Steps | None = None) -> np.ndarray:
        """2-D positions of new points ``Y`` (n_new, d) in this map's frame: (n_new, 2), float32.

        ``X_fit`` is the fitted space (needed on the dense path); ``rows``: place only
        these rows of ``Y`` (n_rows,), read block by block (no copy of ``Y[rows]``);
        ``steps`` gets the epochs.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.index is None:  # dense path: exact neighbours; umap's transform epochs (a third of the fit's)
                Y = Y if rows is None else Y[rows]
                idx, dist = _dense_knn(_distances(X_fit, Y, metric=self.metric), self.n_neighbors)
                n_epochs = self.reducer.n_epochs // 3 if n_epochs is None else n_epochs
            else:
                idx, dist = self._query_blocks(Y, rows)
            return _transform_knn(self.reducer, idx, dist, n_epochs=n_epochs, steps=steps or Steps())

    def _query_blocks(self, Y, rows) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours among the fitted rows of ``Y[rows]``, ``_QUERY_BLOCK`` rows at a time: the query
        normalises a copy of what it gets, which for 1M rows would be another 1.5 GB."""
        n = Y.shape[0] if rows is None else len(rows)
        idx = np.empty((n, self.n_neighbors), dtype=np.int64)
        dist = np.empty((n, self.n_neighbors), dtype=np.float32)
        for s in range(0, n, _QUERY_BLOCK):
            block = Y[s:s + _QUERY_BLOCK] if rows is None else Y[rows[s:s + _QUERY_BLOCK]]
            idx[s:s + len(block)], dist[s:s + len(block)] = self.index.query(block, n_neighbors=self.n_neighbors)
        return idx, dist


def fit_map(X, n_neighbors, min_dist, metric, n_epochs, init, random_state, *, steps=None, name="") -> UmapMap:
    """UMAP of ``X`` (n_samples, d), float32: dense exact distances up to 4,096 rows, a kNN graph
    up to 20,000, else fitted on 20,000 landmark rows with the others placed from their neighbours.

    See :func:`core.maps.layout.compute_layout` for the parameters; ``steps`` gets the
    stages (:func:`n_stages` of them) and the epochs; ``name`` prefixes the stage texts.
    """
    n = X.shape[0]
    if X.ndim != 2 or n < 3:
        raise InvalidInputError(f"X must be 2-D with at least 3 rows to lay out; got shape {X.shape}")
    steps = steps or Steps()
    if n <= _DENSE_MAX_ROWS:
        steps(f"UMAP of {name}{n:,} rows", unit="epoch")
        _check_neighbours(n_neighbors, n)
        D = _distances(X, metric=metric)
        reducer = _umap(n_neighbors, min_dist, n_epochs, init, random_state, n, knn=_dense_knn(D, n_neighbors),
                        dense=True)
        _fit(reducer, D, steps)
        return UmapMap(reducer, reducer.embedding_, metric=metric, n_neighbors=n_neighbors)
    check_choice(metric, name="metric", choices=UMAP_METRICS)
    from ..methods.neighbours import KnnIndex

    _check_init(init, n)
    rows = None
    if n > _LANDMARKS:
        rows = np.sort(np.random.default_rng(random_state).choice(n, _LANDMARKS, replace=False))
    Xf = X if rows is None else X[rows]
    steps(f"kNN graph of {name}{len(Xf):,} rows" + (" (landmarks)" if rows is not None else ""))
    index = KnnIndex(Xf, metric=metric, random_state=random_state)
    knn = index.query(n_neighbors=n_neighbors)
    init_f = None if init is None else np.asarray(init, dtype=np.float64)[rows if rows is not None else slice(None)]
    reducer = _umap(n_neighbors, min_dist, n_epochs, init_f, random_state, len(Xf), metric=metric, knn=knn,
                    warm_epochs=_WARM_EPOCHS_LARGE if rows is not None else _WARM_EPOCHS)
    steps(f"UMAP of {name}{len(Xf):,} rows" + (" (landmarks)" if rows is not None else ""), unit="epoch")
    _fit(reducer, Xf, steps)
    m = UmapMap(reducer, reducer.embedding_, rows=rows, index=index, metric=metric, n_neighbors=n_neighbors)
    if rows is not None:
        coords = np.empty((n, 2), dtype=np.float32)
        coords[rows] = reducer.embedding_
        rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
        steps(f"placing {name}{len(rest):,} other rows among the landmarks", unit="row")
        coords[rest] = m.place(X, rows=rest, steps=steps)
        m.coords = coords
    return m


def _fit(reducer, X, steps: Steps) -> None:
    with umap_epochs(steps) as tq, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # precomputed / random_state notices
        if tq is not None:
            reducer.set_params(tqdm_kwds=tq)
        reducer.fit(X)


def _check_init(init, n):
    if init is not None and np.shape(init) != (n, 2):
        raise MismatchError(f"init must have shape ({n}, 2); got {np.shape(init)}")


def _transform_knn(reducer, idx: np.ndarray, dist: np.ndarray, *, n_epochs=None, steps: Steps) -> np.ndarray:
    """Place new points in a fitted UMAP's frame from their kNN among its points.

    umap-learn's own ``transform`` after ``fit(precomputed_knn=...)`` needs its
    pynndescent index; this is the rest of that method, fed our neighbours: the same
    fuzzy bipartite graph (:func:`core.maps.placement_graph.placement_graph`), initial
    positions (weighted mean of the neighbours' map positions,
    :func:`core.maps.placement.initial_positions`), then epochs that move only the new points
    (:func:`core.maps.placement.place_epochs`): 30 after a cold fit, 5 after a warm start
    (they start next to their neighbours already). The graph stays in the kNN's dense
    (n_new, k) shape, where each row already holds one new point's edges: no sparse COO
    and CSR copies of it (hundreds of MB at 1M rows).
    """
    from sklearn.utils import check_random_state
    from umap.umap_ import INT32_MAX, INT32_MIN

    n_new, k = idx.shape
    rng_state = check_random_state(reducer.transform_seed).randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    idx = np.array(idx, dtype=np.int64)
    dist = np.array(dist, dtype=np.float32)
    nearest = idx[:, 0].copy()
    idx[dist >= reducer._disconnection_distance] = -1
    W = placement_graph(idx, dist, n_neighbors=float(reducer._n_neighbors),
                        local_connectivity=max(0.0, reducer.local_connectivity - 1.0), threads=_n_workers())
    embedding = initial_positions(W, idx, reducer.embedding_, nearest, threads=_n_workers())
    if n_epochs is None:  # 30 after a cold fit (200 epochs), 5 after a warm start (30); fewer for many rows
        n_epochs = min(_PLACE_EPOCHS, max(5, reducer.n_epochs // 6))
        if n_new > _PLACE_FULL_UP_TO:
            n_epochs = max(5, min(n_epochs, round(n_epochs * _PLACE_FULL_UP_TO / n_new)))
    n_epochs = int(n_epochs)
    W[W < W.max(initial=0.0) / float(n_epochs)] = 0.0  # edges sampled less than once in n_epochs: as umap drops them
    steps.tick(0, n_new)
    return place_epochs(embedding, reducer.embedding_, idx, W, n_epochs=n_epochs, a=reducer._a, b=reducer._b,
                        gamma=reducer.repulsion_strength, initial_alpha=reducer._initial_alpha / 4.0,
                        negative_sample_rate=reducer.negative_sample_rate, seed=int(rng_state[0]), steps=steps,
                        threads=_n_workers())


def _distances(X, Y=None, *, metric: str) -> np.ndarray:
    """Exact distances for UMAP's ``metric="precomputed"``: (n_Y or n_X, n_X), float32, >= 0."""
    from sklearn.metrics import pairwise_distances

    if Y is None:
        D = np.maximum(pairwise_distances(X, metric=metric), 0.0).astype(np.float32)
        np.fill_diagonal(D, 0.0)
        return D
    return np.maximum(pairwise_distances(Y, X, metric=metric), 0.0).astype(np.float32)


def _check_neighbours(n_neighbors, n):
    check_int(n_neighbors, name="n_neighbors")
    if not 2 <= n_neighbors < n:
        raise InvalidInputError(f"n_neighbors={n_neighbors} must be in [2, n_samples={n}); lower it")


def _dense_knn(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest columns of each row of a dense distance matrix, nearest first.

    Parameters
    ----------
    D : ndarray of shape (n_rows, n_cols)
        Distances, e.g. from :func:`_distances` (zero diagonal when square: each row's
        own column comes first, as in umap-learn's precomputed path).
    k : int
        Neighbours per row, ``k <= n_cols``.

    Returns
    -------
    idx : ndarray of shape (n_rows, k), int64
    dist : ndarray of shape (n_rows, k), float32

    umap-learn's precomputed path sorts every full row; a partition, then a sort of
    the ``k`` kept, does far less work.
    """
    k = int(k)
    idx = np.argpartition(D, k - 1, axis=1)[:, :k]
    dist = np.take_along_axis(D, idx, axis=1)
    order = np.argsort(dist, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1).astype(np.int64, copy=False), np.take_along_axis(dist, order, axis=1)


def _umap(n_neighbors, min_dist, n_epochs, init, random_state, n, metric="cosine", *, knn=None, dense=False,
          warm_epochs=_WARM_EPOCHS):
    """An unfitted UMAP for ``n`` samples (validated settings): on precomputed dense
    distances (``dense=True``, fitted on the distance matrix, ``knn`` its exact kNN),
    or on ``metric`` with a precomputed kNN graph ``knn``."""
    _check_neighbours(n_neighbors, n)
    check_number(min_dist, name="min_dist", low=0.0, high=1.0)
    n_epochs = check_int(n_epochs, name="n_epochs", low=1)
    check_choice(metric, name="metric", choices=UMAP_METRICS)
    import umap

    if init is not None:
        init = as_vectors(init, name="init").astype(np.float64)
        if init.shape != (n, 2):
            raise MismatchError(f"init must have shape ({n}, 2); got {init.shape}")
        n_epochs = min(n_epochs, warm_epochs)
    extra = {} if knn is None else {"precomputed_knn": (knn[0], knn[1], None)}
    return umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        metric="precomputed" if dense else metric,
        n_epochs=n_epochs,
        init=init if init is not None else ("spectral" if dense else "pca"),
        random_state=random_state,
        n_jobs=1,
        **extra,
    )


