"""The bad-input catalogue: every bad input we know of, the error type and message it gets.

One row per case in :data:`CASES`: ``Case(name, what, trigger, error, match)``.
``trigger(tmp)`` provokes the error (``tmp`` is a fresh folder for file cases), ``error``
is the exact type raised and ``match`` a regex its message must match. File loaders add
their rows the same way. :data:`ACCEPTED` lists the awkward inputs that must *work*.

Cases a dashboard user can cause also say what the dashboard receives (``ui_kind`` and
``ui(tmp)``): an :class:`Upload` for the Data & encoders page, the text of a session
file for the Share & export page, or a link's query parameters. Their ``trigger`` runs
that very input through the call the dashboard makes, so the message in the table is
the one the user reads; ``tests/dashboard/test_bad_inputs_ui.py`` drives the pages
with them.

The "Bad input: what you get" table of docs/errors.md is generated from these rows, messages
included, and a test checks that it is up to date:

    python tests/test_bad_inputs.py --write-docs
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import (  # noqa: E402
    LatentSpace,
    LatentTranslation,
    RelativeProjection,
    anchor_sweep,
    compare_spaces,
    load_dataset,
    relative_projection,
    select_anchors,
    stitching_matrix,
)
from core.errors import (  # noqa: E402
    AnchorError,
    FileTooLargeError,
    InvalidInputError,
    InvalidTypeError,
    LoadError,
    MismatchError,
    StitchboardError,
    UnknownIdError,
)
from core.errors import UnsafeFileError  # noqa: E402
from core.io.collection_files import load_collection  # noqa: E402
from core.maps.layout import compute_layout, layout_pair  # noqa: E402
from core.methods.agreement import neighbour_lists, sample_agreement, sample_cosine  # noqa: E402
from core.methods.metrics import debiased_cka, knn_jaccard  # noqa: E402
from core.spaces.datasets import DATASETS  # noqa: E402
from core.io.session import from_json  # noqa: E402
from core.limits import MAX_SESSION_BYTES  # noqa: E402
from core.io.session_query import from_query  # noqa: E402
from core.io.vector_files import read_anchor_file  # noqa: E402
from core.validation import NotFittedYetError  # noqa: E402
from core.spaces.assets import assets_dir  # noqa: E402
from core.spaces.zoo import Zoo  # noqa: E402

CATALOGUE_DOC = ROOT / "docs" / "errors.md"
BEGIN, END = "<!-- bad-inputs:begin -->", "<!-- bad-inputs:end -->"
LIMITS_BEGIN, LIMITS_END = "<!-- limits:begin -->", "<!-- limits:end -->"
#: The worker limits (core.runtime.workers, and the ONNX run's own time limit): setting, default, what they bound.
WORKER_LIMITS = (
    ("STITCHBOARD_WORKER_MEMORY_MB", 8192, "MB", "address space of a worker process (ONNX runs, encoders)"),
    ("STITCHBOARD_WORKER_TIMEOUT_S", 3600, "s", "wall time of a worker's job"),
    ("STITCHBOARD_ONNX_TIMEOUT_S", 300, "s", "wall time of one ONNX run"),
    ("STITCHBOARD_WORKER_RESULT_MB", 2048, "MB", "size of what a worker sends back"),
)
MESSAGE_CHARS = 150


@dataclass(frozen=True)
class Case:
    """A bad input: ``trigger(tmp)`` must raise exactly ``error`` with a message matching ``match``."""

    name: str
    what: str
    trigger: Callable[[Path], object]
    error: type
    match: str
    stable: str | None = None  # docs/errors.md shows the message up to and including this (the rest quotes a library)
    ui_kind: str | None = None  # "upload", "session" or "link": where a dashboard user gives this input
    ui: Callable[[Path], object] | None = None  # what the dashboard receives: Upload, session text or query dict


@dataclass(frozen=True)
class Accepted:
    """An awkward input that must work: ``check(tmp)`` runs it and asserts the outcome."""

    name: str
    what: str
    check: Callable[[Path], None]
    outcome: str
    ui: Callable[[Path], "Upload"] | None = None  # the same input as an upload on the Data & encoders page
    ui_metrics: dict | None = None  # what the page's summary then shows (metric label -> value)


#: The per-file limit of the Data & encoders page by default (Streamlit's server.maxUploadSize, MB).
PAGE_LIMIT_MB = 200


@dataclass(frozen=True)
class Upload:
    """Files given to the Data & encoders page, with its options, loaded as the page loads them."""

    files: tuple  # of (name, bytes)
    table: tuple | None = None  # (name, bytes) of the data table for models
    name: str = "my spaces"  # the collection name typed in the page's options
    intersect: bool = False
    limit_mb: int = PAGE_LIMIT_MB

    def load(self):
        return load_collection(list(self.files), table=self.table, name=self.name, intersect=self.intersect,
                               max_bytes=self.limit_mb * 1024 * 1024)


def _upload_case(name, what, build, error, match, stable=None) -> Case:
    """A bad upload: ``build(tmp)`` makes the :class:`Upload`; the trigger loads it and checks no pickle ran."""
    return Case(name, what, lambda t: _load_upload(build(t), t), error, match, stable, ui_kind="upload", ui=build)


def _load_upload(upload: "Upload", tmp: Path):
    try:
        return upload.load()
    finally:
        assert not (tmp / "PWNED").exists(), "a pickle's command ran"


_COLLECTIONS: dict = {}


def _collection_of(dataset: str):
    if dataset not in _COLLECTIONS:
        _COLLECTIONS[dataset] = Zoo(dataset).collection()
    return _COLLECTIONS[dataset]


#: What the dashboard checks a session against in a fresh browser session (no uploads yet).
SESSION_CONTEXT = dict(datasets=list(DATASETS), collection_of=_collection_of)


def _session_case(name, what, text, error, match) -> Case:
    """A tampered session file, loaded on the Share & export page."""
    return Case(name, what, lambda t: from_json(text, **SESSION_CONTEXT), error, match, ui_kind="session",
                ui=lambda t: text)


def _link_case(name, what, params, error, match) -> Case:
    """A tampered link: its query parameters (``dataset`` is what the page assumes when absent)."""
    return Case(name, what, lambda t: from_query(params, **SESSION_CONTEXT), error, match, ui_kind="link",
                ui=lambda t: params)


# ------------------------------------------------------------------ builders


def _space(name="enc", n=12, d=4, *, labels=True, seed=0, ids=None, vectors=None):
    rng = np.random.default_rng(seed)
    V = rng.normal(size=(n, d)) if vectors is None else vectors
    ids = np.arange(n) if ids is None else ids
    return LatentSpace(V, ids, labels=(np.arange(len(ids)) % 3) if labels else None, name=name)


def _zero_encoder_pair():
    """enc0 well-behaved, enc1 all zero (train and test)."""
    train, test = _pair()
    for part in (train, test):
        sp = part["enc1"]
        part["enc1"] = LatentSpace(np.zeros_like(sp.vectors), sp.ids, labels=sp.labels, name="enc1")
    return train, test


def _pair(n_train=30, n_test=12, d=(4, 4), **kw):
    train = {f"enc{i}": _space(f"enc{i}", n_train, di, seed=i, **kw) for i, di in enumerate(d)}
    test = {
        f"enc{i}": _space(f"enc{i}", n_test, di, seed=10 + i, ids=np.arange(100, 100 + n_test), **kw)
        for i, di in enumerate(d)
    }
    return train, test


def _with_nan():
    V = np.ones((4, 3))
    V[1, 2] = np.nan
    return LatentSpace(V, ids=np.array(["a", "b", "c", "d"]))


def _stitch_partial_overlap():
    train, test = _pair()
    b = train["enc1"]
    train["enc1"] = LatentSpace(b.vectors, np.arange(8, 38), labels=b.labels, name="enc1")
    return stitching_matrix(train, test, [0, 1, 2])


def _stitch_row_count():
    train, test = _pair()
    train["enc1"] = train["enc1"].subset(np.arange(20))
    return stitching_matrix(train, test, [0, 1, 2])


def _stitch_labels_disagree():
    train, test = _pair()
    b = train["enc1"]
    train["enc1"] = LatentSpace(b.vectors, b.ids, labels=(b.labels + 1) % 3, name="enc1")
    return stitching_matrix(train, test, [0, 1, 2])


def _stitch_test_dims():
    train, test = _pair()
    test["enc1"] = _space("enc1", 12, 5, ids=np.arange(100, 112))
    return stitching_matrix(train, test, [0, 1, 2])


def _zoo_dir(tmp: Path, *, manifest=None, model: bytes | None = None, config=None) -> Path:
    root = tmp / "zoo"
    root.mkdir(parents=True, exist_ok=True)
    src = assets_dir() / "digits"
    entry = dict(json.loads((src / "manifest.json").read_text())["encoders"][0])
    if config is not None:
        entry["config"] = config
    shutil.copy(src / entry["file"], root / entry["file"])
    if model is None:
        shutil.copy(src / entry["onnx"], root / entry["onnx"])
    else:
        (root / entry["onnx"]).write_bytes(model)
    text = manifest if manifest is not None else json.dumps({"dataset": "digits", "encoders": [entry]})
    (root / "manifest.json").write_text(text)
    return root


def _zoo_model(tmp: Path, **kw):
    return Zoo("digits", root=_zoo_dir(tmp, **kw)).model("mlp-s0")


def _real_model() -> bytes:
    return (assets_dir() / "digits" / "mlp-s0.onnx").read_bytes()


def _csv(tmp: Path, text: str, name: str = "space.csv") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _npy(tmp: Path, array, name="space.npy", **kw) -> Path:
    path = tmp / name
    np.save(path, array, **kw)
    return path


class _Evil:
    """A pickle whose loading runs a shell command (it would create ``marker``)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _evil_upload(tmp: Path, name: str) -> Upload:
    """A pickle that would ``touch tmp/PWNED`` when loaded (no trigger may create it)."""
    import pickle

    return Upload(((name, pickle.dumps(_Evil(tmp / "PWNED"))),))


