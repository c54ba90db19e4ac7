"""Eight simultaneous sessions on one server: each uploads its own data and picks its own
anchors, sees only its own data, and the server stays responsive with bounded memory."""

import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

N_SESSIONS = 8


def _rss_peak_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def _health_ms(url: str) -> float:
    t = time.time()
    assert urllib.request.urlopen(url + "/_stcore/health", timeout=30).read() == b"ok"
    return (time.time() - t) * 1000


def _metric(page, label: str) -> str:
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).first.locator(
        '[data-testid="stMetricValue"]').inner_text().strip()


@pytest.fixture(scope="module")
def session_files(tmp_path_factory):
    """Per session: two parallel spaces (B = a rotation of A) of a different size."""
    d = tmp_path_factory.mktemp("sessions")
    out = []
    for i in range(N_SESSIONS):
        rng = np.random.default_rng(100 + i)
        n = 150 + 10 * i
        y = np.arange(n) % 3
        A = rng.normal(size=(n, 6)) + 3 * np.eye(6)[y]
        Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
        ids = np.arange(n) + 1000 * i
        np.savez(d / f"s{i}_a.npz", vectors=A, ids=ids, labels=y)
        np.savez(d / f"s{i}_b.npz", vectors=A @ Q, ids=ids, labels=y)
        out.append((n, d / f"s{i}_a.npz", d / f"s{i}_b.npz"))
    return out


def test_eight_sessions_are_isolated_and_the_server_stays_responsive(browser, server, session_files, tmp_path):
    contexts = [browser.new_context(viewport={"width": 1300, "height": 1400}) for _ in range(N_SESSIONS)]
    pages = [c.new_page() for c in contexts]
    for page in pages:  # eight sessions share two cores: every step may wait its turn
        page.set_default_timeout(180_000)
    health = []
    t0 = time.time()
    for page in pages:  # eight fresh sessions on the data page
        page.goto(server + "/data")
    for page in pages:
        page.get_by_role("tab", name="Upload your own").wait_for(timeout=180_000)
    # every session uploads at (nearly) the same time
    for i, (page, (n, fa, fb)) in enumerate(zip(pages, session_files)):
        page.get_by_role("tab", name="Upload your own").click()
        page.locator('[data-testid="stFileUploader"] input[type=file]').nth(0).set_input_files([str(fa), str(fb)])
    for i, page in enumerate(pages):
        page.get_by_text(f"s{i}_b.npz", exact=True).first.wait_for(timeout=60_000)
        page.get_by_text("Options").click()
        box = page.get_by_label("Name of this collection")
        box.fill(f"session {i}")
        box.press("Enter")
    for page in pages:
        page.wait_for_timeout(300)
        page.get_by_role("button", name="Load files").click()
        health.append(_health_ms(server))
    for i, (page, (n, _, _)) in enumerate(zip(pages, session_files)):
        page.get_by_text(f"Loaded: session {i} (uploaded)").wait_for(timeout=120_000)
        assert _metric(page, "Samples") == f"{n:,}", i
        health.append(_health_ms(server))

    # each session lists the bundled datasets and ITS OWN upload only
    for i, page in enumerate(pages):
        page.get_by_role("tab", name="Bundled datasets").click()
        page.locator('[data-testid="stSelectbox"]').first.click()
        options = page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        mine = [o for o in options if "(uploaded)" in o]
        assert mine == [f"session {i} (uploaded)"], (i, options)

    # each session picks a different number of anchors on Explore and gets its own readout
    for i, page in enumerate(pages):
        page.get_by_text("Open Explore & stitch").click()
    for i, (page, (n, _, _)) in enumerate(zip(pages, session_files)):
        page.get_by_text(f"Every one of the {n:,} session {i} samples").wait_for(timeout=180_000)
        page.get_by_role("button", name="Pick anchors").click(timeout=180_000)  # the strategy buttons' popover
        box = page.get_by_label("n", exact=True)  # how many anchors the strategy buttons pick
        box.wait_for(timeout=180_000)  # widgets load their code lazily; eight busy sessions slow that down
        box.fill(str(100 - i - 1))
        box.press("Enter")
        page.wait_for_timeout(500)
        page.get_by_role("button", name="random", exact=True).click()
        health.append(_health_ms(server))
    for i, page in enumerate(pages):
        deadline = time.time() + 180
        while _metric(page, "Anchors") != str(100 - i - 1) and time.time() < deadline:
            page.wait_for_timeout(250)
        assert _metric(page, "Anchors") == str(100 - i - 1), i
        page.get_by_text(f"Replaced by {100 - i - 1} random anchors").wait_for(timeout=180_000)  # the readout follows
        rel = float(_metric(page, "B → A's head · relative"))
        assert rel > 0.8, (i, rel)  # B is a rotation of A: relative stitching works
        assert page.locator('[data-testid="stException"]').count() == 0, i
        health.append(_health_ms(server))
    pages[0].screenshot(path=str(tmp_path / "session0.png"))

    elapsed = time.time() - t0
    peak = _rss_peak_mb(server.pid)
    print(f"{N_SESSIONS} sessions: {elapsed:.0f} s end to end, /_stcore/health median "
          f"{np.median(health):.0f} ms, max {max(health):.0f} ms, server peak RSS {peak:.0f} MB")
    assert max(health) < 5000, health  # the server answers while eight sessions compute
    assert peak < 4096, peak
    for c in contexts:
        c.close()
