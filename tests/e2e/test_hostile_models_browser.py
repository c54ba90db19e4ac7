"""Hostile models in a real browser: a hanging, a memory-hungry and a crashing ONNX upload.

The server here runs ONNX with a short time limit (``STITCHBOARD_ONNX_TIMEOUT_S``) and a
small worker memory limit (``STITCHBOARD_WORKER_MEMORY_MB``), set in its environment. Each
model is uploaded with a data table on the Data & encoders page and *Load files*
pressed. Each time the page shows our error in an ``st.error``, the server still answers
``/_stcore/health`` with "ok" from the same process, and the next action works: the
bundled digits are chosen again and the Explore page shows its stitching readout.

- hanging: a ``Loop`` of 10**15 trips, stopped at the time limit;
- memory-hungry: an ``Expand`` to 4 GiB per row, over the worker's memory limit;
- crashing: no onnxruntime 1.32 input that crashes it natively was found (long
  ``Identity`` chains and nested ``If`` graphs load and run), so the crash is what the
  server sees of one: the worker process running the model (the server's busiest
  ``multiprocessing`` child) gets SIGSEGV in the middle of the job.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request

import pytest

from tests.e2e.conftest import launch_server
from tests.e2e.test_bad_uploads_browser import _clear_uploads, _errors, _file, _go, _load, _metric, _settle, _upload
from tests.e2e.test_dashboard_browser import READOUT, metric_value, wait_for
from tests.onnx_graphs import expand_model, loop_model

pytestmark = pytest.mark.browser

TIMEOUT_S = 8
MEMORY_MB = 1024
TABLE = b"id,f0,f1,f2,f3\n" + b"".join(f"{i},{i},1,0,2\n".encode() for i in range(6))


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory, browser):
    """A server of its own whose ONNX runs have a short time and a small memory limit."""
    with pytest.MonkeyPatch.context() as mp:  # the server inherits the environment it starts with
        mp.setenv("STITCHBOARD_ONNX_TIMEOUT_S", str(TIMEOUT_S))
        mp.setenv("STITCHBOARD_WORKER_MEMORY_MB", str(MEMORY_MB))
        gen = launch_server(tmp_path_factory.mktemp("limited") / "streamlit.log")
        url = next(gen)
    yield url
    next(gen, None)


def health(url) -> str:
    return urllib.request.urlopen(url + "/_stcore/health", timeout=10).read().decode()


def kill_model_worker(server_pid: int, deadline: float) -> int:
    """SIGSEGV to the server's busiest worker child (a loky pool worker running the model); its pid."""
    import psutil

    def is_worker(cmdline: str) -> bool:  # loky's workers (the pool) or plain multiprocessing ones
        return ("loky" in cmdline or "multiprocessing" in cmdline) and "resource_tracker" not in cmdline

    server = psutil.Process(server_pid)
    while time.time() < deadline:
        workers = [p for p in server.children(recursive=True) if is_worker(" ".join(p.cmdline()))]
        for p in workers:
            p.cpu_percent(None)
        time.sleep(1.0)
        busy = [(p.cpu_percent(None), p) for p in workers if p.is_running()]
        busy = [(c, p) for c, p in busy if c > 20]  # the Loop spins a core (less of one on a loaded machine)
        if busy:
            target = max(busy, key=lambda cp: cp[0])[1]
            os.kill(target.pid, signal.SIGSEGV)
            return target.pid
    raise AssertionError("no busy worker process found under the server")


def next_action_works(page, url, server_pid: int, screenshot=None) -> None:
    """The server lives (same process, health ok) and the page still works: digits, then the readout."""
    assert health(url) == "ok"
    os.kill(server_pid, 0)
    _clear_uploads(page)
    page.get_by_role("tab", name="Bundled datasets").click()
    page.wait_for_timeout(500)
    assert _metric(page, "Samples") == "1,797"
    _go(page, "Explore & stitch")
    wait_for(lambda: (metric_value(page, READOUT) or "").startswith("0."), timeout=240, what="the stitching readout")
    assert page.locator('[data-testid="stException"]').count() == 0
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    _go(page, "Data & encoders")
    page.get_by_role("tab", name="Upload your own").click()
    # the page's rerun after the switch must end before files go in, or the uploader drops them
    page.wait_for_selector('[data-testid="stFileUploader"] input[type=file]', state="attached", timeout=60_000)
    page.wait_for_timeout(1000)
    _settle(page)


def test_hanging_hungry_and_crashing_models_leave_the_server_and_page_usable(browser, limited_server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(limited_server + "/data")
    page.get_by_role("tab", name="Upload your own").wait_for(timeout=180_000)
    _settle(page)
    page.get_by_role("tab", name="Upload your own").click()
    page.wait_for_selector('[data-testid="stFileUploader"] input[type=file]', state="attached", timeout=60_000)
    table = _file("table.csv", TABLE)
    timings = {}

    # hanging: stopped at the time limit
    _upload(page, [_file("hang.onnx", loop_model(10**15))], table=table)
    t0 = time.time()
    _load(page)
    timings["hang"] = time.time() - t0
    errors = _errors(page)
    assert len(errors) == 1 and f"took longer than the {TIMEOUT_S} s limit and was stopped" in errors[0], errors
    assert "STITCHBOARD_ONNX_TIMEOUT_S" in errors[0] and page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "hang.png"), full_page=True)
    next_action_works(page, limited_server, limited_server.pid)

    # memory-hungry: refused by the worker's memory limit
    _upload(page, [_file("hungry.onnx", expand_model())], table=table)
    _load(page)
    errors = _errors(page)
    assert len(errors) == 1 and "hungry.onnx: the model ran out of memory on the table: it asked for 24.0 GiB" \
        in errors[0] and "STITCHBOARD_WORKER_MEMORY_MB" in errors[0], errors
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "hungry.png"), full_page=True)
    next_action_works(page, limited_server, limited_server.pid)

    # crashing: the worker dies by a signal in the middle of the job
    try:
        _upload(page, [_file("crash.onnx", loop_model(10**15))], table=table)
    except Exception:
        page.screenshot(path=str(tmp_path / "crash_upload.png"), full_page=True)
        raise
    page.get_by_role("button", name="Load files").click()
    killed = kill_model_worker(limited_server.pid, time.time() + TIMEOUT_S - 2)
    page.wait_for_timeout(500)
    _settle(page)
    errors = _errors(page)
    assert len(errors) == 1 and "crash.onnx crashed (its process ended with SIGSEGV" in errors[0] \
        and "the server is unaffected" in errors[0], \
        errors
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "crash.png"), full_page=True)
    next_action_works(page, limited_server, limited_server.pid, screenshot=tmp_path / "explore_after.png")
    print(f"hang stopped after {timings['hang']:.1f} s (limit {TIMEOUT_S} s); worker {killed} got SIGSEGV; "
          f"screenshots in {tmp_path}")
    page.close()
