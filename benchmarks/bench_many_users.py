"""Eight users editing anchors at once on one server: edit -> both relative maps on screen, per dataset.

For each mode a fresh ``stitchboard dashboard`` server (``python -m dashboard.server``,
empty disk cache, ``NUMBA_CACHE_DIR`` shared by the modes so only the first server
compiles umap) is driven by one headless Chromium:

1. **single user**: one page on Explore (digits); one edit that is not timed (the first
   layout of a fresh process), then ``--single-edits`` timed edits, one at a time;
2. **many users**: ``--users`` pages (one browser context each, i.e. separate sessions)
   open Explore on their datasets (digits, wine, digits, breast_cancer, digits, text, ...),
   wait for their first maps, then each makes ``--edits`` edits, one every
   ``--interval`` seconds (starts staggered over one interval).

An edit is what a user does in bench_dashboard_edit.py: type a new seed, press *random*
(a new anchor set: no map was computed for it). Timed inside the page from the click
until both relative maps show their new points, every map holds all its points and no
progress line is left ("final"); a page that showed "waiting for a free worker" during
the edit is counted as having waited on another session's layout.

Modes: ``pool`` (layouts in the worker pool, the default) and ``in-process``
(``STITCHBOARD_LAYOUT_POOL=off``: layouts in the server's interpreter, as before the pool),
same load, same script. Also printed: the server's peak RSS, its own (``VmHWM``) and
with its children (the pool's workers; the largest sum of RSS sampled every 0.2 s), and
the CPU time of the server tree and of Chromium over the many-users phase.

The eight browsers share the server's CPUs here. ``--idle-browsers`` runs them in the
SCHED_IDLE class, so the server and its workers come first: closer to a classroom, where
each browser runs on its user's machine (the edit is still timed in the page, so the
browsers' drawing still counts).

    python benchmarks/bench_many_users.py [--users 8] [--edits 5] [--interval 4] [--single-edits 5]
                                         [--modes pool,in-process] [--idle-browsers]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
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

from bench_dashboard_edit import MARKS_JS  # noqa: E402
from bench_first_paint import ARGS, CHROMIUM, start_server, stop_server  # noqa: E402

TARGET_P95_S = 2.0
#: Datasets of the users, in order (cycled): several on digits, the others once.
CYCLE = ("digits", "wine", "digits", "breast_cancer", "digits", "text", "digits", "text")

SETTLED_JS = ("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
              " return m && document.querySelectorAll('.js-plotly-plot').length === 4"
              " && !m.textContent.includes('preview while') && !m.textContent.includes('Computing the')"
              " && !m.textContent.includes('updating'); }")
#: An edit (or the settling of its seed) that takes longer fails and is counted; the session goes on.
EDIT_TIMEOUT_MS = 90_000
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def process_cpu(p: psutil.Process) -> float:
    """User + system CPU seconds of one process so far (0 once it has gone)."""
    try:
        t = p.cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the server's process tree and by this script's Chromium (and Playwright's driver)."""
    server = psutil.Process(server_pid)
    tree = [server, *server.children(recursive=True)]
    pids = {p.pid for p in tree}
    return (sum(map(process_cpu, tree)),
            sum(process_cpu(p) for p in psutil.Process().children(recursive=True) if p.pid not in pids))


