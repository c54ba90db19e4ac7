"""ONNX model files, checked before onnxruntime runs them.

An ONNX tensor can keep its bytes outside the model file (``external_data`` with a
``location``). onnxruntime reads that location relative to the model's folder, or to
the process's working directory when the model comes as bytes, so an uploaded model
could name any server file as its weights and leak it through its outputs.
:func:`onnx_session` therefore parses the model first (without loading external
data) and:

- refuses any external data in a model that has no folder (an upload);
- for a model file on disk, allows only relative locations that stay inside the model
  file's own folder, then lets onnxruntime load it from its path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import LoadError, UnsafeFileError
from ..limits import MAX_OUTPUT_DIMS, MAX_VALUES
from ..runtime.pool import shared_pool
from ..runtime.workers import WorkerLimits

__all__ = ["external_data_locations", "check_external_data", "onnx_session", "graph_signature", "run_onnx"]


def _tensors(graph):
    """Every tensor a graph holds, its subgraphs' included."""
    for t in graph.initializer:
        yield t
    for s in graph.sparse_initializer:
        yield s.values
        yield s.indices
    for node in graph.node:
        yield from _node_tensors(node)


def _node_tensors(node):
    for a in node.attribute:
        if a.HasField("t"):
            yield a.t
        yield from a.tensors
        if a.HasField("sparse_tensor"):
            yield a.sparse_tensor.values
            yield a.sparse_tensor.indices
        for s in a.sparse_tensors:
            yield s.values
            yield s.indices
        if a.HasField("g"):
            yield from _tensors(a.g)
        for g in a.graphs:
            yield from _tensors(g)


def _parse(data: bytes, name: str):
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:  # pragma: no cover - onnx is a core dependency
        raise LoadError("the onnx package is not installed; pip install onnx") from None
    try:
        return onnx.load_model_from_string(data)  # bytes: external data is never read
    except (DecodeError, ValueError, RecursionError, RuntimeError) as exc:
        raise LoadError(f"{name}: not a valid ONNX model (truncated or corrupt?): {exc}") from None


def external_data_locations(model) -> list[tuple[str, str]]:
    """``(tensor name, location)`` of every tensor of a parsed model whose bytes live outside the file."""
    from onnx import TensorProto

    found = []
    tensors = list(_tensors(model.graph))
    for f in model.functions:
        for node in f.node:
            tensors.extend(_node_tensors(node))
    for t in tensors:
        if t.data_location == TensorProto.EXTERNAL or len(t.external_data):
            loc = next((e.value for e in t.external_data if e.key == "location"), "")
            found.append((t.name, loc))
    return found


def check_external_data(data: bytes, *, name: str, folder=None) -> list[str]:
    """Refuse external data an ONNX model may not use; return the files it may.

    Parameters
    ----------
    data : bytes
        The model file's content.
    name : str
        For messages.
    folder : path, optional
        The model file's own folder. None (an upload) means no external data at all.

    Returns
    -------
    list of str
        The external data files used, relative to ``folder`` (empty without any).

    Raises
    ------
    UnsafeFileError
        External data in an upload, or a location outside ``folder``.
    LoadError
        Not a valid ONNX model, or an external file that does not exist.
    """
    return _check_locations(_parse(data, name), name=name, folder=folder)


def _check_locations(model, *, name: str, folder) -> list[str]:
    found = external_data_locations(model)
    if not found:
        return []
    tensor, loc = found[0]
    if folder is None:
        raise UnsafeFileError(
            f"{name}: {len(found)} tensor(s) keep their weights in external files (e.g. {tensor!r} in {loc!r}). An "
            "uploaded model has no folder, so it cannot bring them: save it as one file (onnx.save(model, path, "
            "save_as_external_data=False), possible up to 2 GB) or run it locally with `stitchboard`"
        )
    root = Path(folder).resolve()
    used = []
    for tensor, loc in found:
        target = (root / loc).resolve() if loc else None
        if (not loc or os.path.isabs(loc) or Path(loc).drive or target is None
                or (target != root and root not in target.parents)):
            raise UnsafeFileError(
                f"{name}: tensor {tensor!r} keeps its weights in {loc!r}, outside the model's own folder {root}; "
                "external data must be a relative path inside that folder"
            )
        if not target.is_file():
            raise LoadError(f"{name}: tensor {tensor!r} keeps its weights in {loc!r}, which is not in {root}")
        used.append(str(target.relative_to(root)))
    return sorted(set(used))


def onnx_session(source, *, name: str | None = None, checked: bool = False):
    """An onnxruntime CPU session for a checked model: bytes (an upload) or a file path.

    Parameters
    ----------
    source : bytes or path
        Bytes may not use external data; a path may, inside its own folder.
    name : str, optional
        For messages (the file name by default).
    checked : bool, default=False
        The caller has already run :func:`check_external_data` on these bytes or this
        file; a worker process then skips parsing it again (importing onnx alone is slow).

    Returns
    -------
    onnxruntime.InferenceSession
    """
    try:
        import onnxruntime as ort
    except ImportError:  # pragma: no cover - onnxruntime is a core dependency
        raise LoadError("onnxruntime is not installed; pip install onnxruntime") from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, path = bytes(source), None
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"{path}: cannot read the ONNX model ({exc})") from None
    name = name or (path.name if path is not None else "model.onnx")
    external = path is not None if checked else check_external_data(data, name=name,
                                                                     folder=None if path is None else path.parent)
    try:
        # with external data, onnxruntime must see the path to find the files beside it
        model = str(path) if external else data
        return ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise LoadError(f"{name}: not a valid ONNX model (truncated or corrupt?): onnxruntime says {exc}") from None


