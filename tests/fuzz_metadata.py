"""Hypothesis strategies that lie in a file's metadata, for tests/test_fuzz_loaders.py.

Byte noise rarely gets past a format's checksums and parsers; these keep a file
well-formed and change what it *claims*: a parquet footer's row counts, schema, row
groups and column types; an ``.npy`` header's dtype, order and shape (alone or in an
``.npz``); a safetensors JSON header's dtypes, shapes and offsets; an ONNX graph's
shapes, op types, attributes, initializers and nested graphs.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
from hypothesis import strategies as st

from tests import parquet_footer as pf

#: Integers a size field may be given: edges, off-by-ones, overflows.
SIZES = st.one_of(
    st.sampled_from([0, 1, 2, 3, 7, 8, 9, 255, 2**15, 2**31 - 1, 2**31, 2**32, 2**40, 2**62, 2**63 - 1, -1, -2**31,
                     -2**63]),
    st.integers(-10, 10_000),
)


# ------------------------------------------------------------------ parquet footers
@st.composite
def parquet_lies(draw, data: bytes) -> bytes:
    """A parquet file whose footer was changed in one to four places."""
    body, meta = pf.read_footer(data)
    groups = meta.get_value(pf.FILE_ROW_GROUPS)[1]
    schema = meta.get_value(pf.FILE_SCHEMA)[1]
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["file rows", "group rows", "num_values", "column type", "sizes", "offsets",
                                     "codec", "schema type", "repetition", "children", "drop schema", "drop group",
                                     "copy group", "no groups", "name"]))
        g = draw(st.integers(0, max(0, len(groups) - 1)))
        rg = groups[g] if groups else None
        cols = rg.get_value(pf.RG_COLUMNS)[1] if rg is not None else []
        j = draw(st.integers(0, max(0, len(cols) - 1)))
        cm = cols[j].get_value(pf.CC_META) if cols else None
        el = draw(st.sampled_from(schema)) if schema else None
        if what == "file rows":
            meta.set_value(pf.FILE_NUM_ROWS, draw(SIZES))
        elif what == "group rows" and rg is not None:
            rg.set_value(pf.RG_NUM_ROWS, draw(SIZES))
        elif what == "num_values" and cm is not None:
            cm.set_value(pf.CM_NUM_VALUES, draw(SIZES))
        elif what == "column type" and cm is not None:
            cm.set_value(pf.CM_TYPE, draw(st.integers(-1, 9)))
        elif what == "sizes" and cm is not None:
            cm.set_value(draw(st.sampled_from([pf.CM_UNCOMPRESSED, pf.CM_COMPRESSED])), draw(SIZES))
        elif what == "offsets" and cm is not None:
            cm.set_value(pf.CM_DATA_OFFSET, draw(SIZES))
        elif what == "codec" and cm is not None:
            cm.set_value(4, draw(st.integers(-1, 9)))
        elif what == "schema type" and el is not None:
            el[1] = [pf.I32, draw(st.integers(-1, 9))]
        elif what == "repetition" and el is not None:
            el[3] = [pf.I32, draw(st.integers(-1, 3))]
        elif what == "children" and el is not None:
            el[5] = [pf.I32, draw(SIZES)]
        elif what == "name" and el is not None:
            el[4] = [pf.BINARY, draw(st.sampled_from([b"", b"id", b"label", b"vector", b"\xff\xfe", b"a" * 300]))]
        elif what == "drop schema" and len(schema) > 1:
            schema.pop(draw(st.integers(0, len(schema) - 1)))
        elif what == "drop group" and groups:
            groups.pop(g)
        elif what == "copy group" and groups:
            groups.append(pf.Struct({k: list(v) for k, v in groups[g].items()}))
        elif what == "no groups":
            groups.clear()
    return pf.with_footer(body, meta)


# ------------------------------------------------------------------ npy / npz headers
DESCRS = ["<f4", "<f8", ">f4", "<f2", "<i8", "|u1", "|b1", "<c8", "|O", "<U5", "|S3", "|V8", "<M8[s]", "<m8",
          "[('a', '<f4'), ('b', '<f4')]", "[('a', '|O')]", "'<f4'", "'x'", "None", "1", "'<f16'"]


@st.composite
def npy_lies(draw) -> bytes:
    """An ``.npy`` file whose header text was drawn: any descr, order and shape, over any number of bytes."""
    descr = draw(st.sampled_from(DESCRS))
    descr = descr if descr.startswith(("[", "'", "N", "1")) else repr(descr)
    shape = draw(st.lists(SIZES, max_size=4).map(tuple))
    if draw(st.integers(0, 3)) == 0:  # a header that fits the 96 bytes of float32 data drawn below, now and then
        descr, shape = "'<f4'", draw(st.sampled_from([(8, 3), (4, 6), (24, 1), (2, 3, 4), (24,), (0, 3)]))
    order = draw(st.sampled_from(["False", "True", "0", "'no'"]))
    text = f"{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape!r}, }}"
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("'shape'", draw(st.sampled_from(["'shap'", "'shape': (), 'shape'", "'extra': 1, 'shape'"])))
    version = draw(st.sampled_from([(1, 0), (1, 0), (2, 0), (3, 0), (9, 9)]))
    head = text.encode("latin1")
    size_fmt = "<H" if version[0] == 1 else "<I"
    pad = 64 - (len(head) + 10 + (0 if version[0] == 1 else 2) + 1) % 64
    head += b" " * pad + b"\n"
    out = b"\x93NUMPY" + bytes(version) + struct.pack(size_fmt, len(head)) + head
    return out + draw(st.sampled_from([b"", b"\x00" * 48, b"\x01" * 97, np.arange(24, dtype="<f4").tobytes()]))


@st.composite
def npz_lies(draw) -> bytes:
    """An ``.npz`` whose members have drawn headers, stored or deflated, under the usual names."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as z:
        names = draw(st.lists(st.sampled_from(["vectors.npy", "ids.npy", "labels.npy", "other.npy", "vectors"]),
                              min_size=1, max_size=3, unique=True))
        for name in names:
            if draw(st.booleans()):
                z.writestr(name, draw(npy_lies()))
            else:  # a valid member beside the lies
                m = io.BytesIO()
                np.save(m, {"vectors.npy": np.ones((4, 3), np.float32), "ids.npy": np.arange(4),
                            "labels.npy": np.array(list("abab"))}.get(name, np.zeros(2)))
                z.writestr(name, m.getvalue())
    return b.getvalue()


