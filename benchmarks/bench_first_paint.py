"""First paint: a fresh server process, the page opened in headless Chromium at once.

Measured from ``page.goto``, issued as soon as the fresh server answers its health
check (new Python process, nothing imported, no Streamlit cache):

* ``4 shown``: the 2x2 grid (absolute and relative, A and B) is on screen with every point,
  each map either as its snapshot image (``dashboard/snapshot.py``, shown while plotly.js
  loads) or as the interactive chart: the first paint;
* ``first map``: the first interactive (plotly) map is drawn;
* ``4 maps``: the four interactive maps are drawn with every point;
* ``readout``: the stitching readout shows numbers;
* ``final``: the UMAP maps replaced the PCA preview (the page has settled);
* ``server`` (not from ``page.goto``): the server process's start until it answers.

Four set-ups, alternated run by run (``--setups`` picks some):

* ``plain``: ``streamlit run dashboard/app.py`` with an empty disk cache (the baseline:
  everything happens in the first session);
* ``cold``: ``stitchboard dashboard`` (``python -m dashboard.server``: background
  warm-up) with an empty disk cache, as on the very first start on a machine;
* ``warm``: ``stitchboard dashboard`` with the disk cache an earlier start left
  (``STITCHBOARD_CACHE_DIR``): zoo vectors and UMAP layouts are read back;
* ``numba``: ``stitchboard dashboard`` with an empty disk cache except numba's compiled
  code (``NUMBA_CACHE_DIR`` left by an earlier start): every UMAP map is computed, none is
  compiled; its ``final`` is issue 21's "final maps on screen within 5 s of page load once
  the numba cache is warm" (``cold`` is the same with numba's cache empty too).

Also printed: a fresh Python process that imports umap-learn and runs a default
``umap.UMAP().fit_transform`` on one digits space, i.e. the least a page that computed
UMAP before drawing anything would make the user wait (numba's one-off JIT included).

    python benchmarks/bench_first_paint.py [--runs 3] [--setups plain,cold,warm,numba] [--baseline-root DIR]
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
sys.path.insert(0, str(ROOT))
from core.runtime.parent_death import tied_to_parent  # noqa: E402
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--enable-unsafe-swiftshader"]

MAPS_DRAWN_JS = """() => {
  const gds = document.querySelectorAll('.js-plotly-plot');
  let n = 0;
  gds.forEach((gd) => { if (gd._fullData && gd._fullData.some((t) => (t._length || 0) > 100)) n += 1; });
  return n;
}"""

#: Timestamps taken inside the page (ms since navigation start), every 25 ms: Playwright's own
#: round trips are slow on a busy machine and would blur the figures.
MARKS_JS = """() => {
  window.__marks = {};
  const mark = (k) => { if (!(k in window.__marks)) window.__marks[k] = performance.now(); };
  const tick = () => {
    let n = 0;
    document.querySelectorAll('.js-plotly-plot').forEach((gd) => {
      if (gd._fullData && gd._fullData.some((t) => (t._length || 0) > 100)) n += 1; });
    const snaps = Array.from(document.querySelectorAll('img.sb-snapshot')).filter(
      (i) => i.complete && i.naturalWidth > 0 && i.offsetParent !== null).length;
    if (n + snaps >= 4) mark('4 shown');
    if (n >= 1) mark('first map');
    if (n >= 4) mark('4 maps');
    const vals = Array.from(document.querySelectorAll('[data-testid="stMetricValue"]')).map((e) => e.textContent);
    if (vals.some((v) => v.startsWith('0.') || v.startsWith('1.'))) mark('readout');
    const text = document.body ? document.body.textContent : '';  // innerText would force a layout every tick
    if (n >= 4 && !text.includes('preview while') && !text.includes('updating') && !text.includes('Computing the')) mark('final');
    if (!('final' in window.__marks)) setTimeout(tick, 25);
  };
  setTimeout(tick, 25);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, *, plain: bool, log=subprocess.DEVNULL, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """A fresh server (``plain``: ``streamlit run``, else ``python -m dashboard.server``) of the checkout
    ``root``, once it answers."""
    port = free_port()
    t0 = time.perf_counter()
    head = ["-m", "streamlit", "run", str(root / "dashboard" / "app.py")] if plain else ["-m", "dashboard.server"]
    proc = subprocess.Popen(
        tied_to_parent([sys.executable, *head, "--server.headless", "true",  # it ends with us, however we end
                        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats",
                        "false", "--server.fileWatcherType", "none"]),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                proc.ready_s = time.perf_counter() - t0  # process start -> the server answers
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start in 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if a busy machine keeps it from ending within 30 s."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def one_run(browser, env: dict, *, plain: bool, root: Path = ROOT) -> dict:
    proc, url = start_server(env, plain=plain, root=root)
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 2000})
        page.add_init_script("(" + MARKS_JS + ")()")
        page.goto(url)
        page.wait_for_function("() => window.__marks && 'final' in window.__marks", timeout=400_000, polling=250)
        marks = {k: v / 1000 for k, v in page.evaluate("() => window.__marks").items()}
        marks["server"] = proc.ready_s
        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()
        if errors:
            raise RuntimeError(f"the page shows an error: {errors}")
        page.close()
        return marks
    finally:
        stop_server(proc)


