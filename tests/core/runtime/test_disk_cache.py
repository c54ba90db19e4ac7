"""The content-addressed disk cache: hits, misses, key sensitivity, corruption, size bound, no pickles."""

import numpy as np
import pytest

from core.runtime.disk_cache import DiskCache, content_key, default_cache_dir, package_versions
from core.spaces.zoo import Zoo


def test_roundtrip_and_miss(tmp_path):
    cache = DiskCache(tmp_path)
    key = content_key("x", np.arange(4.0))
    assert cache.get("ns", key) is None and not cache.contains("ns", key)
    cache.put("ns", key, {"a": np.arange(4.0), "s": np.array("own")})
    assert cache.contains("ns", key)
    got = cache.get("ns", key)
    np.testing.assert_array_equal(got["a"], np.arange(4.0))
    assert str(got["s"]) == "own"


def test_key_depends_on_values_dtype_shape_and_params():
    a = np.arange(6, dtype=np.float32)
    keys = {
        content_key(a, 1),
        content_key(a.astype(np.float64), 1),
        content_key(a.reshape(2, 3), 1),
        content_key(a + 1e-7, 1),
        content_key(a, 2),
        content_key(a, "1"),
        content_key(a, None),
        content_key((a, 1)),
    }
    assert len(keys) == 8
    assert content_key(a, 1) == content_key(a.copy(), 1)  # content, not identity
    assert content_key(np.asfortranarray(a.reshape(2, 3))) == content_key(a.reshape(2, 3))
    with pytest.raises(TypeError, match="cannot hash"):
        content_key(object())


def test_memoize_computes_once(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"y": np.ones(3)}

    c1, c2 = DiskCache(tmp_path), DiskCache(tmp_path)  # two processes sharing the folder
    key = content_key("m")
    c1.memoize("ns", key, compute)
    out = c2.memoize("ns", key, compute)
    assert len(calls) == 1 and out["y"].tolist() == [1, 1, 1]


def test_corrupt_entry_is_a_miss_and_removed(tmp_path):
    cache = DiskCache(tmp_path)
    key = content_key("c")
    cache.put("ns", key, {"y": np.ones(3)})
    path = tmp_path / "ns" / f"{key}.npz"
    path.write_bytes(path.read_bytes()[:20])
    assert cache.get("ns", key) is None and not path.exists()


def test_pickled_entry_is_never_loaded(tmp_path):
    cache = DiskCache(tmp_path)
    key = content_key("p")
    (tmp_path / "ns").mkdir()
    np.savez(tmp_path / "ns" / f"{key}.npz", y=np.array([{"a": 1}], dtype=object))
    assert cache.get("ns", key) is None
    with pytest.raises(TypeError, match="dtype object"):
        cache.put("ns", key, {"y": np.array([{}], dtype=object)})


def test_size_bound_drops_least_recently_used(tmp_path):
    import os
    import time

    cache = DiskCache(tmp_path)
    keys = [content_key(i) for i in range(5)]
    for i, k in enumerate(keys):
        cache.put("ns", k, {"y": np.zeros(1000)})  # ~8 kB each
        os.utime(tmp_path / "ns" / f"{k}.npz", (time.time() - 100 + i, time.time() - 100 + i))
    cache.max_bytes = 3 * 8_500
    cache.get("ns", keys[0])  # touch the oldest: it becomes the most recent
    cache.put("ns", content_key("new"), {"y": np.zeros(1000)})
    kept = {k for k in keys if cache.contains("ns", k)}
    assert keys[0] in kept and keys[1] not in kept
    assert sum(p.stat().st_size for p in tmp_path.glob("*/*.npz")) <= 3 * 8_500


def test_disabled_and_unwritable(tmp_path, monkeypatch):
    monkeypatch.setenv("STITCHBOARD_CACHE_DIR", "off")
    assert default_cache_dir() is None
    off = DiskCache(None)
    off.put("ns", content_key(1), {"y": np.ones(1)})
    assert off.get("ns", content_key(1)) is None
    monkeypatch.setenv("STITCHBOARD_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    bad = DiskCache(blocker)
    with pytest.warns(UserWarning, match="not writable"):
        bad.put("ns", content_key(2), {"y": np.ones(1)})
    bad.put("ns", content_key(3), {"y": np.ones(1)})  # warned once only (no second warning raised as error)
    with pytest.raises(ValueError, match="bad cache address"):
        DiskCache(tmp_path).get("../etc", content_key(1))


def test_package_versions_do_not_import():
    import sys

    assert dict(package_versions("numpy"))["numpy"] == np.__version__
    assert dict(package_versions("surely-not-installed-xyz"))["surely-not-installed-xyz"] is None
    assert "surely_not_installed_xyz" not in sys.modules


def test_zoo_vectors_are_read_back_without_encoding(tmp_path, monkeypatch):
    cache = DiskCache(tmp_path)
    first = Zoo("wine", cache=cache).vectors("mlp-s0")
    z = Zoo("wine", cache=cache)
    monkeypatch.setattr(z, "encode", lambda *a, **k: pytest.fail("encoded although the vectors are on disk"))
    again = z.vectors("mlp-s0")
    np.testing.assert_array_equal(again, first)
    assert again.dtype == np.float32 and not again.flags.writeable
    np.testing.assert_array_equal(Zoo("wine").vectors("mlp-s0"), first)  # same as without a cache
    # other weights -> other key
    assert z._vectors_key("mlp-s0") != z._vectors_key("mlp-s1")


def test_numba_cache_dir_is_per_version_under_the_cache_and_keeps_the_users(tmp_path, monkeypatch):
    import os
    import sys
    from importlib import metadata

    from core.runtime.disk_cache import numba_cache_dir, use_numba_cache_dir

    monkeypatch.setenv("STITCHBOARD_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    want = tmp_path / "numba" / (f"umap-{metadata.version('umap-learn')}-numba-{metadata.version('numba')}"
                                 f"-py{sys.version_info[0]}.{sys.version_info[1]}")
    assert numba_cache_dir() == want
    use_numba_cache_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(want)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")  # the user's choice stays
    use_numba_cache_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == "/somewhere/else"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("STITCHBOARD_CACHE_DIR", "off")  # no cache: numba's own default
    assert numba_cache_dir() is None
    use_numba_cache_dir()
    assert "NUMBA_CACHE_DIR" not in os.environ
