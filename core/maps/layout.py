"""2-D layouts (maps) of a space for display: UMAP, PCA or t-SNE, orientation-aligned.

A *layout* is only for display. It is never called a projection, so that it is not
confused with the relative projection. :func:`compute_layout` and :func:`layout_pair`
run in the calling process; :mod:`core.maps.layout_jobs` runs the same functions in a
worker of the pool (off the caller's interpreter, stoppable at any time), which is what
the dashboard does. The UMAP fitting itself is in :mod:`core.maps.umap_maps`.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import InvalidInputError, MismatchError
from ..runtime.progress import Steps
from ..validation import as_vectors, check_choice, check_finite, check_int
from .fit_progress import tsne_iterations
from .umap_maps import fit_map, n_stages

__all__ = ["compute_layout", "align_layout", "layout_pair", "LAYOUT_METHODS"]

#: Methods accepted by :func:`compute_layout`.
LAYOUT_METHODS = ("umap", "pca", "tsne")
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
        one-off JIT compilation in a fresh process (seconds with numba's disk cache
        warm, see :mod:`core.maps.layout_jobs`); ``tsne``
        (scikit-learn's Barnes-Hut t-SNE, 500 iterations) is the slowest of the
        three. t-SNE cannot place new points, so it has no "A's frame".
    n_neighbors : int, default=15
        UMAP neighbourhood size, ``2 <= n_neighbors < n_samples``.
    min_dist : float, default=0.1
        UMAP minimum distance in the map.
    metric : {"cosine", "euclidean"}, default="cosine"
        Input metric. For UMAP up to 4,096 rows, distances are computed exactly with
        scikit-learn and passed as ``metric="precomputed"`` (faster than umap's
        own path for small n), with their exact nearest neighbours (a partial sort,
        where umap-learn sorts every row); B is placed in A's frame from its exact
        neighbours among A's rows, as umap-learn's ``transform`` does. Above, UMAP gets a k-nearest-neighbour graph from
        :class:`core.methods.neighbours.KnnIndex` (no numba JIT; exact up to ~7k rows, then an
        IVF index) and starts from a PCA layout instead of a spectral one.
    n_epochs : int, default=200
        UMAP optimisation epochs (umap-learn uses 500 below 10k points; 200 gives the
        same clusters on the bundled data in less time).
    init : array-like of shape (n_samples, 2), optional
        UMAP or t-SNE warm start, e.g. the map of a closely related space; then 40
        UMAP epochs are enough (``n_epochs`` is capped at 40, and at 30 for landmark
        maps; map quality and drift: ``benchmarks/bench_layout.py``).
    perplexity : float, default=30.0
        t-SNE perplexity, ``0 < perplexity < n_samples``.
    random_state : int, default=0
        Seed (of UMAP, the kNN index and the landmarks too): the same inputs and seed
        give the same map.
    progress : callable(done, total, what), optional
        Called before each stage (kNN graph, UMAP fit, placing rows; the t-SNE fit;
        PCA), within the UMAP stages every 1 % of their epochs (``done`` then has a
        fractional part), and once at the end with ``done == total``; for a progress
        bar. See :mod:`core.runtime.progress`. t-SNE reports its iterations (every
        50) only in a pool worker (:mod:`core.maps.layout_jobs`): scikit-learn prints
        them, and standard output belongs to the whole process.
    should_stop : callable() -> bool, optional
        Polled before each stage and each UMAP epoch (every few ms to ~100 ms), and in a
        worker at every t-SNE report; when it returns True,
        :class:`core.errors.CancelledError` is raised and nothing is returned. Not
        polled during umap's one-off JIT compilation, its spectral initialisation or a
        kNN search (the pool kills a worker that does not stop within 5 s).

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
        steps = Steps(progress, n_stages(X.shape[0]), should_stop=should_stop)
        X = _check_spread(X, "X", metric)
        coords = fit_map(X, n_neighbors, min_dist, metric, n_epochs, init, random_state, steps=steps).coords
    steps.finish()
    return coords


def _layout_input(X, name: str) -> np.ndarray:
    """float32 (n, d), n >= 3, finite, scaled into float32's comfortable range.

    A layout is for display only, and PCA and UMAP maps are unchanged (up to their
    own scale) when all vectors are divided by one number: vectors with
    magnitudes beyond 1e15 or below 1e-15 are divided by their largest magnitude,
    so squared distances neither overflow nor underflow float32.
    """
    X = as_vectors(X, name=name, finite=False)
    if X.shape[0] < 3:
        raise InvalidInputError(f"{name} must be 2-D with at least 3 rows to lay out; got shape {X.shape}")
    lo, hi = _column_range(X)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):  # a NaN or an Inf reaches its column's min or max
        check_finite(X, name=name)  # names the rows
    if not (hi > lo).any():
        # one point has no layout, and scikit-learn's t-SNE crashes the process on it
        raise InvalidInputError(
            f"all {X.shape[0]:,} rows of {name} are the same vector, so a map has nothing to show; check the "
            "file or the encoder (a collapsed or constant output)"
        )
    top = float(max(np.abs(lo).max(), np.abs(hi).max()))
    if top > 1e15 or 0 < top < 1e-15:
        X = X.astype(np.float64) / top
    return X.astype(np.float32, copy=False)


def _column_range(X: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each column's min and max (float64), block by block: one pass, no temporary the size of ``X``
    (whose first touch costs seconds per GB on hosts that take freed memory away); blocks small enough
    that the max reads what the min left in cache."""
    lo = np.full(X.shape[1], np.inf)
    hi = np.full(X.shape[1], -np.inf)
    for s in range(0, X.shape[0], block):
        B = X[s:s + block]
        np.minimum(lo, B.min(axis=0), out=lo)  # NaN propagates, as it must for the finiteness check
        np.maximum(hi, B.max(axis=0), out=hi)
    return lo, hi


