"""100k points per map, end to end in the dashboard: upload a 100k x 384 pair, explore it, edit anchors.

A fresh ``stitchboard dashboard`` server (``python -m dashboard.server``, empty disk
cache) is driven by headless Chromium the way a user would:

1. upload two ``.npz`` files (100,000 x 384 float32 each, ids and labels) on the Data &
   encoders page and press *Load files*;
2. open Explore & stitch: time until the stitching readout, the four PCA preview maps
   (snapshot images on the session's first maps, charts otherwise), then the final UMAP
   maps (cold: numba's JIT included), recording every progress label the page shows on the way;
3. anchor edits (new random anchors, seeds 1, 2, 3): time until the edit is shown and
   until the relative maps are final (median and max of ``--edits``);
4. check every map holds all 100,000 points (no sampling), uses WebGL (``scattergl``)
   and answers a hover; measure the browser's frame time while panning the first map, with
   plotly.js' own pan (a WebGL redraw per mouse move: the baseline) and with the chart
   component's (the drawn picture follows the mouse, one redraw on release).

Peak RSS of the server process (and of Chromium) is sampled throughout. The data are
the synthetic pair of ``bench_scale.py`` (A: clustered, non-linearly lifted; B: A
rotated, plus noise), written to a temporary folder and deleted afterwards.

Baseline, same run: a default ``umap.UMAP(random_state=0).fit_transform`` of A alone in
a fresh process (``--baseline``; takes minutes), else the figure from bench_scale.py.

Above 100k rows the pair is generated in blocks (``make_pair(chunk=...)``) and uploaded as
float16 ``.npz`` (``--dtype``; 768 MB per 1M x 384 file, float32 would be 1.5 GB), with
the server's upload limit raised (``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``, as
``--server.maxUploadSize`` does).

    python benchmarks/bench_dashboard_scale.py [--rows 100000] [--dims 384] [--edits 3] [--dtype float16] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_first_paint import ARGS, CHROMIUM, start_server  # noqa: E402
from bench_scale import make_pair  # noqa: E402

MAPS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((gd) => {
  const tr = (gd._fullData || []).filter((t) => !String(t.name).startsWith('anchors') && !String(t.name).startsWith('highlighted'));
  return {points: tr.reduce((s, t) => s + (t._length || 0), 0), types: Array.from(new Set(tr.map((t) => t.type)))};
})"""

FRAMES_START_JS = """() => { window.__t = []; window.__stop = false;
  const f = (now) => { window.__t.push(now); if (!window.__stop) requestAnimationFrame(f); }; requestAnimationFrame(f); }"""
FRAMES_STOP_JS = """() => { window.__stop = true; const t = window.__t;
  const d = t.slice(1).map((x, i) => x - t[i]).sort((a, b) => a - b);
  return {frames: d.length, median: d[Math.floor(d.length / 2)], p95: d[Math.floor(d.length * 0.95)], max: d[d.length - 1]}; }"""


