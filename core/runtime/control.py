"""What the server and a worker process share: a control block, and large arrays as files.

A :class:`ControlBlock` is a 4 KiB memory-mapped file (in ``/dev/shm`` where it exists,
so it never touches a disk) holding one worker slot's stop flag, its process id and its
latest progress report (``done``, ``total``, a stage text). The worker writes progress and
reads the flag at every epoch for well under a microsecond; the server reads progress and
sets the flag. A sequence number around each report lets the reader skip a torn one.

:func:`share_arrays` swaps the large numpy arrays of a job's arguments for
:class:`SharedArray` references to ``.npy`` files in the same folder, which the worker
maps copy-on-write (:func:`load_shared`) instead of receiving them through a pipe.
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from pathlib import Path

import numpy as np

from .file_owner import owned_prefix, remove_files

__all__ = ["ControlBlock", "SharedArray", "ShareFiles", "shm_dir", "share_arrays", "load_shared", "remove_files",
           "SHARE_MIN_BYTES", "SHARE_KEEP_BYTES"]

#: Arrays at least this large (bytes) go to the worker as files (``STITCHBOARD_WORKER_SHARE_MB``).
SHARE_MIN_BYTES = int(float(os.environ.get("STITCHBOARD_WORKER_SHARE_MB", 64)) * (1 << 20))

_SIZE = 4096
_TEXT_AT, _TEXT_MAX = 64, _SIZE - 64


def shm_dir() -> Path:
    """``/dev/shm`` when it is a writable folder (memory, not disk), else the temp folder."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


class ControlBlock:
    """A slot's stop flag, worker pid and latest progress, in a small shared file.

    Use :meth:`create` in the server and :meth:`attach` in the worker.
    """

    def __init__(self, path: Path, mm: np.memmap):
        self.path = path
        self._mm = mm
        self._ints = mm[:32].view(np.int64)  # stop, pid, seq, text length
        self._floats = mm[32:48].view(np.float64)  # done, total

    @classmethod
    def create(cls, folder: Path | None = None) -> "ControlBlock":
        folder = Path(folder or shm_dir())
        path = folder / f"{owned_prefix(folder)}{uuid.uuid4().hex[:12]}.ctl"
        with open(path, "wb") as fh:
            fh.truncate(_SIZE)
        return cls(path, np.memmap(path, dtype=np.uint8, mode="r+", shape=(_SIZE,)))

    @classmethod
    def attach(cls, path) -> "ControlBlock":
        path = Path(path)
        return cls(path, np.memmap(path, dtype=np.uint8, mode="r+", shape=(_SIZE,)))

    # ---- server side
    def reset(self) -> None:
        """Before a job: no stop request, no progress."""
        self._ints[0] = 0
        self._ints[2] += 2  # stays even; readers see a new report
        self._floats[:] = 0.0
        self._ints[3] = 0

    def request_stop(self) -> None:
        self._ints[0] = 1

    @property
    def pid(self) -> int:
        return int(self._ints[1])

    @property
    def seq(self) -> int:
        return int(self._ints[2])

    def read(self) -> tuple[int, float, float, str] | None:
        """``(seq, done, total, what)`` of the latest report, or None while one is being written."""
        seq = int(self._ints[2])
        if seq % 2:
            return None
        done, total = float(self._floats[0]), float(self._floats[1])
        n = int(self._ints[3])
        what = bytes(self._mm[_TEXT_AT:_TEXT_AT + min(max(n, 0), _TEXT_MAX)]).decode("utf-8", "replace")
        if int(self._ints[2]) != seq:
            return None
        return seq, done, total, what

    def unlink(self) -> None:
        """Remove the file (when the slot closes: loky may restart a worker, which then maps it again)."""
        try:
            os.unlink(self.path)
        except OSError:
            pass

    # ---- worker side
    def set_pid(self, pid: int) -> None:
        self._ints[1] = pid

    @property
    def stop_requested(self) -> bool:
        return bool(self._ints[0])

    def report(self, done: float, total: float, what: str) -> None:
        data = str(what).encode("utf-8")[:_TEXT_MAX]
        self._ints[2] += 1  # odd: being written
        self._floats[0], self._floats[1] = done, total
        self._mm[_TEXT_AT:_TEXT_AT + len(data)] = np.frombuffer(data, dtype=np.uint8)
        self._ints[3] = len(data)
        self._ints[2] += 1


#: Idle share files kept for the next jobs' arrays, at most (bytes).
SHARE_KEEP_BYTES = 2 << 30


class SharedArray:
    """A reference to an array saved as ``.npy`` for a worker (small to pickle).

    ``kept``: the file belongs to the server's :class:`ShareFiles` (the worker must not remove it).
    """

    def __init__(self, path: str, shape: tuple, dtype: str, *, kept: bool = False):
        self.path, self.shape, self.dtype, self.kept = path, shape, dtype, kept


