"""Real-browser fixtures: Debian's Chromium driven by Playwright against `streamlit run`.

Without Chromium or playwright these tests skip with the reason, except under
``CI=true``, where a missing browser is a failure.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.runtime.parent_death import tied_to_parent

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("STITCHBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-unsafe-swiftshader",
]


def _unavailable() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM}; install Debian's package: apt-get install -y chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed; run pip install -c constraints.txt -e '.[dev]'"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: browser tests must run, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The server's base URL; ``.pid`` is the server's process id."""

    pid: int


def launch_server(log: Path, *extra: str):
    """Start a `stitchboard dashboard` server (`python -m dashboard.server`: `streamlit run dashboard/app.py` after
    a warm-up, plus ``extra`` options); yield its URL, stop it afterwards."""
    port = _free_port()
    fh = open(log, "w")
    # tied: a test run killed outright skips the teardown below, and the kernel then sends the server SIGTERM
    proc = subprocess.Popen(
        tied_to_parent([
            sys.executable, "-m", "dashboard.server",
            "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer",
            *extra,
        ]),
        cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
    )
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    deadline = time.time() + 120  # the warm-up runs before the server listens
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {log.read_text()}")
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"streamlit did not become healthy in 120 s: {log.read_text()}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        fh.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A fresh `stitchboard dashboard` server process; yields its URL (a str with ``.pid``)."""
    yield from launch_server(tmp_path_factory.mktemp("server") / "streamlit.log")
