"""A parquet file's footer (its Thrift ``FileMetaData``) decoded in pure Python.

pyarrow trusts a footer: some inconsistent ones make its metadata accessors abort the
process (``terminate`` on a C++ exception), so :mod:`core.io.size_checks` reads the
footer with this decoder, checks it, and only then hands the file to pyarrow. The
decoder knows the Thrift compact protocol, not the parquet schema: a struct is a dict of
field id -> ``[type, value]``. Nesting is bounded and every element consumes bytes, so
the work is bounded by the footer's size.

Field ids (parquet.thrift): FileMetaData 2 schema, 3 num_rows, 4 row_groups;
SchemaElement 1 type, 4 name, 5 num_children; RowGroup 1 columns, 3 num_rows;
ColumnChunk 1 file_path, 3 meta_data; ColumnMetaData 1 type, 5 num_values,
6 total_uncompressed_size, 7 total_compressed_size, 9 data_page_offset,
11 dictionary_page_offset.
"""

from __future__ import annotations

import struct

__all__ = ["Struct", "FooterError", "decode_footer", "read_footer_bytes"]

#: Deepest struct/list nesting decoded (a parquet footer needs about 8).
MAX_NESTING = 32


class FooterError(ValueError):
    """The footer is not valid Thrift compact encoding."""


STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)
FILE_NUM_ROWS, FILE_SCHEMA, FILE_ROW_GROUPS = 3, 2, 4
RG_COLUMNS, RG_NUM_ROWS = 1, 3
SCHEMA_TYPE, SCHEMA_NAME, SCHEMA_NUM_CHILDREN = 1, 4, 5
CC_FILE_PATH, CC_META = 1, 3
CM_TYPE, CM_NUM_VALUES, CM_UNCOMPRESSED, CM_COMPRESSED, CM_DATA_OFFSET, CM_DICT_OFFSET = 1, 5, 6, 7, 9, 11


class Struct(dict):
    """A Thrift struct: field id -> ``[type, value]`` (lists are ``(element type, [values])``)."""

    def get_value(self, fid, default=None, *, kind=None):
        """The value of field ``fid``; ``default`` when absent or (with ``kind``) of another type."""
        if fid not in self or (kind is not None and self[fid][0] != kind):
            return default
        return self[fid][1]

    def set_value(self, fid, value, ftype=None):
        self[fid] = [ftype if ftype is not None else self[fid][0], value]


class _Reader:
    def __init__(self, data: bytes):
        self.b, self.i, self.depth = data, 0, 0

    def byte(self) -> int:
        if self.i >= len(self.b):
            raise FooterError("the footer ends in the middle of a value")
        v = self.b[self.i]
        self.i += 1
        return v

    def varint(self) -> int:
        shift = out = 0
        while True:
            c = self.byte()
            out |= (c & 0x7F) << shift
            if not c & 0x80:
                return out
            shift += 7
            if shift > 70:
                raise FooterError("a varint longer than 10 bytes")

    def take(self, n: int) -> bytes:
        if n < 0 or self.i + n > len(self.b):
            raise FooterError(f"a value of {n:,} bytes past the end of the footer")
        self.i += n
        return bytes(self.b[self.i - n:self.i])

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t):
        if t in (TRUE, FALSE):
            return t == TRUE
        if t == BYTE:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if t in (I16, I32, I64):
            return self.zigzag()
        if t == DOUBLE:
            return struct.unpack("<d", self.take(8))[0]
        if t == BINARY:
            return self.take(self.varint())
        if t in (LIST, SET):
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise FooterError(f"lists nested over {MAX_NESTING} deep")
            head = self.byte()
            n, et = head >> 4, head & 0x0F
            if n == 15:
                n = self.varint()
            if n > len(self.b) - self.i:  # every element takes at least a byte
                raise FooterError(f"a list of {n:,} elements in {len(self.b) - self.i:,} bytes")
            items = [self.byte() == 1 if et in (TRUE, FALSE) else self.value(et) for _ in range(n)]
            self.depth -= 1
            return (et, items)
        if t == MAP:
            n = self.varint()
            if n > len(self.b) - self.i:
                raise FooterError(f"a map of {n:,} entries in {len(self.b) - self.i:,} bytes")
            kv = self.byte() if n else 0
            return (kv, [(self.value(kv >> 4), self.value(kv & 0x0F)) for _ in range(n)])
        if t == STRUCT:
            return self.struct()
        raise FooterError(f"unknown thrift compact type {t}")

    def struct(self) -> Struct:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FooterError(f"structs nested over {MAX_NESTING} deep")
        out, last = Struct(), 0
        while True:
            head = self.byte()
            if head == STOP:
                self.depth -= 1
                return out
            t, delta = head & 0x0F, head >> 4
            fid = last + delta if delta else self.zigzag()
            out[fid] = [t, self.value(t)]
            last = fid




def decode_footer(footer: bytes) -> Struct:
    """The ``FileMetaData`` struct of a footer's bytes (without the length and ``PAR1``).

    Raises
    ------
    FooterError
        Not valid Thrift compact encoding.
    """
    return _Reader(footer).struct()


def read_footer_bytes(fh, file_size: int, name: str) -> Struct:
    """Decode the footer of the parquet file open as ``fh`` (``file_size`` bytes).

    Raises
    ------
    FooterError
        No ``PAR1`` at both ends, a footer length outside the file, or bad encoding.
    """
    if file_size < 12:
        raise FooterError(f"{file_size} bytes is too short for a parquet file")
    fh.seek(0)
    head = fh.read(4)
    fh.seek(file_size - 8)
    tail = fh.read(8)
    if head != b"PAR1" or tail[4:] != b"PAR1":
        raise FooterError("no PAR1 magic at its start and end")
    n = struct.unpack("<I", tail[:4])[0]
    if n > file_size - 12:
        raise FooterError(f"the footer claims {n:,} bytes of a {file_size:,}-byte file")
    fh.seek(file_size - 8 - n)
    return decode_footer(fh.read(n))
