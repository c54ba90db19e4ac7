"""Relative projection (cosine) against the bare GEMM of the same shapes.

The floor is ``X @ A.T`` alone; the naive ``normalize(X) @ normalize(A).T`` is shown
too. Each figure is the best of ``--repeats`` runs, all in this process; the ratio is
against the faster of numpy's and torch's GEMM.

    python benchmarks/bench_relative.py [--repeats 3] [--quick]
"""

import argparse
import time

import numpy as np

from core.relative import relative_projection


def best(f, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--k", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help="skip the 1M-row shapes")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    shapes = [(10_000, 64), (10_000, 384)] + ([] if args.quick else [(1_000_000, 64), (1_000_000, 384)])
    print(f"K={args.k} anchors, float32, torch {torch.__version__}, {torch.get_num_threads()} threads")
    for n, d in shapes:
        X = rng.standard_normal((n, d), dtype=np.float32)
        A = rng.standard_normal((args.k, d), dtype=np.float32)
        r = args.repeats if n > 100_000 else 20 * args.repeats
        g_np = best(lambda: X @ A.T, r)
        Xt, At = torch.from_numpy(X), torch.from_numpy(A)
        g_t = best(lambda: Xt @ At.T, r)
        naive = best(lambda: (X / np.linalg.norm(X, axis=1, keepdims=True)) @ (A / np.linalg.norm(A, axis=1, keepdims=True)).T, r)
        ours = best(lambda: relative_projection(X, A), r)
        floor = min(g_np, g_t)
        print(f"N={n:>9,} D={d:>3}: GEMM numpy {g_np * 1e3:8.1f} ms, torch {g_t * 1e3:8.1f} ms | "
              f"naive {naive / floor:.2f}x | relative_projection {ours * 1e3:8.1f} ms = {ours / floor:.2f}x the GEMM "
              f"({'<= 1.25: met' if ours / floor <= 1.25 else '> 1.25: NOT met'})")


if __name__ == "__main__":
    main()
