"""Freed memory kept for reuse: large blocks stay in this process's heap instead of going back to the system.

glibc maps each large block (over 32 MB at most) on its own and gives it back to the system when it is
freed; in threads, blocks over 64 MB always are. On hosts that take memory given back away from the
process for real (VMs with free page reporting), touching it again costs seconds per GB, and a 1M-point
anchor edit allocates and frees many GB: the relative vectors, the kNN lookups and the placement's graph.
With :func:`keep_freed_memory` the next allocation reuses the pages the last one freed.

The price: the process's resident memory stays at its peak instead of shrinking after it.
``STITCHBOARD_KEEP_FREED_MEMORY=off`` turns it off, and with it the reuse of the files that carry
arrays to the pool's workers (:class:`core.runtime.control.ShareFiles`).
"""

from __future__ import annotations

import os

__all__ = ["keep_freed_memory", "enabled"]

# mallopt parameters, from <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: mallopt takes an int: blocks up to 2 GiB stay in the heap, larger ones are still mapped on their own.
_MOST = 2**31 - 1


def enabled() -> bool:
    """Whether freed memory is kept (``STITCHBOARD_KEEP_FREED_MEMORY`` not off / 0 / false / no)."""
    return os.environ.get("STITCHBOARD_KEEP_FREED_MEMORY", "on").strip().lower() not in ("off", "0", "false", "no")


def keep_freed_memory() -> bool:
    """Keep the memory this process frees for its next allocations (Linux with glibc only).

    Sets glibc's ``mmap`` and trim thresholds to 2 GiB, and one heap for all threads (a thread's own heap
    cannot hold a block over 64 MB). Call it early, before the threads that allocate start.

    Returns
    -------
    bool
        Whether it was set: False on other systems, with ``STITCHBOARD_KEEP_FREED_MEMORY`` off / 0 /
        false / no, or when glibc refused a setting.
    """
    import ctypes
    import platform

    if not enabled():
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return all(mallopt(param, value) == 1 for param, value in
               ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, _MOST), (_M_TRIM_THRESHOLD, _MOST)))
