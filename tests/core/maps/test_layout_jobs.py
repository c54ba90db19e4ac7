"""Layouts in the pool (core.maps.layout_jobs): the same maps as in-process, progress per UMAP epoch and
t-SNE iteration, and a stop request ends them well under a second."""

import time

import numpy as np
import pytest

from core.errors import CancelledError, InvalidInputError, LoadError
from core.maps.layout import compute_layout, layout_pair
from core.maps.layout_jobs import compute_layout_in_worker, layout_pair_in_worker

POOL_MAX_WORKERS = 2  # read by the pool fixture (conftest.py)


def _blobs(n=600, d=12, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(5, d)) * 4
    y = rng.integers(0, 5, n)
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


def test_pool_maps_equal_the_in_process_ones(pool):
    """Bit for bit, with one BLAS thread here too: a worker uses one, and the summation order of
    several threads changes the last bits, which UMAP's optimisation then amplifies."""
    from threadpoolctl import threadpool_limits

    X, _ = _blobs()
    XB = X[:, ::-1].copy()
    with threadpool_limits(1):
        here = layout_pair(X, XB)
    there = layout_pair_in_worker(X, XB, pool=pool)
    assert there[2] == here[2] == "A"
    np.testing.assert_array_equal(there[0], here[0])
    np.testing.assert_array_equal(there[1], here[1])
    np.testing.assert_array_equal(compute_layout_in_worker(X, method="pca", pool=pool), compute_layout(X, method="pca"))


def test_umap_progress_comes_per_epoch_and_a_stop_ends_it_at_once(pool):
    X, _ = _blobs()
    seen, stop_at = [], []

    def progress(done, total, what):
        seen.append((done, total, what))

    def should_stop():
        if not stop_at and any(_epoch(w) >= 300 for *_, w in seen):
            stop_at.append(time.perf_counter())
        return bool(stop_at)

    with pytest.raises(CancelledError, match="stopped during UMAP of 600 rows"):
        compute_layout_in_worker(X, n_epochs=3000, progress=progress, should_stop=should_stop, pool=pool)
    latency = time.perf_counter() - stop_at[0]
    epochs = [_epoch(w) for *_, w in seen if _epoch(w) >= 0]
    print(f"UMAP in a worker: {len(epochs)} epoch reports before the stop; stop -> CancelledError {latency * 1e3:.0f} ms")
    assert latency < 0.5
    assert len(epochs) >= 5 and epochs == sorted(epochs) and len(set(epochs)) == len(epochs)
    assert max(epochs) < 1500  # stopped long before the end of the 3,000 epochs
    assert layout_pair_in_worker(X, X, n_epochs=20, pool=pool)[2] == "A"  # the slot took the next job


def _epoch(what: str) -> int:
    return int(what.split("· epoch ")[1].split("/")[0].replace(",", "")) if "· epoch " in what else -1


def test_tsne_reports_its_iterations_in_a_worker_and_stops_at_once(pool):
    X, _ = _blobs(n=1000)
    seen, stop_at = [], []

    def progress(done, total, what):
        seen.append((done, total, what))

    def should_stop():
        if any("iteration 100/500" in w for *_, w in seen) and not stop_at:
            stop_at.append(time.perf_counter())
        return bool(stop_at)

    with pytest.raises(CancelledError, match="t-SNE of A"):
        layout_pair_in_worker(X, X[:, ::-1].copy(), method="tsne", progress=progress, should_stop=should_stop,
                              pool=pool)
    latency = time.perf_counter() - stop_at[0]
    print(f"t-SNE in a worker: stop -> CancelledError {latency * 1e3:.0f} ms; reports {[w for *_, w in seen]}")
    assert latency < 1.0
    assert any("t-SNE of A: 1,000 rows · iteration 50/500" == w for *_, w in seen)
    full = []
    LA, LB, used = layout_pair_in_worker(X, X[:, ::-1].copy(), method="tsne", pool=pool,
                                         progress=lambda *a: full.append(a))
    iterations = [w for *_, w in full if "iteration" in w]
    assert used == "own" and len(iterations) >= 10 and full[-1] == (2, 2, "done")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        np.testing.assert_array_equal(LA, compute_layout(X, method="tsne"))  # the reports change nothing


def test_bad_input_comes_back_as_the_same_error_and_the_worker_lives_on(pool):
    X, _ = _blobs(n=50)
    with pytest.raises(InvalidInputError, match=r"n_neighbors=80 must be in \[2, n_samples=50\)"):
        compute_layout_in_worker(X, n_neighbors=80, pool=pool)
    with pytest.raises(InvalidInputError, match="all 50 rows of X are the same vector"):
        compute_layout_in_worker(np.ones((50, 4)), pool=pool)
    assert compute_layout_in_worker(X, n_epochs=10, pool=pool).shape == (50, 2)


def test_a_layout_over_the_memory_limit_is_a_load_error(pool):
    from core.runtime.workers import WorkerLimits

    X, _ = _blobs(n=4000)  # the dense path's distance matrices alone are over 64 MB
    with pytest.raises(LoadError, match="STITCHBOARD_WORKER_MEMORY_MB"):
        compute_layout_in_worker(X, pool=pool, limits=WorkerLimits(memory_bytes=pool_vm_bytes(pool) + (40 << 20)))
    assert compute_layout_in_worker(X[:100], n_epochs=10, pool=pool).shape == (100, 2)


def pool_vm_bytes(pool) -> int:
    """Address space a warm worker uses already (its libraries), from /proc."""
    pid = pool.status()["pids"][0]
    with open(f"/proc/{pid}/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
    return kb * 1024


def test_pool_off_runs_the_layouts_here_and_starts_no_worker(monkeypatch):
    """STITCHBOARD_LAYOUT_POOL=off (the in-process baseline of bench_many_users.py): no pool is touched."""
    from core.maps import layout_jobs

    def no_pool():
        raise AssertionError("the pool was used although STITCHBOARD_LAYOUT_POOL=off")

    monkeypatch.setattr(layout_jobs, "layout_pool", no_pool)
    monkeypatch.setenv("STITCHBOARD_LAYOUT_POOL", "off")
    assert not layout_jobs.pool_enabled()
    X, _ = _blobs(n=200)
    seen = []
    LA, LB, used = layout_pair_in_worker(X, X[:, ::-1].copy(), n_epochs=20, progress=lambda *a: seen.append(a))
    assert LA.shape == LB.shape == (200, 2) and used == "A" and seen
    assert compute_layout_in_worker(X, method="pca").shape == (200, 2)
    with pytest.raises(AssertionError, match="pool was used"):
        monkeypatch.setenv("STITCHBOARD_LAYOUT_POOL", "on")
        layout_jobs.warm_up()
