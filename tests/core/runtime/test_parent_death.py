"""Commands wrapped by ``tied_to_parent`` end when their parent is killed outright."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.runtime import parent_death
from core.runtime.parent_death import tied_to_parent

ROOT = Path(__file__).resolve().parents[3]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DEATHSIG is Linux-only")

_PARENT = """
import subprocess, sys, time
from core.runtime.parent_death import tied_to_parent
cmd = [sys.executable, "-c", "import time; time.sleep(120)"]
child = subprocess.Popen(tied_to_parent(cmd) if sys.argv[1] == "tied" else cmd)
print(child.pid, flush=True)
time.sleep(120)
"""
#: Prints the process's death signal (PR_GET_PDEATHSIG) and its pid.
_READ_DEATHSIG = ("import ctypes, os; v = ctypes.c_int(); "
                  "ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); print(v.value, os.getpid())")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def _child_after_parent_killed(how: str) -> tuple[int, bool]:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, how], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the launcher has become the command
    assert _alive(child)
    parent.kill()  # SIGKILL: no clean-up of its own runs
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    return child, _alive(child)


@linux_only
def test_a_tied_command_ends_when_its_parent_is_killed():
    child, alive = _child_after_parent_killed("tied")
    assert not alive


@linux_only
def test_an_untied_command_outlives_its_parent():
    """The control: without the switch the child goes on (so the test above can fail)."""
    child, alive = _child_after_parent_killed("untied")
    try:
        assert alive
    finally:
        if alive:
            os.kill(child, signal.SIGKILL)


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_command_itself_runs_with_the_signal_asked_for(sig):
    """The launcher becomes the command (exec): same pid, the switch kept."""
    proc = subprocess.Popen(tied_to_parent([sys.executable, "-c", _READ_DEATHSIG], sig=sig), stdout=subprocess.PIPE,
                            text=True)
    value, pid = proc.communicate()[0].split()
    assert (int(value), int(pid)) == (int(sig), proc.pid)


@linux_only
def test_without_it_no_signal_is_set():
    out = subprocess.run([sys.executable, "-c", _READ_DEATHSIG], capture_output=True, text=True, check=True).stdout
    assert int(out.split()[0]) == 0


def test_arguments_pass_through_unchanged():
    args = ["a b", "--x=1", "", "ü", "$HOME"]
    out = subprocess.run(tied_to_parent([sys.executable, "-c", "import sys, json; print(json.dumps(sys.argv[1:]))",
                                         *args]), capture_output=True, text=True, check=True).stdout
    import json

    assert json.loads(out) == args


def test_other_platforms_get_the_command_as_is(monkeypatch):
    monkeypatch.setattr(parent_death.sys, "platform", "darwin")
    assert tied_to_parent(["python", "-V"]) == ["python", "-V"]


def test_an_empty_command_is_refused():
    with pytest.raises(ValueError, match="cmd is empty"):
        tied_to_parent([])
