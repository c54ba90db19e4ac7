"""What one anchor edit costs each process: Chromium's renderer and GPU process, the server and its workers.

One headless Chromium page on Explore (digits), a fresh ``python -m dashboard.server`` with an
empty disk cache. An edit is what ``bench_many_users.py`` times: type a seed, press *random*,
wait until both relative maps show the new anchors' points. The first edit of a server is
not counted (its first layout); then ``--edits`` edits, each measured from just before
the seed is typed to 1.5 s after the maps are final (what the page still draws then counts):

- CPU seconds of Chromium's renderer, its GPU process (software compositing and WebGL here)
  and the rest of Chromium; of the server and its workers; and of Playwright's driver;
- the renderer's own task time (``Performance.getMetrics``: all its main-thread tasks);
- click -> maps final (s).

With ``--baseline-root`` (another checkout, e.g. a ``git archive`` of an older commit) the
two trees run alternately, ``--runs`` servers each, and the medians are printed as ratios
(this tree / baseline): the same machine, load and browser for both.

    python benchmarks/bench_edit_cost.py [--edits 5] [--runs 2] [--baseline-root DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_first_paint import ARGS, CHROMIUM, start_server, stop_server  # noqa: E402
from bench_many_users import edit, open_explore, process_cpu  # noqa: E402

DIGITS = 1797
FIELDS = ("renderer", "gpu", "chromium_other", "server", "driver", "task", "final")


def chromium_cpu(server_pids: set) -> collections.Counter:
    """CPU seconds so far of this script's children (Chromium's processes by type, Playwright's driver)."""
    out: collections.Counter = collections.Counter()
    for p in psutil.Process().children(recursive=True):
        if p.pid in server_pids:
            continue
        try:
            cmd = " ".join(p.cmdline())
        except psutil.Error:
            continue
        kind = ("renderer" if "--type=renderer" in cmd else "gpu" if "--type=gpu" in cmd
                else "chromium_other" if "chrom" in cmd else "driver")
        out[kind] += process_cpu(p)
    return out


async def one_server(root: Path, edits: int, seed0: int) -> list[dict]:
    from playwright.async_api import async_playwright

    tmp = Path(tempfile.mkdtemp(prefix="stitchboard-bench-edit-cost-"))
    env = dict(os.environ, STITCHBOARD_CACHE_DIR=str(tmp / "cache"))
    proc, url = start_server(env, plain=False, log=open(tmp / "server.log", "w"), root=root)
    server = psutil.Process(proc.pid)
    rows = []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=ARGS)
            ctx, page = await open_explore(browser, url, "digits")
            cdp = await ctx.new_cdp_session(page)
            await cdp.send("Performance.enable")

            async def task_s() -> float:
                return next(m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]
                            if m["name"] == "TaskDuration")

            await edit(page, seed0, DIGITS)  # the first layout of this server: not counted
            for k in range(edits):
                tree = [server, *server.children(recursive=True)]
                pids = {q.pid for q in tree}
                c0, s0, t0 = chromium_cpu(pids), sum(map(process_cpu, tree)), await task_s()
                marks = await edit(page, seed0 + 1 + k, DIGITS)
                await asyncio.sleep(1.5)  # what the page still draws after the maps are final
                tree = [server, *server.children(recursive=True)]
                c1, s1, t1 = chromium_cpu({q.pid for q in tree}), sum(map(process_cpu, tree)), await task_s()
                row = {f: c1[f] - c0[f] for f in ("renderer", "gpu", "chromium_other", "driver")}
                row.update(server=s1 - s0, task=t1 - t0, final=marks["final"])
                rows.append(row)
            await browser.close()
    finally:
        stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def summary(rows: list[dict]) -> dict:
    return {f: statistics.median(r[f] for r in rows) for f in FIELDS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=5, help="measured edits per server")
    ap.add_argument("--runs", type=int, default=2, help="servers per tree (alternated with the baseline's)")
    ap.add_argument("--baseline-root", type=Path, default=None, help="another checkout to compare with")
    args = ap.parse_args()
    trees = {"this tree": ROOT}
    if args.baseline_root is not None:
        trees["baseline"] = args.baseline_root.resolve()
    got: dict = {name: [] for name in trees}
    for run in range(args.runs):
        for name, root in trees.items():
            rows = asyncio.run(one_server(root, args.edits, seed0=100 * (run + 1)))
            got[name] += rows
            med = summary(rows)
            print(f"run {run + 1}, {name} ({root}): " + ", ".join(f"{f} {med[f]:.3f}" for f in FIELDS), flush=True)
    print(f"\nmedians over {args.runs} x {args.edits} edits on digits (CPU-s per edit; task and final in s):")
    meds = {name: summary(rows) for name, rows in got.items()}
    print(f"{'':12s}" + "".join(f"{f:>15s}" for f in FIELDS))
    for name, med in meds.items():
        print(f"{name:12s}" + "".join(f"{med[f]:15.3f}" for f in FIELDS))
    if "baseline" in meds:
        ratio = {f: meds["this tree"][f] / meds["baseline"][f] if meds["baseline"][f] else float("nan") for f in FIELDS}
        print(f"{'ratio':12s}" + "".join(f"{ratio[f]:14.2f}x" for f in FIELDS))
        chromium = [sum(m[f] for f in ("renderer", "gpu", "chromium_other")) for m in (meds["this tree"], meds["baseline"])]
        print(f"Chromium in all: {chromium[0]:.3f} against {chromium[1]:.3f} CPU-s per edit "
              f"({chromium[0] / chromium[1]:.2f}x)")


if __name__ == "__main__":
    main()
