"""First paint: a fresh server process, the page opened in headless Chromium at once.

Measured from ``page.goto``, issued as soon as the fresh server answers its health
check (new Python process, nothing imported, no Streamlit cache):

* ``first map``: the first plotly map is drawn;
* ``4 maps``: the 2x2 grid (absolute and relative, A and B) is drawn with every point;
* ``readout``: the stitching readout shows numbers;
* ``final``: the UMAP maps replaced the PCA preview (the page has settled).

Three set-ups, alternated run by run:

* ``plain``: ``streamlit run dashboard/app.py`` with an empty disk cache (the baseline:
  everything happens in the first session);
* ``cold``: ``stitchboard dashboard`` (``python -m dashboard.server``: background
  warm-up) with an empty disk cache, as on the very first start on a machine;
* ``warm``: ``stitchboard dashboard`` with the disk cache an earlier start left
  (``STITCHBOARD_CACHE_DIR``): zoo vectors and UMAP layouts are read back.

Also printed: a fresh Python process that imports umap-learn and runs a default
``umap.UMAP().fit_transform`` on one digits space, i.e. the least a page that computed
UMAP before drawing anything would make the user wait (numba's one-off JIT included).

    python benchmarks/bench_first_paint.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("STITCHBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--enable-unsafe-swiftshader"]

MAPS_DRAWN_JS = """() => {
  const gds = document.querySelectorAll('.js-plotly-plot');
  let n = 0;
  gds.forEach((gd) => { if (gd._fullData && gd._fullData.some((t) => (t._length || 0) > 100)) n += 1; });
  return n;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, *, plain: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    head = ["-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py")] if plain else ["-m", "dashboard.server"]
    proc = subprocess.Popen(
        [sys.executable, *head, "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("streamlit did not start in 60 s")


def one_run(browser, env: dict, *, plain: bool) -> dict:
    proc, url = start_server(env, plain=plain)
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 2000})
        t0 = time.perf_counter()
        page.goto(url)
        marks: dict = {}
        deadline = t0 + 400
        while time.perf_counter() < deadline:
            now = time.perf_counter() - t0
            n = page.evaluate(MAPS_DRAWN_JS)
            if n >= 1:
                marks.setdefault("first map", now)
            if n >= 4:
                marks.setdefault("4 maps", now)
            if "readout" not in marks and page.locator('[data-testid="stMetricValue"]').filter(has_text="0.").count():
                marks["readout"] = now
            if "4 maps" in marks and not (
                page.get_by_text("preview while").count() or page.get_by_role("button", name="Stop").count()
                or page.get_by_text("previous anchors; updating").count()
            ):
                marks["final"] = now
                break
            time.sleep(0.05)
        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()
        if errors:
            raise RuntimeError(f"the page shows an error: {errors}")
        page.close()
        return marks
    finally:
        proc.terminate()
        proc.wait(10)


def umap_cold_baseline() -> float:
    code = (
        "import time; t = time.perf_counter(); import umap; from core.zoo import Zoo; "
        "X = Zoo('digits').spaces('all')['mlp-s0'].vectors; umap.UMAP().fit_transform(X); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per set-up")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    cold_dir = Path(tempfile.mkdtemp(prefix="stitchboard-bench-cold-"))
    warm_dir = Path(tempfile.mkdtemp(prefix="stitchboard-bench-warm-"))
    setups = {"plain": (True, cold_dir), "cold": (False, cold_dir), "warm": (False, warm_dir)}
    runs: dict = {k: [] for k in setups}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=ARGS)
        print("filling the warm disk cache (one start, until UMAP is final)...", flush=True)
        one_run(browser, dict(os.environ, STITCHBOARD_CACHE_DIR=str(warm_dir)), plain=False)
        for r in range(args.runs):
            for name, (plain, folder) in setups.items():
                if folder is cold_dir:
                    shutil.rmtree(cold_dir, ignore_errors=True)
                    cold_dir.mkdir()
                marks = one_run(browser, dict(os.environ, STITCHBOARD_CACHE_DIR=str(folder)), plain=plain)
                runs[name].append(marks)
                print(f"run {r + 1} {name:5s}: " + ", ".join(f"{k} {v:.1f} s" for k, v in marks.items()), flush=True)
        browser.close()
    shutil.rmtree(cold_dir, ignore_errors=True)
    shutil.rmtree(warm_dir, ignore_errors=True)
    base = umap_cold_baseline()
    print(f"\nfresh process, import umap + default UMAP().fit_transform of 1,797 x 64: {base:.1f} s")
    print(f"{'median (range), s':18s}" + "".join(f"{k:>22s}" for k in ("first map", "4 maps", "readout", "final")))
    for name in setups:
        cells = []
        for k in ("first map", "4 maps", "readout", "final"):
            vals = [m[k] for m in runs[name] if k in m]
            cells.append(f"{statistics.median(vals):5.1f} ({min(vals):.1f}-{max(vals):.1f})" if vals else "-")
        print(f"{name:18s}" + "".join(f"{c:>22s}" for c in cells))
    plain4 = statistics.median([m["4 maps"] for m in runs["plain"]])
    for name in ("cold", "warm"):
        med = statistics.median([m["4 maps"] for m in runs[name]])
        print(f"4 maps, {name}: {med:.1f} s = {med / plain4:.2f}x the plain start; target <= 5 s: {'met' if med <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
