"""Beyond one machine: the relative projection on a Dask cluster vs the local path.

Runs :func:`core.io.distributed.relative_projection_dask` on a ``distributed.LocalCluster``
(``--workers`` processes, one thread each) over a dask.array of N x D float32 rows in
blocks, writes nothing, and compares with :func:`core.methods.relative.relative_projection` in
this process: the largest absolute difference (should be ~1e-7) and the wall time of
each. On one 2-core machine the cluster cannot be faster than the local GEMM (the
blocks travel between processes); the point is that the same code runs where the data
are, on as many machines as the cluster has. How to point it at a real cluster: see
``core/io/distributed.py`` and docs/large-data.md.

    python benchmarks/bench_dask.py [--n 1000000] [--dims 384] [--anchors 300] [--workers 2]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--anchors", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--block-rows", type=int, default=100_000)
    args = ap.parse_args()
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    from core.io.distributed import relative_projection_dask
    from core.methods.relative import relative_projection

    rng = np.random.default_rng(0)
    A = rng.standard_normal((args.anchors, args.dims), dtype=np.float32)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        # the rows are generated on the workers, block by block: nothing of X goes through the client
        X = da.random.default_rng(1).standard_normal((args.n, args.dims), chunks=(args.block_rows, args.dims),
                                                      dtype=np.float32)
        t = time.perf_counter()
        R = relative_projection_dask(X, A).compute()
        t_dask = time.perf_counter() - t
        n_workers = len(client.scheduler_info()["workers"])
        X_local = X.compute()
    t = time.perf_counter()
    R_local = relative_projection(X_local, A)
    t_local = time.perf_counter() - t
    t = time.perf_counter()
    _ = X_local @ A.T
    t_gemm = time.perf_counter() - t
    diff = float(np.abs(R - R_local).max())
    print(f"{args.n:,} x {args.dims} float32, {args.anchors} anchors, {args.block_rows:,}-row blocks")
    print(f"Dask LocalCluster, {n_workers} worker processes: {t_dask:6.2f} s ({args.n / t_dask:,.0f} rows/s, "
          f"including result transfer to the client)")
    print(f"local relative_projection:               {t_local:6.2f} s ({args.n / t_local:,.0f} rows/s); "
          f"bare GEMM {t_gemm:.2f} s")
    print(f"cluster / local: {t_dask / t_local:.2f}x; max |difference| {diff:.2e} "
          f"({'equal to 1e-5' if diff <= 1e-5 else 'NOT equal'})")


if __name__ == "__main__":
    main()
