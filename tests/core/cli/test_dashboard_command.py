import socket
import subprocess

import pytest

from core.cli import main
from core.cli import dashboard_command as dc


def _listen(port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("", port))
    s.listen(1)
    return s


@pytest.fixture
def busy_default(monkeypatch):
    """The default port taken by another server (a free port of this machine stands in for 8501)."""
    start = dc.free_port(20000, tries=2000)
    monkeypatch.setattr(dc, "DEFAULT_PORT", start)
    with _listen(start) as s:
        yield start, s


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(subprocess, "call", lambda cmd: seen.append(cmd) or 0)
    return seen


def test_a_busy_default_port_takes_the_next_free_one_and_says_so(busy_default, calls, capsys):
    start, _ = busy_default
    assert main(["dashboard", "--headless"]) == 0
    cmd = calls[0]
    port = int(cmd[cmd.index("--server.port") + 1])
    assert port > start
    err = capsys.readouterr().err
    assert f"Port {start} is in use, so Stitchboard takes port {port}" in err
    assert f"http://localhost:{port}" in err


def test_a_free_default_port_is_used_as_is(monkeypatch, calls):
    free = dc.free_port(21000, tries=2000)
    monkeypatch.setattr(dc, "DEFAULT_PORT", free)
    assert main(["dashboard"]) == 0
    assert calls[0][calls[0].index("--server.port") + 1] == str(free)


def test_an_explicit_busy_port_is_refused_with_a_message(busy_default, calls, capsys):
    start, _ = busy_default
    assert main(["dashboard", "--port", str(start)]) == 2
    assert calls == []
    assert f"port {start} is in use" in capsys.readouterr().err
