import time

import numpy as np
import pytest

from core.maps.layout import align_layout, compute_layout, layout_pair


def test_align_recovers_rotation_reflection_scale_shift():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(100, 2))
    th = 1.1
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]) @ np.diag([1, -1])
    moved = 3.0 * Y @ R + np.array([5.0, -2.0])
    np.testing.assert_allclose(align_layout(moved, Y), Y, atol=1e-5)


def test_pca_layout_keeps_every_point():
    X = np.random.default_rng(0).normal(size=(500, 10))
    assert compute_layout(X, method="pca").shape == (500, 2)


def test_b_in_a_frame_matches_a_only_when_coordinates_agree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    LA, LB, used = layout_pair(X, X.copy(), method="pca")
    assert used == "A" and np.allclose(LA, LB, atol=1e-5)
    LA, LB, _ = layout_pair(X, X @ Q, method="pca")
    assert not np.allclose(LA, LB, atol=0.1)


def test_dims_differ_falls_back_to_own_aligned_layout():
    rng = np.random.default_rng(0)
    LA, LB, used = layout_pair(rng.normal(size=(50, 6)), rng.normal(size=(50, 4)), method="pca")
    assert used == "own" and LA.shape == LB.shape == (50, 2)


def test_errors():
    with pytest.raises(ValueError, match="method='isomap' is not supported"):
        compute_layout(np.ones((10, 3)), method="isomap")
    with pytest.raises(ValueError, match="method='isomap' is not supported"):
        layout_pair(np.ones((10, 3)), np.ones((10, 3)), method="isomap")
    with pytest.raises(ValueError, match=r"perplexity=30 must be in \(0, n_samples=10\)"):
        compute_layout(np.random.default_rng(0).normal(size=(10, 3)), method="tsne", perplexity=30)
    with pytest.raises(ValueError, match="at least 3 rows"):
        compute_layout(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"n_neighbors=50 must be in \[2, n_samples=10\)"):
        compute_layout(np.random.default_rng(0).normal(size=(10, 3)), n_neighbors=50)


def test_reference_orients_both_maps_alike():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    LA, LB, _ = layout_pair(X, X + 0.01 * rng.normal(size=X.shape), method="pca")
    th = 2.0
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    ref = 5 * LA @ R + 3
    A2, B2, _ = layout_pair(X, X + 0.01 * rng.normal(size=X.shape), method="pca", reference=ref)
    np.testing.assert_allclose(A2, ref, atol=1e-4)
    assert np.abs(B2 - A2).mean() < 0.2 * np.abs(A2 - A2.mean(0)).mean()


def test_umap_warm_start_keeps_clusters_in_place():
    """An anchor edit keeps a warm-started map's cluster arrangement and moves its clusters far less
    than a cold refit does: digits' relative vectors of A for two anchor sets, as the dashboard's
    relative maps. Medians over 4 seeds; the bounds are far from what they gave (the commit that set
    them has the figures). Synthetic Gaussian clusters made the cold refit depend on which basis
    ARPACK returns for their near-degenerate spectral embedding, which changed with SciPy 1.17."""
    from scipy.spatial.distance import pdist

    from core import relative_projection, select_anchors
    from core.spaces.zoo import Zoo

    zoo = Zoo("digits")
    train, every = zoo.spaces("train")["mlp-s0"], zoo.spaces("all")["mlp-s0"]
    y = np.asarray(zoo.collection().samples["label"])
    X, X1 = (relative_projection(every.vectors, train.take(select_anchors(train, 100, random_state=seed)))
             for seed in (0, 1))
    L0 = compute_layout(X)

    def centroids(L):
        return np.array([L[y == k].mean(0) for k in np.unique(y)])

    def drift(L):
        L = align_layout(L, L0)
        return np.linalg.norm(centroids(L) - centroids(L0), axis=1).mean() / np.linalg.norm(L0 - L0.mean(0), axis=1).mean()

    def arrangement(L):  # how alike the distances between clusters are, before and after
        return np.corrcoef(pdist(centroids(L)), pdist(centroids(L0)))[0, 1]

    warm = [compute_layout(X1, init=L0, random_state=s) for s in range(4)]
    cold = [compute_layout(X1, random_state=s + 100) for s in range(4)]
    kept_w, kept_c = np.median([arrangement(L) for L in warm]), np.median([arrangement(L) for L in cold])
    drift_w, drift_c = np.median([drift(L) for L in warm]), np.median([drift(L) for L in cold])
    print(f"median over 4 seeds: arrangement kept {kept_w:.3f} warm vs {kept_c:.3f} cold; "
          f"drift {drift_w:.3f} warm vs {drift_c:.3f} cold")
    assert kept_w > 0.8
    assert drift_w < 0.6 * drift_c
    with pytest.raises(ValueError, match=r"init must have shape \(400, 2\)"):
        compute_layout(X[:400], init=np.zeros((10, 2)))


