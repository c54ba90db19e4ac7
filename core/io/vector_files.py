"""Vector files (``.npy``, ``.parquet``) read in row chunks, never whole.

A source (:func:`open_source`) knows its shape and dtype, yields ``(start, X,
passthrough)`` chunks through two reused buffers, and finds anchor rows by id without
reading the file (``positions_of``, ``take``). :mod:`core.io.streaming` projects these
chunks; :func:`read_anchor_file` reads the anchors given to ``stitchboard relative``.

Inputs
------
- ``.npy``: a 2-D numeric array (C order). The header is parsed by
  ``np.load(mmap_mode="r", allow_pickle=False)`` (object arrays are refused, nothing is
  ever unpickled); rows are then read chunk by chunk into a reused buffer. Sample ids
  are the row numbers 0..n-1.
- ``.parquet``: either one list column holding each vector (``column=``, or the only
  list column, preferring ``vector``/``embedding``), or one numeric column per
  dimension. An id column (``id_column=``, else ``id``/``ids``/``sample_id`` when
  present) gives the sample ids, otherwise they are the row numbers; id and label
  columns are passed through with each chunk.

Memory stays bounded whatever the file claims: a ``.npy`` header must fit the file's
size, a parquet footer must agree with itself and the file (its row groups and column
chunks, :func:`core.io.size_checks.check_parquet_footer`), and rows may hold at most
:data:`core.limits.MAX_DIMS` values, since a chunk buffer holds at least 1,024 rows.

Parquet is read with ``pre_buffer=False``: row groups stream page by page, and only a
data page (about 1 MiB as pyarrow and Spark write them) is ever decoded whole.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import AnchorError, InvalidInputError, LoadError, StitchboardError
from ..limits import MAX_ANCHOR_ROWS, MAX_DIMS
from ..validation import parse_json
from .files import load_npy
from .size_checks import check_array_claim, check_parquet_footer, npy_header

__all__ = ["FORMATS", "open_source", "read_anchor_file"]

#: File formats read here (and written by :mod:`core.io.streaming`).
FORMATS = (".npy", ".parquet")
_ID_COLUMNS = ("id", "ids", "sample_id")
_LABEL_COLUMNS = ("label", "labels", "target", "y")
_VECTOR_COLUMNS = ("vector", "vectors", "embedding", "embeddings")
#: Parquet is decoded in record batches of about this many bytes of vectors (at most a
#: chunk), copied into the chunk's buffer: pyarrow holds about 3x a batch while decoding
#: a list column (values plus repetition and definition levels).
_READ_BATCH_BYTES = 8 * 2**20
#: Bytes read ahead per parquet column chunk (pages are streamed through this buffer):
#: this much in all, split between the columns read, 64 KiB to 1 MiB per column.
_READ_BUFFERS = 16 * 2**20
#: Rows per batch when looking anchor ids up in a parquet id column.
_ID_BATCH_ROWS = 65536


class _NpySource:
    """Rows of a 2-D ``.npy`` read chunk by chunk into reused buffers."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as fh:  # the header's claim against the file's size, before numpy maps it
            shape, dtype, _, header = npy_header(fh, str(path))
        check_array_claim(shape, dtype, os.path.getsize(path) - header, str(path), whole=False)
        mm = load_npy(path, name=str(path), mmap_mode="r")
        if not isinstance(mm, np.memmap):
            raise LoadError(f"{path}: not a single .npy array (an .npz archive?); save one 2-D array with np.save")
        if mm.ndim != 2 or 0 in mm.shape:
            raise LoadError(f"{path}: vectors must be a non-empty 2-D array (n_samples, n_dims); got shape {mm.shape}")
        if mm.dtype.kind not in "iuf":
            raise LoadError(f"{path}: vectors must be numbers; got dtype {mm.dtype}")
        if mm.shape[0] > 1 and mm.shape[1] > 1 and not mm.flags.c_contiguous:
            raise LoadError(
                f"{path}: the array is stored in Fortran order, so its rows cannot be streamed; re-save it in C "
                "order: np.save(path, np.ascontiguousarray(X))"
            )
        self.n, self.d = mm.shape
        MAX_DIMS.check(self.d, f"{path}: shape {mm.shape}", advice="; reduce the vectors' dimension first")
        self.file_dtype = mm.dtype
        self.dtype = mm.dtype.newbyteorder("=") if mm.dtype.kind == "f" else mm.dtype
        self.offset = mm.offset
        self.has_ids = False
        self.passthrough: list[str] = []
        self.layout = "list"
        expected = self.offset + self.n * self.d * mm.dtype.itemsize
        del mm
        if os.path.getsize(path) < expected:
            raise LoadError(f"{path}: truncated: the header announces {self.n:,} rows but the file is shorter")

    def positions_of(self, ids) -> np.ndarray:
        return _row_numbers(ids, self.n, self.path)

    def take(self, positions: np.ndarray) -> np.ndarray:
        mm = np.load(self.path, mmap_mode="r", allow_pickle=False)
        try:
            return np.array(mm[positions], dtype=self.dtype)
        finally:
            del mm

    def chunks(self, chunk_rows: int):
        """Yield ``(start, X, passthrough)``; two buffers alternate (see ``_run``)."""
        bufs = [np.empty((min(chunk_rows, self.n), self.d), dtype=self.file_dtype) for _ in range(2)]
        with open(self.path, "rb", buffering=0) as fh:
            fh.seek(self.offset)
            for i, start in enumerate(range(0, self.n, chunk_rows)):
                m = min(chunk_rows, self.n - start)
                buf = bufs[i % 2][:m]
                view = memoryview(buf.reshape(-1).view(np.uint8))
                got = 0
                while got < view.nbytes:
                    r = fh.readinto(view[got:])
                    if not r:
                        raise LoadError(f"{self.path}: truncated at row {start + got // (self.d * buf.itemsize):,}")
                    got += r
                X = buf if self.file_dtype.isnative else buf.astype(self.dtype)
                yield start, X, None