class RssSampler(threading.Thread):
    """Peak RSS of a server, alone and with its children (sum sampled at the same instant)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.stop, self.peak_tree, self.max_children = psutil.Process(pid), threading.Event(), 0, 0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                kids = self.proc.children(recursive=True)
                total = self.proc.memory_info().rss
            except psutil.Error:
                return
            for k in kids:
                try:
                    total += k.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_tree, self.max_children = max(self.peak_tree, total), max(self.max_children, len(kids))

    def server_hwm(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0


def chromium_executable(tmp: Path, *, idle: bool) -> str:
    """Chromium, or (``idle``) a wrapper that starts it in the SCHED_IDLE class: its processes then only use CPU the
    server and its workers leave, as when each user's browser runs on the user's own machine. (``nice`` would not
    do: Chromium sets its processes' nice values itself.)"""
    exe = shutil.which(CHROMIUM) or CHROMIUM
    if not idle:
        return exe
    wrapper = tmp / "chromium-idle"
    wrapper.write_text(f'#!/bin/sh\nexec chrt --idle 0 "{exe}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def open_explore(browser, url: str, dataset: str):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1700})
    page = await ctx.new_page()
    page.set_default_timeout(EDIT_TIMEOUT_MS)
    await page.goto(f"{url}/?dataset={dataset}")
    await page.wait_for_function(SETTLED_JS, timeout=600_000, polling=250)
    return ctx, page


async def edit(page, seed: int, n: int) -> dict:
    """Type a seed, press *random*; the page's marks (and wall-clock start/end) once both relative maps are final."""
    box = page.get_by_label("seed")
    if not await box.is_visible():
        await page.get_by_role("button", name="Pick anchors").click()  # the strategy buttons' popover
    await box.fill(str(seed))
    await box.press("Enter")
    await page.wait_for_function(SETTLED_JS, timeout=EDIT_TIMEOUT_MS, polling=200)
    await asyncio.sleep(1.0)  # the seed's rerun has settled
    await page.evaluate(MARKS_JS, [n, f"random anchors (seed {seed})"])
    button = page.get_by_role("button", name="random", exact=True)
    if not await button.is_visible():  # the seed's rerun closed the popover
        await page.get_by_role("button", name="Pick anchors").click()
    start = time.monotonic()
    await button.click()
    await page.wait_for_function("() => 'final' in window.__marks", timeout=EDIT_TIMEOUT_MS, polling=100)
    marks = await page.evaluate("() => window.__marks")
    errors = await page.locator(ERRORS).all_inner_texts()
    if errors:
        raise RuntimeError(f"the page shows an error: {errors}")
    return dict(marks, start=start, end=time.monotonic())


async def user(page, *, dataset: str, n: int, seeds, interval: float, delay: float, out: list, failed: list,
               shots: Path | None) -> None:
    await asyncio.sleep(delay)
    for seed in seeds:
        t = time.monotonic()
        try:
            out.append(dict(await edit(page, seed, n), dataset=dataset))
        except Exception as exc:  # noqa: BLE001 - counted and reported; the other sessions go on
            failed.append(f"{dataset} seed {seed}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            print("edit failed: " + failed[-1], flush=True)
            if shots is not None:
                await page.screenshot(path=str(shots / f"failed-{dataset}-{seed}.png"), full_page=True)
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - t)))


async def run_mode(mode: str, args, sizes: dict, numba_dir: Path, base_seed: int) -> dict:
    from playwright.async_api import async_playwright

    tmp = Path(tempfile.mkdtemp(prefix="stitchboard-bench-users-"))
    env = dict(os.environ, STITCHBOARD_CACHE_DIR=str(tmp / "cache"), NUMBA_CACHE_DIR=str(numba_dir),
               STITCHBOARD_LAYOUT_POOL="on" if mode == "pool" else "off")
    proc, url = start_server(env, plain=False, log=open(tmp / "server.log", "w"))
    rss = RssSampler(proc.pid)
    rss.start()
    res: dict = {"mode": mode}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_executable(tmp, idle=args.idle_browsers), args=ARGS)
            ctx, page = await open_explore(browser, url, "digits")
            first = await edit(page, base_seed, sizes["digits"])  # the first layout of this process: not timed
            print(f"[{mode}] first edit (not timed): {first['final']:.2f} s", flush=True)
            single = []
            for k in range(args.single_edits):
                single.append(await edit(page, base_seed + 1 + k, sizes["digits"]))
            await ctx.close()
            res["single"] = [m["final"] for m in single]
            print(f"[{mode}] single user, digits: " + ", ".join(f"{v:.2f}" for v in res["single"]), flush=True)

            cycle = args.datasets.split(",")
            datasets = [cycle[i % len(cycle)] for i in range(args.users)]
            opened = await asyncio.gather(*(open_explore(browser, url, d) for d in datasets))
            print(f"[{mode}] {args.users} sessions open", flush=True)
            edits: list = []
            failed: list = []
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            await asyncio.gather(*(
                user(pg, dataset=d, n=sizes[d], seeds=range(base_seed + 100 * (i + 1), base_seed + 100 * (i + 1) + args.edits),
                     interval=args.interval, delay=i * args.interval / args.users, out=edits,
                     failed=failed, shots=args.shots)
                for i, ((_, pg), d) in enumerate(zip(opened, datasets))))
            c1, wall = cpu_seconds(proc.pid), time.monotonic() - t0
            res.update(edits=edits, failed=failed, wall=wall, cpu_server=c1[0] - c0[0], cpu_chromium=c1[1] - c0[1],
                       load=os.getloadavg()[0])
            for ctx, _ in opened:
                await ctx.close()
            await browser.close()
    finally:
        rss.stop.set()
        rss.join(2)
        res.update(peak_tree=rss.peak_tree, server_hwm=rss.server_hwm(), max_children=rss.max_children)
        stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def p95(v) -> float:
    return float(np.percentile(v, 95))