def _blobs(n=700, d=12, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(5, d)) * 4
    y = rng.integers(0, 5, n)
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


def _knn_accuracy(L, y, k=10):
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(k).fit(L, y).score(L, y)


@pytest.fixture
def large_paths(monkeypatch):
    """Shrink the thresholds so that 700 rows take the kNN-graph and landmark paths."""
    import core.maps.umap_maps as um

    monkeypatch.setattr(um, "_DENSE_MAX_ROWS", 100)
    monkeypatch.setattr(um, "_LANDMARKS", 300)
    return um


@pytest.mark.parametrize("path", ["dense", "landmarks"])
def test_warm_started_layouts_are_deterministic_for_a_seed(request, path):
    if path == "landmarks":
        request.getfixturevalue("large_paths")
    X, y = _blobs(n=400)
    X1 = X + 0.3 * np.random.default_rng(1).normal(size=X.shape).astype(np.float32)
    L0 = compute_layout(X, random_state=0, n_epochs=50)
    a = compute_layout(X1, init=L0, random_state=5)
    b = compute_layout(X1, init=L0, random_state=5)
    assert np.array_equal(a, b)
    c = compute_layout(X1, init=L0, random_state=6)
    assert not np.array_equal(a, c)  # the seed matters, so equality above is not vacuous
    pa = layout_pair(X1, X1[:, ::-1].copy(), init=L0, reference=L0, random_state=5, frame="A")
    pb = layout_pair(X1, X1[:, ::-1].copy(), init=L0, reference=L0, random_state=5, frame="A")
    assert np.array_equal(pa[0], pb[0]) and np.array_equal(pa[1], pb[1])


def test_large_maps_keep_every_point_and_the_clusters(large_paths):
    X, y = _blobs()
    L = compute_layout(X)
    assert L.shape == (700, 2) and np.isfinite(L).all()
    assert _knn_accuracy(L, y) > 0.95
    # the rows outside the landmarks are placed among their own cluster too
    rows = np.sort(np.random.default_rng(0).choice(700, 300, replace=False))
    rest = np.setdiff1d(np.arange(700), rows)
    from sklearn.neighbors import KNeighborsClassifier

    assert KNeighborsClassifier(10).fit(L[rows], y[rows]).score(L[rest], y[rest]) > 0.95


def test_large_b_in_a_frame_lands_on_a_only_when_coordinates_agree(large_paths):
    X, y = _blobs()
    rng = np.random.default_rng(3)
    near = X + 0.05 * rng.normal(size=X.shape).astype(np.float32)
    LA, LB, used = layout_pair(X, near)
    spread = np.linalg.norm(LA - LA.mean(0), axis=1).mean()
    assert used == "A" and np.linalg.norm(LA - LB, axis=1).mean() < 0.2 * spread
    Q = np.linalg.qr(rng.normal(size=(12, 12)))[0].astype(np.float32)
    _, LBr, _ = layout_pair(X, X @ Q)  # B's coordinates mean something else: it lands elsewhere
    assert np.linalg.norm(LA - LBr, axis=1).mean() > 0.5 * spread


def test_a_landmark_map_says_how_it_was_made(large_paths):
    assert large_paths.how_made(300) == ""  # every row fitted
    text = large_paths.how_made(700)
    assert "300 landmarks" in text and "the other 400 points placed" in text
    assert large_paths.how_made(700, placed=True) == ""  # B placed in A's frame: its title says so


