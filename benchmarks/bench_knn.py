"""kNN graphs for the large-map UMAP: ours (numpy exact and IVF) against scikit-learn and pynndescent.

The two searches a 100k-point map needs (``core.maps.layout``): the kNN graph of the
20,000 landmark rows (each row among the others, itself first), and the neighbours of
100,000 other rows among the landmarks. Cosine, k=15, on ``bench_scale.make_pair``'s
clustered 384-d vectors.

Each candidate runs in a fresh Python process, as a dashboard server does after a start,
and its time includes importing the library (and numba's compilation for pynndescent):

- ours: ``KnnIndex(method="ivf")`` (the default above 7k rows) and ``method="exact"``;
- scikit-learn: ``NearestNeighbors(metric="cosine", algorithm="brute")`` (exact);
- pynndescent: ``NNDescent`` with UMAP's settings (trees, iterations, ``low_memory``),
  its ``neighbor_graph`` and ``query``, once with an empty ``NUMBA_CACHE_DIR`` (a first
  start: everything compiled) and once more with the cache that run filled (warm).

Recall@15 is measured against the exact neighbours (float64) of 1,000 sampled rows of
each search. The exact candidates run first, so the machine's load is printed per run.

    python benchmarks/bench_knn.py [--n 20000] [--queries 100000] [--dims 384] [--latent 16] [--clusters 30] [--skip ours-exact,sklearn]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's core, not an installed one
K = 15


def _run(candidate: str, data: str, out: str) -> dict:
    """In the child process: import, index, graph, queries; the results saved to ``out``."""
    t0 = time.perf_counter()
    X = np.load(data, mmap_mode="r")
    n = int(os.environ["BENCH_KNN_N"])
    XI, XQ = np.ascontiguousarray(X[:n]), np.ascontiguousarray(X[n:])
    times = {}
    t = time.perf_counter()
    if candidate in ("ours-ivf", "ours-exact"):
        from core.methods.neighbours import KnnIndex

        times["import"] = time.perf_counter() - t
        t = time.perf_counter()
        ix = KnnIndex(XI, method=candidate.split("-")[1], random_state=0)
        G = ix.query(n_neighbors=K)[0]
        times["graph"] = time.perf_counter() - t
        t = time.perf_counter()
        Q = ix.query(XQ, n_neighbors=K)[0]
    elif candidate == "sklearn":
        from sklearn.neighbors import NearestNeighbors

        times["import"] = time.perf_counter() - t
        t = time.perf_counter()
        nn = NearestNeighbors(n_neighbors=K, metric="cosine", algorithm="brute").fit(XI)
        G = nn.kneighbors(XI, return_distance=False)
        times["graph"] = time.perf_counter() - t
        t = time.perf_counter()
        Q = nn.kneighbors(XQ, return_distance=False)
    else:  # pynndescent, as umap-learn calls it
        from pynndescent import NNDescent

        times["import"] = time.perf_counter() - t
        t = time.perf_counter()
        index = NNDescent(XI, metric="cosine", n_neighbors=K, random_state=0, low_memory=True, max_candidates=60,
                          n_trees=min(64, 5 + int(round(len(XI) ** 0.5 / 20.0))),
                          n_iters=max(5, int(round(np.log2(len(XI))))), verbose=False)
        G = index.neighbor_graph[0]
        times["graph"] = time.perf_counter() - t
        t = time.perf_counter()
        Q = index.query(XQ, k=K)[0]
    times["queries"] = time.perf_counter() - t
    times["process"] = time.perf_counter() - t0
    np.savez(out, graph=np.asarray(G, np.int64), queries=np.asarray(Q, np.int64))
    return times


def _exact(XI, rows, k):
    """Exact cosine neighbours (float64) of ``rows`` among ``XI``."""
    U = XI / np.linalg.norm(XI, axis=1, keepdims=True)
    R = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    S = R.astype(np.float64) @ U.T.astype(np.float64)
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def _recall(found, exact) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--latent", type=int, default=16, help="intrinsic dims of the data (more: a harder search)")
    ap.add_argument("--clusters", type=int, default=30, help="clusters in the data (1: one blob, the hardest for IVF)")
    ap.add_argument("--skip", default="", help="comma-separated candidates to leave out")
    ap.add_argument("--run", nargs=3, help=argparse.SUPPRESS)  # child: candidate, data file, result file
    args = ap.parse_args()
    if args.run:
        print(json.dumps(_run(*args.run)))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_scale import make_pair

    X = make_pair(args.n + args.queries, args.dims, latent=args.latent, n_clusters=args.clusters)[0]
    print(f"machine: {os.cpu_count()} CPUs; {args.n:,} landmark rows and {args.queries:,} queries x {args.dims} "
          f"(bench_scale.make_pair, {args.clusters} clusters in {args.latent} latent dims), cosine, k={K}")
    rng = np.random.default_rng(1)
    g_rows = rng.choice(args.n, 1000, replace=False)
    q_rows = rng.choice(args.queries, 1000, replace=False)
    XI = X[: args.n]
    exact_g, exact_q = _exact(XI, XI[g_rows], K), _exact(XI, X[args.n :][q_rows], K)
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "X.npy")
        np.save(data, X)
        numba_cache = os.path.join(tmp, "numba")
        runs = [("ours-exact", None), ("sklearn", None), ("ours-ivf", None),
                ("pynndescent", "cold"), ("pynndescent", "warm"), ("ours-ivf", None)]
        for cand, cache in runs:
            if cand in skip:
                continue
            env = {**os.environ, "BENCH_KNN_N": str(args.n), "NUMBA_CACHE_DIR": numba_cache}
            out = os.path.join(tmp, f"{cand}.npz")
            load = os.getloadavg()[0]
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--run", cand, data, out], env=env, capture_output=True,
                                  text=True)
            wall = time.perf_counter() - t
            if proc.returncode:
                print(f"{cand}: failed\n{proc.stderr[-2000:]}")
                continue
            times = json.loads(proc.stdout.strip().splitlines()[-1])
            res = np.load(out)
            label = cand + (f" ({cache} numba cache)" if cache else "")
            print(f"{label:30s} graph {times['graph']:6.1f} s, recall {_recall(res['graph'][g_rows], exact_g):.3f} | "
                  f"queries {times['queries']:6.1f} s, recall {_recall(res['queries'][q_rows], exact_q):.3f} | "
                  f"import {times['import']:4.1f} s | fresh process {wall:6.1f} s wall | load {load:.1f}", flush=True)


if __name__ == "__main__":
    main()
