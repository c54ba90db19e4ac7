"""Who owns the files a server shares with its workers, and removing those whose server died.

A server names its control blocks and share files ``stitchboard-<pid>-<token>-...`` and holds an
exclusive ``flock`` on ``stitchboard-<pid>-<token>.owner`` in the same folder for as long as it
runs. The kernel drops the lock when the process ends, however it ends (SIGKILL included), so an
owner file whose lock can be taken belongs to a dead server. A pid alone cannot tell: ``/dev/shm``
may be shared with processes of another PID namespace, where the same number is a live server.

Without ``fcntl`` (Windows) nothing is locked and nothing is swept. Files named by versions before
the owner files (``stitchboard-<pid>-<12 hex>.ctl``) have no owner file and are left alone.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["owned_prefix", "sweep_dead_owners", "remove_files"]

_OWNER, _NEW = ".owner", ".owner-new"
#: A ``.owner-new`` file (a server killed between creating and naming its owner file) this old is stale (s).
_NEW_STALE_S = 60.0
_LOCK = threading.Lock()
_OWNED: dict[tuple[int, str], tuple[str, int]] = {}  # (pid, folder) -> (prefix, locked fd or -1)


def owned_prefix(folder) -> str:
    """Prefix of the names of this process's files in ``folder``: ``stitchboard-<pid>-<token>-``.

    The first call for a folder creates the owner file there and keeps it locked until the
    process ends.
    """
    folder = Path(folder)
    key = (os.getpid(), str(folder))
    with _LOCK:
        if key not in _OWNED:
            stem = f"stitchboard-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            _OWNED[key] = (stem + "-", _lock_owner_file(folder, stem))
        return _OWNED[key][0]


def _lock_owner_file(folder: Path, stem: str) -> int:
    if fcntl is None:
        return -1
    new = folder / (stem + _NEW)
    try:
        fd = os.open(new, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except OSError:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(new, folder / (stem + _OWNER))  # it only appears locked: a sweep never takes a live one
        return fd
    except OSError:
        os.close(fd)
        remove_files([new])
        return -1


def sweep_dead_owners(folder) -> int:
    """Remove the files of servers that ended without removing them; returns how many files went.

    Parameters
    ----------
    folder : path-like
        Where the servers keep their files (:func:`core.runtime.control.shm_dir`).

    Returns
    -------
    int
        Files removed, owner files included.
    """
    if fcntl is None:
        return 0
    folder = Path(folder)
    removed = 0
    for owner in folder.glob("stitchboard-*" + _OWNER):
        try:
            fd = os.open(owner, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held: its server runs
                continue
            stem = owner.name[: -len(_OWNER)]
            removed += remove_files([*folder.glob(stem + "-*"), owner])
        finally:
            os.close(fd)
    for new in folder.glob("stitchboard-*" + _NEW):
        try:
            old = time.time() - new.stat().st_mtime > _NEW_STALE_S
        except OSError:
            continue
        if old:
            removed += remove_files([new])
    return removed


def remove_files(paths) -> int:
    """Remove these files, skipping those already gone; returns how many were removed."""
    removed = 0
    for path in paths:
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            pass
    return removed


def _release() -> None:
    """At exit: remove this process's owner files when none of its files is left (else the next sweep does)."""
    with _LOCK:
        owned = [(folder, prefix, fd) for (pid, folder), (prefix, fd) in _OWNED.items() if pid == os.getpid()]
    for folder, prefix, fd in owned:
        if fd >= 0 and not any(Path(folder).glob(prefix + "*")):
            remove_files([Path(folder) / (prefix[:-1] + _OWNER)])


# registered at import, before the pool's own exit hook: exit hooks run last registered first, so this runs
# after the pool has removed its files
atexit.register(_release)
