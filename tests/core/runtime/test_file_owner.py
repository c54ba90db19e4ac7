"""A server's shared files are swept once it is dead, however it died, and never while it runs."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.runtime import file_owner
from core.runtime.control import ControlBlock, _new_path
from core.runtime.file_owner import owned_prefix, sweep_dead_owners

pytestmark = pytest.mark.skipif(file_owner.fcntl is None, reason="no flock on this platform (Windows): nothing is swept")

ROOT = Path(__file__).resolve().parents[3]

#: A process that makes a control block and a share file in a folder, says so, then dies as told.
_SERVER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from core.runtime.control import ControlBlock, _new_path
    folder = Path(sys.argv[1])
    ControlBlock.create(folder)
    Path(_new_path(folder)).write_bytes(b"x" * 100)
    print("ready", flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.stdin.read()  # runs until the test closes its stdin
""")


def _server(folder, how):
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(folder), how], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _names(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def test_a_killed_servers_files_are_swept(tmp_path):
    proc = _server(tmp_path, "kill")
    assert proc.wait(30) == -9
    names = _names(tmp_path)
    assert sorted(n.rsplit(".", 1)[-1] for n in names) == ["ctl", "npy", "owner"]
    assert sweep_dead_owners(tmp_path) == 3
    assert _names(tmp_path) == []
    assert sweep_dead_owners(tmp_path) == 0


def test_a_running_servers_files_stay(tmp_path):
    proc = _server(tmp_path, "run")
    try:
        before = _names(tmp_path)
        assert len(before) == 3
        assert sweep_dead_owners(tmp_path) == 0
        assert _names(tmp_path) == before
    finally:
        proc.stdin.close()
        proc.wait(30)
    # it ended normally without removing its files: they go at the next sweep, its owner file with them
    assert sweep_dead_owners(tmp_path) == 3


def test_this_processes_files_and_unowned_files_stay(tmp_path):
    block = ControlBlock.create(tmp_path)
    share = Path(_new_path(tmp_path))
    share.write_bytes(b"x")
    legacy = tmp_path / "stitchboard-999999-0123456789ab.ctl"  # named before owner files: no owner to ask
    legacy.write_bytes(b"x")
    assert block.path.name.startswith(owned_prefix(tmp_path)) and share.name.startswith(owned_prefix(tmp_path))
    assert sweep_dead_owners(tmp_path) == 0
    assert block.path.exists() and share.exists() and legacy.exists()
    block.unlink()
    share.unlink()


def test_a_stale_half_made_owner_file_is_swept(tmp_path):
    new = tmp_path / "stitchboard-999999-deadbeef.owner-new"
    new.write_bytes(b"")
    assert sweep_dead_owners(tmp_path) == 0  # it may be a server starting right now
    os.utime(new, (1, 1))
    assert sweep_dead_owners(tmp_path) == 1 and not new.exists()
