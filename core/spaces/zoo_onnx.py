"""The ONNX files of a zoo, written from its safetensors weights and recorded in its manifest.

``stitchboard zoo build`` writes ``<name>.onnx`` next to each trained ``<name>.safetensors``;
``stitchboard zoo build --onnx-only`` writes them for the weights already there, without
torch and without training, so the weights and their hashes stay as they are. The app
runs these files (:mod:`core.spaces.onnx_encoder`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import LoadError
from .architecture_graphs import ARCHITECTURE_NAMES, model_bytes
from .assets import assets_dir
from .zoo import Zoo

__all__ = ["tensor_sha256", "write_model_onnx", "write_zoo_onnx", "write_manifest"]


def tensor_sha256(state: dict) -> str:
    """Canonical hash of a state dict: names, dtypes, shapes and raw bytes, sorted by name.

    The safetensors file bytes are not a stable fingerprint (the order of its JSON
    header can change from one process to the next); this hash is. Takes numpy arrays
    or torch tensors.
    """
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name]
        if hasattr(t, "detach"):  # torch tensor
            t = t.detach().contiguous().cpu()
            h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
            h.update(t.numpy().tobytes())
        else:
            t = np.ascontiguousarray(t)
            h.update(f"{name}|{t.dtype}|{t.shape}|".encode())
            h.update(t.tobytes())
    return h.hexdigest()


def write_model_onnx(entry: dict, root: Path, weights: dict | None = None) -> dict:
    """Write ``<name>.onnx`` for one network of a zoo, from its weights.

    Parameters
    ----------
    entry : dict
        Its manifest entry (``arch``, ``config``, ``file``).
    root : path
        The zoo folder.
    weights : dict of str -> array, optional
        Read from ``entry["file"]`` (safetensors) when not given.

    Returns
    -------
    dict
        The manifest fields to add: ``{"onnx": file name, "onnx_sha256": hex digest}``.
    """
    root = Path(root)
    if weights is None:
        weights = _read_weights(root / entry["file"])
    data = model_bytes(entry["arch"], entry["config"], {k: np.asarray(v) for k, v in weights.items()})
    path = root / (Path(entry["file"]).stem + ".onnx")
    path.write_bytes(data)
    return {"onnx": path.name, "onnx_sha256": hashlib.sha256(data).hexdigest()}


def _read_weights(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise LoadError(f"weights file {path} is missing; rebuild the zoo with `stitchboard zoo build`") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise LoadError(f"weights file {path} is not a readable safetensors file ({exc}); it may be truncated "
                        "or corrupt") from None


def write_manifest(manifest: dict, root: Path) -> None:
    """``manifest.json`` as the build writes it (2-space indent, a final newline)."""
    (Path(root) / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_zoo_onnx(dataset: str = "digits", *, root=None,
                   progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Write the ONNX model of every network in a zoo from its existing weights (no training).

    Each weights file is first checked against the manifest's ``sha256``, so the ONNX
    models hold exactly the recorded weights; the manifest gains ``onnx`` and
    ``onnx_sha256`` per network and keeps everything else.

    Parameters
    ----------
    dataset : str, default="digits"
    root : path, optional
        The zoo folder; ``assets_dir() / dataset`` by default.
    progress : callable(done, total, name), optional

    Returns
    -------
    dict
        The manifest written.
    """
    import onnx

    root = Path(root) if root is not None else assets_dir() / dataset
    manifest = Zoo(dataset, root=root).manifest
    nets = [e for e in manifest["encoders"] if e["arch"] in ARCHITECTURE_NAMES]
    for i, e in enumerate(nets):
        if progress:
            progress(i, len(nets), e["name"])
        path = root / e["file"]
        if path.is_file() and e.get("sha256") and hashlib.sha256(path.read_bytes()).hexdigest() != e["sha256"]:
            raise LoadError(f"{path} does not match the sha256 in its manifest: the weights changed since the zoo "
                            "was built. Rebuild it with `stitchboard zoo build`")
        weights = _read_weights(path)
        e.update(write_model_onnx(e, root, weights))
    if progress:
        progress(len(nets), len(nets), "done")
    if nets:
        manifest.setdefault("built_with", {})["onnx"] = onnx.__version__
        write_manifest(manifest, root)
    return manifest
