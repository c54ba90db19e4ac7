"""Degenerate spaces (all rows equal, one distinct row, one direction, one dimension) get a clear error
or a sensible map, in this process and in a worker; and a layout that kills its worker is a LoadError."""

import numpy as np
import pytest

from core.errors import InvalidInputError, LoadError
from core.maps.layout import compute_layout, layout_pair
from core.maps.layout_jobs import compute_layout_in_worker, layout_pair_in_worker


@pytest.fixture
def large_paths(monkeypatch):
    """Shrink the thresholds so that 700 rows take the kNN-graph and landmark paths (in this process)."""
    import core.maps.umap_maps as um

    monkeypatch.setattr(um, "_DENSE_MAX_ROWS", 100)
    monkeypatch.setattr(um, "_LANDMARKS", 300)


def _layouts(where, pool):
    if where == "here":
        return compute_layout, layout_pair
    return (lambda X, **kw: compute_layout_in_worker(X, pool=pool, **kw),
            lambda XA, XB, **kw: layout_pair_in_worker(XA, XB, pool=pool, **kw))


@pytest.mark.parametrize("where", ["here", "worker"])
@pytest.mark.parametrize("method", ["umap", "tsne", "pca"])
def test_all_rows_equal_is_a_clear_error(where, method, pool):
    one, pair = _layouts(where, pool)
    with pytest.raises(InvalidInputError, match="all 60 rows of X are the same vector"):
        one(np.full((60, 5), 0.3), method=method, perplexity=10)
    with pytest.raises(InvalidInputError, match="all 60 rows of XB are the same vector"):
        pair(np.random.default_rng(0).normal(size=(60, 5)), np.ones((60, 5)), method=method, perplexity=10)


@pytest.mark.parametrize("where", ["here", "worker"])
def test_one_distinct_row_is_a_map_in_euclidean_and_an_error_when_all_point_one_way(where, pool):
    one, _ = _layouts(where, pool)
    X = np.ones((200, 5))
    X[7] = 3.0  # the same direction as the others, three times as long
    for method in ("umap", "tsne"):
        L = one(X, method=method, metric="euclidean", perplexity=30)
        assert L.shape == (200, 2) and np.isfinite(L).all()
        with pytest.raises(InvalidInputError, match="all 200 rows of X point the same way"):
            one(X, method=method, metric="cosine")
    X[7] = [1, 2, 3, 4, 5]  # another direction: cosine sees two points
    assert np.isfinite(one(X, metric="cosine")).all()
    assert one(X, method="pca").shape == (200, 2)


@pytest.mark.parametrize("where", ["here", "worker"])
def test_one_dimension_keeps_its_order_in_euclidean_and_is_refused_in_cosine(where, pool):
    one, pair = _layouts(where, pool)
    x = np.linspace(0, 1, 150)[:, None] + np.random.default_rng(0).normal(scale=1e-3, size=(150, 1))
    for method in ("umap", "tsne"):
        with pytest.raises(InvalidInputError, match="one dimension, so its cosine distances only see each value's sign"):
            one(x, method=method)
        Y = one(x, method=method, metric="euclidean")
        assert Y.shape == (150, 2) and np.isfinite(Y).all()
        dx = np.abs(x - x.T) + np.eye(150) * 9
        dy = np.linalg.norm(Y[:, None] - Y[None], axis=2) + np.eye(150) * 1e9
        kept = np.mean([dx[i].argmin() in np.argsort(dy[i])[:5] for i in range(150)])
        assert kept > 0.8, (method, kept)  # neighbours on the line stay neighbours on the map
    LA, LB, used = pair(x, x + 1e-3, metric="euclidean")
    assert used == "A" and LB.shape == (150, 2)


def test_one_dimension_on_the_knn_graph_and_landmark_paths(large_paths):
    x = np.random.default_rng(0).normal(size=(700, 1)).astype(np.float32)
    LA, LB, used = layout_pair(x, x * 1.01, metric="euclidean")
    assert used == "A" and np.isfinite(LA).all() and np.isfinite(LB).all()


def _crash_layout(X):
    import os
    import signal

    compute_layout(X[:50], n_epochs=5)
    os.kill(os.getpid(), signal.SIGSEGV)  # what umap/numba did on identical rows before the guard


def test_a_native_crash_during_a_layout_is_a_load_error(pool):
    X = np.random.default_rng(0).normal(size=(100, 4))
    with pytest.raises(LoadError, match=r"the umap layout crashed \(its process ended with SIGSEGV"):
        pool.run(_crash_layout, X, what="the umap layout")
    assert compute_layout_in_worker(X, n_epochs=10, pool=pool).shape == (100, 2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_is_named_by_its_row(bad):
    X = np.random.default_rng(0).normal(size=(40_000, 6)).astype(np.float32)
    X[33_333, 4] = bad
    with pytest.raises(InvalidInputError, match="NaN or Inf in row.*33333"):
        compute_layout(X, method="pca")


def test_checking_a_layouts_input_makes_no_copy_of_it():
    """The checks read the vectors block by block: a temporary as large as the input costs its first touch,
    seconds per GB on hosts that take freed memory away."""
    import tracemalloc

    from core.maps.layout import _layout_input

    X = np.random.default_rng(0).normal(size=(200_000, 64)).astype(np.float32)
    tracemalloc.start()
    try:
        assert _layout_input(X, "X") is X
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 16, peak
