"""Placement epochs (core.maps.placement): umap-learn's gradients, point by point, the same on any threads."""

import numpy as np
import pytest

import core.maps.placement as placement
from core.errors import CancelledError
from core.runtime.progress import Steps

A, B = 1.577, 0.895  # UMAP's curve at min_dist=0.1


def _graph(n=3000, n_fixed=200, k=8, seed=0):
    rng = np.random.default_rng(seed)
    fixed = rng.normal(size=(n_fixed, 2)).astype(np.float32) * 5
    idx = np.stack([rng.choice(n_fixed, k, replace=False) for _ in range(n)])
    W = rng.uniform(0.05, 1.0, size=(n, k)).astype(np.float32)
    W[rng.random((n, k)) < 0.2] = 0.0  # dropped edges
    start = (fixed[idx[:, 0]] + rng.normal(scale=0.5, size=(n, 2))).astype(np.float32)
    return start, fixed, idx, W


def test_without_negative_samples_it_is_umaps_own_placement():
    from umap.layouts import optimize_layout_euclidean

    start, fixed, idx, W = _graph()
    ours = placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=10, a=A, b=B, negative_sample_rate=0,
                                  initial_alpha=0.25)
    head, j = np.nonzero(W)
    w = W[head, j].astype(np.float64)
    with np.errstate(divide="ignore"):  # umap-learn divides by the rate of 0
        ref = optimize_layout_euclidean(start.copy(), fixed.copy(), head.astype(np.int32),
                                        idx[head, j].astype(np.int32), 10, len(fixed), w.max() / w, A, B,
                                        np.zeros(3, dtype=np.int64), 1.0, 0.25, 0, move_other=False)
    moved = np.linalg.norm(ref - start, axis=1).mean()
    assert moved > 0.1  # the check below compares real moves, not two unmoved copies
    np.testing.assert_allclose(ours, ref, atol=1e-3 * moved)


def test_the_result_does_not_depend_on_threads_or_blocks(monkeypatch):
    start, fixed, idx, W = _graph()
    one = placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=5, a=A, b=B, seed=7, threads=1)
    monkeypatch.setattr(placement, "_BLOCK", 256)  # 12 blocks on two threads
    two = placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=5, a=A, b=B, seed=7, threads=2)
    np.testing.assert_array_equal(one, two)
    other = placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=5, a=A, b=B, seed=8, threads=2)
    assert not np.array_equal(one, other)  # the seed draws other negative samples


def test_negative_samples_push_points_off_crowded_spots():
    start, fixed, idx, W = _graph()
    plain = placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=10, a=A, b=B, negative_sample_rate=0)
    pushed = placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=10, a=A, b=B, negative_sample_rate=5)
    assert np.isfinite(pushed).all()
    # repulsion from random map points spreads the new points out
    assert np.linalg.norm(pushed - pushed.mean(0), axis=1).mean() > np.linalg.norm(plain - plain.mean(0), axis=1).mean()


def test_progress_counts_rows_and_a_stop_ends_it_between_blocks(monkeypatch):
    monkeypatch.setattr(placement, "_BLOCK", 500)
    start, fixed, idx, W = _graph()
    seen = []
    steps = Steps(lambda d, t, w: seen.append(w), 1, should_stop=lambda: len(seen) >= 3)
    steps("placing", unit="row")
    with pytest.raises(CancelledError):
        placement.place_epochs(start.copy(), fixed, idx, W, n_epochs=5, a=A, b=B, steps=steps)
    assert seen[1:3] == ["placing · row 500/3,000", "placing · row 1,000/3,000"]
