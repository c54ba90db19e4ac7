"""Maps and sweeps are stored only when they finish; UMAP maps come back from disk in a new process."""

import threading
import time

import numpy as np
import pytest

from core.errors import CancelledError
from dashboard import loaders, results
from tests.dashboard import test_loaders


def _fresh_process(monkeypatch, folder):
    """What a new server process sees: empty caches of zoo and maps, the same disk cache folder."""
    test_loaders._fresh_process(monkeypatch, folder)
    for fn in (results._layout_results, results._disk_key):
        fn.clear()


def test_umap_layouts_come_back_from_disk_in_a_new_process(tmp_path, monkeypatch):
    src, args = "wine", ("wine", "mlp-s0", "mlp-s1")
    anchors = tuple(loaders.anchors(src, 20, "random", 0))
    _fresh_process(monkeypatch, tmp_path)
    assert not results.has_layouts(*args, None, "umap", "A", 10, 0.3)
    abs_first = results.layouts(*args, None, "umap", "A", 10, 0.3)
    rel_first = results.layouts(*args, anchors, "umap", "A", 10, 0.3)
    assert len(list(tmp_path.glob("layout_pair/*.npz"))) == 2

    _fresh_process(monkeypatch, tmp_path)
    loaders._relative_vectors.clear()
    assert results.has_layouts(*args, None, "umap", "A", 10, 0.3)
    assert results.has_layouts(*args, anchors, "umap", "A", 10, 0.3)
    assert not results.has_layouts(*args, anchors, "umap", "A", 11, 0.3)  # other settings: not cached
    assert not results.has_layouts(*args, anchors[:-1], "umap", "A", 10, 0.3)  # other anchors: not cached
    for name in ("layout_pair", "layout_pair_in_worker"):
        monkeypatch.setattr(results, name, lambda *a, **k: pytest.fail("recomputed a layout that is on disk"))
    # the relative maps' key comes from the absolute key and the anchors: no relative vectors to project and hash
    monkeypatch.setattr(loaders, "relative_projection", lambda *a, **k: pytest.fail("projected for a disk hit"))
    for first, anchor_ids in ((abs_first, None), (rel_first, anchors)):
        LA, LB, used = results.layouts(*args, anchor_ids, "umap", "A", 10, 0.3)
        np.testing.assert_array_equal(LA, first[0])
        np.testing.assert_array_equal(LB, first[1])
        assert used == first[2] and isinstance(used, str)


def test_results_store_keeps_only_finished_results():
    store = results.Results(max_entries=2)

    def cancelled():
        raise CancelledError("stopped")

    with pytest.raises(CancelledError):
        store.get("k", cancelled)
    assert "k" not in store and len(store) == 0
    assert store.get("k", lambda: 1) == 1 and store.get("k", lambda: 2) == 1  # computed once, then reused
    store.get("j", lambda: 3)
    store.get("k", lambda: 4)  # k is the most recently used
    store.get("i", lambda: 5)
    assert "j" not in store and "k" in store and "i" in store


def test_a_caller_waiting_for_the_same_key_is_shown_the_computations_progress():
    """The first visit waits for the maps the server started: its progress line follows that computation."""
    store = results.Results(max_entries=2)
    reported, release = threading.Event(), threading.Event()

    def compute():
        report = store.reporter("k")
        report(1, 4, "epoch 1/4")
        reported.set()
        assert release.wait(10)
        return "maps"

    first = threading.Thread(target=store.get, args=("k", compute))
    first.start()
    assert reported.wait(10)
    seen, out = [], []
    waiter = threading.Thread(target=lambda: out.append(store.get(
        "k", lambda: pytest.fail("computed twice"), progress=lambda *a: seen.append(a))))
    waiter.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    first.join(10)
    waiter.join(10)
    assert seen and set(seen) == {(1, 4, "epoch 1/4")} and out == ["maps"]


def test_cached_maps_depend_on_every_module_that_computes_them():
    """A change to any module a landmark map runs must miss the disk cache, not return the old code's maps."""
    import os
    import subprocess
    import sys

    from core.runtime.disk_cache import content_key

    code = ("import sys, numpy as np; import core.maps.umap_maps as um; um._DENSE_MAX_ROWS = 100; um._LANDMARKS = 300\n"
            "from core.maps.layout import layout_pair\n"
            "X = np.random.default_rng(0).normal(size=(700, 8)).astype(np.float32)\n"
            "layout_pair(X, X + 0.01, n_epochs=5)  # kNN graph, landmark UMAP, placed rows, B placed\n"
            "print(*sorted(m.__file__ for n, m in sys.modules.items() if n.startswith(('core.maps.', 'core.methods.'))))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                           check=True).stdout.split()
    assert any(f.endswith("placement.py") for f in files) and any(f.endswith("smallest.py") for f in files)
    version = results._layout_code_version()
    missing = [f for f in files if content_key(open(f, "rb").read()) not in version]
    assert missing == []
