"""Child processes that end when the process that started them dies, however it dies.

A test run or a benchmark that starts a dashboard server stops it in its own clean-up. If the
run itself is killed (SIGKILL, a segfault in a native library), that clean-up never runs and
the server would go on serving, holding its port, its memory and its pool workers. On Linux the
kernel can send a process a signal when its parent ends (``PR_SET_DEATHSIG``), and the setting
survives ``exec``. :func:`tied_to_parent` wraps a command in a small Python launcher that sets
it and then becomes the command. (A ``preexec_fn`` could set it too, but Popen's ``preexec_fn``
is unsafe in a process with threads, as a test run is.) Elsewhere the command is returned as is.

Examples
--------
>>> import subprocess, sys
>>> from core.runtime.parent_death import tied_to_parent
>>> subprocess.run(tied_to_parent([sys.executable, "-c", "print('tied')"]), capture_output=True, text=True).stdout
'tied\\n'
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["tied_to_parent"]

#: The launcher: argv = [parent pid, signal, command...]. It exits with status 1 and a message when the switch
#: cannot be set, and signals itself when the parent died before the switch was set.
_LAUNCHER = """\
import ctypes, os, sys
parent, sig, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(1, sig, 0, 0, 0) != 0:  # PR_SET_DEATHSIG
    sys.exit("stitchboard: prctl(PR_SET_DEATHSIG) failed: " + os.strerror(ctypes.get_errno()))
if os.getppid() != parent:
    os.kill(os.getpid(), sig)
os.execvp(cmd[0], cmd)
"""


def tied_to_parent(cmd, *, sig: int = signal.SIGTERM) -> list[str]:
    """``cmd`` as a command whose process gets ``sig`` when the calling process ends.

    Parameters
    ----------
    cmd : sequence of str
        The command, as for :class:`subprocess.Popen` (``cmd[0]`` is looked up on ``PATH``).
    sig : int, default=signal.SIGTERM
        The signal sent. SIGTERM lets a server shut down cleanly (its workers and shared files).

    Returns
    -------
    list of str
        The command to start instead; ``list(cmd)`` where the platform has no such switch (not Linux).

    Notes
    -----
    The kernel sends the signal when the *thread* that started the process ends, so start it from
    a thread that lives as long as the process should (the main thread of a test run does).
    """
    cmd = [str(c) for c in cmd]
    if not cmd:
        raise ValueError("cmd is empty: give the command to run")
    if not sys.platform.startswith("linux"):
        return cmd
    return [sys.executable, "-c", _LAUNCHER, str(os.getpid()), str(int(sig)), *cmd]