class ShareFiles:
    """Files that carried arrays to workers, kept to carry the next jobs' arrays.

    A new file's memory costs its first write, seconds per GB on hosts that take freed memory away
    (:mod:`core.runtime.memory`); a kept file written over costs only the copy. An array goes into the
    smallest idle file that holds it, else a new one. At most ``max_bytes`` of idle files are kept (the
    largest go first); :meth:`close` removes them, and a pool worker removes its server's files if the
    server dies (:func:`core.runtime.workers.init_worker`). ``max_bytes=0`` removes every file after its job.
    """

    def __init__(self, folder, *, max_bytes: int = SHARE_KEEP_BYTES):
        self.folder, self.max_bytes = Path(folder), int(max_bytes)
        self._idle: dict[str, int] = {}  # path -> size
        self._lock = threading.Lock()
        self._closed = False

    def take(self, nbytes: int) -> tuple[str, bool]:
        """A path for a file of ``nbytes`` (header included): ``(path, reused)``.

        An idle file taken is no longer idle until :meth:`give_back`.
        """
        with self._lock:
            fits = [p for p, size in self._idle.items() if size >= nbytes]
            if fits:
                path = min(fits, key=self._idle.__getitem__)
                del self._idle[path]
                return path, True
        return _new_path(self.folder), False

    def give_back(self, paths) -> None:
        """The files of a finished job (no worker reads them any more): idle, or removed beyond ``max_bytes``."""
        gone = []
        with self._lock:
            if self._closed:  # a job that ended after close(): nothing is kept any more
                gone, paths = list(paths), []
            for path in paths:
                try:
                    self._idle[path] = os.path.getsize(path)
                except OSError:  # removed meanwhile
                    self._idle.pop(path, None)
            while self._idle and sum(self._idle.values()) > self.max_bytes:
                path = max(self._idle, key=self._idle.__getitem__)
                del self._idle[path]
                gone.append(path)
        remove_files(gone)

    def close(self) -> None:
        """Remove the idle files, and from now on every file given back."""
        with self._lock:
            paths, self._idle, self._closed = list(self._idle), {}, True
        remove_files(paths)


def _new_path(folder) -> str:
    """A new share file's path: named after this (the server's) process, so its workers find it if it dies
    (:mod:`core.runtime.file_owner`)."""
    return str(Path(folder) / f"{owned_prefix(folder)}{uuid.uuid4().hex[:12]}.npy")


def share_arrays(obj, folder: Path, *, min_bytes: int | None = None, paths: list | None = None,
                 files: ShareFiles | None = None):
    """``obj`` with every numpy array of at least ``min_bytes`` (:data:`SHARE_MIN_BYTES`; in lists, tuples and dict
    values too) saved under ``folder`` and replaced by a :class:`SharedArray`.

    ``files``: write into its idle files (and new ones of its own) instead of new files the worker removes.

    Returns
    -------
    obj : the same structure
    paths : list of str
        The files written; after the job the caller gives them back to ``files``, or removes them.
    """
    paths = [] if paths is None else paths
    min_bytes = SHARE_MIN_BYTES if min_bytes is None else min_bytes
    if isinstance(obj, np.ndarray) and obj.nbytes >= min_bytes and not obj.dtype.hasobject:
        if files is None:
            path, reused = _new_path(folder), False
        else:
            path, reused = files.take(_npy_bytes(obj))
        paths.append(path)
        # over a kept file: its old tail stays, past the end the header gives (np.load reads only that far)
        with open(path, "r+b" if reused else "wb") as fh:
            np.lib.format.write_array(fh, obj, allow_pickle=False)
        return SharedArray(path, obj.shape, obj.dtype.str, kept=files is not None), paths
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(share_arrays(o, folder, min_bytes=min_bytes, paths=paths, files=files)[0] for o in obj), paths
    if isinstance(obj, dict):
        return ({k: share_arrays(v, folder, min_bytes=min_bytes, paths=paths, files=files)[0] for k, v in obj.items()},
                paths)
    return obj, paths


def _npy_bytes(a: np.ndarray) -> int:
    """Size of ``a`` saved as ``.npy``: its header, then its data."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(a))
    return buf.tell() + a.nbytes


def load_shared(obj):
    """In the worker: every :class:`SharedArray` in ``obj`` mapped from its file (copy-on-write: the worker's
    changes stay its own)."""
    if isinstance(obj, SharedArray):
        out = np.load(obj.path, mmap_mode="c", allow_pickle=False)
        if not obj.kept:
            remove_files([obj.path])  # mapped now; nothing is left behind if the server dies
        return out
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(load_shared(o) for o in obj)
    if isinstance(obj, dict):
        return {k: load_shared(v) for k, v in obj.items()}
    return obj
