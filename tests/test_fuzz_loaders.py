"""Fuzzing the file loaders: random and mutated bytes end in our documented errors.

Every embeddings format (npy, npz, csv, parquet), every model format (safetensors with
its JSON sidecar, ONNX) and multi-file collections are fed valid seed files that
hypothesis truncates, overwrites, splices or replaces with random bytes, under every
suffix (pickle suffixes included). Each example must return a valid space (finite
float32 vectors, unique ids) or raise a :class:`~core.errors.StitchboardError`, and
finish within :data:`CASE_SECONDS` (a watchdog alarm turns a hang into a failure).
Counts are reported with the core fuzzers' (``fuzz:`` lines at the end of the run).

Byte noise rarely gets past a format's parser, so the metadata fuzzers
(:mod:`tests.fuzz_metadata`) keep files well-formed and lie in what they claim: parquet
footers (row counts, schema, row groups, column types, offsets), ``.npy``/``.npz``
headers, safetensors JSON headers (dtypes, shapes, offsets) and ONNX graphs (shapes, op
types, attributes, initializers, nested graphs). ONNX models run in their bounded
worker with a small time and memory limit here.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time
import warnings
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import StitchboardError
from core.io.collection_files import load_collection
from core.io.embeddings import read_embeddings
from core.io.models import encode_table, load_model
from core.io.vector_files import open_source
from tests.fuzz_metadata import npy_lies, npz_lies, onnx_lies, parquet_lies, safetensors_lies


#: Wall-clock bound for one loader call.
CASE_SECONDS = 10
SCALE = float(os.environ.get("STITCHBOARD_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int, deadline_s: float):
    """As in test_fuzz_core: bounded, derandomized under CI, no example database."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=timedelta(seconds=deadline_s),
        derandomize=bool(os.environ.get("CI")),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
SUFFIXES = [".npy", ".npz", ".csv", ".parquet", ".safetensors", ".onnx", ".json", ".pkl", ".pt", ".txt", ""]


@contextmanager
def time_limit(seconds: int):
    def alarm(signum, frame):
        raise TimeoutError(f"a loader ran over {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_file(stats, target, call, check):
    s = stats.setdefault(target, {"examples": 0, "raised": 0, "other": 0, "seconds": 0.0})
    s["examples"] += 1
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), time_limit(CASE_SECONDS):
            warnings.simplefilter("ignore")
            out = call()
    except StitchboardError:
        s["raised"] += 1
        return None
    except BaseException:
        s["other"] += 1
        raise
    finally:
        s["seconds"] += time.perf_counter() - t0
    check(out)
    return out


# ------------------------------------------------------------------ seed files


@lru_cache(maxsize=None)
def seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3)).astype(np.float32)
    ids = np.arange(100, 108)
    labels = np.array(list("aabbccdd"))
    out = {}
    b = io.BytesIO()
    np.save(b, X)
    out[".npy"] = b.getvalue()
    b = io.BytesIO()
    np.savez(b, vectors=X, ids=ids, labels=labels)
    out[".npz"] = b.getvalue()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df.insert(0, "id", ids)
    df["label"] = labels
    out[".csv"] = df.to_csv(index=False).encode()
    b = io.BytesIO()
    df.to_parquet(b)
    out[".parquet"] = b.getvalue()
    # a zoo-architecture model: weights + sidecar
    from safetensors.numpy import save as save_bytes

    from core.spaces.architecture_graphs import weight_shapes

    config = {"in_dim": 3, "hidden": 4, "latent_dim": 2, "n_classes": 2}
    rng = np.random.default_rng(0)
    out[".safetensors"] = save_bytes({k: rng.uniform(-0.5, 0.5, shape).astype(np.float32)
                                      for k, shape in weight_shapes("mlp", config).items()})
    out[".json"] = json.dumps({"arch": "mlp", "config": config}).encode()
    out[".onnx"] = _onnx_bytes()
    return out


