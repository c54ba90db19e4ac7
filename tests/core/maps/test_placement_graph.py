"""The placed points' edge weights are umap-learn's, on any number of threads."""

import numpy as np
import pytest

from core.maps import placement_graph as pg
from core.maps.placement_graph import placement_graph


def _knn(n, k, seed, *, zeros=0, missing=0):
    rng = np.random.default_rng(seed)
    dist = np.sort(rng.gamma(2.0, 0.2, size=(n, k)).astype(np.float32), axis=1)
    if zeros:  # duplicates of a map point: leading distances of 0
        dist[:zeros, :3] = 0.0
        dist[zeros:2 * zeros] = 0.0  # a row at distance 0 from all its neighbours
    idx = rng.integers(0, 5000, size=(n, k))
    if missing:
        idx[rng.choice(n, missing, replace=False), -2:] = -1
    return idx, dist


def _umaps(idx, dist, n_neighbors, local_connectivity):
    from umap.umap_ import compute_membership_strengths, smooth_knn_dist

    sigmas, rhos = smooth_knn_dist(dist, float(n_neighbors), local_connectivity=local_connectivity)
    return compute_membership_strengths(idx, dist, sigmas, rhos, bipartite=True)[2].reshape(dist.shape)


@pytest.mark.parametrize("local_connectivity", [0.0, 1.0, 1.5, 2.0])
def test_weights_are_umap_learns(local_connectivity):
    idx, dist = _knn(3000, 15, 0, zeros=40, missing=50)
    ours = placement_graph(idx, dist, n_neighbors=15, local_connectivity=local_connectivity)
    ref = _umaps(idx, dist, 15, local_connectivity)
    assert ours.dtype == np.float32 and ours.shape == dist.shape
    # the bisection stops within 1e-5 of its target sum, so float32 rounding (umap-learn's loop is compiled with
    # parallel=True) may end it one step apart on some rows: weights equal up to that, most of them bit for bit
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)
    assert (ours == ref).mean() > 0.95
    assert (ours[idx == -1] == 0).all()
    assert ours.min() >= 0 and ours.max() == 1.0


def test_the_result_does_not_depend_on_threads_or_blocks(monkeypatch):
    idx, dist = _knn(5000, 10, 1)
    one = placement_graph(idx, dist, n_neighbors=10, threads=1)
    monkeypatch.setattr(pg, "_BLOCK", 700)
    two = placement_graph(idx, dist, n_neighbors=10, threads=2)
    np.testing.assert_array_equal(one, two)


def test_no_rows():
    W = placement_graph(np.zeros((0, 15), int), np.zeros((0, 15)), n_neighbors=15)
    assert W.shape == (0, 15) and W.dtype == np.float32
