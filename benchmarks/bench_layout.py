"""Anchor edit -> both relative maps redrawn (digits, 1,797 points per map).

Our path: A's relative vectors laid out by UMAP warm-started from A's absolute map
(40 epochs, exact distances passed as ``metric="precomputed"``), B placed in A's frame
with the same fitted reducer. Baseline, in the same process: a default umap-learn refit
(``umap.UMAP()`` on the raw relative vectors) for each of the two maps. JIT is warmed
up before timing. Stability: class-centroid drift between consecutive edits (after
Procrustes alignment), ours vs the cold refit.

    python benchmarks/bench_layout.py [--edits 5]
"""

import argparse
import statistics
import time
import warnings

import numpy as np

from core import relative_projection, select_anchors
from core.maps.layout import align_layout, compute_layout, layout_pair
from core.spaces.zoo import Zoo


def centroid_drift(L, R, y):
    L = align_layout(L, R)
    ks = np.unique(y)
    c1 = np.array([L[y == k].mean(0) for k in ks])
    c0 = np.array([R[y == k].mean(0) for k in ks])
    return float(np.linalg.norm(c1 - c0, axis=1).mean() / np.linalg.norm(R - R.mean(0), axis=1).mean())


def main():
    import umap

    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--a", default="mlp-s0")
    ap.add_argument("--b", default="mlp-s1")
    args = ap.parse_args()
    zoo = Zoo("digits")
    tr, al = zoo.spaces("train"), zoo.spaces("all")
    y = al[args.a].labels
    t = time.perf_counter()
    ref, _, _ = layout_pair(al[args.a].vectors, al[args.b].vectors)  # also warms up the JIT
    print(f"absolute map of A (first UMAP in this process, JIT included): {time.perf_counter() - t:.1f} s")
    umap.UMAP().fit_transform(al[args.a].vectors[:300])  # warm the default path's JIT too

    ours, base, d_ours, d_base = [], [], [], []
    prev = None
    for seed in range(args.edits):
        ids = select_anchors(tr[args.a], 100, random_state=seed)
        RA = relative_projection(al[args.a].vectors, tr[args.a].take(ids))
        RB = relative_projection(al[args.b].vectors, tr[args.b].take(ids))
        t = time.perf_counter()
        LA, LB, _ = layout_pair(RA, RB, init=ref, reference=ref)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        CA = umap.UMAP().fit_transform(RA)
        CB = umap.UMAP().fit_transform(RB)
        base.append(time.perf_counter() - t)
        if prev is not None:
            d_ours.append(centroid_drift(LA, prev[0], y))
            d_base.append(centroid_drift(CA, prev[1], y))
        prev = (LA, CA)
        print(f"  edit {seed}: ours {ours[-1]:.2f} s, default umap-learn refit {base[-1]:.2f} s")
    mo, mb = statistics.median(ours), statistics.median(base)
    print(f"median: ours {mo:.2f} s, default refit {mb:.2f} s, speed-up {mb / mo:.1f}x "
          f"(targets: <= 1.5 s: {'met' if mo <= 1.5 else 'NOT met'}; >= 4x: {'met' if mb / mo >= 4 else 'NOT met'})")
    print(f"cluster drift between consecutive edits: ours {np.mean(d_ours):.3f}, default refit {np.mean(d_base):.3f}")


if __name__ == "__main__":
    main()