def _onnx_bytes() -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    W = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(3, 2) / 6, name="W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["latent"])],
        "enc",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, ["n", 2])],
        initializer=[W],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8).SerializeToString()


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"id": np.arange(5), "f0": rng.normal(size=5), "f1": rng.normal(size=5), "f2": rng.normal(size=5)})


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """A valid file, damaged: truncated, overwritten, spliced, duplicated or replaced."""
    kind = draw(st.sampled_from(["keep", "truncate", "overwrite", "overwrite", "insert", "duplicate", "random"]))
    b = bytearray(data)
    if kind == "truncate":
        return bytes(b[: draw(st.integers(0, max(0, len(b) - 1)))])
    if kind == "overwrite" and b:
        head = draw(st.booleans())  # headers are where parsers decide things
        for _ in range(draw(st.integers(1, 8))):
            pos = draw(st.integers(0, min(len(b), 300) - 1 if head else len(b) - 1))
            b[pos] = draw(st.integers(0, 255))
        return bytes(b)
    if kind == "insert":
        pos = draw(st.integers(0, len(b)))
        return bytes(b[:pos]) + draw(st.binary(min_size=1, max_size=16)) + bytes(b[pos:])
    if kind == "duplicate" and b:
        i = draw(st.integers(0, len(b) - 1))
        j = draw(st.integers(i, min(len(b), i + 64)))
        return bytes(b[:j]) + bytes(b[i:j]) + bytes(b[j:])
    if kind == "random":
        return draw(st.binary(max_size=300))
    return bytes(b)


def _valid_space(sp):
    assert sp.vectors.ndim == 2 and sp.vectors.dtype == np.float32 and np.isfinite(sp.vectors).all()
    assert len(np.unique(sp.ids)) == len(sp.ids) == sp.n_samples


# ------------------------------------------------------------------ targets


@fuzz_settings(300, deadline_s=3 * CASE_SECONDS)
@given(data=st.data(), fmt=st.sampled_from([".npy", ".npz", ".csv", ".parquet"]), suffix=st.sampled_from(SUFFIXES))
def test_fuzz_read_embeddings(fuzz_stats, data, fmt, suffix):
    blob = data.draw(mutated(seeds()[fmt]))
    name = "emb" + (fmt if data.draw(st.integers(0, 3)) else suffix)  # usually its own suffix
    run_file(fuzz_stats, "read_embeddings", lambda: read_embeddings((name, blob)), _valid_space)


@fuzz_settings(200, deadline_s=3 * CASE_SECONDS)
@given(data=st.data(), fmt=st.sampled_from([".safetensors", ".onnx"]))
def test_fuzz_load_model(fuzz_stats, data, fmt):
    weights = data.draw(mutated(seeds()[fmt]))
    sidecar = data.draw(st.one_of(
        mutated(seeds()[".json"]),
        st.builds(lambda c: json.dumps({"arch": "mlp", "config": c}).encode(),
                  st.dictionaries(st.sampled_from(["in_dim", "hidden", "latent_dim", "n_classes", "bogus"]),
                                  st.one_of(st.integers(-2, 10**9), st.none(), st.text(max_size=3), st.floats()),
                                  max_size=5)),
    ))

    def call():
        model = load_model((f"m{fmt}", weights), sidecar=("m.json", sidecar) if fmt == ".safetensors" else None)
        return encode_table(_table(), model)

    run_file(fuzz_stats, "load_model+encode_table", call, _valid_space)


