"""2-D layouts (maps) of a space for display: UMAP, PCA or t-SNE, orientation-aligned.

A *layout* is only for display. It is never called a projection, so that it is not
confused with the relative projection.
"""

from __future__ import annotations

import warnings

import numpy as np

from .errors import InvalidInputError, MismatchError
from .validation import as_vectors, check_choice, check_int, check_number

__all__ = ["compute_layout", "align_layout", "layout_pair", "LAYOUT_METHODS"]

#: Methods accepted by :func:`compute_layout`.
LAYOUT_METHODS = ("umap", "pca", "tsne")
#: Input metrics accepted for UMAP.
UMAP_METRICS = ("cosine", "euclidean")


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
        UMAP input metric. Distances are computed exactly with scikit-learn and passed
        as ``metric="precomputed"`` (2.5x faster than umap's own path for small n).
    n_epochs : int, default=200
        UMAP optimisation epochs (umap-learn uses 500 below 10k points; 200 halves the
        time and gives the same clusters on the bundled data).
    init : array-like of shape (n_samples, 2), optional
        UMAP or t-SNE warm start, e.g. the map of a closely related space; then 60
        UMAP epochs are enough (``n_epochs`` is capped at 60).
    perplexity : float, default=30.0
        t-SNE perplexity, ``0 < perplexity < n_samples``.
    random_state : int, default=0
        Seed: the same inputs and seed give the same map.

    Returns
    -------
    coords : ndarray of shape (n_samples, 2), float32
    """
    check_choice(method, name="method", choices=LAYOUT_METHODS)
    X = _layout_input(X, "X")
    random_state = check_int(random_state, name="random_state", low=0, high=2**32 - 1)
    if method == "pca":
        return _pca(X, random_state)
    if method == "tsne":
        return _tsne(X, perplexity=perplexity, metric=metric, init=init, random_state=random_state)
    reducer = _umap(n_neighbors, min_dist, n_epochs, init, random_state, X.shape[0], metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # precomputed / random_state notices
        Y = reducer.fit_transform(_distances(X, metric=metric))
    return np.asarray(Y, dtype=np.float32)


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


def _tsne(X, *, perplexity, metric, init, random_state) -> np.ndarray:
    """t-SNE of every row (scikit-learn, Barnes-Hut, 500 iterations, one thread, seeded)."""
    from sklearn.manifold import TSNE

    n = X.shape[0]
    if not 0 < perplexity < n:
        raise InvalidInputError(f"perplexity={perplexity} must be in (0, n_samples={n})")
    if init is not None:
        init = np.asarray(init, dtype=np.float32)
        if init.shape != (n, 2):
            raise InvalidInputError(f"init must have shape ({n}, 2); got {init.shape}")
        init = (init - init.mean(0)) / (init[:, 0].std() + 1e-12) * 1e-4  # t-SNE's expected init scale
    tsne = TSNE(
        n_components=2, perplexity=perplexity, metric=metric, init="pca" if init is None else init,
        max_iter=500, random_state=random_state, n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pca init with cosine metric notice
        return np.asarray(tsne.fit_transform(X), dtype=np.float32)


def _distances(X, Y=None, *, metric: str) -> np.ndarray:
    """Exact distances for UMAP's ``metric="precomputed"``: (n_Y or n_X, n_X), float32, >= 0."""
    from sklearn.metrics import pairwise_distances

    if Y is None:
        D = np.maximum(pairwise_distances(X, metric=metric), 0.0).astype(np.float32)
        np.fill_diagonal(D, 0.0)
        return D
    return np.maximum(pairwise_distances(Y, X, metric=metric), 0.0).astype(np.float32)


def _umap(n_neighbors, min_dist, n_epochs, init, random_state, n, metric="cosine"):
    """An unfitted UMAP on precomputed distances for ``n`` samples (validated settings)."""
    check_int(n_neighbors, name="n_neighbors")
    if not 2 <= n_neighbors < n:
        raise InvalidInputError(f"n_neighbors={n_neighbors} must be in [2, n_samples={n}); lower it")
    check_number(min_dist, name="min_dist", low=0.0, high=1.0)
    n_epochs = check_int(n_epochs, name="n_epochs", low=1)
    check_choice(metric, name="metric", choices=UMAP_METRICS)
    import umap

    if init is not None:
        init = as_vectors(init, name="init").astype(np.float64)
        if init.shape != (n, 2):
            raise MismatchError(f"init must have shape ({n}, 2); got {init.shape}")
        n_epochs = min(n_epochs, 60)
    return umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        metric="precomputed",
        n_epochs=n_epochs,
        init="spectral" if init is None else init,
        random_state=random_state,
        n_jobs=1,
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
    LA, LB, used = _layout_pair(XA, XB, method, frame, n_neighbors, min_dist, metric, n_epochs, init, perplexity, random_state)
    if reference is not None:
        reference = as_vectors(reference, name="reference").astype(np.float64)
        if reference.shape != LA.shape:
            raise MismatchError(f"reference must have shape {LA.shape}; got {reference.shape}")
        params = _similarity_fit(LA.astype(np.float64), reference)
        LA, LB = _similarity_apply(LA, params), _similarity_apply(LB, params)
    return LA, LB, used


def _layout_pair(XA, XB, method, frame, n_neighbors, min_dist, metric, n_epochs, init, perplexity, random_state):
    if frame == "own" or method == "tsne" or XA.shape[1] != XB.shape[1]:
        kw = dict(method=method, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, n_epochs=n_epochs,
                  perplexity=perplexity, random_state=random_state)
        LA = compute_layout(XA, init=init, **kw)
        LB = compute_layout(XB, init=init, **kw)
        return LA, align_layout(LB, LA), "own"
    if method == "pca":
        import warnings as _w

        from sklearn.decomposition import PCA

        with _w.catch_warnings():
            _w.simplefilter("ignore", RuntimeWarning)
            pca = PCA(n_components=min(2, XA.shape[1]), random_state=random_state).fit(XA)
            LA, LB = pca.transform(XA), pca.transform(XB)
        if LA.shape[1] < 2:
            LA, LB = (np.hstack([L, np.zeros((len(L), 1))]) for L in (LA, LB))
        return LA.astype(np.float32), LB.astype(np.float32), "A"
    reducer = _umap(n_neighbors, min_dist, n_epochs, init, random_state, XA.shape[0], metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LA = reducer.fit_transform(_distances(XA, metric=metric))
        LB = reducer.transform(_distances(XA, XB, metric=metric))
    return np.asarray(LA, np.float32), np.asarray(LB, np.float32), "A"
