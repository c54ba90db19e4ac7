"""Encoder models run on one data table: ONNX files, or safetensors weights of a zoo architecture.

The data table (CSV/parquet) holds feature columns plus optional id/label columns.
``.onnx`` models are checked (:mod:`core.io.onnx_models`) and run with onnxruntime in a
bounded worker; ``.safetensors`` weights need a JSON sidecar naming the architecture,
``{"arch": "mlp", "config": {...}}``, and run the same way as the ONNX graph of that
architecture (:mod:`core.spaces.architecture_graphs`): no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LoadError, MismatchError
from ..spaces.latent_space import LatentSpace
from ..validation import parse_json
from .embeddings import frame_to_space, make_space
from .files import ReadFile, read_table, refuse_pickles

__all__ = ["MODEL_FORMATS", "load_model", "encode_table"]

#: Suffixes read as models (run on a data table).
MODEL_FORMATS = (".onnx", ".safetensors")


class _OnnxModel:
    """An ONNX model read from its graph here and run only in a bounded worker (:func:`core.io.onnx_models.run_onnx`)."""

    def __init__(self, rf: ReadFile, output: str | None):
        from .onnx_models import graph_signature

        data = rf.read()
        self.source = rf.path if rf.path is not None else data
        # an upload (no path) may not use external data; a file on disk only inside its folder
        inputs, outputs = graph_signature(data, name=rf.name, folder=None if rf.path is None else rf.path.parent)
        if len(inputs) != 1:
            raise LoadError(f"{rf.name}: the model must take exactly one input (n, n_features); it takes {len(inputs)}")
        self.input, shape = inputs[0]
        outs = [o for o, _ in outputs]
        if not outs:
            raise LoadError(f"{rf.name}: the model has no outputs")
        if output is None:
            output = next((o for o in outs if any(k in o.lower() for k in ("latent", "embedding", "encod"))), outs[0])
        elif output not in outs:
            raise LoadError(f"{rf.name}: no output named {output!r}; outputs are {outs}")
        self.output = output
        self.name = rf.name
        if shape is not None and len(shape) != 2:
            raise LoadError(
                f"{rf.name}: the model's input {self.input!r} has shape {list(shape)}; Stitchboard feeds a 2-D table "
                "(n_rows, n_features). Export the model with a (batch, n_features) input"
            )
        self.n_features = shape[1] if shape is not None and isinstance(shape[1], int) and shape[1] > 0 else None

    def encode(self, X: np.ndarray) -> np.ndarray:
        from .onnx_models import run_onnx

        if self.n_features is not None and X.shape[1] != self.n_features:
            raise MismatchError(
                f"{self.name}: the model expects {self.n_features} input features, the table has {X.shape[1]}; "
                "check the feature columns (id/label columns are excluded)"
            )
        return run_onnx(self.source, np.ascontiguousarray(X, dtype=np.float32), input_name=self.input,
                        output=self.output, name=self.name)


class _ZooArchitectureModel:
    """Safetensors weights of a zoo architecture, run as the ONNX graph built from them.

    The weights are read with ``safetensors.numpy`` (arrays sized by the file, whose size
    was bounded on reading; nothing is sized from the sidecar) and checked against the
    sidecar's config before a graph is built; the graph then runs like an uploaded ONNX
    model, in a bounded worker.
    """

    def __init__(self, rf: ReadFile, sidecar: dict):
        from safetensors.numpy import load as load_bytes

        from ..spaces.architecture_graphs import (
            ARCHITECTURE_NAMES,
            architecture_config,
            input_dim,
            model_bytes,
            weight_mismatches,
        )

        arch, config = sidecar.get("arch"), sidecar.get("config")
        if arch not in ARCHITECTURE_NAMES or not isinstance(config, dict):
            raise LoadError(
                f"{rf.name}: the JSON sidecar must be {{\"arch\": one of {sorted(ARCHITECTURE_NAMES)}, \"config\": {{...}}}}; "
                f"got {json.dumps(sidecar)[:200]}"
            )
        full = architecture_config(arch, config)  # InvalidInputError naming a bad key or size
        try:
            state = load_bytes(rf.read())
        except Exception as exc:  # safetensors raises its own types, and TypeError for dtypes numpy lacks
            raise LoadError(f"{rf.name}: not a valid safetensors file (truncated or corrupt?): {exc}") from None
        diff = weight_mismatches(arch, full, {k: v.shape for k, v in state.items()})
        if diff:
            raise LoadError(
                f"{rf.name}: weights do not match arch={arch!r} with config {config}: {'; '.join(diff[:5])}. "
                "Fix the sidecar's config (sizes) or the arch"
            )
        not_float = sorted(k for k, v in state.items() if v.dtype.kind != "f")
        if not_float:
            raise LoadError(f"{rf.name}: tensors {not_float[:5]} are not floating point; save the weights as float32")
        self.graph = model_bytes(arch, full, state)
        self.name = rf.name
        self.n_features = input_dim(arch, full)

    def encode(self, X: np.ndarray) -> np.ndarray:
        from .onnx_models import run_onnx

        if X.shape[1] != self.n_features:
            raise MismatchError(
                f"{self.name}: the model expects {self.n_features} input features, the table has {X.shape[1]}"
            )
        return run_onnx(self.graph, np.ascontiguousarray(X, dtype=np.float32), input_name="x", output="latent",
                        name=self.name)


def load_model(source, *, sidecar=None, output: str | None = None, max_bytes: int | None = None):
    """Load an encoder model: ONNX, or zoo-architecture safetensors with a JSON sidecar.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
    sidecar : dict, path, (name, bytes) or uploaded file, optional
        Required for ``.safetensors``: ``{"arch": "mlp", "config": {...}}``. For a path
        source, ``<stem>.json`` next to it is used when not given.
    output : str, optional
        ONNX output holding the latent vectors; by default one named like
        latent/embedding/encoder, else the first.
    max_bytes : int, optional

    Returns
    -------
    model
        An object with ``encode(X) -> (n, latent_dim)`` and ``name``.
    """
    rf = ReadFile.of(source, max_bytes=max_bytes)
    refuse_pickles(rf)
    if rf.suffix == ".onnx":
        return _OnnxModel(rf, output)
    if rf.suffix == ".safetensors":
        if sidecar is None and rf.path is not None and rf.path.with_suffix(".json").is_file():
            sidecar = rf.path.with_suffix(".json")
        if sidecar is None:
            raise LoadError(
                f"{rf.name}: safetensors weights need a JSON sidecar naming the architecture, e.g. "
                '{"arch": "mlp", "config": {"in_dim": 64, "hidden": 128, "latent_dim": 64, "n_classes": 10}}'
            )
        if not isinstance(sidecar, dict):
            srf = ReadFile.of(sidecar)
            sidecar = parse_json(srf.read(), what=f"{srf.name} (the sidecar)")
            if not isinstance(sidecar, dict):
                raise LoadError(f"{srf.name}: the sidecar must be a JSON object with 'arch' and 'config'")
        return _ZooArchitectureModel(rf, sidecar)
    raise LoadError(f"{rf.name}: unsupported model format {rf.suffix or '(no suffix)'}; use .onnx or .safetensors + .json")


def encode_table(table, model, *, name: str | None = None, id_column: str | None = None,
                 label_column: str | None = None, max_bytes: int | None = None) -> LatentSpace:
    """Run a model over a data table (feature columns + optional id and label columns).

    Parameters
    ----------
    table : path, (name, bytes), uploaded file or DataFrame
        CSV/parquet; every column except the id and label columns is a feature.
    model : object from :func:`load_model`
    name : str, optional
        Space name; the model file's stem by default.
    id_column, label_column : str, optional

    Returns
    -------
    LatentSpace of shape (n_rows, latent_dim)
    """
    if isinstance(table, pd.DataFrame):
        df, tname = table, "table"
    else:
        rf = ReadFile.of(table, max_bytes=max_bytes)
        df, tname = read_table(rf), rf.name
    X, ids, labels = frame_to_space(df, tname, name="table", id_column=id_column, label_column=label_column)
    Z = model.encode(X.astype(np.float32))
    space = make_space(Z, ids, labels, name=name or Path(model.name).stem, rf_name=f"{model.name} on {tname}",
                        kind="model")
    return space
