"""What a file claims about its size, checked before anything is allocated for it.

A reader allocates what a file's metadata announces: numpy allocates the shape of a
``.npy`` header before reading a byte of data, and pyarrow the rows of a parquet footer.
A small file can announce 2**40 rows. So before reading:

- ``.npy`` (and each ``.npz`` member): the header's shape and dtype must fit in the bytes
  that follow it (the file's real size, or the member's declared size), hold at most
  :data:`~core.limits.MAX_VALUES` values, and rows of at most
  :data:`~core.limits.MAX_DIMS` values;
- ``.parquet``: the footer must agree with itself and with the file (row counts of the
  file, its row groups and each column chunk; column chunks inside the file), and the
  values it announces must be within :data:`~core.limits.MAX_VALUES` (for tables read
  whole) with at most :data:`~core.limits.MAX_DIMS` columns;
- ``.csv``: rows (line breaks) times header columns within ``MAX_VALUES``.

Corrupt or inconsistent metadata is a :class:`~core.errors.LoadError`; a claim over a
limit a :class:`~core.errors.FileTooLargeError` naming the limit and its setting.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re

import numpy as np

from ..errors import FileTooLargeError, LoadError, UnsafeFileError
from ..limits import MAX_DIMS, MAX_VALUES
from . import parquet_footer as pq_footer

__all__ = ["npy_header", "check_array_claim", "check_npy_bytes", "check_npz_member", "check_parquet_footer",
           "check_csv_shape"]

_MAGIC = b"\x93NUMPY"
#: Decoded parquet bytes allowed beyond 8 per value (page headers, statistics, small files).
_PAGE_SLACK = 1 << 26


def npy_header(fh, name: str) -> tuple[tuple, np.dtype, bool, int]:
    """``(shape, dtype, fortran_order, header bytes)`` of a ``.npy`` stream positioned at its start.

    Raises
    ------
    LoadError
        Not a ``.npy`` header, or one numpy cannot parse.
    UnsafeFileError
        An object dtype (the data would be a pickle).
    """
    fmt = np.lib.format
    start = fh.tell()
    magic = fh.read(len(_MAGIC))
    if magic[:1] == b"\x80":  # a pickle's protocol opcode: what np.load(allow_pickle=True) would unpickle
        raise UnsafeFileError(
            f"{name}: holds Python objects (a pickle), which Stitchboard never loads because unpickling can run code. "
            "Save a numeric array: np.save(path, vectors.astype('float32'))"
        )
    if magic != _MAGIC:
        raise LoadError(f"{name}: not a .npy array (its first bytes are not the numpy magic string)")
    fh.seek(start)
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise LoadError(f"{name}: not a valid .npy file: format version {version} is not one numpy writes "
                            "(1.0 or 2.0); save the array with np.save")
    except LoadError:
        raise
    except Exception as exc:  # ValueError, SyntaxError, EOFError... on a mangled header
        detail = re.sub(r" object at 0x[0-9a-fA-F]+>", ">", str(exc))  # no addresses: messages stay the same
        raise LoadError(f"{name}: not a valid .npy file (truncated or corrupt header?): {detail}") from None
    if dtype.hasobject:
        raise UnsafeFileError(
            f"{name}: holds Python objects (a pickle), which Stitchboard never loads because unpickling can run code. "
            "Save a numeric array: np.save(path, vectors.astype('float32'))"
        )
    return tuple(int(s) for s in shape), dtype, bool(fortran), fh.tell() - start


def check_array_claim(shape: tuple, dtype: np.dtype, available: int, name: str, *, vectors: bool = True,
                      whole: bool = True) -> None:
    """Refuse an array whose header asks for more than the file holds or than the limits allow.

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype
    available : int
        Bytes after the header (the file's real size, or an archive member's declared size).
    name : str
        For messages.
    vectors : bool, default=True
        The array is a space's vectors (rows x dims): its row length is checked too.
    whole : bool, default=True
        It will be read into memory at once, so :data:`~core.limits.MAX_VALUES` applies
        (a streamed file only needs to hold what its header says).
    """
    if any(s < 0 for s in shape):
        raise LoadError(f"{name}: the header announces shape {shape}, with a negative dimension; the header is corrupt")
    count = math.prod(shape)  # Python ints: no overflow whatever the header says
    nbytes = count * dtype.itemsize
    if nbytes > available:
        raise LoadError(
            f"{name}: the header announces shape {shape} of {dtype} ({nbytes:,} bytes) but only {available:,} bytes "
            "follow it; the file is truncated or its header corrupt"
        )
    if vectors and len(shape) == 2:
        MAX_DIMS.check(shape[1], f"{name}: shape {shape}", advice="; reduce the vectors' dimension first")
    if not whole:
        return
    MAX_VALUES.check(count, f"{name}: shape {shape}",
                     advice="; load a subset of rows, or stream the file with `stitchboard relative`")
    # strings (ids, labels) may have wide items: the bytes of MAX_VALUES float64 values at most
    if nbytes > 8 * MAX_VALUES.value:
        raise FileTooLargeError(f"{name}: shape {shape} of {dtype} is {nbytes:,} bytes, over 8 bytes per value of "
                                f"{MAX_VALUES.describe()}")


def check_npy_bytes(data: bytes, name: str) -> None:
    """Check a whole ``.npy`` file's header against its size and the limits (see :func:`check_array_claim`)."""
    shape, dtype, _, header = npy_header(io.BytesIO(data[:65536 + 16]), name)
    check_array_claim(shape, dtype, len(data) - header, name)