# ------------------------------------------------------------------ safetensors headers
ST_DTYPES = ["F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F8_E4M3", "C64", "OBJ", "", "f32"]


@st.composite
def safetensors_lies(draw, data: bytes) -> bytes:
    """A safetensors file whose JSON header was changed: dtypes, shapes, offsets, keys, its length prefix."""
    n = struct.unpack("<Q", data[:8])[0]
    header, payload = json.loads(data[8:8 + n]), data[8 + n:]
    keys = [k for k in header if k != "__metadata__"]
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        entry = header.get(key)
        what = draw(st.sampled_from(["dtype", "shape", "offsets", "drop", "rename", "metadata", "type"]))
        if what == "dtype" and isinstance(entry, dict):
            entry["dtype"] = draw(st.sampled_from(ST_DTYPES))
        elif what == "shape" and isinstance(entry, dict):
            entry["shape"] = draw(st.lists(SIZES, max_size=4))
        elif what == "offsets" and isinstance(entry, dict):
            entry["data_offsets"] = draw(st.lists(SIZES, min_size=0, max_size=3))
        elif what == "drop":
            header.pop(key, None)
        elif what == "rename" and key in header:
            header[draw(st.sampled_from(["x", "", "__metadata__", key + ".extra"]))] = header.pop(key)
        elif what == "metadata":
            header["__metadata__"] = draw(st.sampled_from([{"format": "pt"}, {"a": 1}, [], "x", None]))
        elif what == "type":
            header[key] = draw(st.sampled_from([None, 1, "F32", [], {"dtype": "F32"}]))
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    length = draw(st.sampled_from([len(text), len(text), len(text) + 8, max(0, len(text) - 8), 2**40, 0]))
    return struct.pack("<Q", length) + text + payload


# ------------------------------------------------------------------ ONNX graphs
OPS = ["MatMul", "Add", "Relu", "Identity", "Reshape", "Expand", "Tile", "ConstantOfShape", "Range", "Gather",
       "Transpose", "Flatten", "Concat", "Cast", "Einsum", "Squeeze", "Unsqueeze", "Shape", "Size", "If", "Loop",
       "Scan", "SequenceConstruct", "Split", "TopK", "NoSuchOp", "Resize", "Pad", "Slice", "ReduceSum"]
ELEM = st.sampled_from([1, 1, 1, 7, 11, 10, 9, 8, 0, 16])  # FLOAT x3, INT64, DOUBLE, FLOAT16, BOOL, STRING, UNDEFINED, BF16
DIM = st.one_of(st.sampled_from(["n", "?", 3, 2, 0, -1, 2**31, 2**40]), st.integers(0, 6))


def _value_info(name, elem, dims):
    from onnx import helper

    return helper.make_tensor_value_info(name, elem, dims if dims is not None else None)


@st.composite
def _initializer(draw, name: str):
    """A tensor whose dims, type and data need not agree (built by hand: onnx.helper checks them)."""
    from onnx import TensorProto

    t = TensorProto(name=name, data_type=draw(st.sampled_from([TensorProto.FLOAT, TensorProto.INT64,
                                                               TensorProto.DOUBLE, TensorProto.STRING, 0, 99])))
    t.dims.extend(draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 2**20, 2**33, -1]), max_size=3)))
    count = draw(st.sampled_from([0, 1, 3, 6, 12]))
    if t.data_type == TensorProto.STRING:
        t.string_data.extend([b"s"] * count)
    else:
        t.raw_data = bytes(count * draw(st.sampled_from([4, 8])) + draw(st.sampled_from([0, 0, 3])))
    return t


