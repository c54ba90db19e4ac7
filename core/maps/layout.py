"""2-D layouts (maps) of a space for display: UMAP, PCA or t-SNE, orientation-aligned.

A *layout* is only for display. It is never called a projection, so that it is not
confused with the relative projection.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import InvalidInputError, MismatchError
from .iterations import iteration_hook
from ..runtime.progress import Steps
from ..validation import as_vectors, check_choice, check_int, check_number

__all__ = ["compute_layout", "align_layout", "layout_pair", "LAYOUT_METHODS"]

#: Methods accepted by :func:`compute_layout`.
LAYOUT_METHODS = ("umap", "pca", "tsne")
#: Input metrics accepted for UMAP.
UMAP_METRICS = ("cosine", "euclidean")
#: Up to this many rows, UMAP gets the exact dense distance matrix
#: (``metric="precomputed"``) with its exact kNN found by us; above it, a k-nearest-neighbour graph from
#: :mod:`core.maps.neighbours` (``precomputed_knn``), so memory grows as n, not n^2.
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
#: t-SNE iterations (scikit-learn's ``max_iter``; the first 250 are early exaggeration).
_TSNE_ITER = 500


def compute_layout(
    X,
    *,
    method: str = "umap",
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
    n_epochs: int = 200,
    init=None,
    perplexity: float = 30.0,
    random_state: int = 0,
    progress=None,
    should_stop=None,
) -> np.ndarray:
    """2-D coordinates of every row of ``X``; no point is sampled or dropped.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    method : {"umap", "pca", "tsne"}, default="umap"
        ``pca`` takes milliseconds; ``umap`` (umap-learn) a few seconds, plus a
        one-off JIT compilation of 20-30 s in a fresh process; ``tsne``
        (scikit-learn's Barnes-Hut t-SNE, 500 iterations) 10-30 s for 2,000
        points. t-SNE cannot place new points, so it has no "A's frame".
    n_neighbors : int, default=15
        UMAP neighbourhood size, ``2 <= n_neighbors < n_samples``.
    min_dist : float, default=0.1
        UMAP minimum distance in the map.
    metric : {"cosine", "euclidean"}, default="cosine"
        Input metric. For UMAP up to 4,096 rows, distances are computed exactly with
        scikit-learn and passed as ``metric="precomputed"`` (2.5x faster than umap's
        own path for small n), with their exact nearest neighbours (a partial sort,
        where umap-learn sorts every row); B is placed in A's frame from its exact
        neighbours among A's rows, as umap-learn's ``transform`` does. Above, UMAP gets a k-nearest-neighbour graph from
        :class:`core.maps.neighbours.KnnIndex` (no numba JIT; exact up to ~7k rows, then an
        IVF index) and starts from a PCA layout instead of a spectral one.
    n_epochs : int, default=200
        UMAP optimisation epochs (umap-learn uses 500 below 10k points; 200 halves the
        time and gives the same clusters on the bundled data).
    init : array-like of shape (n_samples, 2), optional
        UMAP or t-SNE warm start, e.g. the map of a closely related space; then 40
        UMAP epochs are enough (``n_epochs`` is capped at 40, and at 30 for landmark
        maps; on digits' relative maps 40 instead of 60 kept the 5-NN class accuracy
        of the map, 0.985, and moved the clusters less between anchor edits).
    perplexity : float, default=30.0
        t-SNE perplexity, ``0 < perplexity < n_samples``.
    random_state : int, default=0
        Seed (of UMAP, the kNN index and the landmarks too): the same inputs and seed
        give the same map.
    progress : callable(done, total, what), optional
        Called before each stage (kNN graph, UMAP fit, placing rows; the t-SNE fit;
        PCA), within the UMAP and t-SNE stages every 1 % of their epochs/iterations
        (``done`` then has a fractional part), and once at the end with
        ``done == total``; for a progress bar. See :mod:`core.runtime.progress`.
    should_stop : callable() -> bool, optional
        Polled before each stage and each UMAP epoch / t-SNE iteration (every few ms to
        ~100 ms); when it returns True, :class:`core.errors.CancelledError` is raised
        and nothing is returned. Not polled during umap's one-off JIT compilation, its
        spectral initialisation or a kNN search.

    Notes
    -----
    Above 20,000 rows UMAP is fitted on 20,000 landmark rows (a seeded random sample)
    and each other row is placed from its nearest landmarks, the way UMAP's
    ``transform`` places new points (start at the weighted mean of the neighbours'
    positions, then 30 epochs, 5 when warm-started, that move only the placed rows).
    Every row is drawn; the fit costs the same at 100k rows as at 20k. See
    ``benchmarks/bench_scale.py``.

    Returns
    -------
    coords : ndarray of shape (n_samples, 2), float32
    """
    check_choice(method, name="method", choices=LAYOUT_METHODS)
    X = _layout_input(X, "X")
    random_state = check_int(random_state, name="random_state", low=0, high=2**32 - 1)
    if method == "pca":
        steps = Steps(progress, 1, should_stop=should_stop)
        steps(f"PCA of {X.shape[0]:,} rows")
        coords = _pca(X, random_state)
    elif method == "tsne":
        steps = Steps(progress, 1, should_stop=should_stop)
        coords = _tsne(X, perplexity=perplexity, metric=metric, init=init, random_state=random_state, steps=steps)
    else:
        steps = Steps(progress, _n_stages(X.shape[0]), should_stop=should_stop)
        with _hook(steps):
            coords = _fit_map(X, n_neighbors, min_dist, metric, n_epochs, init, random_state, steps=steps).coords
    steps.finish()
    return coords


def _hook(steps: Steps):
    """Route UMAP epochs and t-SNE iterations to ``steps.tick`` (only when someone listens)."""
    return iteration_hook(steps.tick if steps.active else None)


def _n_stages(n: int) -> int:
    return 1 if n <= _DENSE_MAX_ROWS else (2 if n <= _LANDMARKS else 3)


def _layout_input(X, name: str) -> np.ndarray:
    """float32 (n, d), n >= 3, finite, scaled into float32's comfortable range.

    A layout is for display only, and PCA and UMAP maps are unchanged (up to their
    own scale) when all vectors are divided by one number: vectors with
    magnitudes beyond 1e15 or below 1e-15 are divided by their largest magnitude,
    so squared distances neither overflow nor underflow float32.
    """
    X = as_vectors(X, name=name)
    if X.shape[0] < 3:
        raise InvalidInputError(f"{name} must be 2-D with at least 3 rows to lay out; got shape {X.shape}")
    if not np.ptp(X, axis=0).any():
        # one point has no layout, and scikit-learn's t-SNE crashes the process on it
        raise InvalidInputError(
            f"all {X.shape[0]:,} rows of {name} are the same vector, so a map has nothing to show; check the "
            "file or the encoder (a collapsed or constant output)"
        )
    top = float(np.abs(X).max())
    if top > 1e15 or 0 < top < 1e-15:
        X = X.astype(np.float64) / top
    return X.astype(np.float32, copy=False)


def _pca(X: np.ndarray, random_state: int) -> np.ndarray:
    """2-D PCA coordinates (a zero second column when X has one dim)."""
    import warnings

    from sklearn.decomposition import PCA

    n_comp = min(2, X.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # explained variance ratio of a constant X is 0/0
        Y = PCA(n_components=n_comp, random_state=random_state).fit_transform(X)
    if n_comp < 2:
        Y = np.hstack([Y, np.zeros((len(Y), 1))])
    return Y.astype(np.float32)


def _tsne(X, *, perplexity, metric, init, random_state, steps=None, name="") -> np.ndarray:
    """t-SNE of every row (scikit-learn, Barnes-Hut, 500 iterations, one thread, seeded)."""
    from sklearn.manifold import TSNE

    steps = steps or Steps()

    n = X.shape[0]
    if not 0 < perplexity < n:
        raise InvalidInputError(f"perplexity={perplexity} must be in (0, n_samples={n})")
    if X.shape[1] < 2:  # its PCA initialisation needs two dims; a zero column changes no distance
        X = np.hstack([X, np.zeros_like(X)])
    if init is not None:
        init = np.asarray(init, dtype=np.float32)
        if init.shape != (n, 2):
            raise InvalidInputError(f"init must have shape ({n}, 2); got {init.shape}")
        init = (init - init.mean(0)) / (init[:, 0].std() + 1e-12) * 1e-4  # t-SNE's expected init scale
    tsne = TSNE(
        n_components=2, perplexity=perplexity, metric=metric, init="pca" if init is None else init,
        max_iter=_TSNE_ITER, random_state=random_state, n_jobs=1,
    )
    steps(f"t-SNE of {name}{n:,} rows", unit="iteration", count=_TSNE_ITER)
    with warnings.catch_warnings(), _hook(steps):
        warnings.simplefilter("ignore")  # pca init with cosine metric notice
        return np.asarray(tsne.fit_transform(X), dtype=np.float32)


class _Map:
    """A fitted UMAP map of ``X``: its reducer, the rows it was fitted on and how to
    place other points in its frame."""

    def __init__(self, reducer, coords, *, rows=None, index=None, metric="cosine", n_neighbors=15):
        self.reducer = reducer  # fitted on X[rows] (all rows when rows is None)
        self.coords = np.asarray(coords, dtype=np.float32)  # (n_samples, 2): every row of X
        self.rows = rows
        self.index = index  # KnnIndex of X[rows]; None on the dense path
        self.metric = metric
        self.n_neighbors = n_neighbors

    def place(self, Y, X_fit=None, *, n_epochs=None) -> np.ndarray:
        """2-D positions of new points ``Y`` in this map's frame."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.index is None:  # dense path: exact neighbours; umap's transform epochs (a third of the fit's)
                idx, dist = _dense_knn(_distances(X_fit, Y, metric=self.metric), self.n_neighbors)
                n_epochs = self.reducer.n_epochs // 3 if n_epochs is None else n_epochs
            else:
                idx, dist = self.index.query(Y, n_neighbors=self.n_neighbors)
            return _transform_knn(self.reducer, idx, dist, n_epochs=n_epochs)


def _fit_map(X, n_neighbors, min_dist, metric, n_epochs, init, random_state, *, steps=None, name="") -> _Map:
    """UMAP of ``X``: dense exact distances up to 4,096 rows, a kNN graph up to 20,000,
    else fitted on 20,000 landmark rows with the others placed from their neighbours."""
    n = X.shape[0]
    if X.ndim != 2 or n < 3:
        raise InvalidInputError(f"X must be 2-D with at least 3 rows to lay out; got shape {X.shape}")
    steps = steps or Steps(None, 0)
    if n <= _DENSE_MAX_ROWS:
        steps(f"UMAP of {name}{n:,} rows", unit="epoch")
        _check_neighbours(n_neighbors, n)
        D = _distances(X, metric=metric)
        reducer = _umap(n_neighbors, min_dist, n_epochs, init, random_state, n, knn=_dense_knn(D, n_neighbors),
                        dense=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # precomputed / random_state notices
            reducer.fit(D)
        return _Map(reducer, reducer.embedding_, metric=metric, n_neighbors=n_neighbors)
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reducer.fit(Xf)
    m = _Map(reducer, reducer.embedding_, rows=rows, index=index, metric=metric, n_neighbors=n_neighbors)
    if rows is not None:
        coords = np.empty((n, 2), dtype=np.float32)
        coords[rows] = reducer.embedding_
        rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
        steps(f"placing {name}{len(rest):,} other rows among the landmarks", unit="epoch")
        coords[rest] = m.place(X[rest])
        m.coords = coords
    return m


def _check_init(init, n):
    if init is not None and np.shape(init) != (n, 2):
        raise MismatchError(f"init must have shape ({n}, 2); got {np.shape(init)}")


def _transform_knn(reducer, idx: np.ndarray, dist: np.ndarray, *, n_epochs=None) -> np.ndarray:
    """Place new points in a fitted UMAP's frame from their kNN among its points.

    umap-learn's own ``transform`` after ``fit(precomputed_knn=...)`` needs its
    pynndescent index; this is the rest of that method, fed our neighbours: the same
    fuzzy bipartite graph, initial positions (weighted mean of the neighbours' map
    positions), then epochs that move only the new points: 30 after a cold fit, 5 after
    a warm start (they start next to their neighbours already).
    """
    import scipy.sparse
    from sklearn.utils import check_random_state
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import (
        INT32_MAX,
        INT32_MIN,
        compute_membership_strengths,
        make_epochs_per_sample,
        smooth_knn_dist,
    )

    n_new = idx.shape[0]
    rng_state = check_random_state(reducer.transform_seed).randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    nearest = np.asarray(idx[:, 0], dtype=np.int64)
    idx = np.array(idx, dtype=np.int64)
    dist = np.array(dist, dtype=np.float32)
    idx[dist >= reducer._disconnection_distance] = -1
    sigmas, rhos = smooth_knn_dist(dist, float(reducer._n_neighbors), local_connectivity=max(0.0, reducer.local_connectivity - 1.0))
    rows, cols, vals, _ = compute_membership_strengths(idx, dist, sigmas, rhos, bipartite=True)
    graph = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(n_new, reducer.embedding_.shape[0]))
    csr = graph.tocsr()
    csr.eliminate_zeros()
    embedding = _init_positions(csr, reducer.embedding_, nearest)
    if n_epochs is None:  # 30 after a cold fit (200 epochs), 5 after a warm start (30)
        n_epochs = min(_PLACE_EPOCHS, max(5, reducer.n_epochs // 6))
    n_epochs = int(n_epochs)
    graph.data[graph.data < (graph.data.max() / float(n_epochs))] = 0.0
    graph.eliminate_zeros()
    return optimize_layout_euclidean(
        embedding, reducer.embedding_.astype(np.float32, copy=True), graph.row, graph.col, n_epochs,
        graph.shape[1], make_epochs_per_sample(graph.data, n_epochs), reducer._a, reducer._b, rng_state,
        reducer.repulsion_strength, reducer._initial_alpha / 4.0, reducer.negative_sample_rate,
        reducer.random_state is None,
    )


def _init_positions(csr, E: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """Start of each new point: the weighted mean of its neighbours' map positions.

    umap-learn's ``init_graph_transform`` (a Python loop over rows, ~1 s per 1,000
    points here), vectorised: a point with a weight-1 neighbour (a duplicate) starts
    on it; a point with no neighbour left starts on its nearest one instead of NaN.
    """
    E = np.asarray(E, dtype=np.float64)
    sums = np.asarray(csr.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(csr @ E) / sums[:, None]
    empty = np.diff(csr.indptr) == 0
    out[empty] = E[nearest[empty]]
    ones = csr.data == 1
    if ones.any():
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))[ones]
        first = np.unique(rows, return_index=True)[1]
        out[rows[first]] = E[csr.indices[ones][first]]
    return out.astype(np.float32)


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

    umap-learn's precomputed path sorts every full row (0.25 s at 1,797 rows on this
    machine); a partition then a sort of the ``k`` kept is about 10x less.
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


def _similarity_fit(Y: np.ndarray, R: np.ndarray):
    """Scale s, orthogonal Q and shifts such that ``s (Y - mu_y) Q + mu_r ~ R``."""
    mu_y, mu_r = Y.mean(0), R.mean(0)
    Yc, Rc = Y - mu_y, R - mu_r
    U, S, Vt = np.linalg.svd(Yc.T @ Rc)
    norm = (Yc**2).sum()
    return (S.sum() / norm if norm > 0 else 1.0), U @ Vt, mu_y, mu_r


def _similarity_apply(Y, params) -> np.ndarray:
    s, Q, mu_y, mu_r = params
    return (s * (np.asarray(Y, dtype=np.float64) - mu_y) @ Q + mu_r).astype(np.float32)


def align_layout(coords, reference) -> np.ndarray:
    """Rotate/reflect, scale and shift ``coords`` onto ``reference`` (orthogonal Procrustes).

    Rows must be the same samples in the same order. The shape of the map is
    unchanged; only its orientation, size and position follow the reference.

    Parameters
    ----------
    coords : array-like of shape (n_samples, 2)
    reference : array-like of shape (n_samples, 2)

    Returns
    -------
    aligned : ndarray of shape (n_samples, 2), float32
    """
    Y = as_vectors(coords, name="coords").astype(np.float64)
    R = as_vectors(reference, name="reference").astype(np.float64)
    if Y.shape != R.shape:
        raise MismatchError(f"coords {Y.shape} and reference {R.shape} must have the same (n_samples, 2) shape")
    return _similarity_apply(Y, _similarity_fit(Y, R))


def layout_pair(
    XA,
    XB,
    *,
    method: str = "umap",
    frame: str = "A",
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
    n_epochs: int = 200,
    init=None,
    reference=None,
    perplexity: float = 30.0,
    random_state: int = 0,
    progress=None,
    should_stop=None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Maps of two parallel spaces, B drawn in A's frame when their coordinates agree in kind.

    Parameters
    ----------
    XA : array-like of shape (n_samples, d_A)
    XB : array-like of shape (n_samples, d_B)
        Same samples, same row order as ``XA``.
    method : {"umap", "pca", "tsne"}, default="umap"
    frame : {"A", "own"}, default="A"
        ``"A"``: the layout is fitted on ``XA`` and ``XB`` is placed with the *same*
        fitted reducer (UMAP ``transform`` from B's nearest neighbours among A's
        vectors, or A's principal axes). B then looks like A exactly when B's
        coordinates mean what A's mean, which is what a head trained on A needs.
        ``"own"``: each space gets its own layout and B's is aligned to A's by
        orthogonal Procrustes. Falls back to ``"own"`` when ``d_A != d_B`` and for
        t-SNE (which cannot place new points).
    n_neighbors, min_dist, metric, n_epochs, init, perplexity, random_state
        See :func:`compute_layout`; ``init`` warm-starts A's UMAP or t-SNE.
    reference : array-like of shape (n_samples, 2), optional
        Orient both maps like this one: the similarity transform (rotation/reflection,
        scale, shift) that best maps A's coordinates onto ``reference`` (orthogonal
        Procrustes on the same samples) is applied to A's and B's maps alike, so their
        relation is kept.
    progress : callable(done, total, what), optional
        See :func:`compute_layout`.
    should_stop : callable() -> bool, optional
        See :func:`compute_layout`: raises :class:`core.errors.CancelledError`.

    Returns
    -------
    coords_A : ndarray of shape (n_samples, 2)
    coords_B : ndarray of shape (n_samples, 2)
    frame_used : {"A", "own"}
    """
    check_choice(method, name="method", choices=LAYOUT_METHODS)
    check_choice(frame, name="frame", choices=("A", "own"))
    XA = _layout_input(XA, "XA")
    XB = _layout_input(XB, "XB")
    if XA.shape[0] != XB.shape[0]:
        raise MismatchError(f"XA has {XA.shape[0]} rows but XB has {XB.shape[0]}; pass parallel spaces")
    random_state = check_int(random_state, name="random_state", low=0, high=2**32 - 1)
    LA, LB, used = _layout_pair(XA, XB, method, frame, n_neighbors, min_dist, metric, n_epochs, init, perplexity,
                                random_state, progress, should_stop)
    if reference is not None:
        reference = as_vectors(reference, name="reference").astype(np.float64)
        if reference.shape != LA.shape:
            raise MismatchError(f"reference must have shape {LA.shape}; got {reference.shape}")
        params = _similarity_fit(LA.astype(np.float64), reference)
        LA, LB = _similarity_apply(LA, params), _similarity_apply(LB, params)
    return LA, LB, used


def _layout_pair(XA, XB, method, frame, n_neighbors, min_dist, metric, n_epochs, init, perplexity, random_state,
                 progress=None, should_stop=None):
    if frame == "own" or method == "tsne" or XA.shape[1] != XB.shape[1]:
        kw = dict(n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, n_epochs=n_epochs, random_state=random_state)
        if method == "umap":
            steps = Steps(progress, _n_stages(XA.shape[0]) + _n_stages(XB.shape[0]), should_stop=should_stop)
            with _hook(steps):
                LA = _fit_map(XA, init=init, steps=steps, name="A: ", **kw).coords
                LB = _fit_map(XB, init=init, steps=steps, name="B: ", **kw).coords
        elif method == "tsne":
            steps = Steps(progress, 2, should_stop=should_stop)
            tkw = dict(perplexity=perplexity, metric=metric, init=init, random_state=random_state, steps=steps)
            LA, LB = _tsne(XA, name="A: ", **tkw), _tsne(XB, name="B: ", **tkw)
        else:
            steps = Steps(progress, 2, should_stop=should_stop)
            steps(f"PCA of A: {XA.shape[0]:,} rows")
            LA = _pca(XA, random_state)
            steps(f"PCA of B: {XB.shape[0]:,} rows")
            LB = _pca(XB, random_state)
        steps.finish()
        return LA, align_layout(LB, LA), "own"
    if method == "pca":
        steps = Steps(progress, 1, should_stop=should_stop)
        steps(f"PCA of A: {XA.shape[0]:,} rows, B placed in its frame")
        from sklearn.decomposition import PCA

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pca = PCA(n_components=min(2, XA.shape[1]), random_state=random_state).fit(XA)
            LA, LB = pca.transform(XA), pca.transform(XB)
        if LA.shape[1] < 2:
            LA, LB = (np.hstack([L, np.zeros((len(L), 1))]) for L in (LA, LB))
        steps.finish()
        return LA.astype(np.float32), LB.astype(np.float32), "A"
    steps = Steps(progress, _n_stages(XA.shape[0]) + 1, should_stop=should_stop)
    with _hook(steps):
        m = _fit_map(XA, n_neighbors, min_dist, metric, n_epochs, init, random_state, steps=steps, name="A: ")
        steps(f"placing B's {XB.shape[0]:,} rows in A's map", unit="epoch")
        LB = m.place(XB, XA)
    steps.finish()
    return m.coords, LB, "A"
