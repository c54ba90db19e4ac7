"""Streaming CLI: ``stitchboard relative`` on a file far larger than the chunks.

Generates the input here, in a temporary folder (deleted afterwards unless --keep): a
ROWS x DIMS float32 .npy (10M x 384 = 15.4 GB by default) and a JSON list of anchor
row numbers. Checks the free disk space first and, when input + output do not fit,
uses the largest multiple of 1M rows that does, and says so.

Then, in a subprocess (``python -m core.cli relative ...`` from this checkout), with the
input dropped from the page cache first (a cold read):
- wall time and rows/s, its peak RSS (the child's own ``VmHWM``: its ``ru_maxrss`` would
  also count this script's peak, which Linux carries over ``exec``), target <= 2 GB;
- the GEMM rate of the same shapes in memory (``X @ A.T`` on one chunk, the faster of
  numpy and torch, median of 5) and the streamed rate as a fraction of it;
- the disk traffic rate, and how long flushing the output to disk took afterwards;
- 1,000 random output rows checked against ``relative_projection`` in memory.
Then parquet runs (an ``id`` column and a list column ``embedding`` in, written in row
groups of 131,072 rows as an embedding job would; parquet out), one per
``--parquet-rows`` value, each cold: rows/s, fraction of the GEMM rate, peak RSS (same
target) and 1,000 random rows checked. Several values show whether the peak grows with
the number of rows; ``--parquet-only`` skips the ``.npy`` run.

    python benchmarks/bench_streaming.py [--rows 10000000] [--dims 384] [--anchors 300]
                                         [--parquet-rows 1000000 [3000000 ...]] [--parquet-only]
                                         [--dir /tmp] [--keep]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's core, not an installed one

from core.methods.relative import relative_projection  # noqa: E402

GB = 1e9


def write_npy(path, n, d, *, chunk=262_144, seed=0):
    """A float32 (n, d) .npy written chunk by chunk (the generator never holds it all)."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": (n, d)})
        for s in range(0, n, chunk):
            m = min(chunk, n - s)
            rng.standard_normal((m, d), dtype=np.float32).tofile(fh)
        fh.flush()
        os.fsync(fh.fileno())


def write_parquet(path, n, d, *, chunk=131_072, seed=1):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema([("id", pa.int64()), ("embedding", pa.list_(pa.float32(), d))])
    with pq.ParquetWriter(path, schema, use_dictionary=["id"], write_statistics=["id"]) as w:  # as an embedding job would
        for s in range(0, n, chunk):
            m = min(chunk, n - s)
            v = rng.standard_normal(m * d, dtype=np.float32)
            w.write_table(pa.table({"id": np.arange(s, s + m), "embedding": pa.FixedSizeListArray.from_arrays(pa.array(v), d)},
                                   schema=schema))


