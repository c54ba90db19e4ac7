"""Streaming relative projection: vector files larger than memory, chunk by chunk.

:func:`relative_projection_file` reads ``.npy`` or ``.parquet`` vectors in row chunks
(:mod:`core.io.vector_files`, which describes the accepted layouts), projects each chunk
onto the anchors with the same code path as
:func:`~core.methods.relative.relative_projection` (so the numbers are the same), and writes
the relative vectors chunk by chunk to ``.npy`` or ``.parquet``. Memory stays bounded
by a few chunks whatever the file size: two input and two output chunk buffers (a chunk
is 64 MiB of input rows by default), plus, for parquet, one record batch being decoded.
Reading the next chunk and writing the last one overlap with the computation.
``stitchboard relative`` is its command line.

Inputs
------
- ``.npy``: a 2-D numeric array (C order), never unpickled; ids are the row numbers.
- ``.parquet``: one list column holding each vector, or one numeric column per
  dimension, and an optional id column (else ids are the row numbers); id and label
  columns are copied to a parquet output. Parquet is read with ``pre_buffer=False`` so
  that row groups of any size are streamed page by page, never read whole.

Anchors
-------
Either sample **ids** of the input (``anchor_ids``: looked up in the id column, or
row numbers when the file has none), or anchor **vectors** (``anchor_vectors``, e.g.
the anchors of a reference set in the same space). On parquet, ids cost a pass over
the id column and a read of every row group holding an anchor before streaming starts.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import AnchorError, InvalidInputError, LoadError, MismatchError
from ..methods.relative import check_params, fit_stats, project_rows, result_dtype
from ..methods.similarities import PRODUCT_BLOCKS
from ..validation import as_vectors
from .vector_files import FORMATS, open_source

__all__ = ["relative_projection_file"]

#: Default chunk size in bytes of input rows (64 MiB), bounded to [1,024, 262,144] rows.
_CHUNK_BYTES = 64 * 2**20


def _default_chunk_rows(d: int, dtype) -> int:
    return int(np.clip(_CHUNK_BYTES // max(1, d * np.dtype(dtype).itemsize), 1024, 262144))


# ---------------------------------------------------------------------- writers
class _NpySink:
    def __init__(self, path: Path, n: int, k: int, dtype):
        self.fh = open(path, "wb")
        np.lib.format.write_array_header_1_0(
            self.fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": (n, k)}
        )

    def write(self, R: np.ndarray, passthrough) -> None:
        self.fh.write(memoryview(np.ascontiguousarray(R)).cast("B"))

    def close(self) -> None:
        self.fh.close()


class _ParquetSink:
    def __init__(self, path: Path, k: int, dtype, *, names, layout, passthrough_schema, compress: bool):
        import pyarrow as pa
        import pyarrow.parquet as pq

        value = pa.float32() if np.dtype(dtype) == np.float32 else pa.float64()
        fields = list(passthrough_schema) if passthrough_schema is not None else []
        if layout == "wide":
            fields += [pa.field(c, value, nullable=False) for c in names]
        else:
            fields.append(pa.field("relative", pa.list_(value, k), nullable=False))
        kept = {f.name for f in passthrough_schema or []}
        clash = kept & ({"relative"} if layout == "list" else set(names))
        if clash:
            raise InvalidInputError(
                f"the input's id/label column(s) {sorted(clash)} have the name of an output column; rename them"
            )
        self.schema = pa.schema(fields)
        self.layout = layout
        self.k = k
        # no dictionary encoding, statistics or compression on the float columns: dense
        # similarities gain nothing from them and they slow writing and reading. Top-k
        # outputs (mostly zeros) are compressed
        kept_names = [f.name for f in passthrough_schema or []]
        vector_names = ["relative"] if layout == "list" else list(names)
        self.writer = pq.ParquetWriter(
            path, self.schema, use_dictionary=kept_names, write_statistics=kept_names,
            compression="snappy" if compress else {c: "none" for c in vector_names} | {c: "snappy" for c in kept_names},
        )

    def write(self, R: np.ndarray, passthrough) -> None:
        import pyarrow as pa

        cols = list(passthrough.columns) if passthrough is not None else []
        if self.layout == "wide":
            cols += [pa.array(np.ascontiguousarray(R[:, j])) for j in range(self.k)]
        else:
            cols.append(pa.FixedSizeListArray.from_arrays(pa.array(R.reshape(-1)), self.k))
        self.writer.write_table(pa.Table.from_arrays(cols, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


# ---------------------------------------------------------------------- anchors
def _anchor_vectors(src, anchor_ids, anchor_vectors) -> np.ndarray:
    if (anchor_ids is None) == (anchor_vectors is None):
        raise InvalidInputError("pass exactly one of anchor_ids= (sample ids of the input) or anchor_vectors=")
    if anchor_vectors is not None:
        A = np.asarray(anchor_vectors)
        if A.ndim != 2 or A.shape[0] == 0 or A.dtype.kind not in "iuf":
            raise InvalidInputError(f"anchor_vectors must be a non-empty numeric (n_anchors, n_dims) array; got {A.dtype} {A.shape}")
        if A.shape[1] != src.d:
            raise MismatchError(
                f"anchor_vectors have n_dims={A.shape[1]} but {src.path} has n_dims={src.d}; anchors must live in the "
                "same space as the input"
            )
        return A
    ids = list(np.asarray(anchor_ids).tolist()) if not isinstance(anchor_ids, list) else anchor_ids
    if not ids:
        raise AnchorError("anchor_ids is empty: pass at least one sample id")
    seen, dup = set(), []
    for v in ids:
        if v in seen:
            dup.append(v)
        seen.add(v)
    if dup:
        raise AnchorError(f"anchor ids contain duplicates: {dup[:10]}; each id must appear once")
    return src.take(src.positions_of(ids))


# ---------------------------------------------------------------------- driver
def relative_projection_file(
    src,
    *,
    dst,
    anchor_ids=None,
    anchor_vectors=None,
    similarity: str = "cosine",
    center: str | None = None,
    scale: bool = False,
    topk: int | None = None,
    power: float = 1.0,
    column: str | None = None,
    id_column: str | None = None,
    chunk_rows: int | None = None,
    progress: bool = False,
) -> dict:
    """Relative projection of a vector file, streamed chunk by chunk to another file.

    Equal to ``relative_projection(X, A, ...)`` on the whole file (same code path, row
    by row), with memory bounded by a few chunks.

    Parameters
    ----------
    src : str or Path
        Input vectors, ``.npy`` (shape (n_samples, n_dims)) or ``.parquet``.
    dst : str or Path
        Output, ``.npy`` (shape (n_samples, n_outputs)) or ``.parquet`` (the input's
        id/label columns, then the relative vectors as one fixed-size list column
        ``relative``, or as columns ``rel_<similarity>_<j>`` when the input had one
        column per dimension). Written to ``<dst>.partial`` and renamed when complete.
    anchor_ids : sequence of shape (n_anchors,), optional
        Sample ids of the input rows to use as anchors (its id column, or row numbers
        when it has none), in this order.
    anchor_vectors : array-like of shape (n_anchors, n_dims), optional
        Anchor vectors given directly. Pass exactly one of ``anchor_ids`` and
        ``anchor_vectors``.
    similarity, center, scale, topk, power
        As in :func:`~core.methods.relative.relative_projection`.
    column : str, optional
        Parquet list column holding the vectors.
    id_column : str, optional
        Parquet id column (default: ``id``, ``ids`` or ``sample_id`` when present).
    chunk_rows : int, optional
        Rows per chunk; by default about 64 MiB of input rows.
    progress : bool, default=False
        Show a progress bar on stderr.

    Returns
    -------
    summary : dict
        ``rows``, ``n_dims``, ``n_anchors``, ``n_outputs``, ``seconds``,
        ``rows_per_second``, ``dst``, ``dtype``.
    """
    check_params(similarity, center, scale, topk, power)
    src, dst = Path(src), Path(dst)
    for p, what in ((src, "input"), (dst, "output")):
        if p.suffix.lower() not in FORMATS:
            raise InvalidInputError(f"{what} {p}: use one of {list(FORMATS)}; got {p.suffix or 'no suffix'}")
    if not src.is_file():
        raise LoadError(f"input {src}: no such file")
    if dst.exists() and dst.resolve() == src.resolve():
        raise InvalidInputError(f"output {dst} is the input file; choose another output path")
    if chunk_rows is not None and (isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1):
        raise InvalidInputError(f"chunk_rows={chunk_rows!r} must be an int >= 1")
    t0 = time.perf_counter()
    source = open_source(src, column=column, id_column=id_column)
    A = _anchor_vectors(source, anchor_ids, anchor_vectors)
    A = as_vectors(A, name="anchor vectors")
    dtype = result_dtype(source.dtype, A.dtype)
    stats = fit_stats(A.astype(dtype), similarity=similarity, center=center, scale=scale,
                      a_ids=None if anchor_ids is None else np.asarray(anchor_ids))
    blocks = PRODUCT_BLOCKS if similarity == "product" else (similarity,)
    k = len(blocks) * A.shape[0]
    names = [f"rel_{b}_{j}" for b in blocks for j in range(A.shape[0])]
    chunk_rows = int(chunk_rows or _default_chunk_rows(source.d, source.dtype))

    partial = dst.with_name(dst.name + ".partial")
    if dst.suffix.lower() == ".npy":
        sink = _NpySink(partial, source.n, k, dtype)
    else:
        pschema = None
        if source.passthrough:
            pschema = [source.pf.schema_arrow.field(c) for c in source.passthrough]
        sink = _ParquetSink(partial, k, dtype, names=names, layout=source.layout, passthrough_schema=pschema,
                            compress=topk is not None)
    try:
        rows = _run(source, sink, stats, dtype=dtype, k=k, chunk_rows=chunk_rows, progress=progress,
                    kw=dict(similarity=similarity, center=center, scale=scale, topk=topk, power=power))
        sink.close()
        os.replace(partial, dst)
    except BaseException:
        try:
            sink.close()
        finally:
            partial.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - t0
    return {
        "rows": rows, "n_dims": source.d, "n_anchors": int(A.shape[0]), "n_outputs": k, "seconds": seconds,
        "rows_per_second": rows / seconds if seconds > 0 else float("inf"), "dst": str(dst), "dtype": str(np.dtype(dtype)),
    }


def _run(source, sink, stats, *, dtype, k, chunk_rows, progress, kw) -> int:
    """Read, project and write chunk by chunk; the next read and the previous write
    run in two I/O threads while this one computes (two buffers of each)."""
    from tqdm import tqdm

    outs = [np.empty((min(chunk_rows, source.n), k), dtype=dtype) for _ in range(2)]
    it = source.chunks(chunk_rows)
    done = 0
    bar = tqdm(total=source.n, unit="rows", unit_scale=True, file=sys.stderr, disable=not progress,
               desc="relative", mininterval=0.5, dynamic_ncols=True)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stitchboard-io") as pool:
        reading = pool.submit(next, it, None)
        writing = None
        i = 0
        try:
            while True:
                item = reading.result()
                if item is None:
                    break
                reading = pool.submit(next, it, None)
                start, X, passthrough = item
                out = outs[i % 2][: len(X)]
                try:
                    project_rows(X, stats, out=out, **kw)
                except ValueError as exc:
                    raise _chunk_error(exc, X, start, stats, kw["similarity"], source.path) from None
                if writing is not None:
                    writing.result()
                writing = pool.submit(sink.write, out, passthrough)
                done += len(X)
                bar.update(len(X))
                i += 1
            if writing is not None:
                writing.result()
        finally:
            bar.close()
    if done != source.n:
        raise LoadError(f"{source.path}: read {done:,} rows but the file announces {source.n:,}")
    return done


def _chunk_error(exc: ValueError, X: np.ndarray, start: int, stats, similarity, path) -> Exception:
    """The chunk's error with row numbers of the whole file."""
    X = np.asarray(X, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if len(bad):
        return InvalidInputError(f"{path}: rows {(bad + start)[:10].tolist()} contain NaN or Inf; clean or drop those rows")
    if similarity in ("cosine", "angular"):
        Xp = X - (stats["shift"] if stats["shift"] is not None else 0)
        if stats["std"] is not None:
            Xp = Xp / stats["std"]
        zero = np.flatnonzero(~Xp.any(axis=1))
        if len(zero):
            return InvalidInputError(
                f"{path}: rows {(zero + start)[:10].tolist()} are all zero after centering/scaling: cosine is undefined; "
                "drop them or use a distance-based similarity"
            )
    return InvalidInputError(f"{path}: rows {start:,}..{start + len(X) - 1:,}: {exc}")
