"""Layouts in a worker of the pool: off the caller's interpreter, stoppable at once, crash-proof.

:func:`layout_pair_in_worker` and :func:`compute_layout_in_worker` take the arguments of
:func:`core.maps.layout.layout_pair` and :func:`~core.maps.layout.compute_layout` and
return the same results, computed in a warm worker of the shared pool
(:mod:`core.runtime.pool`). The server's interpreter stays free for other sessions, a
native crash of umap or scikit-learn becomes a :class:`~core.errors.LoadError`, a stop
request ends the job within one UMAP epoch or 50 t-SNE iterations (or kills it after
5 s), and t-SNE reports its iterations, which it cannot do in the caller's process.

Each worker runs :func:`warm_worker` when it starts: it turns on numba's disk cache for
umap's three functions that do not use it, then draws a tiny map that compiles (or
loads) every specialisation the layouts use. With the cache warm
(``NUMBA_CACHE_DIR``, see :func:`core.runtime.disk_cache.use_numba_cache_dir`) this takes
a second or two instead of the first layout's compilation.

``STITCHBOARD_LAYOUT_POOL=off`` runs these layouts in the caller's process instead (the
layouts before the pool: a baseline for benchmarks, or a host that cannot start processes).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from ..methods.neighbours import KnnIndex
from ..runtime.pool import WorkerPool, shared_pool
from ..runtime.workers import WorkerLimits, worker_progress, worker_should_stop
from .layout import compute_layout, layout_pair

__all__ = ["layout_pair_in_worker", "compute_layout_in_worker", "warm_worker", "warm_up", "layout_pool",
           "pool_enabled"]


def pool_enabled() -> bool:
    """Whether layouts go to the pool: not when ``STITCHBOARD_LAYOUT_POOL`` is off / 0 / false / no."""
    return os.environ.get("STITCHBOARD_LAYOUT_POOL", "on").strip().lower() not in ("off", "0", "false", "no")


def warm_worker() -> None:
    """In a new worker: numba's disk cache for umap's uncached functions, then a tiny map of each kind."""
    import umap.layouts as ul
    import umap.umap_ as uu

    # Dispatcher.enable_caching is what numba's own cache=True calls, not a documented API;
    # without it these three compile again in every new process (seconds each).
    for fn in (uu.smooth_knn_dist, uu.compute_membership_strengths,
               getattr(ul, "_nb_optimize_layout_euclidean_single_epoch", None)):
        if hasattr(fn, "enable_caching"):
            fn.enable_caching()
    rng = np.random.default_rng(0)
    A = rng.normal(size=(100, 8)).astype(np.float32)
    B = A + rng.normal(scale=0.1, size=A.shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # a fit on exact distances, its reporting path and B placed in its frame: every specialisation used later
        layout_pair(A, B, method="umap", n_epochs=5, progress=_ignore)
        compute_layout(A, method="tsne", perplexity=5)  # imports scikit-learn's t-SNE
    KnnIndex(A, method="ivf", n_cells=4).query(B, n_neighbors=5)  # the large maps' kNN selection


def _ignore(done, total, what) -> None:
    pass


def layout_pool() -> WorkerPool:
    """The shared pool, with :func:`warm_worker` among its warm-ups."""
    pool = shared_pool()
    pool.add_warmers(warm_worker)
    return pool


def warm_up(slots: int | None = None) -> WorkerPool:
    """Start the shared pool's warm workers now, or its first ``slots``, in the background
    (returns at once; none when the pool is off)."""
    pool = layout_pool()
    if pool_enabled():
        pool.warm_up(slots)
    return pool


def _pair_job(XA, XB, kw: dict):
    return layout_pair(XA, XB, progress=worker_progress, should_stop=worker_should_stop, **kw)


def _layout_job(X, kw: dict):
    return compute_layout(X, progress=worker_progress, should_stop=worker_should_stop, **kw)


def layout_pair_in_worker(XA, XB, *, progress=None, should_stop=None, limits: WorkerLimits | None = None,
                          pool: WorkerPool | None = None, **kwargs):
    """:func:`core.maps.layout.layout_pair` in a worker of the pool: ``(coords_A, coords_B, frame_used)``.

    Parameters
    ----------
    XA : array-like of shape (n_samples, d_A)
    XB : array-like of shape (n_samples, d_B)
    progress, should_stop
        As for ``layout_pair``, called in the caller's thread; t-SNE iterations are reported too.
    limits : core.runtime.workers.WorkerLimits, optional
        Memory, time and result limits of the job.
    pool : core.runtime.pool.WorkerPool, optional
        The shared pool (:func:`layout_pool`) by default; without one and with
        ``STITCHBOARD_LAYOUT_POOL=off``, ``layout_pair`` runs in this process.
    **kwargs
        The other keyword arguments of ``layout_pair`` (method, frame, init, reference, ...).

    Raises
    ------
    CancelledError
        ``should_stop`` returned True.
    LoadError
        The worker crashed, ran out of memory or time.
    """
    if pool is None and not pool_enabled():
        return layout_pair(XA, XB, progress=progress, should_stop=should_stop, **kwargs)
    pool = pool or layout_pool()
    what = f"the {kwargs.get('method', 'umap')} layout"
    return pool.run(_pair_job, np.asarray(XA), np.asarray(XB), kwargs, progress=progress, should_stop=should_stop,
                    limits=limits, what=what)


def compute_layout_in_worker(X, *, progress=None, should_stop=None, limits: WorkerLimits | None = None,
                             pool: WorkerPool | None = None, **kwargs) -> np.ndarray:
    """:func:`core.maps.layout.compute_layout` in a worker of the pool: (n_samples, 2), float32.

    See :func:`layout_pair_in_worker` for the pool's parameters and errors.
    """
    if pool is None and not pool_enabled():
        return compute_layout(X, progress=progress, should_stop=should_stop, **kwargs)
    pool = pool or layout_pool()
    what = f"the {kwargs.get('method', 'umap')} layout"
    return pool.run(_layout_job, np.asarray(X), kwargs, progress=progress, should_stop=should_stop, limits=limits,
                    what=what)