def test_many_placed_rows_get_fewer_epochs_and_keep_their_clusters(large_paths, monkeypatch):
    seen = []
    real = large_paths.place_epochs

    def spy(*args, **kwargs):
        seen.append(kwargs["n_epochs"])
        return real(*args, **kwargs)
    monkeypatch.setattr(large_paths, "place_epochs", spy)
    X, y = _blobs()
    compute_layout(X)
    full = seen[-1]
    monkeypatch.setattr(large_paths, "_PLACE_FULL_UP_TO", 100)  # 400 placed rows: a quarter of the epochs, >= 5
    L = compute_layout(X)
    assert full == 30 and seen[-1] == max(5, round(30 * 100 / 400))
    rows = np.sort(np.random.default_rng(0).choice(700, 300, replace=False))
    rest = np.setdiff1d(np.arange(700), rows)
    from sklearn.neighbors import KNeighborsClassifier

    assert KNeighborsClassifier(10).fit(L[rows], y[rows]).score(L[rest], y[rest]) > 0.95


def test_placing_in_blocks_finds_the_same_neighbours(large_paths, monkeypatch):
    X, _ = _blobs()
    m = large_paths.fit_map(X, 15, 0.1, "cosine", 50, None, 0)
    rest = np.setdiff1d(np.arange(700), m.rows)
    whole = m.index.query(X[rest], n_neighbors=15)
    monkeypatch.setattr(large_paths, "_QUERY_BLOCK", 64)  # 400 rows in blocks of 64, read through `rows`
    blocks = m._query_blocks(X, rest)
    # the same up to float rounding (BLAS sums in another order for other block shapes): near-ties may swap
    assert (whole[0] == blocks[0]).mean() > 0.99
    assert np.allclose(whole[1], blocks[1], atol=1e-5)
    assert m.place(X, rows=rest).shape == (400, 2)


def test_large_init_shape_is_checked(large_paths):
    X, _ = _blobs()
    with pytest.raises(ValueError, match=r"init must have shape \(700, 2\)"):
        compute_layout(X, init=np.zeros((10, 2)))


def test_progress_reports_every_stage_then_done(large_paths):
    X, _ = _blobs()
    calls = []
    layout_pair(X, X[:, ::-1].copy(), progress=lambda done, total, what: calls.append((done, total, what)))
    whats = [w for _, _, w in calls]
    dones = [d for d, _, _ in calls]
    starts = [d for d, _, w in calls if "·" not in w and w != "done"]  # stage starts: 0, 1, 2, ...
    assert starts == list(range(len(starts))) and calls[-1][:2] == (calls[-1][1], calls[-1][1])
    assert dones == sorted(dones)  # never backwards; fractional within a stage
    assert any("kNN graph of A" in w for w in whats) and any("landmarks" in w for w in whats)
    assert any("placing B" in w for w in whats) and whats[-1] == "done"
    assert any("· epoch " in w for w in whats)  # UMAP epochs are reported within their stage


def _stop_after(n_polls):
    polls = []

    def should_stop():
        polls.append(time.perf_counter())
        return len(polls) > n_polls

    return should_stop, polls


def test_should_stop_cancels_a_umap_between_epochs_and_leaves_no_trace():
    """In-process, the cancel check runs at every UMAP epoch (umap-learn's tqdm_kwds): a stop
    request ends the fit within one (not at its end), raises the documented error, and the next
    call gives the same map as an undisturbed one."""
    from core.errors import CancelledError, StitchboardError

    X, _ = _blobs(n=300)
    kw = dict(n_epochs=1000)  # long UMAP optimisation: the stop is visible in time
    plain = compute_layout(X, **kw)
    never, full_polls = _stop_after(10**9)
    t0 = time.perf_counter()
    compute_layout(X, should_stop=never, **kw)
    full = time.perf_counter() - t0
    should_stop, polls = _stop_after(20)
    with pytest.raises(CancelledError, match="should_stop") as info:
        compute_layout(X, should_stop=should_stop, **kw)
    latency = time.perf_counter() - polls[-1]  # from the stop request to the error
    print(f"umap: full fit {full:.2f} s with {len(full_polls)} polls; error {latency * 1e3:.1f} ms after the stop request")
    assert len(full_polls) > 1000  # polled at every epoch, not only at stage starts
    assert len(polls) == 21  # it stopped at the first True: not one more epoch
    # the rest of the fit was not run: the error comes far sooner than the fit's remaining work would take
    assert latency < 0.1 * full
    assert isinstance(info.value, StitchboardError) and not isinstance(info.value, (ValueError, TypeError))
    # pair layouts stop too, in either stage; nothing is left behind: the same map as before
    should_stop, _ = _stop_after(300)
    with pytest.raises(CancelledError):
        layout_pair(X, X[:, ::-1].copy(), frame="own", should_stop=should_stop)
    np.testing.assert_array_equal(compute_layout(X, **kw), plain)
    calls = []
    again = compute_layout(X, progress=lambda *a: calls.append(a), should_stop=lambda: False, **kw)
    np.testing.assert_array_equal(again, plain)  # the reports do not change the result
    assert calls[-1] == (1, 1, "done") and len(calls) > 50