@fuzz_settings(150, deadline_s=3 * CASE_SECONDS)
@given(
    base=st.lists(st.integers(0, 12), min_size=1, max_size=8, unique=True),
    variant=st.sampled_from(["same", "shuffled", "shuffled", "partial", "disjoint", "duplicate", "random"]),
    other=st.lists(st.integers(0, 12), max_size=8),
    labels=st.sampled_from(["none", "some", "some", "one-class", "nan"]),
    fmts=st.tuples(st.sampled_from([".npz", ".csv", ".parquet"]), st.sampled_from([".npz", ".csv", ".parquet"])),
    intersect=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_fuzz_load_collection(fuzz_stats, base, variant, other, labels, fmts, intersect, seed):
    ids_a = base
    ids_b = {"same": base, "shuffled": base[::-1], "partial": base[: max(1, len(base) // 2)],
             "disjoint": [i + 100 for i in base], "duplicate": base + base[:1], "random": other}[variant]
    rng = np.random.default_rng(seed)

    def file(ids, fmt, name):
        n = len(ids)
        X = rng.normal(size=(n, 3)).astype(np.float32)
        lab = {"none": None, "some": np.array(["x", "y"])[np.asarray(ids, int) % 2] if n else np.array([], str),
               "one-class": np.array(["x"] * n), "nan": np.where(np.arange(n) == 0, np.nan, 1.0)}[labels]
        if fmt == ".npz":
            b = io.BytesIO()
            arrays = {"vectors": X, "ids": np.asarray(ids, dtype=np.int64)}
            if lab is not None:
                arrays["labels"] = lab
            np.savez(b, **arrays)
            return (name + fmt, b.getvalue())
        df = pd.DataFrame(X, columns=["a", "b", "c"])
        df.insert(0, "id", ids)
        if lab is not None:
            df["label"] = lab
        if fmt == ".csv":
            return (name + fmt, df.to_csv(index=False).encode())
        b = io.BytesIO()
        df.to_parquet(b)
        return (name + fmt, b.getvalue())

    def call():
        return load_collection([file(ids_a, fmts[0], "a"), file(ids_b, fmts[1], "b")], intersect=intersect)

    def check(coll):
        spaces = list(coll.spaces.values())
        for sp in spaces:
            _valid_space(sp)
        assert spaces[0].is_parallel(spaces[1])

    run_file(fuzz_stats, "load_collection", call, check)


# ------------------------------------------------------------------ metadata
@contextmanager
def environ(**values):
    """Settings for the duration of one example (hypothesis forbids function-scoped fixtures)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _parquet_seeds() -> list[bytes]:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 3)).astype(np.float32)
    wide = pd.DataFrame(X, columns=["a", "b", "c"]).assign(id=np.arange(6), label=list("xyxyxy"))
    lists = pd.DataFrame({"id": np.arange(6), "vector": list(X)})
    out = []
    for df, groups in ((wide, None), (lists, None), (wide, 2)):
        b = io.BytesIO()
        df.to_parquet(b, row_group_size=groups)
        out.append(b.getvalue())
    return out


def _stream(path):
    src = open_source(path)
    rows = 0
    for _, X, _ in src.chunks(4):
        assert X.ndim == 2 and X.shape[1] == src.d  # values are the file's own: finiteness is not promised
        rows += len(X)
    assert rows == src.n
    return src


def _both_readers(fuzz_stats, tmp_path_factory, blob: bytes, suffix: str, what: str) -> None:
    """``blob`` read whole by read_embeddings, then from a file by the streamed reader."""
    run_file(fuzz_stats, f"{what}: read_embeddings", lambda: read_embeddings((f"x{suffix}", blob)), _valid_space)
    path = tmp_path_factory.mktemp(suffix[1:]) / f"x{suffix}"
    path.write_bytes(blob)
    run_file(fuzz_stats, f"{what}: streamed", lambda: _stream(path), lambda src: None)


@fuzz_settings(200, deadline_s=3 * CASE_SECONDS)
@given(data=st.data(), seed=st.integers(0, 2))
def test_fuzz_parquet_footers(fuzz_stats, tmp_path_factory, data, seed):
    _both_readers(fuzz_stats, tmp_path_factory, data.draw(parquet_lies(_parquet_seeds()[seed])), ".parquet",
                  "parquet footer")


@fuzz_settings(300, deadline_s=3 * CASE_SECONDS)
@given(blob=npy_lies())
def test_fuzz_npy_headers(fuzz_stats, tmp_path_factory, blob):
    _both_readers(fuzz_stats, tmp_path_factory, blob, ".npy", "npy header")


@fuzz_settings(200, deadline_s=3 * CASE_SECONDS)
@given(blob=npz_lies())
def test_fuzz_npz_headers(fuzz_stats, blob):
    run_file(fuzz_stats, "npz headers: read_embeddings", lambda: read_embeddings(("x.npz", blob)), _valid_space)


@fuzz_settings(200, deadline_s=3 * CASE_SECONDS)
@given(data=st.data())
def test_fuzz_safetensors_headers(fuzz_stats, data):
    weights = data.draw(safetensors_lies(seeds()[".safetensors"]))

    def call():
        model = load_model(("m.safetensors", weights), sidecar=("m.json", seeds()[".json"]))
        return encode_table(_table(), model)

    run_file(fuzz_stats, "safetensors header: load_model+encode_table", call, _valid_space)


@fuzz_settings(150, deadline_s=3 * CASE_SECONDS)
@given(blob=onnx_lies())
def test_fuzz_onnx_graphs(fuzz_stats, blob):
    def call():
        with environ(STITCHBOARD_ONNX_TIMEOUT_S=5, STITCHBOARD_WORKER_MEMORY_MB=1024):
            return encode_table(_table(), load_model(("m.onnx", blob)))

    run_file(fuzz_stats, "onnx graph: load_model+encode_table", call, _valid_space)


def test_harness_can_fail():
    """A hang becomes a TimeoutError; an exception that is not ours propagates."""
    with pytest.raises(TimeoutError):
        with time_limit(1):
            time.sleep(3)
    with pytest.raises(ZeroDivisionError):
        run_file({}, "self-test", lambda: 1 / 0, lambda out: None)
