"""Child processes that end when the process that started them dies, however it dies.

A test run or a benchmark that starts a dashboard server stops it in its own clean-up. If the
run itself is killed (SIGKILL, a segfault in a native library), that clean-up never runs and
the server would go on serving, holding its port, its memory and its pool workers. On Linux the
kernel can send the child a signal when its parent ends (``PR_SET_DEATHSIG``); elsewhere there
is no such switch, and :func:`die_with_parent` returns None.

Examples
--------
>>> import subprocess, sys
>>> from core.runtime.parent_death import die_with_parent
>>> subprocess.Popen([sys.executable, "-c", "pass"], preexec_fn=die_with_parent()).wait()
0
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

__all__ = ["die_with_parent"]

_PR_SET_DEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child gets ``sig`` when its parent ends.

    Parameters
    ----------
    sig : int, default=signal.SIGTERM
        The signal sent. SIGTERM lets a server shut down cleanly (its workers and shared files).

    Returns
    -------
    callable or None
        None where the platform has no such switch (not Linux); pass it on to ``preexec_fn`` as it is.

    Notes
    -----
    The kernel sends the signal when the *thread* that started the child ends, so start the child
    from a thread that lives as long as the child should (the main thread of a test run does).
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        if libc.prctl(_PR_SET_DEATHSIG, int(sig), 0, 0, 0) != 0:  # Popen raises this in the parent
            err = ctypes.get_errno()
            raise OSError(err, f"prctl(PR_SET_DEATHSIG) failed: {os.strerror(err)}")
        if os.getppid() != parent:  # the parent died before the switch was set: nothing would signal us
            os.kill(os.getpid(), int(sig))

    return preexec
