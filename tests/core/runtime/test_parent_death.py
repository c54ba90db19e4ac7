"""Children started with ``die_with_parent`` end when their parent is killed outright."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.runtime import parent_death
from core.runtime.parent_death import die_with_parent

ROOT = Path(__file__).resolve().parents[3]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DEATHSIG is Linux-only")

_PARENT = """
import subprocess, sys, time
from core.runtime.parent_death import die_with_parent
tied = sys.argv[1] == "tied"
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         preexec_fn=die_with_parent() if tied else None)
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def _child_after_parent_killed(how: str) -> tuple[int, bool]:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, how], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()  # SIGKILL: no clean-up of its own runs
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    return child, _alive(child)


@linux_only
def test_a_tied_child_ends_when_its_parent_is_killed():
    child, alive = _child_after_parent_killed("tied")
    assert not alive


@linux_only
def test_an_untied_child_outlives_its_parent():
    """The control: without the switch the child goes on (so the test above can fail)."""
    child, alive = _child_after_parent_killed("untied")
    try:
        assert alive
    finally:
        if alive:
            os.kill(child, signal.SIGKILL)


_READ_DEATHSIG = ("import ctypes; v = ctypes.c_int(); "
                  "ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); print(v.value)")  # PR_GET_PDEATHSIG


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_child_is_set_to_get_the_signal_asked_for(sig):
    out = subprocess.run([sys.executable, "-c", _READ_DEATHSIG], preexec_fn=die_with_parent(sig),
                         capture_output=True, text=True, check=True).stdout
    assert int(out) == int(sig)


@linux_only
def test_without_it_no_signal_is_set():
    out = subprocess.run([sys.executable, "-c", _READ_DEATHSIG], capture_output=True, text=True, check=True).stdout
    assert int(out) == 0


def test_other_platforms_get_none(monkeypatch):
    monkeypatch.setattr(parent_death.sys, "platform", "darwin")
    assert die_with_parent() is None
