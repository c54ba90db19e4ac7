"""Uploaded collections are shared only by content hash and released with their sessions."""

import gc

import numpy as np
import pytest

from core.spaces.collection import Collection, default_split
from core.spaces.latent_space import LatentSpace
from dashboard import loaders


def _coll(seed):
    X = np.random.default_rng(seed).normal(size=(12, 3))
    sp = LatentSpace(X, np.arange(12), name="a")
    return Collection(f"c{seed}", {"a": sp}, default_split(sp.ids))


def test_upload_is_released_when_its_holder_goes():
    holder = {}
    src = loaders.register_collection("abc123", _coll(0), holder=holder)
    assert src == "upload:abc123" and loaders.is_available(src)
    assert loaders.collection(src).name == "c0"
    holder.clear()
    gc.collect()
    assert not loaders.is_available(src)


def test_same_key_is_one_object_different_keys_are_isolated():
    h1, h2 = {}, {}
    s1 = loaders.register_collection("k1", _coll(1), holder=h1)
    s2 = loaders.register_collection("k2", _coll(2), holder=h2)
    assert loaders.collection(s1).name == "c1" and loaders.collection(s2).name == "c2"
    again = {}
    loaders.register_collection("k1", _coll(99), holder=again)  # same bytes -> the loaded one is reused
    assert again["upload:k1"] is h1["upload:k1"]


# ---------------------------------------------------------------- zoo vectors on disk


def _fresh_process(monkeypatch, folder):
    """What a new server process sees: empty caches of zoo and maps, the same disk cache folder.
    (Not ``st.cache_resource.clear()``: that would also drop the uploads other tests registered.)"""
    from core.runtime.disk_cache import DiskCache

    for fn in (loaders.zoo, loaders._bundled_collection, loaders.spaces, loaders.absolute_heads, loaders.hover_text,
               loaders._relative_vectors):
        fn.clear()
    monkeypatch.setattr(loaders, "disk_cache", lambda: DiskCache(folder))


def test_zoo_vectors_come_back_from_disk(tmp_path, monkeypatch):
    _fresh_process(monkeypatch, tmp_path)
    first = loaders.collection("wine").spaces["mlp-s0"].vectors
    assert len(list(tmp_path.glob("zoo_vectors/*.npz"))) == len(loaders.collection("wine").names)
    _fresh_process(monkeypatch, tmp_path)
    monkeypatch.setattr("core.spaces.zoo.Zoo.encode", lambda *a, **k: pytest.fail("re-encoded vectors that are on disk"))
    np.testing.assert_array_equal(loaders.collection("wine").spaces["mlp-s0"].vectors, first)


def test_server_warm_up_fills_the_caches_the_pages_use(monkeypatch):
    from dashboard import server

    for fn in (loaders.zoo, loaders._bundled_collection, loaders.spaces, loaders.absolute_heads, loaders.hover_text):
        fn.clear()
    assert server.warm_up("wine") > 0
    monkeypatch.setattr("core.spaces.zoo.Zoo.collection", lambda *a, **k: pytest.fail("loaded again after the warm-up"))
    monkeypatch.setattr(loaders, "fit_absolute_heads", lambda *a, **k: pytest.fail("heads fitted again"))
    assert loaders.collection("wine").name == "wine"
    assert set(loaders.absolute_heads("wine")) == set(loaders.collection("wine").names)


def test_server_starts_streamlit_without_its_post_run_gc_and_file_watcher(monkeypatch):
    """The defaults come first, so a user's own --server.fileWatcherType auto (say) still wins."""
    from streamlit.web import cli as stcli

    from dashboard import server

    seen = {}
    monkeypatch.setattr(server, "warm_up", lambda: 0.0)
    monkeypatch.setattr(stcli, "main", lambda: seen.setdefault("argv", list(server.sys.argv)) and 0)
    monkeypatch.setattr(server.sys, "argv", ["x"])
    assert server.main(["--server.port", "8999", "--server.fileWatcherType", "auto"]) == 0
    argv = seen["argv"]
    assert argv[:3] == ["streamlit", "run", str(server.APP)]
    opts = argv[3:]
    assert opts[:4] == ["--runner.postScriptGC", "false", "--server.fileWatcherType", "none"]
    assert opts[4:] == ["--server.port", "8999", "--server.fileWatcherType", "auto"]  # later ones override


def test_the_maps_computed_at_server_start_are_those_a_first_visit_shows(tmp_path, monkeypatch):
    """start_first_maps computes the first visit's two layouts in the pool; the page then finds them and computes
    nothing itself."""
    from core.runtime.disk_cache import DiskCache
    from dashboard import results, server
    from tests.dashboard.apphelp import maps, no_errors, start

    monkeypatch.setattr(loaders, "disk_cache", lambda: DiskCache(tmp_path))  # no maps on disk from earlier runs
    results._layout_results.clear()
    results._disk_key.clear()
    thread = server.start_first_maps("wine")
    assert thread is not None
    thread.join(300)
    absolute, relative = server.first_view_keys("wine")
    assert absolute[3] is None and relative[3] is not None and absolute[4] == "umap"
    assert absolute in results._layout_results() and relative in results._layout_results()
    monkeypatch.setattr(results, "layout_pair_in_worker",
                        lambda *a, **k: pytest.fail("the page computed a layout the server had computed"))
    at = start(source="wine")
    no_errors(at)
    assert len(maps(at)) == 4
    titles = [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]
    assert len(titles) == 4 and all("UMAP" in t and "preview" not in t for t in titles), titles


def test_no_maps_are_computed_at_server_start_when_layouts_run_in_the_server(monkeypatch):
    from dashboard import server

    monkeypatch.setenv("STITCHBOARD_LAYOUT_POOL", "off")
    assert server.start_first_maps("wine") is None