class _ParquetSource:
    """Vectors of a parquet file, one list column or one column per dimension."""

    def __init__(self, path: Path, *, column=None, id_column=None):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        with open(path, "rb") as fh:  # before pyarrow sees the footer
            check_parquet_footer(fh, os.path.getsize(path), str(path), whole=False)
        try:
            # pre_buffer=False + buffer_size: stream each column chunk page by page. With
            # pre_buffer=True, iter_batches reads every column chunk of a row group whole and
            # keeps the row groups already read cached until the iterator ends: memory grows
            # with the file
            self.pf = pq.ParquetFile(path, pre_buffer=False, buffer_size=2**20)
        except Exception as exc:  # pyarrow raises several types on corrupt input
            raise LoadError(f"{path}: not a readable parquet file (truncated or corrupt?): {exc}") from None
        try:
            schema = self.pf.schema_arrow
        except Exception as exc:  # pyarrow cannot map a mangled schema to arrow types
            raise LoadError(f"{path}: not a readable parquet schema (corrupt?): {exc}") from None
        names = list(schema.names)
        if len(set(names)) != len(names):
            dup = sorted({c for c in names if names.count(c) > 1})
            raise LoadError(f"{path}: column names {dup[:10]} appear more than once; give each column its own name")
        self.n = self.pf.metadata.num_rows
        if self.n == 0:
            raise LoadError(f"{path}: the file has no rows")
        self.id_col = _pick_column(names, id_column, _ID_COLUMNS, "id", path)
        self.label_col = _pick_column(names, None, _LABEL_COLUMNS, "label", path)
        self.has_ids = self.id_col is not None
        self.passthrough = [c for c in (self.id_col, self.label_col) if c is not None]
        rest = [c for c in names if c not in self.passthrough]

        def is_list(t):
            return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)

        def is_num(t):
            return (pa.types.is_integer(t) or pa.types.is_floating(t)) and not pa.types.is_boolean(t)

        if column is not None:
            if column not in names:
                raise LoadError(f"{path}: no column {column!r}; columns are {names[:20]}")
            if not is_list(schema.field(column).type):
                raise InvalidInputError(
                    f"column={column!r} holds scalars ({schema.field(column).type}), not vectors; pass the list column "
                    "that holds one vector per row, or leave column unset to read one column per dimension"
                )
            self.layout, self.columns = "list", [column]
        else:
            lists = [c for c in rest if is_list(schema.field(c).type)]
            if lists:
                col = next((c for c in lists if c.lower() in _VECTOR_COLUMNS), lists[0])
                self.layout, self.columns = "list", [col]
            else:
                bad = [c for c in rest if not is_num(schema.field(c).type)]
                if bad:
                    raise LoadError(
                        f"{path}: non-numeric column(s) {bad[:10]}; vector columns must be numbers. Name the id "
                        "column (id_column= / --id-column) or the vector list column (column= / --column)"
                    )
                if not rest:
                    raise LoadError(f"{path}: no vector columns besides the id/label columns")
                self.layout, self.columns = "wide", rest
        if self.layout == "list":
            vt = schema.field(self.columns[0]).type.value_type
            if not is_num(vt):
                raise LoadError(f"{path}: column {self.columns[0]!r} holds {vt} values; vectors must be numbers")
            self.dtype = np.dtype(np.float32 if vt in (pa.float16(), pa.float32()) else np.float64)
            first = next(self._read(batch_size=1, columns=self.columns), None)
            if first is None or len(first) == 0 or first.column(0)[0] is None or not first.column(0)[0].is_valid:
                raise LoadError(f"{path}: the first row of column {self.columns[0]!r} holds no vector")
            self.d = len(first.column(0)[0])
            MAX_DIMS.check(self.d, f"{path}: the vectors of column {self.columns[0]!r}",
                           advice="; reduce the vectors' dimension first")
        else:
            types = [schema.field(c).type for c in self.columns]
            self.dtype = np.dtype(np.float32 if all(t in (pa.float16(), pa.float32()) for t in types) else np.float64)
            self.d = len(self.columns)
        if self.d == 0:
            raise LoadError(f"{path}: the vectors have 0 dimensions")
        n_read = len(self.columns) + len(self.passthrough)
        if n_read > _READ_BUFFERS // 2**20:  # one column per dimension: smaller read-ahead each
            buffer = int(np.clip(_READ_BUFFERS // n_read, 2**16, 2**20))
            self.pf = pq.ParquetFile(path, pre_buffer=False, buffer_size=buffer, metadata=self.pf.metadata)

    def _vectors(self, batch, start: int, *, out: np.ndarray | None = None) -> np.ndarray:
        """The vectors of ``batch`` (rows ``start``...) as an (n, d) array, into ``out`` if given."""
        import pyarrow.compute as pc

        if out is None:
            out = np.empty((len(batch), self.d), dtype=self.dtype)
        if self.layout == "wide":
            cols = [batch.column(c) for c in self.columns]
            nulls = [c for c, a in zip(self.columns, cols) if a.null_count]
            if nulls:
                raise InvalidInputError(f"{self.path}: rows {start:,}..{start + len(batch) - 1:,} have missing values in columns {nulls[:10]}")
            for j, a in enumerate(cols):
                out[:, j] = a.to_numpy(zero_copy_only=False)
            return out
        arr = batch.column(self.columns[0])
        lengths = pc.list_value_length(arr).to_numpy(zero_copy_only=False)
        if arr.null_count or np.any(lengths != self.d):
            bad = np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False) | (lengths != self.d))[:10] + start
            raise InvalidInputError(
                f"{self.path}: rows {bad.tolist()} of column {self.columns[0]!r} are missing or not of length "
                f"{self.d}; every row needs one vector of the same length"
            )
        values = arr.flatten()  # the batch's own values, also when it is a slice
        if values.null_count:
            raise InvalidInputError(f"{self.path}: column {self.columns[0]!r} has missing numbers in rows {start:,}..{start + len(batch) - 1:,}")
        out[...] = values.to_numpy(zero_copy_only=False).reshape(len(batch), self.d)
        return out

    def _read(self, **kw):
        """``iter_batches(**kw)``; pyarrow's errors on corrupt pages (OSError, ArrowInvalid...) become LoadError."""
        try:
            it = iter(self.pf.iter_batches(**kw))
            while True:
                batch = next(it, None)
                if batch is None:
                    return
                yield batch
        except StitchboardError:
            raise
        except Exception as exc:  # pyarrow raises many types on corrupt data
            raise LoadError(f"{self.path}: not a readable parquet file (corrupt data pages?): {exc}") from None

    def _batches(self, columns, *, rows: int, row_groups=None):
        """``iter_batches`` of about ``_READ_BATCH_BYTES`` of vectors (at most ``rows``)."""
        size = int(np.clip(_READ_BATCH_BYTES // (self.d * self.dtype.itemsize), 1, max(1, rows)))
        return self._read(batch_size=size, columns=columns, row_groups=row_groups)

    def positions_of(self, ids) -> np.ndarray:
        """Row numbers of the anchor ids, reading the id column batch by batch."""
        if self.id_col is None:
            return _row_numbers(ids, self.n, self.path)
        import pyarrow as pa
        import pyarrow.compute as pc

        id_type = self.pf.schema_arrow.field(self.id_col).type
        try:
            want = pa.array(list(ids), type=id_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            raise AnchorError(
                f"anchor ids {list(ids)[:10]} do not match the type of id column {self.id_col!r} ({id_type}) "
                f"in {self.path}"
            ) from None
        where: dict = {}
        dup = []
        start = 0
        for batch in self._read(batch_size=_ID_BATCH_ROWS, columns=[self.id_col]):
            col = batch.column(0)
            hits = np.flatnonzero(pc.is_in(col, value_set=want).to_numpy(zero_copy_only=False))
            for pos, v in zip((hits + start).tolist(), col.take(pa.array(hits)).to_pylist()):
                if v in where:
                    dup.append(v)
                where[v] = pos
            start += len(batch)
        if dup:
            raise LoadError(f"{self.path}: id column {self.id_col!r} repeats anchor ids {dup[:10]}; ids must be unique")
        missing = [v for v in want.to_pylist() if v not in where]
        if missing:
            raise AnchorError(
                f"{len(missing)} anchor id(s) are not in id column {self.id_col!r} of {self.path}: {missing[:10]}"
            )
        return np.array([where[v] for v in want.to_pylist()], dtype=np.int64)

    def take(self, positions: np.ndarray) -> np.ndarray:
        """Rows at ``positions``, reading only the row groups that hold them."""
        md = self.pf.metadata
        offsets = np.cumsum([0] + [md.row_group(g).num_rows for g in range(md.num_row_groups)])
        out = np.empty((len(positions), self.d), dtype=self.dtype)
        group_of = np.searchsorted(offsets, positions, side="right") - 1
        for g in np.unique(group_of).tolist():
            start = int(offsets[g])
            for batch in self._batches(self.columns, rows=md.row_group(g).num_rows, row_groups=[g]):
                stop = start + len(batch)
                sel = np.flatnonzero((positions >= start) & (positions < stop))
                if len(sel):
                    out[sel] = self._vectors(batch, start)[positions[sel] - start]
                start = stop
        return out

    def chunks(self, chunk_rows: int):
        """Yield ``(start, X, passthrough)``: record batches of about ``_READ_BATCH_BYTES``
        (whatever the row groups) copied into two alternating chunk buffers (see ``_run``),
        and the chunk's id/label columns as a table."""
        import pyarrow as pa

        bufs = [np.empty((min(chunk_rows, self.n), self.d), dtype=self.dtype) for _ in range(2)]
        batches = self._batches(self.columns + self.passthrough, rows=chunk_rows)
        pending = None  # what is left of the last batch read
        for i, start in enumerate(range(0, self.n, chunk_rows)):
            m = min(chunk_rows, self.n - start)
            X = bufs[i % 2][:m]
            kept = []
            filled = 0
            while filled < m:
                if pending is None or len(pending) == 0:
                    pending = next(batches, None)
                    if pending is None:
                        raise LoadError(f"{self.path}: truncated: {start + filled:,} rows read, the file announces {self.n:,}")
                    continue
                piece = pending.slice(0, m - filled)
                self._vectors(piece, start + filled, out=X[filled : filled + len(piece)])
                if self.passthrough:
                    kept.append(piece.select(self.passthrough))
                filled += len(piece)
                pending = pending.slice(len(piece))
            yield start, X, pa.Table.from_batches(kept) if self.passthrough else None


def _pick_column(names, given, defaults, what, path):
    if given is not None:
        if given not in names:
            raise LoadError(f"{path}: no {what} column {given!r}; columns are {list(names)[:20]}")
        return given
    lower = {str(c).lower(): c for c in names}
    return next((lower[d] for d in defaults if d in lower), None)


def _row_numbers(ids, n: int, path) -> np.ndarray:
    """Anchor ids of a file without an id column: row numbers in [0, n)."""
    bad = [v for v in ids if isinstance(v, bool) or not isinstance(v, (int, np.integer))]
    if bad:
        raise AnchorError(
            f"{path} has no id column, so anchor ids are row numbers (ints); got {bad[:10]}. Pass row numbers, "
            "or give the file an id column"
        )
    pos = np.asarray(list(ids), dtype=np.int64)
    out = pos[(pos < 0) | (pos >= n)]
    if len(out):
        raise AnchorError(f"anchor row numbers {out[:10].tolist()} are outside [0, {n:,}) of {path}")
    return pos


def open_source(path: Path, *, column=None, id_column=None):
    """The chunked reader of a ``.npy`` or ``.parquet`` file (``column``/``id_column``: parquet only)."""
    if path.suffix.lower() == ".npy":
        if column is not None or id_column is not None:
            raise InvalidInputError(
                f"column={column!r} / id_column={id_column!r} apply to parquet input; {path} is a .npy array "
                "(its ids are row numbers)"
            )
        return _NpySource(path)
    return _ParquetSource(path, column=column, id_column=id_column)


def read_anchor_file(path) -> tuple[str, object]:
    """Read ``--anchors``: a JSON list of sample ids, or a file of anchor vectors.

    Parameters
    ----------
    path : str or Path
        - ``.json``: a list of ids, e.g. ``[3, 17, 42]`` or ``["doc-1", "doc-9"]``, or an
          object with that list under ``"anchor_ids"``, ``"anchors"`` or ``"ids"``;
        - ``.npy`` / ``.parquet``: anchor vectors of shape (n_anchors, n_dims), read like
          the input (``np.load(allow_pickle=False)``, pyarrow).

    Returns
    -------
    kind : {"ids", "vectors"}
    value : list of ids, or ndarray of shape (n_anchors, n_dims)
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"anchors file {path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".json":
        obj = parse_json(path.read_bytes(), what=f"anchors file {path}")
        if isinstance(obj, dict):
            key = next((k for k in ("anchor_ids", "anchors", "ids") if k in obj), None)
            if key is None:
                raise LoadError(f"anchors file {path}: a JSON object needs the id list under 'anchor_ids', 'anchors' or 'ids'")
            obj = obj[key]
        if not isinstance(obj, list) or not obj or not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in obj):
            raise LoadError(
                f"anchors file {path}: must hold a non-empty JSON list of sample ids (ints or strings), e.g. [3, 17, 42]"
            )
        return "ids", obj
    if suffix in FORMATS:
        src = open_source(path)
        MAX_ANCHOR_ROWS.check(src.n, f"anchors file {path}", error=InvalidInputError,
                              advice="; anchors are a few hundred vectors")
        return "vectors", src.take(np.arange(src.n))
    raise LoadError(f"anchors file {path}: use .json (sample ids) or .npy/.parquet (anchor vectors); got {suffix or 'no suffix'}")