def _check_spread(X: np.ndarray, name: str, metric: str) -> np.ndarray:
    """``X`` for UMAP or t-SNE under ``metric``: refused when the metric sees no spread, one dim made two.

    Cosine distances see only directions: one-dim vectors have two (their signs), and
    rows that all point the same way are all at distance 0, one point again. A zero
    second column changes no distance and gives their PCA initialisations two dims.
    """
    if metric == "cosine" and X.shape[1] == 1:
        raise InvalidInputError(f"{name} has one dimension, so its cosine distances only see each value's sign; use "
                                "metric='euclidean' or a PCA layout")
    if metric == "cosine" and _one_direction(X):
        raise InvalidInputError(f"all {X.shape[0]:,} rows of {name} point the same way, so their cosine distances "
                                "are all 0 and a map has nothing to show; use metric='euclidean' or a PCA layout")
    if X.shape[1] == 1:
        X = np.hstack([X, np.zeros_like(X)])
    return X


def _one_direction(X: np.ndarray, chunk: int = 65536) -> bool:
    """Whether every non-zero row of ``X`` is a positive multiple of one direction (stops at the first that is not)."""
    norms = np.linalg.norm(X[:chunk], axis=1)
    nz = np.flatnonzero(norms)
    if nz.size == 0:
        return True
    u = X[nz[0]] / norms[nz[0]]
    for i in range(0, X.shape[0], chunk):
        B = X[i:i + chunk]
        n = np.linalg.norm(B, axis=1, keepdims=True)
        keep = n[:, 0] > 0
        if np.abs(B[keep] / n[keep] - u).max(initial=0.0) > 1e-5:
            return False
    return True


def _pca(X: np.ndarray, random_state: int) -> np.ndarray:
    """2-D PCA coordinates (a zero second column when X has one dim)."""
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
    X = _check_spread(X, "X" + name.rstrip(": "), metric)
    if init is not None:
        init = np.asarray(init, dtype=np.float32)
        if init.shape != (n, 2):
            raise InvalidInputError(f"init must have shape ({n}, 2); got {init.shape}")
        init = (init - init.mean(0)) / (init[:, 0].std() + 1e-12) * 1e-4  # t-SNE's expected init scale
    steps(f"t-SNE of {name}{n:,} rows", unit="iteration", count=_TSNE_ITER)
    with warnings.catch_warnings(), tsne_iterations(steps, _TSNE_ITER) as verbose:
        warnings.simplefilter("ignore")  # pca init with cosine metric notice
        tsne = TSNE(n_components=2, perplexity=perplexity, metric=metric, init="pca" if init is None else init,
                    max_iter=_TSNE_ITER, random_state=random_state, n_jobs=1, verbose=verbose)
        return np.asarray(tsne.fit_transform(X), dtype=np.float32)


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
            steps = Steps(progress, n_stages(XA.shape[0]) + n_stages(XB.shape[0]), should_stop=should_stop)
            XA, XB = _check_spread(XA, "XA", metric), _check_spread(XB, "XB", metric)
            LA = fit_map(XA, init=init, steps=steps, name="A: ", **kw).coords
            LB = fit_map(XB, init=init, steps=steps, name="B: ", **kw).coords
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
    steps = Steps(progress, n_stages(XA.shape[0]) + 1, should_stop=should_stop)
    XA, XB = _check_spread(XA, "XA", metric), _check_spread(XB, "XB", metric)
    m = fit_map(XA, n_neighbors, min_dist, metric, n_epochs, init, random_state, steps=steps, name="A: ")
    steps(f"placing B's {XB.shape[0]:,} rows in A's map", unit="row")
    LB = m.place(XB, XA, steps=steps)
    steps.finish()
    return m.coords, LB, "A"
