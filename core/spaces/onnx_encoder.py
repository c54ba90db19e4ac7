"""A bundled zoo encoder run in this process by onnxruntime.

The ``.onnx`` files are our own (written by ``stitchboard zoo build`` from the
safetensors weights); each is checked against the manifest's sha256 before onnxruntime
sees it. An uploaded model, by contrast, runs in a bounded worker (:mod:`core.io.onnx_models`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import LoadError, MismatchError

__all__ = ["OnnxEncoder", "session_options"]


def session_options():
    """One intra-op thread that sleeps when idle.

    onnxruntime's default pool spins between runs, taking CPU from every other job on a
    small shared machine; the zoo's models are small enough for one thread.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts


class OnnxEncoder:
    """A zoo model's ONNX file, checked and loaded: ``encode(X)`` gives its latent vectors.

    Parameters
    ----------
    path : path
        The ``.onnx`` file.
    sha256 : str
        Its expected sha256 (from the manifest).
    n_features, latent_dim : int
        The input and latent widths the manifest's config gives.

    Attributes
    ----------
    outputs : list of str
        The graph's outputs: ``latent`` first, then ``logits`` or ``reconstruction``.
    """

    def __init__(self, path, *, sha256: str, n_features: int, latent_dim: int):
        import onnxruntime as ort

        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise LoadError(f"model file {path} is missing; write it with `stitchboard zoo build --onnx-only "
                            f"--dataset {path.parent.name}`") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise LoadError(f"model file {path} does not match the sha256 in its manifest (truncated or changed?); "
                            f"rewrite it with `stitchboard zoo build --onnx-only --dataset {path.parent.name}`")
        try:
            self._session = ort.InferenceSession(data, sess_options=session_options(),
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own exception types
            raise LoadError(f"model file {path} is not a valid ONNX model: onnxruntime says {exc}") from None
        self.name = path.name
        self.n_features = int(n_features)
        self.outputs = [o.name for o in self._session.get_outputs()]
        inputs = self._session.get_inputs()
        shape_in = inputs[0].shape if len(inputs) == 1 else None
        shape_out = self._session.get_outputs()[0].shape
        if (shape_in is None or shape_in[1:] != [self.n_features] or self.outputs[0] != "latent"
                or shape_out[1:] != [int(latent_dim)]):
            raise LoadError(f"model file {path} takes {[i.shape for i in inputs]} and gives {self.outputs[0]!r} "
                            f"{shape_out}; its manifest entry says ({self.n_features},) -> latent ({latent_dim},). "
                            "Rebuild the zoo with `stitchboard zoo build`")
        self._input = inputs[0].name

    def run(self, X, output: str = "latent") -> np.ndarray:
        """One output of the model on ``X``.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
        output : str, default="latent"
            One of :attr:`outputs`.

        Returns
        -------
        ndarray of shape (n, dim), float32
        """
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise MismatchError(f"{self.name} takes rows of {self.n_features} features; got shape {X.shape}")
        if len(X) == 0:
            return np.empty((0, int(self._session.get_outputs()[self.outputs.index(output)].shape[1])), np.float32)
        return self._session.run([output], {self._input: X})[0]

    def encode(self, X) -> np.ndarray:
        """Latent vectors of ``X``: (n, n_features) -> (n, latent_dim), float32."""
        return self.run(X, "latent")