def check_npz_member(npz, key: str, name: str, *, vectors: bool) -> None:
    """Check one member of an open ``np.load`` archive before numpy reads it.

    The member must be a ``.npy`` array (numpy would otherwise read it whole as bytes)
    whose header fits in the member's declared size and the limits.
    """
    member = key if key in npz.zip.namelist() else f"{key}.npy"
    what = f"{name}[{key!r}]"
    try:
        info = npz.zip.getinfo(member)
        with npz.zip.open(info) as fh:
            shape, dtype, _, header = npy_header(_Peek(fh), what)
    except (LoadError, UnsafeFileError):
        raise
    except Exception as exc:  # zipfile.BadZipFile, zlib.error, KeyError on mangled archives
        raise LoadError(f"{what}: cannot be read (truncated or corrupt archive?): {exc}") from None
    check_array_claim(shape, dtype, info.file_size - header, what, vectors=vectors)


class _Peek:
    """A forward-only stream (a zip member) with the ``tell``/``seek`` back to 0 that :func:`npy_header` uses."""

    def __init__(self, fh):
        self.fh, self.buf, self.pos = fh, b"", 0

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int) -> None:
        self.pos = pos

    def read(self, n: int = -1) -> bytes:
        want = self.pos + (n if n >= 0 else 65536)
        if want > len(self.buf):
            self.buf += self.fh.read(min(want, 65536 + 16) - len(self.buf))
        out = self.buf[self.pos:want]
        self.pos += len(out)
        return out