def test_in_process_tsne_reports_and_stops_at_its_stages_only():
    """t-SNE's iterations are reported only in a worker (see test_layout_jobs.py): in-process,
    progress and stop requests come at its stage starts, and standard output is untouched."""
    import contextlib
    import io

    from core.errors import CancelledError

    X, _ = _blobs(n=200)
    calls, out = [], io.StringIO()
    with contextlib.redirect_stdout(out):
        L = compute_layout(X, method="tsne", perplexity=20, progress=lambda *a: calls.append(a))
    assert calls == [(0, 1, "t-SNE of 200 rows"), (1, 1, "done")] and out.getvalue() == ""
    should_stop, polls = _stop_after(1)  # the pair's second stage, B's t-SNE
    with pytest.raises(CancelledError, match="t-SNE of B"):
        layout_pair(X, X[:, ::-1].copy(), method="tsne", perplexity=20, should_stop=should_stop)
    assert len(polls) == 2
    np.testing.assert_array_equal(compute_layout(X, method="tsne", perplexity=20), L)


def test_a_progress_callback_that_raises_ends_the_fit_and_tqdm_stays_usable():
    """A UI's progress callback may raise (Streamlit stops a script that way): the fit ends
    and no lock of tqdm (which umap iterates its epochs with) is left held."""
    import threading

    import tqdm

    X, _ = _blobs(n=200)

    class Stop(BaseException):
        pass

    def progress(done, total, what):
        if "epoch 10/" in what:
            raise Stop

    with pytest.raises(Stop):
        compute_layout(X, progress=progress, n_epochs=100)
    free = []

    def try_locks():
        for lock in tqdm.tqdm.get_lock().locks:
            free.append(bool(lock.acquire(timeout=2)))
            lock.release()

    t = threading.Thread(target=try_locks)
    t.start()
    t.join()
    assert free and all(free)
    assert compute_layout(X, n_epochs=20).shape == (200, 2)


def test_tsne_keeps_every_point_is_seeded_and_separates_clusters():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 8)) * 5
    y = np.repeat(np.arange(3), 60)
    X = centers[y] + rng.normal(size=(180, 8))
    L1 = compute_layout(X, method="tsne", perplexity=20, random_state=3)
    L2 = compute_layout(X, method="tsne", perplexity=20, random_state=3)
    assert L1.shape == (180, 2) and np.isfinite(L1).all()
    np.testing.assert_array_equal(L1, L2)
    # each cluster is tighter than the whole map
    spread = np.linalg.norm(L1 - L1.mean(0), axis=1).mean()
    within = np.mean([np.linalg.norm(L1[y == k] - L1[y == k].mean(0), axis=1).mean() for k in range(3)])
    assert within < 0.5 * spread


def test_tsne_pair_uses_own_layouts_aligned_to_a():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(4, 6)) * 5
    y = np.repeat(np.arange(4), 30)
    X = centers[y] + rng.normal(size=(120, 6))
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    LA, LB, used = layout_pair(X, X @ Q, method="tsne", perplexity=15)
    assert used == "own" and LA.shape == LB.shape == (120, 2)
    # the same geometry, rotated: once aligned, B's clusters sit where A's do
    cA = np.array([LA[y == k].mean(0) for k in range(4)])
    cB = np.array([LB[y == k].mean(0) for k in range(4)])
    spread = np.linalg.norm(LA - LA.mean(0), axis=1).mean()
    assert np.linalg.norm(cA - cB, axis=1).max() < 0.25 * spread


