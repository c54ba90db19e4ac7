"""Read and rewrite a parquet file's footer (Thrift compact protocol), for tests that lie in it.

A parquet file ends with its ``FileMetaData`` (Thrift compact encoding), a 4-byte
little-endian length and ``PAR1``. :func:`read_footer` decodes that struct with
:mod:`core.io.parquet_footer` into nested ``Struct`` objects (field id -> ``[type,
value]``), and :func:`with_footer` writes a file back with a changed footer, so a test can make the
footer claim 2**40 rows, change a column's type or break a row group's offsets while
the data pages stay as pyarrow wrote them.

Field ids (parquet.thrift): FileMetaData 1 version, 2 schema, 3 num_rows, 4 row_groups;
SchemaElement 1 type, 2 type_length, 3 repetition_type, 4 name, 5 num_children,
6 converted_type; RowGroup 1 columns, 2 total_byte_size, 3 num_rows; ColumnChunk
2 file_offset, 3 meta_data; ColumnMetaData 1 type, 4 codec, 5 num_values,
6 total_uncompressed_size, 7 total_compressed_size, 9 data_page_offset,
11 dictionary_page_offset.
"""

from __future__ import annotations

import struct

from core.io.parquet_footer import (  # noqa: F401  (re-exported for the tests)
    BINARY, BYTE, CC_META, CM_COMPRESSED, CM_DATA_OFFSET, CM_NUM_VALUES, CM_TYPE, CM_UNCOMPRESSED, DOUBLE, FALSE,
    FILE_NUM_ROWS, FILE_ROW_GROUPS, FILE_SCHEMA, I16, I32, I64, LIST, MAP, RG_COLUMNS, RG_NUM_ROWS, SET, STOP,
    STRUCT, TRUE, Struct, decode_footer,
)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63) if n < 0 else n << 1)


def _value(t, v) -> bytes:
    if t in (TRUE, FALSE):
        return b""  # a struct field's bool lives in its header
    if t == BYTE:
        return struct.pack("b", v)
    if t in (I16, I32, I64):
        return _zigzag(int(v))
    if t == DOUBLE:
        return struct.pack("<d", v)
    if t == BINARY:
        return _varint(len(v)) + bytes(v)
    if t in (LIST, SET):
        et, items = v
        head = bytes([(len(items) << 4) | et]) if len(items) < 15 else bytes([0xF0 | et]) + _varint(len(items))
        body = b"".join(bytes([1 if x else 2]) if et in (TRUE, FALSE) else _value(et, x) for x in items)
        return head + body
    if t == MAP:
        kv, items = v
        if not items:
            return _varint(0)
        return _varint(len(items)) + bytes([kv]) + b"".join(_value(kv >> 4, k) + _value(kv & 0x0F, x) for k, x in items)
    if t == STRUCT:
        return encode_struct(v)
    raise ValueError(f"unknown thrift compact type {t}")


def encode_struct(s: Struct) -> bytes:
    out, last = bytearray(), 0
    for fid in sorted(s):
        t, v = s[fid]
        if t in (TRUE, FALSE):
            t = TRUE if v else FALSE
        delta = fid - last
        out += bytes([(delta << 4) | t]) if 0 < delta <= 15 else bytes([t]) + _zigzag(fid)
        out += _value(t, v)
        last = fid
    return bytes(out + b"\x00")


def read_footer(data: bytes) -> tuple[bytes, Struct]:
    """``(everything before the footer, the decoded FileMetaData)`` of a parquet file's bytes."""
    if data[-4:] != b"PAR1":
        raise ValueError("not a parquet file")
    n = struct.unpack("<I", data[-8:-4])[0]
    meta = decode_footer(data[-8 - n:-8])
    return data[:-8 - n], meta


def with_footer(body: bytes, meta: Struct) -> bytes:
    """A parquet file made of ``body`` and the footer ``meta``."""
    footer = encode_struct(meta)
    return body + footer + struct.pack("<I", len(footer)) + b"PAR1"


def column_meta(meta: Struct, group: int = 0, column: int = 0) -> Struct:
    """The ColumnMetaData of one column chunk of one row group."""
    rg = meta.get_value(FILE_ROW_GROUPS)[1][group]
    return rg.get_value(RG_COLUMNS)[1][column].get_value(CC_META)