def drop_cache(path):
    """Evict a file from the page cache, so the run reads it from disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def gemm_rows_per_s(d, k, rows=65_536):
    import torch

    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, d), dtype=np.float32)
    A = rng.standard_normal((k, d), dtype=np.float32)
    Xt, At = torch.from_numpy(X), torch.from_numpy(A)
    best = []
    for f in (lambda: X @ A.T, lambda: Xt @ At.T):
        ts = []
        for _ in range(5):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        best.append(statistics.median(ts))
    return rows / min(best)


_CHILD = (  # VmHWM: this process's peak; ru_maxrss would include the parent's peak at fork
    "import json, resource, sys\n"
    "from core.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "try:\n"
    "    kb = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "except (OSError, StopIteration):\n"
    "    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(json.dumps({'maxrss_kb': kb}), file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def run_cli(args, env):
    """``stitchboard relative ARGS`` in a fresh process: wall time, its own peak RSS, its summary."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, "relative", *args, "--quiet", "--format", "json"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"stitchboard relative failed ({proc.returncode}):\n{proc.stderr}")
    rss = json.loads(proc.stderr.strip().splitlines()[-1])["maxrss_kb"] * 1024
    return wall, rss, json.loads(proc.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--anchors", type=int, default=300)
    ap.add_argument("--parquet-rows", type=int, nargs="*", default=[1_000_000])
    ap.add_argument("--parquet-only", action="store_true", help="skip the .npy run")
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    d, k = args.dims, args.anchors
    row_bytes = 4 * (d + k)
    free = shutil.disk_usage(args.dir).free
    margin = 5 * GB  # left for everyone else on the machine
    rows = 0 if args.parquet_only else args.rows
    if rows * row_bytes > free - margin:
        fit = int((free - margin) // row_bytes) // 1_000_000 * 1_000_000
        print(f"NOTE: {rows:,} rows need {rows * row_bytes / GB:.1f} GB (in + out) but {args.dir} has "
              f"{free / GB:.1f} GB free (keeping {margin / GB:.0f} GB): using {fit:,} rows instead")
        rows = fit
    print(f"disk: {free / GB:.1f} GB free in {args.dir}; the .npy run writes {rows * row_bytes / GB:.1f} GB; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix="stitchboard-bench-", dir=args.dir))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        gemm = gemm_rows_per_s(d, k)
        if rows:
            run_npy(tmp, rows, d, k, gemm, env)
        for n in args.parquet_rows:
            run_parquet(tmp, n, d, k, gemm, env)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run_npy(tmp, rows, d, k, gemm, env):
    """``.npy`` -> ``.npy`` on ``rows`` generated rows, cold."""
    src, dst = tmp / "X.npy", tmp / "R.npy"
    t = time.perf_counter()
    write_npy(src, rows, d)
    print(f"generated {src.name}: {rows:,} x {d} float32, {src.stat().st_size / GB:.1f} GB in {time.perf_counter() - t:.0f} s")
    ids = sorted(np.random.default_rng(0).choice(rows, k, replace=False).tolist())
    (tmp / "anchors.json").write_text(json.dumps(ids))
    drop_cache(src)
    wall, rss, summary = run_cli(["--anchors", str(tmp / "anchors.json"), str(src), str(dst)], env)
    t = time.perf_counter()
    drop_cache(dst)  # fsync: the output reaches the disk
    flush = time.perf_counter() - t
    rate = rows / wall
    traffic = (src.stat().st_size + dst.stat().st_size) / wall
    print(f"npy -> npy: {rows:,} rows in {wall:.1f} s = {rate:,.0f} rows/s; peak RSS {rss / GB:.2f} GB "
          f"(target <= 2 GB: {'met' if rss <= 2 * GB else 'NOT met'}); disk traffic {traffic / GB:.2f} GB/s; "
          f"flushing the output to disk afterwards: {flush:.1f} s")
    print(f"GEMM alone, same shapes in memory: {gemm:,.0f} rows/s -> streaming runs at {rate / gemm:.1%} of the GEMM rate "
          f"(load average {os.getloadavg()[0]:.1f})")
    X = np.load(src, mmap_mode="r", allow_pickle=False)
    R = np.load(dst, mmap_mode="r", allow_pickle=False)
    check = np.sort(np.random.default_rng(1).choice(rows, 1000, replace=False))
    err = np.abs(R[check] - relative_projection(np.asarray(X[check]), np.asarray(X[ids]))).max()
    print(f"check: 1,000 random rows equal the in-memory relative_projection (max |diff| {err:.1e})")
    assert err < 1e-5 and summary["rows"] == rows
    del X, R
    src.unlink()
    dst.unlink()


def run_parquet(tmp, n, d, k, gemm, env):
    """parquet (id + list column) -> parquet on ``n`` generated rows, cold."""
    import pyarrow.parquet as pq

    need = n * (4 * (d + k) + 16) * 1.05
    free = shutil.disk_usage(tmp).free
    if need > free - 5 * GB:
        print(f"NOTE: parquet at {n:,} rows needs about {need / GB:.1f} GB but {tmp} has {free / GB:.1f} GB free: skipped")
        return
    p_src, p_dst = tmp / "X.parquet", tmp / "R.parquet"
    t = time.perf_counter()
    write_parquet(p_src, n, d)
    print(f"generated {p_src.name}: {n:,} x {d} float32, {p_src.stat().st_size / GB:.1f} GB in {time.perf_counter() - t:.0f} s")
    p_ids = sorted(np.random.default_rng(2).choice(n, k, replace=False).tolist())  # values of the id column
    (tmp / "anchors.json").write_text(json.dumps(p_ids))
    drop_cache(p_src)
    wall, rss, summary = run_cli(["--anchors", str(tmp / "anchors.json"), str(p_src), str(p_dst)], env)
    drop_cache(p_dst)
    print(f"parquet -> parquet: {n:,} rows ({p_src.stat().st_size / GB:.1f} GB in, {p_dst.stat().st_size / GB:.1f} GB out) "
          f"in {wall:.1f} s = {n / wall:,.0f} rows/s, {n / wall / gemm:.1%} of the GEMM rate; peak RSS {rss / GB:.2f} GB "
          f"(target <= 2 GB: {'met' if rss <= 2 * GB else 'NOT met'}; load average {os.getloadavg()[0]:.1f})")
    check = np.sort(np.random.default_rng(1).choice(n, 1000, replace=False))
    pf_in, pf_out = pq.ParquetFile(p_src, pre_buffer=False), pq.ParquetFile(p_dst, pre_buffer=False)
    X = _parquet_rows(pf_in, "embedding", np.concatenate([check, p_ids]))  # ids are row numbers here
    R = _parquet_rows(pf_out, "relative", check)
    err = np.abs(R - relative_projection(X[: len(check)], X[len(check):])).max()
    print(f"check: 1,000 random rows equal the in-memory relative_projection (max |diff| {err:.1e})")
    assert err < 1e-5 and summary["rows"] == n
    p_src.unlink()
    p_dst.unlink()


def _parquet_rows(pf, column, rows):
    """Rows ``rows`` (any order) of a list column, reading one record batch at a time."""
    order = np.argsort(rows)
    out = np.empty((len(rows), pf.schema_arrow.field(column).type.list_size), dtype=np.float32)
    start = 0
    for batch in pf.iter_batches(batch_size=65_536, columns=[column]):
        stop = start + len(batch)
        lo, hi = np.searchsorted(rows[order], [start, stop])
        if hi > lo:
            sel = order[lo:hi]
            vals = batch.column(0).flatten().to_numpy().reshape(len(batch), -1)
            out[sel] = vals[rows[sel] - start]
        start = stop
    return out


if __name__ == "__main__":
    main()
