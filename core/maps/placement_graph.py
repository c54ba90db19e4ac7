"""The edges of placed points: UMAP's fuzzy graph from each new point to its neighbours in a fitted map.

When UMAP places new points (``transform``), each new point's edge to its ``j``-th neighbour
weighs ``exp(-(d_j - rho) / sigma)`` (1 when ``d_j <= rho``): ``rho`` is its distance to its
``local_connectivity``-th nearest non-zero neighbour and ``sigma`` is found by bisection so that
the weights of its neighbours after the first sum to ``log2(k)`` (McInnes et al., 2018). This is
umap-learn's ``smooth_knn_dist`` followed by ``compute_membership_strengths(bipartite=True)``,
with the same float32 arithmetic, computed row by row in one compiled pass on two threads:
umap-learn's versions run on one thread in a pool worker (``NUMBA_NUM_THREADS=1`` there) and
copy each row's non-zero distances (timings: ``benchmarks/README.md``).
"""

from __future__ import annotations

import numba
import numpy as np

from .placement import _row_blocks

__all__ = ["placement_graph"]

#: Rows per block on a thread (a block takes a few ms).
_BLOCK = 65_536
#: umap-learn's constants: the bisection's tolerance on the sum of weights, and the smallest ``sigma``
#: as a fraction of the mean distance.
_TOLERANCE = 1e-5
_MIN_SCALE = 1e-3
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def placement_graph(idx, dist, *, n_neighbors: float, local_connectivity: float = 0.0, n_iter: int = 64,
                    threads: int = 2) -> np.ndarray:
    """Weights of each new point's edges to its neighbours, as umap-learn's ``transform`` makes them.

    Parameters
    ----------
    idx : ndarray of shape (n_new, k), int
        Each new point's neighbours among the map's points, nearest first; ``-1`` marks an edge
        left out (e.g. beyond the disconnection distance): its weight is 0.
    dist : ndarray of shape (n_new, k)
        Their distances, ascending per row (cast to float32).
    n_neighbors : float
        The map's ``n_neighbors``: the weights of each row's edges after the first sum to
        ``log2(n_neighbors)``.
    local_connectivity : float, default=0.0
        Neighbours assumed fully connected (``UMAP.local_connectivity - 1`` in ``transform``).
    n_iter : int, default=64
        Bisection steps per row at most.
    threads : int, default=2
        Blocks of rows run on this many threads at once.

    Returns
    -------
    W : ndarray of shape (n_new, k), float32
    """
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    dist = np.ascontiguousarray(dist, dtype=np.float32)
    n = dist.shape[0]
    W = np.zeros(dist.shape, dtype=np.float32)
    if n == 0 or dist.shape[1] == 0:
        return W
    mean = float(_mean(dist))
    args = (idx, dist, float(np.log2(n_neighbors)), float(local_connectivity), int(n_iter), mean, W)
    _row_blocks(_rows, args, n, block=_BLOCK, threads=threads, name="graph")
    return W


@numba.njit(cache=True)
def _mean(dist):
    return np.mean(dist)


@numba.njit(nogil=True, cache=True,
            locals={"psum": numba.float32, "lo": numba.float32, "mid": numba.float32, "hi": numba.float32,
                    "rho": numba.float32, "sigma": numba.float32})
def _rows(idx, dist, target, local_connectivity, n_iter, mean, W, start, stop):
    k = dist.shape[1]
    index = int(np.floor(local_connectivity))
    interpolation = local_connectivity - index
    for i in range(start, stop):
        row = dist[i]
        n_pos = 0
        for j in range(k):
            if row[j] > 0.0:
                n_pos += 1
        # rho: the distance to the local_connectivity-th nearest neighbour at a distance > 0, interpolated
        rho = 0.0
        if n_pos >= local_connectivity:
            if index > 0:
                rho = _nth_positive(row, index - 1)
                if interpolation > _TOLERANCE:
                    rho += interpolation * (_nth_positive(row, index) - _nth_positive(row, index - 1))
            elif n_pos > 0:
                rho = interpolation * _nth_positive(row, 0)
        elif n_pos > 0:
            rho = _nth_positive(row, n_pos - 1)  # rows are ascending: the largest
        # sigma: bisection on the sum of the weights of the neighbours after the first
        lo = 0.0
        hi = _FLOAT32_MAX
        mid = 1.0
        for _ in range(n_iter):
            psum = 0.0
            for j in range(1, k):
                d = row[j] - rho
                if d > 0:
                    psum += np.exp(-(d / mid))
                else:
                    psum += 1.0
            if np.fabs(psum - target) < _TOLERANCE:
                break
            if psum > target:
                hi = mid
                mid = (lo + hi) / 2.0
            else:
                lo = mid
                if hi >= _FLOAT32_MAX:
                    mid *= 2
                else:
                    mid = (lo + hi) / 2.0
        sigma = mid
        floor = _MIN_SCALE * (np.mean(row) if rho > 0.0 else mean)
        if sigma < floor:
            sigma = floor
        for j in range(k):
            if idx[i, j] == -1:
                continue
            if row[j] - rho <= 0.0 or sigma == 0.0:
                W[i, j] = 1.0
            else:
                W[i, j] = np.exp(-((row[j] - rho) / sigma))


@numba.njit(inline="always")
def _nth_positive(row, n):
    """The ``n``-th (from 0) entry of ``row`` above 0."""
    seen = 0
    for j in range(row.shape[0]):
        if row[j] > 0.0:
            if seen == n:
                return row[j]
            seen += 1
    return row[row.shape[0] - 1]