@pytest.mark.parametrize("shape", [(40, 40), (37, 53), (5, 3)])
def test_dense_knn_is_the_exact_nearest_first(shape):
    """The small-map path's kNN (a partition, then a sort of the k kept) equals a full sort of each row."""
    from core.maps.umap_maps import _dense_knn

    rng = np.random.default_rng(shape[0])
    D = rng.random(shape).astype(np.float32)
    if shape[0] == shape[1]:
        np.fill_diagonal(D, 0.0)
    k = min(3, shape[1]) if shape[1] < 15 else 15
    idx, dist = _dense_knn(D, k)
    ref = np.argsort(D, axis=1, kind="stable")[:, :k]  # no ties in random floats
    assert idx.shape == dist.shape == (shape[0], k) and idx.dtype == np.int64
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_array_equal(dist, np.take_along_axis(D, ref, axis=1))
    if shape[0] == shape[1]:
        assert (idx[:, 0] == np.arange(shape[0])).all()  # each row's own column first, as umap-learn expects


def test_small_map_places_its_own_rows_on_themselves():
    """B = A placed in A's frame (dense path, exact neighbours): every point lands next to its own."""
    X, _ = _blobs(n=300)
    LA, LB, used = layout_pair(X, X.copy(), n_epochs=100)
    assert used == "A"
    span = np.ptp(LA, axis=0).max()
    assert np.median(np.linalg.norm(LA - LB, axis=1)) < 0.05 * span


def test_tsne_of_one_dimensional_vectors_keeps_their_neighbours():
    x = np.linspace(0, 1, 60)[:, None] + np.random.default_rng(0).normal(scale=1e-3, size=(60, 1))
    Y = compute_layout(x, method="tsne", metric="euclidean", random_state=0)  # its PCA init needs 2 dims
    assert Y.shape == (60, 2) and np.isfinite(Y).all() and np.ptp(Y[:, 0]) > 0
    dx = np.abs(x - x.T) + np.eye(60) * 9
    dy = np.linalg.norm(Y[:, None] - Y[None], axis=2) + np.eye(60) * 1e9
    near = dx.argmin(1)
    kept = np.mean([near[i] in np.argsort(dy[i])[:5] for i in range(60)])
    assert kept > 0.8, kept  # t-SNE keeps local structure


def test_placed_points_start_where_umaps_own_transform_starts_them():
    """Our dense start positions against umap-learn's ``init_graph_transform`` on the same sparse graph."""
    import scipy.sparse
    from umap.umap_ import init_graph_transform

    from core.maps.placement import initial_positions

    rng = np.random.default_rng(0)
    n, k, n_fit = 300, 6, 80
    E = rng.normal(size=(n_fit, 2)).astype(np.float32)
    idx = np.stack([rng.choice(n_fit, k, replace=False) for _ in range(n)])
    W = rng.uniform(0.05, 0.9, size=(n, k)).astype(np.float32)
    W[rng.random((n, k)) < 0.2] = 0.0  # dropped edges
    W[:10] = 0.0  # no neighbour left: start on the nearest
    W[10:20, 2] = 1.0  # a duplicate of a fitted point: start on it
    idx[20:25, 1] = -1
    W[20:25, 1] = 0.0  # a neighbour beyond reach
    rows = np.repeat(np.arange(n), k)
    keep = W.ravel() > 0
    graph = scipy.sparse.csr_matrix((W.ravel()[keep], (rows[keep], idx.ravel()[keep])), shape=(n, n_fit))
    ref = init_graph_transform(graph, E)
    ours = initial_positions(W, idx, E, idx[:, 0], block=64, threads=1)  # several blocks
    np.testing.assert_array_equal(initial_positions(W, idx, E, idx[:, 0], block=64, threads=2), ours)
    np.testing.assert_allclose(ours[10:], ref[10:], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours[:10], E[idx[:10, 0]])  # umap leaves NaN there
    np.testing.assert_array_equal(ours[10:20], E[idx[10:20, 2]])
