"""Anchor edit -> all-pairs stitching matrix, on the bundled digits zoo.

Measures what the dashboard recomputes when the anchors change (the absolute heads do
not depend on the anchors and are reused), for the default closed-form ridge head and,
as the in-process baseline, the logistic-regression head.

    python benchmarks/bench_stitching.py [--repeats 15] [--n-anchors 100]
"""

import argparse
import statistics
import time

import numpy as np

from core import select_anchors, stitching_matrix
from core.methods.stitching import fit_absolute_heads
from core.spaces.zoo import Zoo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--n-anchors", type=int, default=100)
    args = ap.parse_args()
    zoo = Zoo("digits")
    train, test = zoo.spaces("train"), zoo.spaces("test")
    first = next(iter(train.values()))
    print(f"digits zoo: {len(train)} encoders, {args.n_anchors} anchors, {args.repeats} anchor edits (new seed each)")
    results = {}
    for head in ("ridge", "logreg"):
        heads = fit_absolute_heads(train, head=head)
        for modes in (("relative",), ("relative", "translated")):
            times, means = [], []
            for seed in range(args.repeats):
                ids = select_anchors(first, args.n_anchors, random_state=1000 + seed)
                t = time.perf_counter()
                res = stitching_matrix(train, test, ids, modes=modes, head=head, absolute_heads=heads)
                times.append(time.perf_counter() - t)
                means.append(res.stitched_mean("relative"))
            med = statistics.median(times)
            results[(head, modes)] = med
            print(f"  head={head:<6} modes={'+'.join(modes):<20} median {med:.3f} s  (min {min(times):.3f}, max {max(times):.3f})"
                  f"  relative stitched mean {np.mean(means):.3f}")
    for modes in (("relative",), ("relative", "translated")):
        r = results[("logreg", modes)] / results[("ridge", modes)]
        print(f"speed-up of ridge over logreg ({'+'.join(modes)}): {r:.1f}x")
    ok = results[("ridge", ("relative",))] <= 0.25
    print(f"target: median <= 0.25 s for the relative matrix with the default head: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