def _npy_bytes(array, **kw) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array, **kw)
    return buf.getvalue()


def _npz_bytes(**arrays) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _lying_npy(shape) -> bytes:
    """A .npy whose header announces ``shape`` (float32) over 48 bytes of data."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(48)


def _zip_bytes(members: dict) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _parquet_bytes(columns: dict) -> bytes:
    import io

    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame(columns).to_parquet(buf)
    return buf.getvalue()


def _lying_parquet(*, values: bool | None = None, column_type: int | None = None, file_path: bytes | None = None):
    """An 8 x 3 float32 parquet file whose footer was rewritten (tests/parquet_footer.py)."""
    from tests import parquet_footer as pf

    body, meta = pf.read_footer(_parquet_bytes({f"f{j}": np.arange(8, dtype=np.float32) for j in range(3)}))
    rg = meta.get_value(pf.FILE_ROW_GROUPS)[1][0]
    if values is not None:
        meta.set_value(pf.FILE_NUM_ROWS, 2**40)
        rg.set_value(pf.RG_NUM_ROWS, 2**40)
        for j in range(3):
            if values:
                pf.column_meta(meta, 0, j).set_value(pf.CM_NUM_VALUES, 2**40)
    if column_type is not None:
        pf.column_meta(meta).set_value(pf.CM_TYPE, column_type)
    if file_path is not None:
        rg.get_value(pf.RG_COLUMNS)[1][0].set_value(1, file_path, pf.BINARY)
    return pf.with_footer(body, meta)


def _one(name: str, data: bytes | str) -> Upload:
    """An upload of one file."""
    return Upload(((name, data.encode("utf-8") if isinstance(data, str) else data),))


def _model_upload(tmp: Path, *, weights=None, sidecar=True, config=None, table_features=3) -> Upload:
    """Safetensors weights (+ JSON sidecar) and the data table they encode."""
    st_path, js_path = _tiny_model(tmp, config)
    files = [("enc.safetensors", st_path.read_bytes() if weights is None else weights(st_path.read_bytes()))]
    if sidecar:
        files.append(("enc.json", js_path.read_bytes()))
    return Upload(tuple(files), table=("table.csv", _table3(tmp, table_features).read_bytes()))


def _onnx_upload(tmp: Path, *, input_shape=("n", 3), cut=None, table_features=3) -> Upload:
    data = _onnx(tmp, input_shape).read_bytes()
    return Upload((("enc.onnx", data[:cut] if cut else data),),
                  table=("table.csv", _table3(tmp, table_features).read_bytes()))


def _tiny_model(tmp: Path, config=None) -> tuple[Path, Path]:
    from safetensors.numpy import save_file

    from core.spaces.architecture_graphs import weight_shapes

    real = {"in_dim": 3, "hidden": 4, "latent_dim": 2, "n_classes": 2}
    rng = np.random.default_rng(0)
    save_file({k: rng.uniform(-0.5, 0.5, shape).astype(np.float32) for k, shape in weight_shapes("mlp", real).items()},
              str(tmp / "enc.safetensors"))
    (tmp / "enc.json").write_text(json.dumps({"arch": "mlp", "config": config or real}))
    return tmp / "enc.safetensors", tmp / "enc.json"


def _onnx(tmp: Path, input_shape=("n", 3)) -> Path:
    from onnx import TensorProto, helper, numpy_helper

    W = numpy_helper.from_array(np.ones((3, 2), np.float32), name="W")
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["flat"], axis=1), helper.make_node("MatMul", ["flat", "W"], ["latent"])],
        "enc",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, None)], initializer=[W],
    )
    path = tmp / "enc.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
                     .SerializeToString())
    return path


def _sidecar_upload(tmp: Path, sidecar: bytes) -> Upload:
    up = _model_upload(tmp)
    return Upload((up.files[0], ("enc.json", sidecar)), table=up.table)


def _write(tmp: Path, name: str, data: bytes) -> Path:
    (tmp / name).write_bytes(data)
    return tmp / name


def _onnx_graph(kind: str) -> bytes:
    """Hostile ONNX models on a (n, 3) input: external weights, huge, scalar or sequence outputs."""
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])
    out = helper.make_tensor_value_info("latent", TensorProto.FLOAT, None)
    inits, nodes = [], []
    if kind == "external":  # weights "stored" in a file of the server's working directory
        w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3, 2], data_location=TensorProto.EXTERNAL)
        for k, v in (("location", ".env"), ("offset", "0"), ("length", "24")):
            e = w.external_data.add()
            e.key, e.value = k, v
        inits, nodes = [w], [helper.make_node("MatMul", ["x", "W"], ["latent"])]
    elif kind == "huge":  # a 3-value input expanded to 70,000 values per row
        inits = [numpy_helper.from_array(np.array([1, 70_000 // 3 + 1], np.int64), name="shape")]
        nodes = [helper.make_node("Tile", ["x", "shape"], ["latent"])]
    elif kind == "scalar":
        nodes = [helper.make_node("ReduceSum", ["x"], ["latent"], keepdims=0)]
    elif kind == "sequence":
        out = helper.make_tensor_sequence_value_info("latent", TensorProto.FLOAT, None)
        nodes = [helper.make_node("SequenceConstruct", ["x", "x"], ["latent"])]
    graph = helper.make_graph(nodes, "enc", [x], [out], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8).SerializeToString()


def _onnx_graph_upload(tmp: Path, kind: str) -> Upload:
    (tmp / ".env").write_bytes(b"SECRET_TOKEN=hunter2-hunter2!!!")  # must never reach an output
    return Upload((("enc.onnx", _onnx_graph(kind)),), table=("table.csv", _table3(tmp).read_bytes()))


def _table3(tmp: Path, n_features=3) -> Path:
    cols = ",".join(f"f{i}" for i in range(n_features))
    rows = "\n".join(f"{i}," + ",".join(str(0.1 * (i + j)) for j in range(n_features)) for i in range(4))
    return _csv(tmp, f"id,{cols}\n{rows}\n", "table.csv")


def _sparse():
    from scipy.sparse import csr_matrix

    return relative_projection(csr_matrix(np.eye(3)), np.eye(3))


# ------------------------------------------------------------------ the catalogue

CASES: list[Case] = [
    # vectors and spaces
    Case("nan-in-vectors", "NaN in a space's vectors", lambda t: _with_nan(), InvalidInputError,
         r"NaN or Inf in rows with ids \['b'\]"),
    Case("inf-in-vectors", "Inf in vectors passed to relative_projection", lambda t: relative_projection(
        np.array([[1.0, 0.0], [np.inf, 1.0]]), np.eye(2), similarity="euclidean"), InvalidInputError,
         r"X contains NaN or Inf in rows \[1\]"),
    Case("vectors-1d", "1-D vectors", lambda t: LatentSpace(np.ones(5), np.arange(5)), InvalidInputError,
         r"must be 2-D \(n_samples, n_dims\); got shape \(5,\): Reshape your data"),
    Case("vectors-3d", "3-D vectors (images not flattened)", lambda t: LatentSpace(np.ones((4, 2, 2)), np.arange(4)),
         InvalidInputError, r"got shape \(4, 2, 2\): flatten each sample first"),
    Case("vectors-empty", "an empty array (0 rows)", lambda t: LatentSpace(np.zeros((0, 3)), np.arange(0)),
         InvalidInputError, r"is empty: 0 sample\(s\)"),
    Case("vectors-no-dims", "vectors with 0 dims", lambda t: relative_projection(np.zeros((3, 0)), np.zeros((2, 0))),
         InvalidInputError, r"X has 0 feature\(s\)"),
    Case("vectors-ragged", "ragged rows (lists of different lengths)",
         lambda t: relative_projection([[1.0, 2.0], [3.0]], np.eye(2)), InvalidInputError,
         r"X cannot be read as an array: its rows have different lengths"),
    Case("vectors-text", "text instead of numbers", lambda t: LatentSpace(np.array([["a", "b"]]), [0]),
         InvalidTypeError, r"dtype <U1, which is not numeric"),
    Case("vectors-object-text", "an object array holding text",
         lambda t: relative_projection(np.array([[1.0, "n/a"]], dtype=object), np.eye(2)), InvalidTypeError,
         r"X has dtype object with non-numeric elements",
         stable="non-numeric elements"),
    Case("vectors-complex", "complex vectors", lambda t: relative_projection(np.ones((2, 2), complex), np.eye(2)),
         InvalidInputError, r"Complex data not supported"),
    Case("vectors-sparse", "a scipy sparse matrix", lambda t: _sparse(), InvalidTypeError,
         r"X is a sparse matrix"),
    Case("ids-duplicate", "duplicate ids within a space", lambda t: LatentSpace(np.ones((3, 2)), [7, 7, 8]),
         InvalidInputError, r"must be unique; duplicated: \[7\]"),
    Case("ids-wrong-length", "fewer ids than rows", lambda t: LatentSpace(np.ones((3, 2)), [1, 2]),
         InvalidInputError, r"ids of space 'space' must have shape \(3,\)"),
    Case("ids-mixed-types", "ids mixing ints and strings",
         lambda t: LatentSpace(np.ones((2, 2)), np.array([1, "a"], dtype=object)), InvalidTypeError,
         r"must be all ints or all strings"),
    Case("ids-nan", "a NaN id", lambda t: LatentSpace(np.ones((2, 2)), [1.0, np.nan]), InvalidInputError,
         r"ids of space 'space' must be ints or strings; got floats"),
    Case("labels-nan", "NaN labels", lambda t: LatentSpace(np.ones((3, 2)), [5, 6, 7], labels=[0.0, np.nan, 1.0]),
         InvalidInputError, r"labels of space 'space' are missing \(NaN/None\) for ids \[6\]"),
    Case("labels-one-hot", "one-hot labels (2-D)",
         lambda t: LatentSpace(np.ones((3, 2)), [0, 1, 2], labels=np.eye(3)), InvalidInputError,
         r"one-hot\? pass labels.argmax\(1\)"),
    Case("name-not-str", "a space name that is not a str", lambda t: LatentSpace(np.ones((2, 2)), [0, 1], name=3),
         InvalidTypeError, r"name=3 must be a str"),
    Case("lookup-unknown-id", "looking up an id the space lacks", lambda t: _space().take([1, 42]),
         UnknownIdError, r"1 id\(s\) are not in space 'enc': \[42\]"),
    # relative projection
    Case("zero-row-cosine", "an all-zero row under cosine", lambda t: relative_projection(
        np.array([[1.0, 0.0], [0.0, 0.0]]), np.eye(2), ids=["img-1", "img-2"]), InvalidInputError,
         r"rows with ids \['img-2'\] of X are all zero: cosine is undefined"),
    Case("zero-anchor-cosine", "an all-zero anchor under cosine", lambda t: relative_projection(
        np.eye(2), np.array([[1.0, 0.0], [0.0, 0.0]]), anchor_ids=[10, 11]), AnchorError,
         r"anchor rows with ids \[11\] are all zero: cosine is undefined"),
    Case("constant-column-scale", "a constant feature under standard scaling", lambda t: relative_projection(
        np.ones((3, 2)), np.array([[1.0, 5.0], [2.0, 5.0]]), scale=True), InvalidInputError,
         r"columns \[1\] are constant on the anchors"),
    Case("dims-mismatch-relative", "anchors with other dims than X",
         lambda t: relative_projection(np.ones((3, 5)), np.ones((2, 4))), MismatchError,
         r"X has n_dims=5 but A has n_dims=4"),
    Case("no-anchor-vectors", "no anchor vectors", lambda t: relative_projection(np.ones((3, 5)), np.zeros((0, 5))),
         AnchorError, r"A is empty"),
    Case("unknown-similarity", "an unknown similarity",
         lambda t: relative_projection(np.eye(2), np.eye(2), similarity="dot"), InvalidInputError,
         r"similarity='dot' is not supported; choose one of"),
    Case("center-one-anchor", "centring on a single anchor",
         lambda t: relative_projection(np.eye(2), np.ones((1, 2)), center="anchors"), AnchorError,
         r"center='anchors' needs at least 2 anchors"),
    Case("overflow-distance", "values too large for a distance (1e300)", lambda t: relative_projection(
        np.array([[1e300, -1e300]]), np.array([[-1e300, 1e300]]), similarity="euclidean"), InvalidInputError,
         r"overflow .* rescale X and A by the same factor"),
    Case("topk-zero", "ASIF topk=0", lambda t: relative_projection(np.eye(2), np.eye(2), topk=0),
         InvalidInputError, r"topk=0 must be >= 1"),
    Case("scale-not-bool", "scale='yes'", lambda t: relative_projection(np.eye(2), np.eye(2), scale="yes"),
         InvalidTypeError, r"scale='yes' must be True or False"),
    Case("estimator-not-fitted", "RelativeProjection.transform before fit",
         lambda t: RelativeProjection().transform(np.eye(2)), NotFittedYetError, r"not fitted yet: call fit"),
    Case("estimator-unknown-anchor-ids", "RelativeProjection anchor_ids not among the rows",
         lambda t: RelativeProjection(anchor_ids=[0, 99]).fit(np.eye(5)), UnknownIdError,
         r"1 anchor id\(s\) are not among the fitted samples: \[99\]"),
    # anchors
    Case("n-anchors-zero", "n_anchors=0", lambda t: select_anchors(_space(), 0), AnchorError,
         r"n_anchors=0 must be >= 1"),
    Case("n-anchors-negative", "n_anchors=-3", lambda t: select_anchors(_space(), -3), AnchorError,
         r"n_anchors=-3 must be >= 1"),
    Case("n-anchors-too-many", "more anchors than samples", lambda t: select_anchors(_space(), 50), AnchorError,
         r"n_anchors=50 must be <= n_samples=12"),
    Case("n-anchors-float", "n_anchors=2.5", lambda t: select_anchors(_space(), 2.5), InvalidTypeError,
         r"n_anchors=2.5 must be an int"),
    Case("anchors-duplicate", "duplicate anchor ids", lambda t: select_anchors(_space(), strategy="explicit",
         ids=[1, 1, 2]), AnchorError, r"anchor ids contain duplicates: \[1\]"),
    Case("anchors-unknown", "anchor ids the space lacks", lambda t: select_anchors(_space(), strategy="explicit",
         ids=[1, 99, 100]), UnknownIdError, r"2 anchor id\(s\) are not in space 'enc': \[99, 100\]"),
    Case("anchors-wrong-id-type", "text anchor ids for a space with int ids", lambda t: select_anchors(
        _space(), strategy="explicit", ids=["1", "2"]), UnknownIdError, r"the ids of this space are ints"),
    Case("anchors-file-long-number", "an anchors JSON file holding a 5,000-digit id",
         lambda t: read_anchor_file(_write(t, "anchors.json", b"[" + b"7" * 5000 + b"]")), LoadError,
         r"anchors file .*a number of 5,000 characters"),
    Case("anchors-empty", "an empty anchor list", lambda t: select_anchors(_space(), strategy="explicit", ids=[]),
         AnchorError, r"anchor ids must be a non-empty 1-D list"),
    Case("unknown-strategy", "an unknown anchor strategy", lambda t: select_anchors(_space(), 3, strategy="best"),
         InvalidInputError, r"strategy='best' is not supported"),
    Case("stratified-no-labels", "stratified anchors on a space without labels",
         lambda t: select_anchors(_space(labels=False), 3, strategy="stratified"), InvalidInputError,
         r"strategy='stratified' needs labels"),
    Case("anchors-not-a-space", "select_anchors on a bare array", lambda t: select_anchors(np.ones((5, 2)), 2),
         InvalidTypeError, r"space must be a LatentSpace; got ndarray"),
    Case("random-state-negative", "a negative seed", lambda t: select_anchors(_space(), 3, random_state=-1),
         InvalidInputError, r"random_state=-1 must be >= 0"),
    # stitching
    Case("stitch-no-labels", "classification stitching without labels",
         lambda t: stitching_matrix(*_pair(labels=False), [0, 1, 2]), InvalidInputError,
         r"train space 'enc0' has no labels: classification stitching needs labels"),
    Case("stitch-single-class", "training labels with a single class", lambda t: stitching_matrix(
        {"a": LatentSpace(np.random.default_rng(0).normal(size=(6, 3)), np.arange(6), labels=np.zeros(6))},
        {"a": LatentSpace(np.random.default_rng(1).normal(size=(4, 3)), np.arange(6, 10), labels=np.zeros(4))},
        [0, 1]), InvalidInputError, r"a single class \(0.0\) in labels of train space"),
    Case("stitch-partial-overlap", "spaces sharing only some ids", lambda t: _stitch_partial_overlap(),
         MismatchError, r"are not parallel: 22 id\(s\) in common; 'enc0' has 8 id\(s\) that 'enc1' lacks"),
    Case("stitch-row-count", "spaces with different row counts", lambda t: _stitch_row_count(), MismatchError,
         r"'enc0' \(30 samples\) and 'enc1' \(20 samples\) are not parallel"),
    Case("stitch-different-encoders", "train and test naming different encoders",
         lambda t: stitching_matrix(_pair()[0], {"x": _space("x")}, [0, 1]), MismatchError,
         r"train and test spaces name different encoders"),
    Case("stitch-unknown-anchor", "stitching anchors that are not train ids",
         lambda t: stitching_matrix(*_pair(), [0, 1, 999]), UnknownIdError,
         r"1 anchor id\(s\) are not in space 'enc0': \[999\]"),
    Case("stitch-labels-disagree", "parallel spaces labelling the same ids differently",
         lambda t: _stitch_labels_disagree(), MismatchError, r"give different labels to the same ids"),
    Case("stitch-test-dims", "an encoder with other dims in test than in train", lambda t: _stitch_test_dims(),
         MismatchError, r"encoder 'enc1' has 4 dims in train but 5 in test"),
    Case("stitch-unknown-mode", "an unknown stitching mode",
         lambda t: stitching_matrix(*_pair(), [0, 1], modes=("magic",)), InvalidInputError,
         r"mode='magic' is not supported"),
    Case("stitch-unknown-head", "an unknown head",
         lambda t: stitching_matrix(*_pair(), [0, 1], head="svm"), InvalidInputError,
         r"head='svm' is not supported"),
    # translation
    Case("translation-row-mismatch", "translation anchors with different row counts",
         lambda t: LatentTranslation().fit(np.ones((3, 2)), np.ones((4, 2))), MismatchError,
         r"source_anchors has 3 rows but target_anchors has 4"),
    Case("translation-one-anchor", "a translation fitted on one anchor",
         lambda t: LatentTranslation().fit(np.ones((1, 2)), np.ones((1, 2))), AnchorError,
         r"n_anchors=1 must be >= 2"),
    Case("translation-no-pad", "orthogonal translation across dims without padding",
         lambda t: LatentTranslation(pad=False).fit(np.eye(3), np.eye(3, 2)), MismatchError,
         r"dims differ \(3 vs 2\): set pad=True"),
    Case("translation-transform-dims", "translating vectors of other dims than fitted",
         lambda t: LatentTranslation().fit(np.eye(3), np.eye(3)).transform(np.ones((2, 5))), MismatchError,
         r"X has 5 dims but the translation was fitted on 3"),
    # metrics
    Case("metrics-row-mismatch", "metric spaces with different row counts",
         lambda t: compare_spaces(np.ones((5, 2)), np.ones((4, 2))), MismatchError,
         r"X has 5 rows but Y has 4"),
    Case("metrics-dims-differ", "a coordinate metric across dims",
         lambda t: knn_jaccard(np.eye(5), np.eye(5, 3)), MismatchError, r"dims differ \(5 vs 3\)"),
    Case("metrics-k-range", "k larger than the samples",
         lambda t: compare_spaces(np.eye(6), np.eye(6), k=10), InvalidInputError, r"k=10 must be an int in \[1, 6\]"),
    Case("metrics-constant-space", "a constant space", lambda t: compare_spaces(np.ones((6, 3)), np.eye(6, 3), k=2),
         InvalidInputError, r"X is constant \(every row the same\)"),
    Case("metrics-too-few-samples", "debiased CKA on 3 samples", lambda t: debiased_cka(np.eye(3), np.eye(3)),
         InvalidInputError, r"n_samples=3 must be >= 4"),
    Case("metrics-unknown", "an unknown metric", lambda t: compare_spaces(np.eye(4), np.eye(4), metrics=["iou"]),
         InvalidInputError, r"unknown metrics \['iou'\]"),
    # per-sample agreement
    Case("agreement-dims-differ", "the cosine of x_i and y_i across dims",
         lambda t: sample_cosine(np.eye(4), np.eye(4, 3)), MismatchError, r"dims differ \(4 vs 3\).*neighbourhood_overlap"),
    Case("agreement-zero-rows", "neighbour lists of a space with all-zero rows",
         lambda t: neighbour_lists(np.vstack([np.zeros((2, 3)), np.eye(3)]), k=2), InvalidInputError,
         r"rows \[0, 1\] of X are all zero"),
    Case("agreement-one-anchor", "relative agreement on one anchor",
         lambda t: sample_agreement(LatentSpace(np.eye(4), [0, 1, 2, 3]), LatentSpace(np.eye(4), [0, 1, 2, 3]), [0], k=2),
         InvalidInputError, r"needs at least 2 anchors"),
    # layout
    Case("layout-too-few-rows", "a map of 2 points", lambda t: compute_layout(np.eye(2), method="pca"),
         InvalidInputError, r"at least 3 rows to lay out"),
    Case("stitching-zero-encoder", "stitching with an encoder whose vectors are all zero (a dead encoder)",
         lambda t: stitching_matrix(*_zero_encoder_pair(), list(range(5))), AnchorError,
         r"anchor rows with ids \[0, 1, 2, 3, 4\] are all zero: cosine is undefined"),
    Case("relative-identical-centered", "relative projection centred on anchors that are all the same vector",
         lambda t: relative_projection(np.random.default_rng(0).normal(size=(6, 3)), np.ones((4, 3)), center="anchors"),
         AnchorError, r"are all zero after centering/scaling: cosine is undefined"),
    Case("layout-identical-rows", "a t-SNE map of 200 identical rows (scikit-learn's t-SNE crashed the process)",
         lambda t: compute_layout(np.ones((200, 5)), method="tsne"), InvalidInputError,
         r"all 200 rows of X are the same vector, so a map has nothing to show"),
    Case("layout-pair-identical-rows", "a UMAP pair whose B has identical rows",
         lambda t: layout_pair(np.random.default_rng(0).normal(size=(60, 4)), np.ones((60, 4)), method="umap"),
         InvalidInputError, r"all 60 rows of XB are the same vector"),
    Case("layout-cosine-one-dim", "a cosine UMAP map of one-dimensional vectors (only their signs differ)",
         lambda t: compute_layout(np.random.default_rng(0).normal(size=(60, 1))), InvalidInputError,
         r"one dimension, so its cosine distances only see each value's sign"),
    Case("layout-one-direction", "a cosine t-SNE map of rows that are all multiples of one vector",
         lambda t: compute_layout(np.outer(np.arange(1, 61), np.ones(4)), method="tsne"), InvalidInputError,
         r"all 60 rows of X point the same way"),
    Case("layout-unknown-method", "an unknown layout method", lambda t: compute_layout(np.eye(4), method="mds"),
         InvalidInputError, r"method='mds' is not supported"),
    Case("layout-n-neighbors", "UMAP n_neighbors >= n_samples",
         lambda t: compute_layout(np.random.default_rng(0).normal(size=(10, 3)), n_neighbors=50), InvalidInputError,
         r"n_neighbors=50 must be in \[2, n_samples=10\)"),
    Case("layout-pair-rows", "two maps of different row counts",
         lambda t: layout_pair(np.eye(5), np.eye(4), method="pca"), MismatchError, r"XA has 5 rows but XB has 4"),
    # datasets and the zoo
    Case("dataset-unknown", "an unknown dataset", lambda t: load_dataset("mnist"), InvalidInputError,
         r"dataset='mnist' is not supported; choose one of \['digits'"),
    Case("dataset-test-size", "test_size=1.5", lambda t: load_dataset(test_size=1.5), InvalidInputError,
         r"test_size=1.5 must be < 1.0"),
    Case("zoo-missing-manifest", "a zoo folder without manifest.json", lambda t: Zoo("digits", root=t),
         LoadError, r"No zoo manifest at"),
    Case("zoo-corrupt-manifest", "a manifest that is not JSON",
         lambda t: Zoo("digits", root=_zoo_dir(t, manifest="{not json")), LoadError, r"is not valid JSON"),
    Case("zoo-unknown-encoder", "an encoder name not in the zoo", lambda t: Zoo("digits").model("resnet"),
         InvalidInputError, r"encoder='resnet' is not in the digits zoo"),
    Case("zoo-truncated-weights", "a truncated model file (ONNX) in the zoo",
         lambda t: _zoo_model(t, model=_real_model()[:100]), LoadError,
         r"mlp-s0.onnx does not match the sha256 in its manifest \(truncated or changed\?\)"),
    Case("zoo-shape-mismatch", "a zoo model whose widths are not its manifest config's",
         lambda t: _zoo_model(t, config={"in_dim": 64, "hidden": 128, "latent_dim": 32, "n_classes": 10}),
         LoadError, r"mlp-s0.onnx takes \[\['n', 64\]\] and gives 'latent' \['n', 64\]; its manifest entry says "
         r"\(64,\) -> latent \(32,\)"),
    # sessions (a saved file loaded on Share & export, and links)
    _session_case("session-unknown-key", "a session file with an unknown key",
                  '{"version": 1, "dataset": "digits", "admin": true}', InvalidInputError,
                  r"invalid session: unknown keys \['admin'\]"),
    _session_case("session-wrong-type", "a session file with a wrong type",
                  '{"version": 1, "dataset": "digits", "seed": "7"}', InvalidTypeError,
                  r"'seed' must be an int; got str '7'"),
    _session_case("session-anchor-out-of-range", "session anchors outside the dataset",
                  '{"version": 1, "dataset": "digits", "anchors": [3, 5000]}', InvalidInputError,
                  r"'anchors' has 1 id\(s\) that are not train samples of 'digits': \[5000\]"),
    _session_case("session-many-problems", "a session file with many problems at once",
                  '{"version": 2, "dataset": "digits", "enc_a": "resnet", "anchors": [1, 1, 21], "method": "mds"}',
                  InvalidInputError,
                  r"'anchors' repeats ids \[1\].*method='mds' must be one of.*version=2 is not supported.*"
                  r"enc_a='resnet' is not an encoder of 'digits'.*not train samples of 'digits': \[21\]"),
    _session_case("session-missing-keys", "a session file without version and dataset", '{"anchors": [1, 2]}',
                  InvalidInputError, r"missing 'version' \(this app writes version 1\); missing 'dataset'"),
    _session_case("session-unknown-dataset", "a session of an upload this browser session does not hold",
                  '{"version": 1, "dataset": "upload:0badc0ffee"}', InvalidInputError,
                  r"dataset='upload:0badc0ffee' is not available \(an upload: load its files again"),
    _session_case("session-not-object", "a session file holding a list", "[1, 2]", InvalidTypeError,
                  r"a session must be a JSON object"),
    _session_case("session-not-json", "a session file that is not JSON", "seed=7", LoadError,
                  r"session JSON cannot be read"),
    _session_case("session-nan", "a session file with a NaN literal",
                  '{"version": 1, "dataset": "digits", "min_dist": NaN}', LoadError, r"NaN is not valid JSON"),
    _session_case("session-duplicate-key", "a session file giving a key twice",
                  '{"version": 1, "dataset": "digits", "seed": 1, "seed": 2}', LoadError, r"duplicate keys \['seed'\]"),
    _session_case("session-too-large", "a session file over 1 MB", b" " * (MAX_SESSION_BYTES.value + 1), FileTooLargeError,
                  r"1,000,001 bytes is over the limit of 1,000,000 bytes \(set the environment variable "
                  r"STITCHBOARD_MAX_SESSION_BYTES to raise it\)"),
    _link_case("query-wrong-type", "a link with ?seed=abc", {"dataset": "digits", "seed": "abc"}, InvalidTypeError,
               r"'seed' must be an int; got str 'abc'"),
    _link_case("query-anchor-out-of-range", "a link with anchors outside the dataset",
               {"dataset": "digits", "anchors": "1,2,99999"}, InvalidInputError,
               r"not train samples of 'digits': \[99999\]"),
    _link_case("query-bad-ids", "a link whose anchors do not parse", {"dataset": "digits", "anchors": "1-x"},
               InvalidInputError, r"'anchors': '1-x' is not an int id"),
    _link_case("query-repeated-key", "a link giving a key twice", {"dataset": "digits", "seed": ["1", "2"]},
               InvalidInputError, r"'seed' is given 2 times"),
    # sweep
    Case("sweep-no-counts", "an anchor sweep with no counts", lambda t: anchor_sweep(*_pair(), []),
         InvalidInputError, r"n_anchors is empty"),
    Case("sweep-no-encoders", "an anchor sweep with no encoders", lambda t: anchor_sweep({}, {}, [2]),
         InvalidInputError, r"no encoders given"),
    # files (core.io.collection_files and its readers): uploads on the Data & encoders page (embeddings, tables, models, pickles)
    _upload_case("csv-non-numeric", "a CSV with a text feature column",
                 lambda t: _one("space.csv", "id,a,b\n1,x,3\n2,y,4\n"), LoadError, r"non-numeric column\(s\) \['a'\]"),
    _upload_case("csv-header-only", "a CSV with a header and no rows", lambda t: _one("space.csv", "id,a,b\n"),
                 LoadError, r"the table has a header but no rows"),
    _upload_case("csv-empty", "an empty CSV file", lambda t: _one("space.csv", ""), LoadError, r"the file is empty"),
    _upload_case("csv-ragged", "a CSV whose rows have different lengths",
                 lambda t: _one("space.csv", "id,a,b\n1,2,3\n2,3,4,5\n"), LoadError,
                 r"rows have different numbers of fields", stable="different numbers of fields"),
    _upload_case("csv-nan", "a CSV with a missing value", lambda t: _one("space.csv", "id,a,b\n7,1,2\n8,,3\n"),
                 InvalidInputError, r"contain NaN or Inf \(ids \[8\]\)"),
    _upload_case("csv-inf", "a CSV with an infinite value", lambda t: _one("space.csv", "id,a,b\n7,inf,2\n8,1,3\n"),
                 InvalidInputError, r"contain NaN or Inf \(ids \[7\]\)"),
    _upload_case("csv-nan-labels", "a CSV with missing labels", lambda t: _one("space.csv", "id,a,label\n7,1,x\n8,2,\n"),
                 InvalidInputError, r"label\(s\) are missing .* for ids \[8\]"),
    _upload_case("file-duplicate-ids", "duplicate ids within a file",
                 lambda t: _one("space.csv", "id,a\n1,0.5\n1,0.7\n2,0.1\n"), LoadError,
                 r"ids must be unique; duplicated: \[1\]"),
    _upload_case("file-float32-overflow", "float64 values beyond float32 (1e300)",
                 lambda t: _one("space.npy", _npy_bytes(np.array([[1e300, 1.0], [0.5, 2.0]]))), InvalidInputError,
                 r"beyond the float32 range"),
    _upload_case("npy-1d", "a 1-D .npy", lambda t: _one("space.npy", _npy_bytes(np.ones(5))), LoadError,
                 r"must be a 2-D array \(n_samples, n_dims\); got shape \(5,\)"),
    _upload_case("npy-3d", "a 3-D .npy (images not flattened)", lambda t: _one("space.npy", _npy_bytes(np.ones((4, 2, 2)))),
                 LoadError, r"got shape \(4, 2, 2\)"),
    _upload_case("npy-zero-rows", "a .npy with zero rows", lambda t: _one("space.npy", _npy_bytes(np.zeros((0, 3)))),
                 LoadError, r"vectors are empty \(shape \(0, 3\)\)"),
    _upload_case("npy-one-row", "a .npy with a single row", lambda t: _one("space.npy", _npy_bytes(np.ones((1, 3)))),
                 InvalidInputError, r"needs at least 2 samples; got 1"),
    _upload_case("npy-complex", "a complex .npy", lambda t: _one("space.npy", _npy_bytes(np.ones((3, 2), complex))),
                 LoadError, r"vectors must be numbers; got dtype complex128"),
    _upload_case("npz-ids-length", "an .npz with fewer ids than rows",
                 lambda t: _one("space.npz", _npz_bytes(vectors=np.ones((3, 2)), ids=np.arange(2))), LoadError,
                 r"ids must have shape \(3,\); got \(2,\)"),
    _upload_case("parquet-corrupt", "a truncated parquet file", lambda t: _one("x.parquet", b"PAR1\x00\x00 not really"),
                 LoadError, r"not a readable parquet file", stable="(truncated or corrupt?)"),
    _upload_case("npy-truncated", "a truncated .npy",
                 lambda t: _one("x.npy", _npy_bytes(np.ones((50, 4), np.float32))[:140]), LoadError,
                 r"the header announces shape \(50, 4\) of float32 \(800 bytes\) but only 12 bytes follow it"),
    _upload_case("npy-bad-header", "a .npy whose header was tampered with",
                 lambda t: _one("x.npy", _npy_bytes(np.ones((5, 4), np.float32)).replace(b"(5, 4)", b"(5**4)")),
                 LoadError, r"not a valid .npy file \(truncated or corrupt header\?\)",
                 stable="(truncated or corrupt header?)"),
    _upload_case("npy-header-lies", "a 176-byte .npy whose header announces 4,000,000 x 300,000 values",
                 lambda t: _one("x.npy", _lying_npy((4_000_000, 300_000))), LoadError,
                 r"announces shape \(4000000, 300000\) of float32 \(4,800,000,000,000 bytes\) but only 48 bytes"),
    _upload_case("npz-member-lies", "an .npz whose vectors header announces more than the member holds",
                 lambda t: _one("x.npz", _zip_bytes({"vectors.npy": _lying_npy((4_000_000, 3))})), LoadError,
                 r"x.npz\['vectors'\]: the header announces shape \(4000000, 3\)"),
    _upload_case("npz-member-not-array", "an .npz member that is 5 MB of zeros, not an array (a zip bomb)",
                 lambda t: _one("x.npz", _zip_bytes({"vectors.npy": b"\x00" * 5_000_000})), LoadError,
                 r"x.npz\['vectors'\]: not a .npy array"),
    _upload_case("parquet-footer-rows", "a parquet file whose footer claims 2**40 rows (its columns hold 8)",
                 lambda t: _one("x.parquet", _lying_parquet(values=False)), LoadError,
                 r"column 'f0' of row group 0 announces 8 values for 1,099,511,627,776 rows .* the footer is corrupt"),
    _upload_case("parquet-footer-values", "a parquet footer claiming 2**40 rows and values, consistently",
                 lambda t: _one("x.parquet", _lying_parquet(values=True)), FileTooLargeError,
                 r"1,099,511,627,776 rows in 3 columns: 3,298,534,883,328 values is over the limit of 536,870,912 "
                 r"values \(set the environment variable STITCHBOARD_MAX_VALUES to raise it\)"),
    _upload_case("parquet-footer-type", "a parquet footer whose column type differs from its schema's "
                 "(pyarrow aborted the process)", lambda t: _one("x.parquet", _lying_parquet(column_type=2)), LoadError,
                 r"column 'f0' of row group 0 has physical type 2, the schema says 4; the footer is corrupt"),
    _upload_case("parquet-external-column", "a parquet column chunk kept in another file (a server path)",
                 lambda t: _one("x.parquet", _lying_parquet(file_path=b"../.env")), UnsafeFileError,
                 r"column 'f0' keeps its data in another file \('../.env'\)"),
    _upload_case("csv-too-wide", "a CSV of 70,000 columns",
                 lambda t: _one("x.csv", ",".join(f"c{j}" for j in range(70_000)) + "\n" + ",".join("1" * 70_000)),
                 FileTooLargeError, r"a header of 70,000 columns: 70,000 values per row is over the limit of 65,536 "
                 r"values per row \(set the environment variable STITCHBOARD_MAX_DIMS"),
    _upload_case("parquet-list-ids", "a parquet id column holding lists",
                 lambda t: _one("x.parquet", _parquet_bytes({"id": [[1, 2], [3, 4]], "a": [0.1, 0.2]})), LoadError,
                 r"column 'id' holds lists or records; ids and labels must be single values"),
    _upload_case("npz-corrupt", "a corrupt .npz", lambda t: _one("x.npz", b"PK\x03\x04 broken zip"), LoadError,
                 r"not a valid .npz file", stable=".npz file"),
    _upload_case("npy-object", "an object-dtype (pickled) .npy",
                 lambda t: _one("space.npy", _npy_bytes(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)),
                 UnsafeFileError, r"holds Python objects \(a pickle\), which Stitchboard never loads"),
    _upload_case("npz-object", "an object-dtype (pickled) array inside an .npz",
                 lambda t: _one("x.npz", _npz_bytes(vectors=np.ones((2, 2)), ids=np.array([object(), 1], dtype=object))),
                 UnsafeFileError, r"x.npz\['ids'\]: holds Python objects \(a pickle\)"),
    _upload_case("pickle-pt", "a .pt pickle whose loading would run a command", lambda t: _evil_upload(t, "model.pt"),
                 UnsafeFileError, r"model.pt: .pt files are Python pickles, which can run code when loaded"),
    _upload_case("pickle-pkl", "a .pkl pickle whose loading would run a command", lambda t: _evil_upload(t, "data.pkl"),
                 UnsafeFileError, r"data.pkl: .pkl files are Python pickles"),
    _upload_case("pickle-as-npy", "a pickle renamed to .npy", lambda t: _evil_upload(t, "vectors.npy"),
                 UnsafeFileError, r"vectors.npy: holds Python objects \(a pickle\)"),
    _upload_case("upload-too-large", "an upload over the size limit (here 1 MB)",
                 lambda t: Upload((("big.npy", b"\x00" * 2_000_000),), limit_mb=1), FileTooLargeError,
                 r"big.npy: 1.9 MB is over the upload limit of 1.0 MB \(start the dashboard with "
                 r"--server.maxUploadSize N, or set STREAMLIT_SERVER_MAX_UPLOAD_SIZE\)"),
    Case("unsupported-format", "a file of an unsupported format",
         lambda t: load_collection([_csv(t, "1 2 3", "vectors.txt")]), LoadError, r"unsupported format .txt"),
    _upload_case("files-only-sidecar", "a JSON sidecar without its weights", lambda t: _one("enc.json", '{"arch": "mlp"}'),
                 InvalidInputError, r"only JSON sidecars"),
    _upload_case("files-same-name", "two files with the same name",
                 lambda t: Upload((("a.npy", _npy_bytes(np.ones((3, 2)))), ("a.npy", _npy_bytes(np.ones((3, 2)))))),
                 InvalidInputError, r"space names must be unique; \['a'\] appear more than once"),
    _upload_case("files-partial-overlap", "two files sharing only some ids", lambda t: Upload((
        ("a.csv", b"id,a\n1,0.1\n2,0.2\n3,0.3\n"), ("b.csv", b"id,a\n2,0.5\n3,0.6\n4,0.7\n"))),
                 MismatchError, r"ids do not match across files: only 2 ids are in every file"),
    _upload_case("files-no-shared-ids", "two files sharing no ids", lambda t: Upload((
        ("a.csv", b"id,a\n1,0.1\n2,0.2\n"), ("b.csv", b"id,a\n3,0.5\n4,0.6\n"))),
                 MismatchError, r"the files share no ids"),
    _upload_case("files-row-count", "files without ids and different row counts", lambda t: Upload((
        ("a.npy", _npy_bytes(np.ones((3, 2)))), ("b.npy", _npy_bytes(np.ones((4, 2)))))), MismatchError,
                 r"matched by row order when row counts agree"),
    _upload_case("files-labels-disagree", "two files labelling the same ids differently", lambda t: Upload((
        ("a.csv", b"id,a,label\n1,0.1,x\n2,0.2,y\n"), ("b.csv", b"id,a,label\n1,0.1,y\n2,0.2,y\n"))),
                 MismatchError, r"labels disagree between a.csv and b.csv for 1 samples"),
    _upload_case("safetensors-no-sidecar", "safetensors weights without their JSON sidecar",
                 lambda t: _model_upload(t, sidecar=False), LoadError, r"need a JSON sidecar naming the architecture"),
    _upload_case("safetensors-truncated", "truncated safetensors weights",
                 lambda t: _model_upload(t, weights=lambda b: b[:60]), LoadError, r"not a valid safetensors file",
                 stable="(truncated or corrupt?)"),
    _upload_case("safetensors-shape-mismatch", "safetensors shapes that do not match the sidecar's architecture",
                 lambda t: _model_upload(t, config={"in_dim": 3, "hidden": 10**8, "latent_dim": 2, "n_classes": 2}),
                 LoadError, r"weights do not match arch='mlp'"),
    _upload_case("model-no-table", "a model without a data table to encode",
                 lambda t: Upload((("enc.onnx", _onnx(t).read_bytes()),)), InvalidInputError,
                 r"enc.onnx is a model: also give the data table"),
    _upload_case("onnx-corrupt", "a truncated ONNX model", lambda t: _onnx_upload(t, cut=40), LoadError,
                 r"not a valid ONNX model", stable="(truncated or corrupt?)"),
    _upload_case("onnx-input-rank", "an ONNX model whose input is not (n, features)",
                 lambda t: _onnx_upload(t, input_shape=("n", 3, 1)), LoadError, r"Stitchboard feeds a 2-D table"),
    _upload_case("onnx-input-width", "an ONNX model fed a table of the wrong width",
                 lambda t: _onnx_upload(t, table_features=2), MismatchError,
                 r"the model expects 3 input features, the table has 2"),
    _upload_case("sidecar-deep-json", "a JSON sidecar nested 100,000 levels deep",
                 lambda t: _sidecar_upload(t, b"[" * 100_000 + b"]" * 100_000), LoadError,
                 r"JSON nested over the limit of 64 levels \(set the environment variable STITCHBOARD_MAX_JSON_DEPTH"),
    _upload_case("sidecar-long-number", "a JSON sidecar holding a 5,000-digit number",
                 lambda t: _sidecar_upload(t, b'{"arch": "mlp", "config": {"in_dim": ' + b"9" * 5000 + b"}}"), LoadError,
                 r"a number of 5,000 characters is over the limit of 100 characters \(set the environment variable "
                 r"STITCHBOARD_MAX_JSON_DIGITS"),
    _upload_case("onnx-external-data", "an ONNX model whose weights name a server file (external data)",
                 lambda t: _onnx_graph_upload(t, "external"), UnsafeFileError,
                 r"keep their weights in external files \(e.g. 'W' in '.env'\)"),
    _upload_case("onnx-huge-output", "an ONNX model that tiles 3 inputs into 70,002 values per row",
                 lambda t: _onnx_graph_upload(t, "huge"), LoadError,
                 r"70,002 values per row is over the limit of 65,536 values per row \(set the environment variable "
                 r"STITCHBOARD_MAX_OUTPUT_DIMS"),
    _upload_case("onnx-scalar-output", "an ONNX model with a scalar output",
                 lambda t: _onnx_graph_upload(t, "scalar"), LoadError, r"it must have one row per input row"),
    _upload_case("onnx-sequence-output", "an ONNX model whose output is a sequence of tensors",
                 lambda t: _onnx_graph_upload(t, "sequence"), LoadError, r"is a list \(a sequence or map\)"),
]


# ------------------------------------------------------------------ inputs that must work


def _int_vectors(tmp):
    s = LatentSpace(np.arange(12).reshape(4, 3) - 5, np.arange(4))
    assert s.vectors.dtype == np.float64 and np.array_equal(s.vectors, np.arange(12).reshape(4, 3) - 5)
    s16 = LatentSpace(np.array([[30000, -2], [7, 1]], dtype=np.int16), [0, 1])
    assert s16.vectors.dtype == np.float32 and s16.vectors[0, 0] == 30000
    R = relative_projection(s16.vectors, s16.vectors)
    assert R.dtype == np.float32 and np.allclose(np.diag(R), 1.0)


def _float16_vectors(tmp):
    V = np.array([[60000, 60000], [1, 0], [0, 1]], dtype=np.float16)  # squares overflow float16
    s = LatentSpace(V, [0, 1, 2])
    assert s.vectors.dtype == np.float32
    R = relative_projection(V, V)
    assert R.dtype == np.float32 and np.isfinite(R).all() and np.allclose(R[0], [1.0, 0.7071, 0.7071], atol=1e-3)


def _wide(tmp):
    # one BLAS thread: on a shared, overloaded box multi-threaded OpenBLAS spins and the
    # wall time measures the neighbours; single-threaded it is ~3 s here
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        _wide_run()


def _wide_run():
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    d = 50_000
    train = {n: LatentSpace(rng.normal(size=(40, d)).astype(np.float32), np.arange(40), labels=np.arange(40) % 2,
                            name=n) for n in ("a", "b")}
    test = {n: LatentSpace(rng.normal(size=(10, d)).astype(np.float32), np.arange(40, 50), labels=np.arange(10) % 2,
                           name=n) for n in ("a", "b")}
    ids = select_anchors(train["a"], 20, strategy="kmeans")
    res = stitching_matrix(train, test, ids, modes=("absolute", "relative", "translated"))
    assert all(np.isfinite(m).all() for m in res.scores.values())
    assert set(compare_spaces(train["a"].vectors, train["b"].vectors, k=5)) >= {"linear_cka"}
    assert compute_layout(train["a"].vectors, method="pca").shape == (40, 2)
    assert time.perf_counter() - t0 < 60


def _unicode(tmp):
    name = "編碼器-é 🚀"
    ids = np.array(["ünï-1", "日本-2", "emoji-🙂", "x", "y", "z"])
    a = LatentSpace(np.random.default_rng(0).normal(size=(6, 3)), ids, labels=[0, 1, 0, 1, 0, 1], name=name)
    assert list(select_anchors(a, strategy="explicit", ids=["日本-2", "emoji-🙂"])) == ["日本-2", "emoji-🙂"]
    with pytest.raises(UnknownIdError, match=re.escape(f"not in space {name!r}: ['ñ']")):
        a.take(["ñ"])


def _dims_differ_absolute(tmp):
    res = stitching_matrix(*_pair(d=(4, 6)), [0, 1, 2, 3, 4], modes=("absolute", "relative"))
    assert np.isnan(res.scores["absolute"][0, 1]) and np.isnan(res.scores["absolute"][1, 0])
    assert np.isfinite(res.scores["relative"]).all() and np.isfinite(np.diag(res.scores["absolute"])).all()


def _zero_row_distance(tmp):
    R = relative_projection(np.array([[0.0, 0.0], [1.0, 2.0]]), np.eye(2), similarity="euclidean")
    assert np.isfinite(R).all() and np.isclose(R[0, 0], -1.0)


def _huge_and_tiny_cosine(tmp):
    X = np.array([[3e300, 4e300], [3e-300, 4e-300]])
    np.testing.assert_allclose(relative_projection(X, np.eye(2)), [[0.6, 0.8], [0.6, 0.8]])


def _no_labels(tmp):
    coll = load_collection([_csv(tmp, "id,a,b\n1,0.1,0.3\n2,0.2,0.1\n3,0.5,0.2\n")])
    assert coll.target_names == () and any("classification stitching is unavailable" in n for n in coll.notes)


def _single_class(tmp):
    coll = load_collection([_csv(tmp, "id,a,label\n1,0.1,x\n2,0.2,x\n3,0.5,x\n")])
    assert any("same label" in n and "unavailable" in n for n in coll.notes)


def _html_names(tmp):
    coll = _html_upload(tmp).load()
    assert HTML_LABEL in coll.target_names and HTML_FILE[:-4] in coll.spaces  # verbatim, as text
    assert coll.name == MARKDOWN_NAME


def _int_upload(tmp) -> Upload:
    v16 = np.arange(18, dtype=np.int16).reshape(6, 3) * 1000 - 9000
    v64 = np.arange(18, dtype=np.int64).reshape(6, 3) * 2**40
    return Upload((("int16.npy", _npy_bytes(v16)), ("int64.npy", _npy_bytes(v64))))


def _float16_upload(tmp) -> Upload:
    V = np.array([[60000, 60000], [1, 0], [0, 1], [2, 3], [5, 1], [1, 4]], dtype=np.float16)
    return _one("half.npy", _npy_bytes(V))


def _wide_upload(tmp) -> Upload:
    rng = np.random.default_rng(0)
    return Upload(tuple((f"{n}.npy", _npy_bytes(rng.normal(size=(40, 50_000)).astype(np.float32))) for n in ("a", "b")))


_UNICODE_IDS = ["ünï-1", "日本-2", "emoji-🙂", "x", "y", "z"]


def _unicode_upload(tmp) -> Upload:
    rows = "\n".join(f"{i},{k * 0.1},{(k * 7 % 5) * 0.2},{'αβ' if k % 2 else 'γδ'}" for k, i in enumerate(_UNICODE_IDS))
    rows2 = "\n".join(f"{i},{k * 0.3},{(k * 3 % 5) * 0.1}" for k, i in enumerate(reversed(_UNICODE_IDS)))
    return Upload((("編碼器-é 🚀.csv", f"id,a,b,label\n{rows}\n".encode()),
                   ("données.csv", f"id,a,b\n{rows2}\n".encode())), name="集合 ü")


HTML_FILE = "<img src=x onerror=alert(1)>.csv"
HTML_LABEL = "<script>alert(1)</script>"
#: A collection name that markdown would turn into bold text, a link and an image.
MARKDOWN_NAME = "**bold** [link](javascript:alert(1)) ![](x.png) :red[red] $x$"


def _html_upload(tmp) -> Upload:
    text = f"id,a,label\n1,0.1,{HTML_LABEL}\n2,0.2,<b>x\n3,0.4,{HTML_LABEL}\n4,0.3,<b>x\n"
    return Upload(((HTML_FILE, text.encode()),), name=MARKDOWN_NAME)


ACCEPTED: list[Accepted] = [
    Accepted("int-vectors", "int vectors", _int_vectors,
             "works: 8/16-bit ints become float32, wider ints float64 (exact, never rounded)",
             ui=_int_upload, ui_metrics={"Samples": "6", "Spaces": "2"}),
    Accepted("float16-vectors", "float16 vectors", _float16_vectors,
             "works: computed in float32, so 60,000² does not overflow",
             ui=_float16_upload, ui_metrics={"Samples": "6", "Spaces": "1"}),
    Accepted("wide-50k", "d = 50,000 with 40 rows", _wide,
             "works: anchors, all three stitching modes, metrics and a PCA map in well under a minute",
             ui=_wide_upload, ui_metrics={"Samples": "40", "Spaces": "2"}),
    Accepted("unicode-names", "Unicode space names and ids", _unicode, "works; messages quote them as given",
             ui=_unicode_upload, ui_metrics={"Samples": "6", "Spaces": "2", "Classes": "2"}),
    Accepted("dims-differ-absolute", "absolute stitching across latent dims", _dims_differ_absolute,
             "not an error: that cell is NaN (the dashboard shows \"n/a: dims differ\"); relative works"),
    Accepted("zero-row-distance", "an all-zero row under a distance similarity", _zero_row_distance,
             "works: only cosine/angular need a direction"),
    Accepted("huge-tiny-cosine", "values of 1e300 and 1e-300 under cosine", _huge_and_tiny_cosine,
             "works: norms are taken after dividing each row by its largest entry"),
    Accepted("files-no-labels", "files without a label column", _no_labels,
             "loads; notes say classification stitching is unavailable (maps and metrics work)",
             ui=lambda t: _one("space.csv", "id,a,b\n1,0.1,0.3\n2,0.2,0.1\n3,0.5,0.2\n"),
             ui_metrics={"Samples": "3", "Classes": "none"}),
    Accepted("files-single-class", "labels with a single class", _single_class,
             "loads; notes say all samples share one label, so classification stitching is unavailable",
             ui=lambda t: _one("space.csv", "id,a,label\n1,0.1,x\n2,0.2,x\n3,0.5,x\n"),
             ui_metrics={"Samples": "3", "Classes": "1"}),
    Accepted("html-in-names", "a label, file or collection name holding <script>, <img onerror> or markdown",
             _html_names, "loads; kept verbatim as text (the dashboard renders it as text, never as HTML or markdown)",
             ui=_html_upload, ui_metrics={"Samples": "4", "Classes": "2"}),
]


# ------------------------------------------------------------------ tests


def _names():
    return [c.name for c in CASES] + [a.name for a in ACCEPTED]


def test_case_names_are_unique_and_stable():
    names = _names()
    assert len(names) == len(set(names)), "duplicate case names"
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", n) for n in names)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_gets_our_error(case, tmp_path):
    with pytest.raises(StitchboardError) as info:
        case.trigger(tmp_path)
    exc = info.value
    assert type(exc) is case.error, f"{case.name}: got {type(exc).__name__}: {exc}"
    assert re.search(case.match, str(exc)), f"{case.name}: message {str(exc)!r} does not match {case.match!r}"
    # our types keep the built-in bases that callers catch
    assert isinstance(exc, (ValueError, TypeError))


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: c.name)
def test_awkward_input_works(case, tmp_path):
    case.check(tmp_path)


@pytest.mark.parametrize("acc", [a for a in ACCEPTED if a.ui is not None], ids=lambda a: a.name)
def test_awkward_upload_loads(acc, tmp_path):
    """The upload version of an accepted input loads, with the summary the Data page shows."""
    info = acc.ui(tmp_path).load().summary()
    shown = {"Samples": f"{info['n_samples']:,}", "Spaces": str(len(info["spaces"])),
             "Classes": "none" if info["labels"] is None else str(info["labels"]["n_classes"])}
    assert {k: shown[k] for k in acc.ui_metrics} == acc.ui_metrics


def _message(case: Case, tmp: Path) -> str:
    try:
        case.trigger(tmp)
    except StitchboardError as exc:
        msg = " ".join(str(exc).replace(str(tmp), "<dir>").split())
    else:
        raise AssertionError(f"{case.name} did not raise")
    cut = MESSAGE_CHARS
    if case.stable is not None:
        assert case.stable in msg, f"{case.name}: stable part {case.stable!r} not in {msg!r}"
        cut = min(cut, msg.index(case.stable) + len(case.stable))
    return msg if len(msg) <= cut else msg[:cut].rstrip() + " …"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def catalogue_table() -> str:
    """The catalogue table of docs/errors.md, generated by running every case."""
    rows = ["| case | input | error type | message (or its start) |", "|---|---|---|---|"]
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            msg = _message(case, Path(tmp))
        rows.append(f"| `{case.name}` | {_cell(case.what)} | `{case.error.__name__}` | {_cell(msg)} |")
    for acc in ACCEPTED:
        rows.append(f"| `{acc.name}` | {_cell(acc.what)} | none | {_cell(acc.outcome)} |")
    return "\n".join(rows)


def _doc_block(text: str) -> str:
    assert BEGIN in text and END in text, f"docs/errors.md lacks the {BEGIN} ... {END} markers"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_docs_table_matches_catalogue():
    """Every docs/errors.md row is a catalogue case with its current message, and vice versa."""
    block = _doc_block(CATALOGUE_DOC.read_text(encoding="utf-8"))
    documented = re.findall(r"^\| `([a-z0-9-]+)` \|", block, flags=re.M)
    assert sorted(documented) == sorted(_names()), (
        "docs/errors.md table and catalogue differ; run `python tests/test_bad_inputs.py --write-docs`.\n"
        f"only in docs/errors.md: {sorted(set(documented) - set(_names()))}\n"
        f"only in catalogue: {sorted(set(_names()) - set(documented))}"
    )
    assert block == catalogue_table(), "docs/errors.md messages are stale; run `python tests/test_bad_inputs.py --write-docs`"


def limits_table() -> str:
    """The Limits table of docs/errors.md: every core.limits.Limit, then the worker limits."""
    from core.limits import LIMITS

    rows = ["| limit | default | setting | what it bounds |", "|---|---|---|---|"]
    for name, lim in LIMITS.items():
        setting = "`--server.maxUploadSize` or `STREAMLIT_SERVER_MAX_UPLOAD_SIZE`" if name == "UPLOAD_MB" \
            else f"`{lim.setting}`"
        rows.append(f"| `{name}` | {lim.default:,} {lim.unit} | {setting} | {_cell(lim.what)} |")
    for setting, default, unit, what in WORKER_LIMITS:
        rows.append(f"| worker | {default:,} {unit} | `{setting}` | {_cell(what)} |")
    return "\n".join(rows)


def test_docs_limits_table_is_current(monkeypatch):
    """The Limits table lists every limit with its default; the worker defaults are the code's."""
    from core.io import onnx_models
    from core.runtime.workers import WorkerLimits

    text = CATALOGUE_DOC.read_text(encoding="utf-8")
    assert LIMITS_BEGIN in text and LIMITS_END in text
    block = text.split(LIMITS_BEGIN, 1)[1].split(LIMITS_END, 1)[0].strip()
    assert block == limits_table(), "docs/errors.md limits are stale; run `python tests/test_bad_inputs.py --write-docs`"
    for setting, *_ in WORKER_LIMITS:
        monkeypatch.delenv(setting, raising=False)
    w = WorkerLimits()
    got = {"STITCHBOARD_WORKER_MEMORY_MB": w.memory_bytes / 2**20, "STITCHBOARD_WORKER_TIMEOUT_S": w.timeout_s,
           "STITCHBOARD_WORKER_RESULT_MB": w.max_result_bytes / 2**20}
    for setting, default, _, _ in WORKER_LIMITS:
        if setting in got:
            assert got[setting] == default, setting
    assert 'os.environ.get("STITCHBOARD_ONNX_TIMEOUT_S", 300)' in Path(onnx_models.__file__).read_text()


def _replace_block(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def write_docs() -> None:
    text = CATALOGUE_DOC.read_text(encoding="utf-8")
    text = _replace_block(text, BEGIN, END, catalogue_table())
    text = _replace_block(text, LIMITS_BEGIN, LIMITS_END, limits_table())
    CATALOGUE_DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-docs"]:
        write_docs()
    else:
        print(catalogue_table())