def umap_cold_baseline() -> float:
    code = (
        "import time; t = time.perf_counter(); import umap; from core.spaces.zoo import Zoo; "
        "X = Zoo('digits').spaces('all')['mlp-s0'].vectors; umap.UMAP().fit_transform(X); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per set-up")
    ap.add_argument("--setups", default="plain,cold,warm,numba", help="comma-separated, run in this order")
    ap.add_argument("--baseline-root", type=Path, default=None,
                    help="another checkout (e.g. a `git archive` of an older commit): adds its 'numba' set-up, "
                         "'numba@base', alternated with the others")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    cold_dir = Path(tempfile.mkdtemp(prefix="stitchboard-bench-cold-"))
    warm_dir = Path(tempfile.mkdtemp(prefix="stitchboard-bench-warm-"))
    all_setups = {"plain": (True, cold_dir), "cold": (False, cold_dir), "warm": (False, warm_dir),
                  "numba": (False, cold_dir)}
    setups = {k: all_setups[k] for k in args.setups.split(",")}
    if args.baseline_root is not None:
        setups["numba@base"] = (False, cold_dir)
    runs: dict = {k: [] for k in setups}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=ARGS)
        print("filling the warm disk cache (one start, until UMAP is final)...", flush=True)
        one_run(browser, dict(os.environ, STITCHBOARD_CACHE_DIR=str(warm_dir)), plain=False)
        warm_numba = next((warm_dir / "numba").iterdir())  # numba's compiled code that start left
        for r in range(args.runs):
            for name, (plain, folder) in setups.items():
                if folder is cold_dir:
                    shutil.rmtree(cold_dir, ignore_errors=True)
                    cold_dir.mkdir()
                env = dict(os.environ, STITCHBOARD_CACHE_DIR=str(folder))
                env.pop("NUMBA_CACHE_DIR", None)  # numba's cache under STITCHBOARD_CACHE_DIR, or:
                root = ROOT
                if name.startswith("numba"):
                    env["NUMBA_CACHE_DIR"] = str(warm_numba)
                if name == "numba@base":
                    root = args.baseline_root.resolve()
                    env["PYTHONPATH"] = str(root)
                marks = one_run(browser, env, plain=plain, root=root)
                runs[name].append(marks)
                print(f"run {r + 1} {name:5s}: " + ", ".join(f"{k} {v:.1f} s" for k, v in marks.items()), flush=True)
        browser.close()
    shutil.rmtree(cold_dir, ignore_errors=True)
    shutil.rmtree(warm_dir, ignore_errors=True)
    base = umap_cold_baseline()
    print(f"\nfresh process, import umap + default UMAP().fit_transform of 1,797 x 64: {base:.1f} s")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    cols = ("server", "4 shown", "first map", "4 maps", "readout", "final")
    print(f"{'median (range), s':18s}" + "".join(f"{k:>20s}" for k in cols))
    for name in setups:
        cells = []
        for k in cols:
            vals = [m[k] for m in runs[name] if k in m]
            cells.append(f"{statistics.median(vals):5.1f} ({min(vals):.1f}-{max(vals):.1f})" if vals else "-")
        print(f"{name:18s}" + "".join(f"{c:>20s}" for c in cells))
    if "numba" in runs:
        fin = statistics.median([m["final"] for m in runs["numba"]])
        print(f"final maps on screen, numba cache warm (numba): {fin:.1f} s; target <= 5 s: "
              f"{'met' if fin <= 5 else 'NOT met'}" + (
                  f"; cold (cold) {statistics.median([m['final'] for m in runs['cold']]):.1f} s" if "cold" in runs else ""))
        if "numba@base" in runs:
            base_fin = statistics.median([m["final"] for m in runs["numba@base"]])
            print(f"the same on {args.baseline_root}: {base_fin:.1f} s -> {fin / base_fin:.2f}x")
    if "plain" not in runs:
        return
    for key, what in (("4 shown", "first paint (4 maps on screen, image or chart)"), ("4 maps", "4 interactive maps")):
        plain4 = statistics.median([m[key] for m in runs["plain"]])
        for name in [k for k in ("cold", "warm", "numba") if k in runs]:
            med = statistics.median([m[key] for m in runs[name]])
            print(f"{what}, {name}: {med:.1f} s = {med / plain4:.2f}x the plain start; "
                  f"target <= 5 s: {'met' if med <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
