"""A content-addressed disk cache of arrays: results whose inputs did not change are read back.

The dashboard uses it for the bundled zoo's latent vectors and for map layouts, so a
fresh server process draws what an earlier one computed without importing torch or
running UMAP again. Keys are SHA-256 digests of everything that made the result: the
input arrays' bytes, dtypes and shapes, the parameters, and the versions of the code
and libraries involved (:func:`content_key`). A changed input is a different key, never
a stale hit.

Where: ``$STITCHBOARD_CACHE_DIR`` if set (``off`` disables the cache), else
``$XDG_CACHE_HOME/stitchboard``, else ``~/.cache/stitchboard``. Entries are ``.npz``
files written atomically and read with ``allow_pickle=False``; a corrupt or unreadable
entry is a miss (and is removed). When the folder holds more than ``max_bytes``, the
least recently used entries are deleted. An unwritable folder disables writing with
one warning; the results are still computed and returned.

Examples
--------
>>> import numpy as np, tempfile
>>> cache = DiskCache(tempfile.mkdtemp())
>>> key = content_key("demo", np.arange(3))
>>> cache.get("demo", key) is None
True
>>> cache.put("demo", key, {"y": np.arange(3) * 2})
>>> cache.get("demo", key)["y"]
array([0, 2, 4])
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["DiskCache", "content_key", "default_cache", "default_cache_dir", "package_versions", "numba_cache_dir",
           "use_numba_cache_dir"]

#: Bump when a cached computation changes meaning without its inputs changing.
FORMAT_VERSION = 1
#: Default size bound of the cache folder.
DEFAULT_MAX_BYTES = 1 << 30


def default_cache_dir() -> Path | None:
    """The cache folder from the environment, or None when ``STITCHBOARD_CACHE_DIR=off``."""
    env = os.environ.get("STITCHBOARD_CACHE_DIR")
    if env is not None and env.strip().lower() in ("off", "0", "none", ""):
        return None
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stitchboard"


def numba_cache_dir() -> Path | None:
    """Where numba keeps umap's compiled code: ``<cache dir>/numba/umap-<v>-numba-<v>-py<v>`` (None when off).

    One folder per version set, so an upgrade starts a clean folder instead of growing the old one.
    """
    base = default_cache_dir()
    if base is None:
        return None
    (_, umap_v), (_, numba_v) = package_versions("umap-learn", "numba")
    py = "{}.{}".format(*sys.version_info[:2])
    return base / "numba" / f"umap-{umap_v}-numba-{numba_v}-py{py}"


def use_numba_cache_dir() -> None:
    """Set ``NUMBA_CACHE_DIR`` for this process and its workers, unless the user set it.

    Call it at process start, before numba is imported (numba reads it once).
    """
    if "NUMBA_CACHE_DIR" not in os.environ:
        folder = numba_cache_dir()
        if folder is not None:
            os.environ["NUMBA_CACHE_DIR"] = str(folder)


def package_versions(*names: str) -> tuple:
    """``(name, version)`` pairs of installed distributions, without importing them (``None`` if absent)."""
    out = []
    for n in names:
        try:
            out.append((n, metadata.version(n)))
        except metadata.PackageNotFoundError:
            out.append((n, None))
    return tuple(out)


def _feed(h, part) -> None:
    if isinstance(part, np.ndarray):
        a = np.ascontiguousarray(part)
        if a.dtype.hasobject:
            _feed(h, ("object-array", a.shape, a.tolist()))
            return
        h.update(f"nd:{a.dtype.str}:{a.shape}:".encode())
        h.update(memoryview(a).cast("B") if a.size else b"")
    elif isinstance(part, (bytes, bytearray, memoryview)):
        h.update(b"b:%d:" % len(part))
        h.update(part)
    elif isinstance(part, (list, tuple)):
        h.update(f"seq{len(part)}[".encode())
        for p in part:
            _feed(h, p)
        h.update(b"]")
    elif isinstance(part, dict):
        _feed(h, sorted(((str(k), v) for k, v in part.items()), key=lambda kv: kv[0]))
    elif part is None or isinstance(part, (str, int, float, bool, np.generic)):
        h.update(f"{type(part).__name__}:{part!r};".encode())
    else:
        raise TypeError(f"content_key cannot hash a {type(part).__name__}; pass arrays, bytes, numbers, str or tuples")


def content_key(*parts) -> str:
    """SHA-256 hex digest of arrays (dtype, shape and bytes), bytes, numbers, strings and nested sequences.

    Parameters
    ----------
    *parts
        Everything the cached result depends on.

    Returns
    -------
    str
        64 hex characters.
    """
    h = hashlib.sha256(f"stitchboard-cache-v{FORMAT_VERSION};".encode())
    _feed(h, parts)
    return h.hexdigest()


class DiskCache:
    """Arrays stored under ``<folder>/<namespace>/<key>.npz``.

    Parameters
    ----------
    folder : path or None
        None disables the cache (every lookup misses, nothing is written).
    max_bytes : int, default=1 GiB
        Size bound of the folder; the least recently used entries go first.
    """

    def __init__(self, folder, *, max_bytes: int = DEFAULT_MAX_BYTES):
        self.folder = Path(folder) if folder is not None else None
        self.max_bytes = int(max_bytes)
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _path(self, namespace: str, key: str) -> Path:
        if not namespace.isidentifier() or not all(c in "0123456789abcdef" for c in key) or len(key) != 64:
            raise ValueError(f"bad cache address {namespace!r}/{key!r}: a namespace is an identifier, a key a content_key()")
        return self.folder / namespace / f"{key}.npz"

    def contains(self, namespace: str, key: str) -> bool:
        """Whether an entry exists (it may still turn out unreadable: :meth:`get` then misses)."""
        return self.folder is not None and self._path(namespace, key).is_file()

    def get(self, namespace: str, key: str) -> dict | None:
        """The stored arrays, or None on a miss (a corrupt entry counts as a miss and is removed)."""
        if self.folder is None:
            return None
        path = self._path(namespace, key)
        try:
            with np.load(path, allow_pickle=False) as z:
                out = {k: z[k] for k in z.files}
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - any unreadable entry is a miss, never a crash
            try:
                path.unlink()
            except OSError:
                pass
            return None
        try:
            os.utime(path)  # least-recently-used order
        except OSError:
            pass
        return out

    def put(self, namespace: str, key: str, arrays: dict) -> None:
        """Store arrays (numeric or unicode dtypes) atomically; warns once and carries on if the folder is unwritable."""
        if self.folder is None:
            return
        path = self._path(namespace, key)
        for name, a in arrays.items():
            if np.asarray(a).dtype.hasobject:
                raise TypeError(f"array {name!r} has dtype object; the cache stores numeric and string arrays only")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.savez(fh, **arrays)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if not self._warned:
                self._warned = True
                warnings.warn(f"The disk cache at {self.folder} is not writable ({exc}); results are recomputed in every "
                              "new process. Set STITCHBOARD_CACHE_DIR to a writable folder, or to 'off'.", stacklevel=2)
            return
        self._prune()

    def _prune(self) -> None:
        try:
            files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*/*.npz")]
        except OSError:
            return
        total = sum(s for _, s, _ in files)
        for _, size, p in sorted(files, key=lambda f: f[0]):
            if total <= self.max_bytes:
                break
            try:
                p.unlink()
                total -= size
            except OSError:
                pass

    def memoize(self, namespace: str, key: str, compute: Callable[[], dict]) -> dict:
        """``get`` the arrays, or ``compute()`` them and ``put`` them.

        Parameters
        ----------
        namespace : str
        key : str
            From :func:`content_key`.
        compute : callable returning dict of str to ndarray

        Returns
        -------
        dict of str to ndarray
        """
        hit = self.get(namespace, key)
        if hit is not None:
            return hit
        out = compute()
        self.put(namespace, key, out)
        return out


def default_cache() -> DiskCache:
    """A :class:`DiskCache` at :func:`default_cache_dir` (disabled when it is ``off``)."""
    return DiskCache(default_cache_dir())