def _attributes(draw, op: str) -> dict:

    attrs = {}
    for key in draw(st.lists(st.sampled_from(["axis", "perm", "to", "equation", "value", "body", "then_branch",
                                              "else_branch", "num_scan_inputs", "k", "mode", "keepdims", "shape"]),
                             max_size=3, unique=True)):
        kind = draw(st.sampled_from(["int", "ints", "str", "float", "graph", "tensor"]))
        if kind == "int":
            attrs[key] = draw(SIZES)
        elif kind == "ints":
            attrs[key] = draw(st.lists(SIZES, min_size=1, max_size=4))
        elif kind == "str":
            attrs[key] = draw(st.sampled_from(["ij,jk->ik", "", "nearest", "x" * 100]))
        elif kind == "float":
            attrs[key] = draw(st.sampled_from([0.0, -1.0, 1e308, float("nan")]))
        elif kind == "graph":
            attrs[key] = draw(_subgraph())
        else:
            attrs[key] = draw(_initializer("v"))
    return attrs


@st.composite
def _subgraph(draw):
    """A small body graph (for If/Loop/Scan attributes): an Identity or Add with drawn signatures."""
    from onnx import helper

    n_in = draw(st.integers(0, 3))
    ins = [_value_info(f"b{i}", draw(ELEM), draw(st.one_of(st.none(), st.lists(DIM, max_size=3)))) for i in range(n_in)]
    outs = [_value_info(f"o{i}", draw(ELEM), draw(st.one_of(st.none(), st.lists(DIM, max_size=3))))
            for i in range(draw(st.integers(0, 3)))]
    nodes = []
    for i, o in enumerate(outs):
        src = ins[i % len(ins)].name if ins else "x"  # "x" reaches into the outer scope
        nodes.append(helper.make_node(draw(st.sampled_from(["Identity", "Relu", "Add", "Expand"])),
                                      [src] + ([src] if draw(st.booleans()) else []), [o.name]))
    return helper.make_graph(nodes, "body", ins, outs)


@st.composite
def onnx_lies(draw) -> bytes:
    """An ONNX model of one to three drawn nodes over input ``x``, with drawn shapes, attributes and initializers."""
    from onnx import helper

    # mostly the usual (n, 3) float input with a valid weight, so that graphs reach onnxruntime
    usual = draw(st.integers(0, 3)) > 0
    x = _value_info("x", 1 if usual else draw(ELEM),
                    ["n", 3] if usual else draw(st.one_of(st.none(), st.lists(DIM, max_size=4))))
    inputs, names, nodes, inits = [x], ["x"], [], []
    valid = usual and draw(st.booleans())
    if valid:  # MatMul by a (3, k) weight: runs, unless the nodes drawn after it break the graph
        from onnx import numpy_helper

        k = draw(st.sampled_from([1, 2, 5]))
        inits.append(numpy_helper.from_array(np.ones((3, k), np.float32), "W"))
        nodes.append(helper.make_node("MatMul", ["x", "W"], ["h"]))
        names.append("h")
    for i in range(draw(st.integers(0 if valid else 1, 3))):
        op = draw(st.sampled_from(OPS))
        extra = []
        for k2 in range(draw(st.integers(0, 2))):
            init = draw(_initializer(f"w{i}_{k2}"))
            inits.append(init)
            extra.append(init.name)
        node_inputs = [draw(st.sampled_from(names))] + extra
        if op == "Loop":  # trip count, condition, a carried value
            node_inputs = [extra[0] if extra else "", "", names[-1]]
        outputs = [f"h{i}"] + ([f"h{i}b"] if draw(st.integers(0, 4)) == 0 else [])
        domain = draw(st.sampled_from(["", "", "", "com.microsoft", "evil.domain"]))
        nodes.append(helper.make_node(op, node_inputs, outputs, domain=domain, **_attributes(draw, op)))
        names += outputs
    out = draw(st.sampled_from(names[1:]))
    if valid and out == "h" and draw(st.booleans()):
        outputs = [_value_info("h", 1, ["n", k])]
    else:
        outputs = [_value_info(out, draw(ELEM), draw(st.one_of(st.none(), st.lists(DIM, max_size=3))))]
    if draw(st.integers(0, 5)) == 0:
        outputs.append(_value_info("latent", 1, ["n", 2]))
    if draw(st.integers(0, 6)) == 0:
        inputs.append(_value_info("y", 1, ["n", 3]))
    graph = helper.make_graph(nodes, "fuzz", inputs, outputs, initializer=inits)
    opset = draw(st.sampled_from([13, 13, 17, 21, 7, 1, 99]))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=draw(st.sampled_from([8, 8, 10, 3, 99])))
    return model.SerializeToString()
