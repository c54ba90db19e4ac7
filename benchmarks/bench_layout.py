"""Anchor edit -> both relative maps redrawn (digits, 1,797 points per map): speed and map quality.

Our path: A's relative vectors laid out by UMAP warm-started from A's absolute map
(40 epochs, exact distances passed as ``metric="precomputed"``), B placed in A's frame
with the same fitted reducer; timed in this process and in a warm worker of the pool
(``core.maps.layout_jobs``, what the dashboard uses; skipped on a checkout without it).
Baseline, in the same process: a default umap-learn refit (``umap.UMAP()`` on the raw
relative vectors) for each of the two maps. JIT is warmed up before timing.

Quality: 5-NN class accuracy of each 2-D map (how well the map keeps the classes apart),
and stability: class-centroid drift between consecutive edits (after Procrustes
alignment), ours vs the cold refit.

    python benchmarks/bench_layout.py [--edits 5]
"""

import argparse
import statistics
import time
import warnings

import numpy as np

from core import relative_projection, select_anchors
from core.maps.layout import align_layout, layout_pair
from core.spaces.zoo import Zoo

try:
    from core.maps.layout_jobs import layout_pair_in_worker, warm_up
except ImportError:  # a checkout from before the worker pool
    layout_pair_in_worker = warm_up = None


def centroid_drift(L, R, y):
    L = align_layout(L, R)
    ks = np.unique(y)
    c1 = np.array([L[y == k].mean(0) for k in ks])
    c0 = np.array([R[y == k].mean(0) for k in ks])
    return float(np.linalg.norm(c1 - c0, axis=1).mean() / np.linalg.norm(R - R.mean(0), axis=1).mean())


def knn_accuracy(L, y, k=5):
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return float(cross_val_score(KNeighborsClassifier(k), L, y, cv=5).mean())


def main():
    import umap

    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--a", default="mlp-s0")
    ap.add_argument("--b", default="mlp-s1")
    args = ap.parse_args()
    pool = warm_up() if warm_up is not None else None  # its workers warm up while this process does
    zoo = Zoo("digits")
    tr, al = zoo.spaces("train"), zoo.spaces("all")
    y = al[args.a].labels
    t = time.perf_counter()
    ref, _, _ = layout_pair(al[args.a].vectors, al[args.b].vectors)  # also warms up the JIT
    print(f"absolute map of A (first UMAP in this process, JIT included): {time.perf_counter() - t:.1f} s")
    umap.UMAP().fit_transform(al[args.a].vectors[:300])  # warm the default path's JIT too
    if pool is not None:
        while pool.status()["warm"] < pool.workers:
            time.sleep(0.1)

    ours, pooled, base, d_ours, d_base, q_ours, q_base = [], [], [], [], [], [], []
    prev = None
    for seed in range(args.edits):
        ids = select_anchors(tr[args.a], 100, random_state=seed)
        RA = relative_projection(al[args.a].vectors, tr[args.a].take(ids))
        RB = relative_projection(al[args.b].vectors, tr[args.b].take(ids))
        t = time.perf_counter()
        LA, LB, _ = layout_pair(RA, RB, init=ref, reference=ref)
        ours.append(time.perf_counter() - t)
        if pool is not None:
            t = time.perf_counter()
            layout_pair_in_worker(RA, RB, init=ref, reference=ref)
            pooled.append(time.perf_counter() - t)
        t = time.perf_counter()
        CA = umap.UMAP().fit_transform(RA)
        CB = umap.UMAP().fit_transform(RB)
        base.append(time.perf_counter() - t)
        q_ours += [knn_accuracy(LA, y), knn_accuracy(LB, y)]
        q_base += [knn_accuracy(CA, y), knn_accuracy(CB, y)]
        if prev is not None:
            d_ours.append(centroid_drift(LA, prev[0], y))
            d_base.append(centroid_drift(CA, prev[1], y))
        prev = (LA, CA)
        in_pool = f", in a pool worker {pooled[-1]:.2f} s" if pooled else ""
        print(f"  edit {seed}: ours {ours[-1]:.2f} s{in_pool}, default umap-learn refit {base[-1]:.2f} s")
    mo, mb = statistics.median(ours), statistics.median(base)
    print(f"median: ours {mo:.2f} s, default refit {mb:.2f} s, speed-up {mb / mo:.1f}x "
          f"(targets: <= 1.5 s: {'met' if mo <= 1.5 else 'NOT met'}; >= 4x: {'met' if mb / mo >= 4 else 'NOT met'})")
    if pooled:
        mp = statistics.median(pooled)
        print(f"median in a pool worker: {mp:.2f} s ({mp / mo:.2f}x in-process)")
    print(f"map quality, 5-NN class accuracy of the relative maps: ours {np.mean(q_ours):.3f}, "
          f"default refit {np.mean(q_base):.3f}")
    print(f"cluster drift between consecutive edits: ours {np.mean(d_ours):.3f}, default refit {np.mean(d_base):.3f}")


if __name__ == "__main__":
    main()
