"""Per-sample agreement at scale, and the Compare page's k step, against same-run baselines.

1. ``sample_agreement`` (all four columns: relative and absolute cosine and kNN overlap@10)
   of a clustered pair of ``--n`` rows (384 and 256 dims, 100 anchors), with the neighbour
   lists from the inverted-file index (the default above ~7k rows) against the exact
   blocked search, and the overlaps' agreement between the two (the IVF's price).
2. The Compare page's k step on digits (mlp-s0 vs mlp-s1, 100 anchors): Jaccard@k and
   mutual kNN@k from neighbour lists computed once (what the page does now) against
   ``compare_spaces(..., metrics=["jaccard", "mutual_knn"], k=k)`` per k, and against the
   whole ``compare_spaces`` per k (the page before), over k = 5..14.

    python benchmarks/bench_agreement.py [--n 100000] [--exact-n 20000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's core, not an installed one

from core.methods import agreement as ag  # noqa: E402
from core.methods.metrics import compare_spaces  # noqa: E402
from core.spaces.latent_space import LatentSpace  # noqa: E402


def pair(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(30, 16))
    Z = (centres[rng.integers(0, 30, n)] + 0.5 * rng.normal(size=(n, 16))).astype(np.float32)
    ids = np.arange(n)
    spaces = []
    for d in (384, 256):
        X = np.tanh(Z @ rng.normal(size=(16, d)).astype(np.float32)) + 0.1 * rng.normal(size=(n, d)).astype(np.float32)
        spaces.append(LatentSpace(X.astype(np.float32), ids, name=f"{d}d"))
    return spaces, list(range(0, n, n // 100))[:100]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def scale(n: int, exact_n: int) -> None:
    (A, B), anchors = pair(n)
    df, t_ivf = timed(lambda: ag.sample_agreement(A, B, anchors, k=10))
    print(f"1. sample_agreement, {n:,} rows, auto (IVF): {t_ivf:.1f} s; medians "
          + ", ".join(f"{c} {df[c].median():.3f}" for c in df.columns if df[c].notna().any()))
    (A, B), anchors = pair(exact_n)
    ivf, t_ivf = timed(lambda: ag.sample_agreement(A, B, anchors, k=10, method="ivf"))
    exact, t_exact = timed(lambda: ag.sample_agreement(A, B, anchors, k=10, method="exact"))
    diff = {c: float(np.abs(ivf[c] - exact[c]).mean()) for c in ("relative_overlap", "absolute_overlap")}
    print(f"   {exact_n:,} rows: IVF {t_ivf:.1f} s vs exact {t_exact:.1f} s (x{t_exact / t_ivf:.1f}); mean |overlap "
          f"IVF - exact|: relative {diff['relative_overlap']:.3f}, absolute {diff['absolute_overlap']:.3f}")


def k_steps() -> None:
    from core.methods.relative import relative_projection
    from core.spaces.zoo import Zoo

    coll = Zoo("digits").collection()
    A, B = coll.spaces["mlp-s0"], coll.spaces["mlp-s1"]
    anchors = [i for i in coll.ids[coll.split == "train"][:100]]
    RA, RB = relative_projection(A.vectors, A.take(anchors)), relative_projection(B.vectors, B.take(anchors))
    ks = range(5, 15)

    def from_lists():
        lists = {kind: (ag.neighbour_lists(X, k=50), ag.neighbour_lists(Y, k=50), ag.cross_neighbour_lists(X, Y, k=50))
                 for kind, (X, Y) in (("absolute", (A.vectors, B.vectors)), ("relative", (RA, RB)))}
        once = time.perf_counter()
        for k in ks:
            for NA, NB, L in lists.values():
                ag.neighbourhood_overlap(NA, NB, k=k).mean(), ag.cross_jaccard(L, NB, k=k).mean()
        return time.perf_counter() - once

    per_step_lists, t_lists = timed(from_lists)
    _, t_k = timed(lambda: [compare_spaces(X, Y, k=k, metrics=["jaccard", "mutual_knn"])
                            for k in ks for X, Y in ((A.vectors, B.vectors), (RA, RB))])
    _, t_all = timed(lambda: [compare_spaces(X, Y, k=k) for k in ks for X, Y in ((A.vectors, B.vectors), (RA, RB))])
    n = len(ks)
    print(f"2. k step on digits (absolute + relative): lists once {t_lists - per_step_lists:.2f} s, then "
          f"{1000 * per_step_lists / n:.1f} ms per k; compare_spaces(jaccard, mutual_knn) {t_k / n:.2f} s per k "
          f"(x{t_k / per_step_lists:.0f}); every metric per k (the page before) {t_all / n:.2f} s per k "
          f"(x{t_all / per_step_lists:.0f})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--exact-n", type=int, default=20_000)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    scale(args.n, args.exact_n)
    k_steps()
    print(f"load average {os.getloadavg()[0]:.1f}")
