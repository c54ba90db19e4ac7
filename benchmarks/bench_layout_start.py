"""First digits map in a fresh process, with numba's disk cache cold and warm; pool vs in-process.

Each case runs in a new Python process with ``NUMBA_CACHE_DIR`` set to a folder that is
empty (cold: umap and pynndescent compile everything) or filled by the run before
(warm). It loads the digits zoo and computes the absolute UMAP pair of two encoders
(``layout_pair``, B in A's frame) at once:

- ``in-process``: in that process, as a library user does;
- ``pool``: through ``core.maps.layout_jobs.layout_pair_in_worker``, with the pool's
  warm-up started when the process starts, as the dashboard does (skipped on a checkout
  without the pool).

It prints the time from the process start to the first map, and the layout call alone.
Then, in the warm pool process, the steady state: the same pair in a pool worker vs in
that process (medians of ``--repeat``).

    python benchmarks/bench_layout_start.py [--root CHECKOUT] [--runs 2] [--repeat 5]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, statistics, sys, time, warnings
t0 = time.perf_counter()
warnings.simplefilter("ignore")
mode, repeat = sys.argv[1], int(sys.argv[2])
pool = None
if mode == "pool":
    from core.maps.layout_jobs import layout_pair_in_worker, warm_up
    pool = warm_up()
from core.maps.layout import layout_pair
from core.spaces.zoo import Zoo
al = Zoo("digits").spaces("all")
A, B = al["mlp-s0"].vectors, al["mlp-s1"].vectors
t = time.perf_counter()
(layout_pair_in_worker if pool else layout_pair)(A, B)
out = {"first_map_s": time.perf_counter() - t0, "call_s": time.perf_counter() - t}
if pool is not None and repeat:
    while pool.status()["warm"] < pool.workers:
        time.sleep(0.1)
    layout_pair(A, B)  # this process's own first UMAP (compilation) is not part of the steady state
    here, there = [], []
    for _ in range(repeat):
        t = time.perf_counter(); layout_pair(A, B); here.append(time.perf_counter() - t)
        t = time.perf_counter(); layout_pair_in_worker(A, B); there.append(time.perf_counter() - t)
    out.update(steady_in_process_s=statistics.median(here), steady_pool_s=statistics.median(there))
print("RESULT " + json.dumps(out))
"""


def run_case(root: Path, mode: str, cache: str, repeat: int, results_cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(root), STITCHBOARD_CACHE_DIR=results_cache)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(repeat)], cwd=root, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{mode} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return {**json.loads(line[7:]), "process_s": wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]), help="the checkout to measure")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    root = Path(args.root).resolve()
    modes = ["in-process"] + (["pool"] if (root / "core" / "maps" / "layout_jobs.py").exists() else [])
    print(f"checkout {root}; load average {os.getloadavg()[0]:.1f}")
    results_cache = tempfile.mkdtemp(prefix="bench-start-cache-")  # the zoo's vectors; maps are not cached by core
    for run in range(args.runs):
        for mode in modes:
            cache = tempfile.mkdtemp(prefix="bench-numba-")
            try:
                for state in ("cold", "warm"):
                    r = run_case(root, mode, cache, args.repeat if state == "warm" else 0, results_cache)
                    extra = ""
                    if "steady_pool_s" in r:
                        extra = (f"; steady state: pool {r['steady_pool_s']:.2f} s, in-process "
                                 f"{r['steady_in_process_s']:.2f} s")
                    print(f"run {run + 1} {mode:10s} numba cache {state}: first map {r['first_map_s']:5.1f} s after "
                          f"the process start (layout call {r['call_s']:5.1f} s){extra}", flush=True)
            finally:
                shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(results_cache, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