def graph_signature(data: bytes, *, name: str, folder=None) -> tuple[list, list]:
    """Inputs and outputs of a model, read from its graph without running anything.

    The model is parsed once, and its external data checked as by
    :func:`check_external_data` (``folder`` None: an upload, none allowed).

    Returns
    -------
    inputs : list of (name, shape)
        The graph inputs that are not initializers; a shape is a tuple of ints and
        dimension names (str), or None when unknown.
    outputs : list of (name, shape)
    """
    model = _parse(data, name)
    _check_locations(model, name=name, folder=folder)
    inits = {t.name for t in model.graph.initializer}

    def shape(v):
        t = v.type.tensor_type
        if not v.type.HasField("tensor_type") or not t.HasField("shape"):
            return None
        return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim)

    def text(n):  # protobuf hands back bytes for names that are not valid UTF-8
        return n if isinstance(n, str) else bytes(n).decode("utf-8", "replace")

    return ([(text(v.name), shape(v)) for v in model.graph.input if v.name not in inits],
            [(text(v.name), shape(v)) for v in model.graph.output])


def _run(source, input_name: str, output: str, X, name: str, max_dims: int, max_values: int):
    """In the worker: a session, one run, and the output checked before it is sent back."""
    import numpy as np

    session = onnx_session(source, name=name, checked=True)  # checked by run_onnx's caller
    try:
        out = session.run([output], {input_name: X})[0]
    except Exception as exc:  # onnxruntime's own exception types
        if "Failed to allocate memory" in str(exc) or "bad_alloc" in str(exc):  # refused by the worker's RLIMIT_AS
            size = re.search(r"buffer of size (\d+)", str(exc))
            asked = f": it asked for {int(size.group(1)) / 2**30:,.1f} GiB at once" if size else ""
            raise LoadError(f"{name}: the model ran out of memory on the table{asked}, over the worker's memory "
                            "limit (set the environment variable STITCHBOARD_WORKER_MEMORY_MB to raise it)") from None
        raise LoadError(f"{name}: the model failed on the table ({exc})") from None
    if not isinstance(out, np.ndarray):
        raise LoadError(f"{name}: output {output!r} is a {type(out).__name__} (a sequence or map), not a tensor; "
                        "export the latent vectors as one (n_rows, dim) tensor")
    if out.ndim == 0 or out.shape[0] != len(X):
        raise LoadError(f"{name}: output {output!r} has shape {out.shape}; it must have one row per input row "
                        f"({len(X)}), e.g. (n_rows, dim)")
    dims = int(np.prod(out.shape[1:], dtype=np.int64))
    MAX_OUTPUT_DIMS.check(dims, f"{name}: output {output!r} has shape {out.shape}", error=LoadError, limit=max_dims)
    MAX_VALUES.check(dims * len(X), f"{name}: output {output!r} of {len(X):,} rows x {dims:,} dims", error=LoadError,
                     limit=max_values, advice="; encode fewer rows")
    if out.dtype.kind not in "fiub":
        raise LoadError(f"{name}: output {output!r} holds {out.dtype}, not numbers")
    return np.ascontiguousarray(out.reshape(len(X), dims), dtype=np.float32)


def run_onnx(source, X, *, input_name: str, output: str, name: str, limits=None):
    """Run an ONNX model on a table in a bounded worker process of its own (:mod:`core.runtime.pool`).

    Parameters
    ----------
    source : bytes or path
        Already checked with :func:`check_external_data`.
    X : ndarray of shape (n_rows, n_features), float32
    input_name, output : str
    name : str
        For messages.
    limits : core.runtime.workers.WorkerLimits, optional
        Memory, wall time (by default ``STITCHBOARD_ONNX_TIMEOUT_S``, 300 s) and result size.

    Returns
    -------
    ndarray of shape (n_rows, dim), float32

    Raises
    ------
    LoadError
        Invalid model, a failed run, an output that is not one row per input or is
        over :data:`core.limits.MAX_OUTPUT_DIMS` or :data:`core.limits.MAX_VALUES` in all, or
        the worker crashed, ran out of memory or time.
    """
    if limits is None:
        limits = WorkerLimits(timeout_s=float(os.environ.get("STITCHBOARD_ONNX_TIMEOUT_S", 300)),
                              timeout_setting="STITCHBOARD_ONNX_TIMEOUT_S")
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    pool = shared_pool()
    pool.add_warmers(_import_onnxruntime, fresh=True)  # the next model's process starts with it imported
    # fresh: an uploaded model's process serves no other job, so nothing it does can reach another's data
    return pool.run(_run, source, input_name, output, X, name, MAX_OUTPUT_DIMS.value, MAX_VALUES.value,
                    limits=limits, what=f"the ONNX model {name}", fresh=True)


def _import_onnxruntime() -> None:
    import onnxruntime  # noqa: F401
