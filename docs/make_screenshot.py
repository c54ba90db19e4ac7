"""Regenerate ``docs/screenshot.png``, the README's picture of the app, from today's UI.

Starts the dashboard (``python -m dashboard.server``, as ``stitchboard dashboard`` does) on a
free port, opens Explore & stitch on the bundled digits in headless Chromium through
Playwright, waits until the maps are final (UMAP computed, no preview, nothing running),
takes the screenshot (the page down to the bottom of its lowest map, at most ``--max-height``
pixels, so that the maps are in it even when they start below the fold; ``--viewport`` for
the window only) and shrinks it
with Pillow (a 256-colour palette, then a smaller scale if needed) until it is under the size
budget. The server is stopped afterwards, with any
worker processes it started.

    python docs/make_screenshot.py                      # a 1400 x 900 window, docs/screenshot.png
    python docs/make_screenshot.py --viewport --out /tmp/above_the_fold.png

Needs the dev extra (playwright, pillow) and Chromium; it never downloads a browser
(``--chromium`` names the executable, Debian's ``/usr/bin/chromium`` by default).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-unsafe-swiftshader",
]
#: While any of these is on the page, the maps are not final yet.
BUSY_SELECTORS = ('[data-testid="stStatusWidget"]', '[data-testid="stSkeleton"]', "img.sb-snapshot:visible")
BUSY_TEXTS = ("preview while", "previous anchors; updating", "Computing")


def warn_without_emoji_font() -> None:
    """The navigation's icons are emoji: without an emoji font Chromium draws them as empty boxes."""
    if not shutil.which("fc-list"):
        return
    fonts = subprocess.run(["fc-list", ":charset=1f5fa", "family"], capture_output=True, text=True).stdout
    if not fonts.strip():
        print("warning: no emoji font installed, so the page icons show as boxes in the screenshot "
              "(Debian: apt-get install -y fonts-noto-color-emoji)", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log) -> subprocess.Popen:
    """The dashboard on 127.0.0.1:``port``, in a process group of its own (so that stopping it stops its workers)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.server", "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--client.toolbarMode", "viewer"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.time() + 180  # the warm-up runs before the server listens
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard exited with code {proc.returncode}; see {log.name}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"the dashboard did not answer within 180 s; see {log.name}")


def stop_server(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_final(page, *, timeout: float) -> float:
    """Until four maps are drawn and nothing is running or previewed for a second; returns the seconds waited."""
    t0 = time.time()
    quiet_since = None
    while time.time() - t0 < timeout:
        busy = sum(page.locator(s).count() for s in BUSY_SELECTORS)
        busy += sum(page.get_by_text(t).count() for t in BUSY_TEXTS)
        ready = page.locator(".js-plotly-plot").count() >= 4 and busy == 0
        if ready:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since > 1.0:
                return time.time() - t0
        else:
            quiet_since = None
        time.sleep(0.25)
    raise TimeoutError(f"the maps were not final after {timeout:.0f} s")


def shrink(png: bytes, *, max_bytes: int) -> tuple[bytes, tuple[int, int]]:
    """``png`` re-encoded under ``max_bytes``: a 256-colour palette first (UI screenshots have few colours),
    then 10 % smaller steps. Returns the bytes and the final size."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    scale = 1.0
    while True:
        w, h = round(img.width * scale), round(img.height * scale)
        cur = img if scale == 1.0 else img.resize((w, h), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        cur.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
        if out.tell() <= max_bytes or scale < 0.3:
            return out.getvalue(), (w, h)
        scale *= 0.9


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--viewport", action="store_true", help="only what the window shows, not the page below it")
    ap.add_argument("--max-height", type=int, default=2400, help="cut a taller page at this many pixels")
    ap.add_argument("--max-kb", type=int, default=300, help="size budget of the PNG in kB (default 300)")
    ap.add_argument("--chromium", default=os.environ.get("STITCHBOARD_CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the final maps")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    warn_without_emoji_font()
    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"stitchboard-screenshot-{port}.log"
    with open(log_path, "w") as log:
        proc = start_server(port, log)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": args.width, "height": args.height})
                    page.goto(f"http://127.0.0.1:{port}/?dataset=digits")
                    page.wait_for_selector(".js-plotly-plot", timeout=args.timeout * 1000)
                    waited = wait_final(page, timeout=args.timeout)
                    page.mouse.move(0, args.height - 1)  # no hover label or tooltip in the picture
                    time.sleep(0.5)
                    if args.viewport:
                        raw = page.screenshot()
                    else:
                        # down to the bottom of the lowest map: the picture is of the maps, not of the downloads below
                        tall = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll("
                                             "'.js-plotly-plot')).map(p => p.getBoundingClientRect().bottom))")
                        page.set_viewport_size({"width": args.width, "height": min(int(tall) + 24, args.max_height)})
                        wait_final(page, timeout=args.timeout)  # a taller window re-lays the page out
                        raw = page.screenshot()
                finally:
                    browser.close()
        finally:
            stop_server(proc)
    png, size = shrink(raw, max_bytes=args.max_kb * 1000)
    args.out.write_bytes(png)
    print(f"{args.out}: {size[0]} x {size[1]} px, {len(png) / 1000:.0f} kB (maps final after {waited:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
