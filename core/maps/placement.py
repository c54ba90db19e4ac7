"""Placement epochs: new points moved in a fitted UMAP map, each by its own edges only.

When points are placed in a fitted map (UMAP's ``transform``), the map's own points stay where they
are. Each new point then follows only its own edges to them and its own negative samples, so the new
points are independent of one another. That allows what a fit cannot do: all epochs of one point at
once (its position and edges stay in cache instead of streaming every edge of every point once per
epoch), and blocks of points on two threads. Each point draws its negative samples from its own random
stream, seeded by the seed and its row, so the result does not depend on the threads or the blocks.

The gradients are UMAP's (McInnes et al., 2018): attraction along an edge of weight ``w`` sampled
every ``max(w) / w`` epochs, ``negative_sample_rate`` repulsions from random map points per sample,
a learning rate falling linearly to 0, each gradient component clipped to [-4, 4], with umap-learn's
schedule (an edge's first sample in epoch ``max(w) / w``), so without negative samples the positions are
umap-learn's ``optimize_layout_euclidean`` ones.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ..runtime.progress import Steps

__all__ = ["initial_positions", "place_epochs"]

#: New points per block: a block takes a fraction of a second at UMAP's defaults, so a stop request
#: waits at most that long, and progress moves in steps of this many rows.
_BLOCK = 32_768


def initial_positions(W, idx, fixed, nearest, *, block: int = 65_536, threads: int = 2) -> np.ndarray:
    """Start of each new point: the weighted mean of its neighbours' map positions.

    umap-learn's ``init_graph_transform``, row by row in one compiled pass on ``threads`` threads
    (numpy's version was the last one-thread step of a placement). A point with a weight-1
    neighbour (a duplicate) starts on it; a point with no neighbour left starts on its nearest one
    instead of NaN.

    Parameters
    ----------
    W : ndarray of shape (n_new, k)
        Edge weights (:func:`core.maps.placement_graph.placement_graph`); 0 for an edge left out.
    idx : ndarray of shape (n_new, k), int
        Each new point's neighbours among ``fixed``; ``-1`` for an edge left out.
    fixed : ndarray of shape (n_fixed, 2)
        The fitted map's points.
    nearest : ndarray of shape (n_new,), int
        Each new point's nearest map point, its start when no edge is left.
    block : int, default=65_536
        Rows per task on a thread.
    threads : int, default=2

    Returns
    -------
    positions : ndarray of shape (n_new, 2), float32
    """
    W = np.ascontiguousarray(W, dtype=np.float32)
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    fixed = np.ascontiguousarray(fixed, dtype=np.float64)
    nearest = np.ascontiguousarray(nearest, dtype=np.int64)
    out = np.empty((W.shape[0], 2), dtype=np.float32)
    _row_blocks(_start_rows, (W, idx, fixed, nearest, out), W.shape[0], block=block, threads=threads, name="start")
    return out


def _row_blocks(kernel, args: tuple, n: int, *, block: int, threads: int, name: str) -> None:
    """``kernel(*args, start, stop)`` over ``n`` rows in blocks of ``block``, on ``threads`` threads
    (a ``nogil`` numba kernel writing its own rows, so the blocks run in parallel)."""
    starts = range(0, n, block)
    if threads <= 1 or n <= block:
        for s in starts:
            kernel(*args, s, min(n, s + block))
        return
    with ThreadPoolExecutor(threads, thread_name_prefix=f"stitchboard-{name}") as pool:
        for fut in [pool.submit(kernel, *args, s, min(n, s + block)) for s in starts]:
            fut.result()


@numba.njit(nogil=True, cache=True)
def _start_rows(W, idx, fixed, nearest, out, start, stop):
    for i in range(start, stop):
        total = 0.0
        x = 0.0
        y = 0.0
        one = -1
        for j in range(W.shape[1]):
            w = np.float64(W[i, j])
            if w == 0.0:
                continue
            m = max(idx[i, j], 0)
            if w == 1.0 and one < 0:
                one = m
            total += w
            x += w * fixed[m, 0]
            y += w * fixed[m, 1]
        if one >= 0:
            out[i, 0], out[i, 1] = fixed[one, 0], fixed[one, 1]
        elif total == 0.0:
            out[i, 0], out[i, 1] = fixed[nearest[i], 0], fixed[nearest[i], 1]
        else:
            out[i, 0], out[i, 1] = x / total, y / total


def place_epochs(embedding, fixed, idx, W, *, n_epochs: int, a: float, b: float, gamma: float = 1.0,
                 initial_alpha: float = 1.0, negative_sample_rate: int = 5, seed: int = 0,
                 steps: Steps | None = None, threads: int = 2) -> np.ndarray:
    """Run ``n_epochs`` placement epochs on new points' positions, in place.

    Parameters
    ----------
    embedding : ndarray of shape (n_new, 2), float32
        Starting positions of the new points (C-contiguous); moved in place and returned.
    fixed : ndarray of shape (n_fixed, 2)
        The fitted map's points, which do not move.
    idx : ndarray of shape (n_new, k), int
        Each new point's neighbours among ``fixed`` (rows of ``fixed``).
    W : ndarray of shape (n_new, k)
        Edge weights; edges of weight <= 0 are not used.
    n_epochs : int
    a, b : float
        The map's curve parameters (``UMAP._a``, ``UMAP._b``).
    gamma : float, default=1.0
        Weight of the repulsions (``repulsion_strength``).
    initial_alpha : float, default=1.0
        Learning rate of the first epoch.
    negative_sample_rate : int, default=5
    seed : int, default=0
        Seeds each point's random stream together with its row.
    steps : core.runtime.progress.Steps, optional
        Ticked after each block with the rows placed so far; a stop request ends the placement there.
    threads : int, default=2
        Blocks run on this many threads at once.

    Returns
    -------
    embedding : ndarray of shape (n_new, 2), float32
    """
    steps = steps or Steps()
    pos = embedding
    n = pos.shape[0]
    if n == 0 or idx.shape[1] == 0:
        return pos
    fixed = np.ascontiguousarray(fixed, dtype=np.float32)
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    W = np.ascontiguousarray(W, dtype=np.float32)
    w_max = float(W.max())
    if w_max <= 0:
        return pos
    args = (pos, fixed, idx, W, w_max, int(n_epochs), float(a), float(b), float(gamma), float(initial_alpha),
            float(negative_sample_rate), np.uint64(int(seed) % 2**64))
    starts = list(range(0, n, _BLOCK))

    def block(s):
        _place_block(*args, s, min(n, s + _BLOCK))
        return min(n, s + _BLOCK) - s

    done = 0
    if threads <= 1 or len(starts) == 1:
        for s in starts:
            done += block(s)
            steps.tick(done, n)
        return pos
    pool = ThreadPoolExecutor(threads, thread_name_prefix="stitchboard-place")
    try:
        for fut in [pool.submit(block, s) for s in starts]:
            done += fut.result()
            steps.tick(done, n)  # may raise CancelledError: the blocks not started are dropped below
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return pos


_F4 = np.float32(4.0)


@numba.njit(inline="always")
def _clip(v):
    return _F4 if v > _F4 else (-_F4 if v < -_F4 else v)


@numba.njit(inline="always")
def _next(state):
    """xorshift64* step: (new state, a 64-bit draw)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, state * np.uint64(0x2545F4914F6CDD1D)


@numba.njit(nogil=True, fastmath=True, cache=True)
def _place_block(pos, fixed, idx, W, w_max, n_epochs, a, b, gamma, alpha0, neg_rate, seed, start, stop):
    k = idx.shape[1]
    n_fixed = np.uint64(fixed.shape[0])
    every = np.empty(k)  # epochs between samples of each edge
    next_at = np.empty(k)  # epoch of each edge's next sample
    next_neg = np.empty(k)  # epoch of each edge's next negative samples
    # positions and gradients in float32 (as umap-learn's arrays): float32 powers cost a third of float64 ones
    f0, f1, eps = np.float32(0.0), np.float32(1.0), np.float32(0.001)
    a32, b32 = np.float32(a), np.float32(b)
    attract, repel = np.float32(-2.0 * a * b), np.float32(2.0 * gamma * b)
    for i in range(start, stop):
        # splitmix64 of (seed, row): independent streams for neighbouring rows; never 0 (xorshift's fixed point)
        z = seed + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        state = (z ^ (z >> np.uint64(31))) | np.uint64(1)
        for j in range(k):
            w = W[i, j]
            every[j] = w_max / w if w > 0 else -1.0
            next_at[j] = every[j]
            next_neg[j] = every[j] / neg_rate if neg_rate > 0 else 0.0
        y0 = pos[i, 0]
        y1 = pos[i, 1]
        for ep in range(n_epochs):
            # umap-learn's schedule: lowered after each epoch
            alpha = np.float32(alpha0 * (1.0 - max(ep - 1, 0) / n_epochs))
            for j in range(k):
                if every[j] <= 0 or next_at[j] > ep:
                    continue
                t = idx[i, j]
                d0 = y0 - fixed[t, 0]
                d1 = y1 - fixed[t, 1]
                d2 = d0 * d0 + d1 * d1
                c = f0
                if d2 > f0:
                    p = d2 ** b32  # one power: d2 ** (b - 1) is p / d2
                    c = attract * (p / d2) / (a32 * p + f1)
                y0 += _clip(c * d0) * alpha
                y1 += _clip(c * d1) * alpha
                next_at[j] += every[j]
                if neg_rate <= 0:
                    continue
                per_neg = every[j] / neg_rate
                n_neg = int((ep - next_neg[j]) / per_neg)
                for _ in range(n_neg):
                    state, r = _next(state)
                    m = r % n_fixed
                    d0 = y0 - fixed[m, 0]
                    d1 = y1 - fixed[m, 1]
                    d2 = d0 * d0 + d1 * d1
                    if d2 > f0:
                        c = repel / ((eps + d2) * (a32 * d2 ** b32 + f1))
                        y0 += _clip(c * d0) * alpha
                        y1 += _clip(c * d1) * alpha
                next_neg[j] += n_neg * per_neg
        pos[i, 0] = y0
        pos[i, 1] = y1