#: Timestamps taken inside the page every 200 ms (Playwright's round trips stall while the
#: machine is busy). ``start`` resets them; ``n``: points per map; ``seed``: the caption
#: text that shows an anchor edit was applied (None: not waiting for an edit).
MARKS_JS = """([n, seed]) => {
  window.__marks = {}; const t0 = performance.now(); window.__labels = [];
  const mark = (k) => { if (!(k in window.__marks)) window.__marks[k] = (performance.now() - t0) / 1000; };
  // each map's first point: the relative maps are final when two maps show points none had before the edit (the
  // absolute maps are redrawn too, with the new stars, but keep their points; maps are matched by content, not by
  // position on the page, which changes while charts remount)
  const firsts = () => Array.from(document.querySelectorAll('.js-plotly-plot')).map((gd) =>
    gd && gd._fullData && gd._fullData[0] && gd._fullData[0]._length ? gd._fullData[0].x[0] + ',' + gd._fullData[0].y[0] : null);
  const before = new Set(firsts());
  const tick = () => {
    const gds = document.querySelectorAll('.js-plotly-plot');
    let full = 0;
    gds.forEach((gd) => { const tr = (gd._fullData || []).filter((t) => !String(t.name).startsWith('anchors'));
      if (tr.reduce((a, t) => a + (t._length || 0), 0) === n) full += 1; });
    const text = document.body.textContent;  // not innerText: that forces a layout of the whole page
    const busy = text.includes('preview while') || text.includes('previous anchors; updating') || text.includes('Computing the');
    const line = Array.from(document.querySelectorAll('[data-testid="stProgress"]')).map((e) => e.textContent.trim())
      .find((l) => l.startsWith('Computing the'));
    if (line && window.__labels[window.__labels.length - 1] !== line) window.__labels.push(line);
    const vals = Array.from(document.querySelectorAll('[data-testid="stMetricValue"]')).map((e) => e.textContent);
    // a first visit's previews are snapshot images (dashboard/snapshot.py), not charts
    const snaps = Array.from(document.querySelectorAll('img.sb-snapshot')).filter(
      (i) => i.complete && i.naturalWidth > 0 && i.offsetParent !== null).length;
    if (seed === null) {
      if (vals.some((v) => /^[01]\./.test(v))) mark('readout');
      if (full + snaps >= 4) mark('4 maps');
      if (full >= 4 && !busy) mark('final');
    } else if (text.includes(seed)) {
      mark('edit shown');
      if (busy) mark('updating');
      const moved = firsts().filter((f) => f !== null && !before.has(f)).length;
      window.__moved = moved;
      if (moved >= 1) mark('a relative map moved');
      if (full >= 4 && !busy && moved >= 2) mark('final');
    }
    if (!('final' in window.__marks)) setTimeout(tick, 200);
  };
  setTimeout(tick, 200);
}"""