def check_parquet_footer(fh, file_size: int, name: str, *, whole: bool) -> None:
    """Check a parquet file's footer against itself, the file's size and the limits.

    The footer is decoded here (:mod:`core.io.parquet_footer`), not by pyarrow: some
    inconsistent footers make pyarrow's metadata accessors abort the process.

    Parameters
    ----------
    fh : binary file object
        The file, seekable.
    file_size : int
        The file's real size in bytes.
    name : str
    whole : bool
        The table will be read into memory at once: its values (every column chunk's
        ``num_values``, list elements included) and their decoded bytes must be within
        :data:`~core.limits.MAX_VALUES`. Streamed reads (``whole=False``) only need the
        footer to be consistent.

    Raises
    ------
    LoadError
        Bad encoding, row counts that disagree, column types that differ from the
        schema's, negative sizes, column chunks outside the file.
    UnsafeFileError
        A column chunk kept in another file.
    FileTooLargeError
        More values or columns than the limits allow.
    """
    try:
        meta = pq_footer.read_footer_bytes(fh, file_size, name)
    except pq_footer.FooterError as exc:
        raise LoadError(f"{name}: not a readable parquet file (truncated or corrupt?): {exc}") from None
    finally:
        fh.seek(0)

    def corrupt(what: str):
        return LoadError(f"{name}: {what}; the footer is corrupt")

    schema = meta.get_value(pq_footer.FILE_SCHEMA, (None, []), kind=pq_footer.LIST)[1]
    if not schema or not all(isinstance(e, pq_footer.Struct) for e in schema):
        raise corrupt("no schema")
    leaves = [e for e in schema[1:] if not e.get_value(pq_footer.SCHEMA_NUM_CHILDREN, 0, kind=pq_footer.I32)]
    MAX_DIMS.check(len(leaves), f"{name}: the footer's {len(leaves):,} columns",
                   advice="; write fewer columns, or one list column of vectors")
    n = meta.get_value(pq_footer.FILE_NUM_ROWS, -1, kind=pq_footer.I64)
    groups = meta.get_value(pq_footer.FILE_ROW_GROUPS, (None, []), kind=pq_footer.LIST)[1]
    end = file_size - 8  # where the footer's length field starts: data lies before
    rows = values = decoded = 0
    for g, rg in enumerate(groups):
        rg_rows = rg.get_value(pq_footer.RG_NUM_ROWS, -1, kind=pq_footer.I64) if isinstance(rg, pq_footer.Struct) else -1
        chunks = rg.get_value(pq_footer.RG_COLUMNS, (None, []), kind=pq_footer.LIST)[1] if rg_rows >= 0 else []
        if rg_rows < 0 or len(chunks) != len(leaves):
            raise corrupt(f"row group {g} announces {rg_rows:,} rows in {len(chunks)} columns for {len(leaves)} "
                          "columns in the schema")
        rows += rg_rows
        for leaf, cc in zip(leaves, chunks):
            col = leaf.get_value(pq_footer.SCHEMA_NAME, b"?", kind=pq_footer.BINARY).decode("utf-8", "replace")
            if not isinstance(cc, pq_footer.Struct):
                raise corrupt(f"column {col!r} of row group {g} has no metadata")
            if cc.get_value(pq_footer.CC_FILE_PATH, kind=pq_footer.BINARY):  # as with ONNX external data: never
                path = cc.get_value(pq_footer.CC_FILE_PATH).decode("utf-8", "replace")
                raise UnsafeFileError(f"{name}: column {col!r} keeps its data in another file ({path!r}); write "
                                      "the table as one self-contained file")
            cm = cc.get_value(pq_footer.CC_META, kind=pq_footer.STRUCT)
            if cm is None:
                raise corrupt(f"column {col!r} of row group {g} has no metadata")
            get = functools.partial(_int_field, cm)
            kind, want = get(pq_footer.CM_TYPE, kind=pq_footer.I32), leaf.get_value(pq_footer.SCHEMA_TYPE, kind=pq_footer.I32)
            num, size, stored = get(pq_footer.CM_NUM_VALUES), get(pq_footer.CM_UNCOMPRESSED), get(pq_footer.CM_COMPRESSED)
            offsets = [o for o in (get(pq_footer.CM_DATA_OFFSET), get(pq_footer.CM_DICT_OFFSET, default=None))
                       if o is not None]
            start = min(offsets) if offsets else -1
            if kind != want or kind not in _PHYSICAL_TYPES:
                raise corrupt(f"column {col!r} of row group {g} has physical type {kind}, the schema says {want}")
            if num < rg_rows or size < 0 or stored < 0 or start < 4 or start + stored > end:
                raise corrupt(f"column {col!r} of row group {g} announces {num:,} values for {rg_rows:,} rows in "
                              f"bytes {start:,}..{start + stored:,} of a {file_size:,}-byte file")
            values += num
            decoded += size
    if rows != n:
        raise LoadError(f"{name}: the footer announces {n:,} rows but its row groups hold {rows:,}; the file is corrupt")
    if whole:
        MAX_VALUES.check(values, f"{name}: {n:,} rows in {len(leaves):,} columns",
                         advice="; load a subset of rows, or stream the file with `stitchboard relative`")
        # page headers and statistics count too: a fixed allowance on top of 8 bytes per value
        if decoded > 8 * MAX_VALUES.value + _PAGE_SLACK:
            raise FileTooLargeError(f"{name}: its pages decode to {decoded:,} bytes, over 8 bytes per value of "
                                    f"{MAX_VALUES.describe()}")


#: Parquet physical types: BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY.
_PHYSICAL_TYPES = range(8)


def _int_field(s, fid: int, *, kind=pq_footer.I64, default=-1):
    return s.get_value(fid, default, kind=kind)


def check_csv_shape(data: bytes, name: str) -> None:
    """Refuse a CSV whose line count times header columns is over the limits, before parsing it."""
    first = data.split(b"\n", 1)[0][:1 << 24].decode("utf-8", "replace")
    try:
        header = next(csv.reader([first]), [])
    except csv.Error:
        header = first.split(",")
    cols = max(1, len(header))
    rows = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1
    MAX_DIMS.check(cols, f"{name}: a header of {cols:,} columns", advice="; write fewer columns")
    MAX_VALUES.check(rows * cols, f"{name}: {rows:,} rows x {cols:,} columns",
                     advice="; load a subset of rows, or convert it to .npy/.parquet and stream it")