def overlap(e: dict, edits: list) -> int:
    """Other edits in flight at some point of this one."""
    return sum(1 for o in edits if o is not e and o["start"] < e["end"] and o["end"] > e["start"])


def report(res: dict) -> None:
    mode, edits = res["mode"], res["edits"]
    print(f"\n== {mode}: {len(edits)} edits in {res['wall']:.0f} s; load average {res['load']:.1f} (1 min, at its end)")
    print(f"single user, digits: median {statistics.median(res['single']):.2f} s, "
          f"max {max(res['single']):.2f} s (n={len(res['single'])})")
    for d in dict.fromkeys(e["dataset"] for e in edits):
        v = [e["final"] for e in edits if e["dataset"] == d]
        print(f"{d:14s} median {statistics.median(v):.2f} s  p95 {p95(v):.2f} s  max {max(v):.2f} s  (n={len(v)})")
    allv = [e["final"] for e in edits]
    waited = sum("waited" in e for e in edits)
    print(f"all            median {statistics.median(allv):.2f} s  p95 {p95(allv):.2f} s; edits that waited for a "
          f"free worker: {waited}; other edits in flight per edit: median "
          f"{statistics.median(overlap(e, edits) for e in edits)}, max {max(overlap(e, edits) for e in edits)}")
    if res["failed"]:
        print(f"FAILED edits ({len(res['failed'])}): " + "; ".join(res["failed"]))
    print(f"CPU over the phase: server tree {res['cpu_server']:.0f} s, Chromium {res['cpu_chromium']:.0f} s "
          f"({(res['cpu_server'] + res['cpu_chromium']) / res['wall']:.2f} CPUs busy of 2)")
    print(f"peak RSS: server alone {res['server_hwm'] / 2**30:.2f} GiB (VmHWM), with its children (up to "
          f"{res['max_children']}; sum sampled every 0.2 s) {res['peak_tree'] / 2**30:.2f} GiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=8, help="simultaneous sessions")
    ap.add_argument("--edits", type=int, default=5, help="timed edits per session")
    ap.add_argument("--interval", type=float, default=4.0, help="seconds from one edit's start to the next one's")
    ap.add_argument("--single-edits", type=int, default=5, help="timed edits of the single-user run")
    ap.add_argument("--modes", default="pool,in-process", help="comma-separated: pool, in-process")
    ap.add_argument("--shots", type=Path, default=None, help="save a screenshot of a failed edit's page here")
    ap.add_argument("--datasets", default=",".join(CYCLE), help="the sessions' datasets, comma-separated, cycled")
    ap.add_argument("--idle-browsers", action="store_true",
                    help="run Chromium in the SCHED_IDLE class (chrt): the server first, as if the browsers ran on "
                         "the users' own machines")
    args = ap.parse_args()
    from core.spaces.zoo import Zoo

    sizes = {d: Zoo(d).collection().n_samples for d in set(args.datasets.split(",")) | {"digits"}}
    numba_dir = Path(tempfile.mkdtemp(prefix="stitchboard-bench-numba-"))
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    results = {}
    try:
        for i, mode in enumerate(args.modes.split(",")):
            results[mode] = asyncio.run(run_mode(mode, args, sizes, numba_dir, base_seed=1000 + 10_000 * i))
    finally:
        shutil.rmtree(numba_dir, ignore_errors=True)
    for res in results.values():
        report(res)
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for mode, res in results.items():
        dig = [e["final"] for e in res["edits"] if e["dataset"] == "digits"]
        if dig:
            s = statistics.median(res["single"])
            print(f"{mode}: digits p95 with {args.users} users {p95(dig):.2f} s (target <= {TARGET_P95_S} s: {'met' if p95(dig) <= TARGET_P95_S else 'NOT met'}); "
                  f"median {statistics.median(dig) / s:.2f}x the single-user median ({s:.2f} s)")
    if {"pool", "in-process"} <= set(results):
        a, b = results["pool"], results["in-process"]
        da = [e["final"] for e in a["edits"] if e["dataset"] == "digits"]
        db = [e["final"] for e in b["edits"] if e["dataset"] == "digits"]
        print(f"pool / in-process, digits under load: median {statistics.median(da) / statistics.median(db):.2f}x, "
              f"p95 {p95(da) / p95(db):.2f}x; single user {statistics.median(a['single']) / statistics.median(b['single']):.2f}x; "
              f"peak RSS with children {a['peak_tree'] / b['peak_tree']:.2f}x")


if __name__ == "__main__":
    main()