class PeakRSS(threading.Thread):
    """Samples the RSS of a process tree every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = psutil.Process(pid), 0, False

    def run(self):
        while not self.stop:
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU time used so far (user + system, seconds) by the server process tree and by every Chromium process."""
    def used(p):
        try:
            t = p.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0
    server = psutil.Process(server_pid)
    srv = used(server) + sum(used(c) for c in server.children(recursive=True))
    browser = sum(used(p) for p in psutil.process_iter(["name"]) if "chrom" in (p.info["name"] or "").lower()
                  or "headless_shell" in (p.info["name"] or ""))
    return srv, browser


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", "--rows", dest="n", type=int, default=100_000)
    ap.add_argument("--dtype", choices=("float32", "float16"), default=None,
                    help="vectors in the uploaded files (default: float32 up to 100k rows, else float16)")
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--baseline", action="store_true", help="also time a default umap-learn fit of A (minutes)")
    ap.add_argument("--edits", type=int, default=3, help="anchor edits timed after the cold maps (median reported)")
    ap.add_argument("--shots", default=None, help="folder for screenshots (not committed)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="stitchboard-bench-scale-"))
    big = args.n > 100_000
    dtype = args.dtype or ("float16" if big else "float32")
    XA, XB, y = make_pair(args.n, args.dims, chunk=65_536 if big else None)
    ids = np.arange(args.n)
    for name in ("enc_a", "enc_b"):
        X = XA if name == "enc_a" else XB
        np.savez(tmp / f"{name}.npz", vectors=X.astype(dtype, copy=False), ids=ids, labels=y)
    del XA, XB, X
    size_mb = (tmp / "enc_a.npz").stat().st_size / 1e6
    print(f"data: 2 files of {args.n:,} x {args.dims} {dtype} ({size_mb:.0f} MB each)", flush=True)

    env = dict(os.environ, STITCHBOARD_CACHE_DIR=str(tmp / "cache"),
               STREAMLIT_SERVER_MAX_UPLOAD_SIZE=str(max(200, int(size_mb * 1.1) + 1)))
    log = open(tmp / "server.log", "w")
    proc, url = start_server(env, plain=False, log=log)
    rss = PeakRSS(proc.pid)
    rss.start()
    res: dict = {}
    cpu: dict = {}
    labels_seen: list = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 2000})
            page.goto(url + "/data")
            page.get_by_role("tab", name="Upload your own").click()
            t0 = time.perf_counter()
            page.locator('[data-testid="stFileUploader"] input[type=file]').nth(0).set_input_files(
                [str(tmp / "enc_a.npz"), str(tmp / "enc_b.npz")])
            for f in ("enc_a.npz", "enc_b.npz"):
                page.get_by_text(f, exact=True).first.wait_for(timeout=300_000)
            res["upload (browser -> server)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            page.get_by_role("button", name="Load files").click(timeout=300_000)
            page.get_by_text("Loaded:").first.wait_for(timeout=300_000)
            res["load + match + summary"] = time.perf_counter() - t0
            errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
            assert not errors, errors

            cpu0 = cpu_seconds(proc.pid)
            page.get_by_role("link", name="Explore & stitch").first.click()
            page.evaluate(MARKS_JS, [args.n, None])
            _wait_final(page, 900)
            cpu1 = cpu_seconds(proc.pid)
            cpu["cold maps"] = (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])
            marks = page.evaluate("() => window.__marks")
            labels_seen += page.evaluate("() => window.__labels")
            res["readout"], res["4 maps shown (PCA previews)"], res["UMAP maps final (cold)"] = (
                marks.get("readout", float("nan")), marks["4 maps"], marks["final"])
            print("so far:", {k: round(v, 1) for k, v in res.items()}, "CPU s (server, Chromium):", cpu, flush=True)
            maps = page.evaluate(MAPS_JS)
            if args.shots:
                page.screenshot(path=str(Path(args.shots) / "scale_explore.png"), full_page=True)

            # anchor edits: 100 random anchors with seeds 1, 2, ... (each a set no map was computed for)
            finals, shown = [], []
            for k in range(1, args.edits + 1):
                if not page.get_by_label("seed").is_visible():  # the strategy buttons are in this popover
                    page.get_by_role("button", name="Pick anchors").click(timeout=300_000)
                seed = page.get_by_label("seed")
                seed.wait_for(timeout=300_000)
                seed.fill(str(k))
                seed.press("Enter")
                time.sleep(2.0)
                # the seed edit reran the page: wait until the maps are drawn again before taking their first points
                page.wait_for_function(
                    "() => { const gd = document.querySelectorAll('.js-plotly-plot');"
                    " return gd.length === 4 && Array.from(gd).every((g) => g._fullData && g._fullData[0]"
                    " && g._fullData[0]._length > 0); }",
                    timeout=300_000, polling=500)
                time.sleep(1.0)
                page.evaluate(MARKS_JS, [args.n, f"random anchors (seed {k})"])
                cpu0 = cpu_seconds(proc.pid)
                if not page.get_by_role("button", name="random", exact=True).is_visible():
                    page.get_by_role("button", name="Pick anchors").click(timeout=300_000)
                page.get_by_role("button", name="random", exact=True).click()
                _wait_final(page, 600)
                cpu1 = cpu_seconds(proc.pid)
                cpu[f"anchor edit {k}"] = (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])
                marks = page.evaluate("() => window.__marks")
                labels_seen += page.evaluate("() => window.__labels")
                shown.append(marks["edit shown"])
                finals.append(marks["final"])
                print(f"anchor edit {k}: {marks}", flush=True)
            res["anchor edit -> edit shown (median)"] = statistics.median(shown)
            res["anchor edit -> relative maps final (median)"] = statistics.median(finals)
            res["anchor edit -> relative maps final (max)"] = max(finals)
            if args.shots:
                page.screenshot(path=str(Path(args.shots) / "scale_after_edit.png"), full_page=True)

            # hover and pan on the first map
            page.keyboard.press("Escape")  # close the anchors popover
            time.sleep(0.5)
            gd = page.locator(".js-plotly-plot").first
            gd.scroll_into_view_if_needed()
            box = gd.bounding_box()
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            hovered = None
            t0 = time.perf_counter()
            for dx in range(0, 120, 6):
                page.mouse.move(cx + dx - 60, cy)
                if page.locator(".hoverlayer .hovertext").count():
                    hovered = time.perf_counter() - t0
                    break
            res["hover label shown after"] = hovered if hovered is not None else float("nan")
            # pan: plotly.js' own pan (a WebGL redraw per mouse move; the baseline), then ours (map_chart.js moves the
            # drawn picture and redraws once on release); the same 40 mouse moves, the same map
            pans = {}
            for mode in ("plotly.js redraw per move", "picture moved, redraw on release"):
                page.evaluate("(off) => { document.querySelector('.sb-map').__stitchboardPan.off = off; }",
                              mode.startswith("plotly"))
                page.mouse.move(cx, cy)
                time.sleep(0.5)
                page.evaluate(FRAMES_START_JS)
                c0 = cpu_seconds(proc.pid)
                page.mouse.down()
                t0 = time.perf_counter()
                for k in range(40):
                    page.mouse.move(cx - 60 + 3 * k, cy - 40 + 2 * k)
                page.mouse.up()
                res[f"pan, {mode}: 40 mouse moves"] = time.perf_counter() - t0
                time.sleep(1.0)
                pans[mode] = page.evaluate(FRAMES_STOP_JS)
                pans[mode]["cpu"] = cpu_seconds(proc.pid)[1] - c0[1]
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        rss.stop = True
        log.close()
    print(f"\nfresh server, {args.n:,} points per map, {args.dims} dims (seconds):")
    for k, v in res.items():
        print(f"  {k:36s} {v:7.1f}")
    for k, (srv, brw) in cpu.items():
        print(f"  CPU time during {k}: server {srv:.1f} s, Chromium {brw:.1f} s")
    stages = dict.fromkeys(l.split(" · ")[0].split(": ", 1)[-1] for l in labels_seen if ": " in l)
    print("  progress stages shown: " + " -> ".join(stages))
    for i, m in enumerate(maps):
        print(f"  map {i + 1}: {m['points']:,} points drawn, trace types {m['types']}")
    for mode, pan in pans.items():
        print(f"  browser frames while panning the first map, {mode}: median {pan['median']:.0f} ms, "
              f"p95 {pan['p95']:.0f} ms, max {pan['max']:.0f} ms over {pan['frames']} frames; Chromium CPU {pan['cpu']:.1f} s")
    base, ours = pans.values()
    print(f"  pan p95 frame: {ours['p95'] / base['p95']:.2f}x plotly.js' own pan in this run "
          f"({ours['p95']:.0f} vs {base['p95']:.0f} ms; 60 fps is 17 ms)")
    print(f"  peak RSS of the server process: {rss.peak / 2**30:.2f} GiB")
    if args.baseline:
        code = ("import time, numpy as np, umap, sys; sys.path.insert(0, 'benchmarks'); from bench_scale import make_pair; "
                f"XA, _, _ = make_pair({args.n}, {args.dims}); t = time.perf_counter(); "
                "umap.UMAP(random_state=0).fit_transform(XA); print(time.perf_counter() - t)")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        base = float(out.stdout.strip().splitlines()[-1])
        cold = res["UMAP maps final (cold)"]
        print(f"baseline: default umap.UMAP(random_state=0) on A alone, fresh process: {base:.0f} s "
              f"(ours, both rows of maps in the browser: {cold:.0f} s = {base / cold:.1f}x sooner)")
    shutil.rmtree(tmp, ignore_errors=True)


def _wait_final(page, timeout_s: float) -> None:
    try:
        page.wait_for_function("() => 'final' in window.__marks", timeout=timeout_s * 1000, polling=500)
    except Exception:
        print("marks so far:", page.evaluate("() => window.__marks"), "labels:", page.evaluate("() => window.__labels"),
              "maps with new points:", page.evaluate("() => window.__moved"))
        print("page text:", page.evaluate("() => document.body.innerText")[:3000])
        raise


if __name__ == "__main__":
    main()
