"""A loaded pretrained model: :class:`PretrainedEncoder` turns texts or images into vectors.

``encode`` runs in batches, reporting progress and polling for a stop between batches.
How it pools was resolved from the spec by :func:`core.encode.loading.load_encoder`;
each source (transformers, sentence-transformers, onnx, zoo) has its own batch path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import CancelledError, InvalidInputError, LoadError
from .images import decode_image
from .specs import PretrainedSpec

__all__ = ["PretrainedEncoder"]


@dataclass
class PretrainedEncoder:
    """A loaded pretrained model and how it pools; :meth:`encode` turns items into vectors.

    Attributes
    ----------
    spec : PretrainedSpec
    modality : {"text", "image"}
    resolved_pooling : str
        What ``pooling="default"`` became.
    resolved_layer : int or None
        The layer index into ``hidden_states`` (None: the last layer's output).
    n_layers : int or None
    revision : str or None
        The hub commit, or None for a local folder.
    notes : list of str
        Facts to report (truncated texts...), filled by :meth:`encode`.
    """

    spec: PretrainedSpec
    modality: str
    model: object = None
    processor: object = None
    device: str = "cpu"
    resolved_pooling: str = "mean"
    resolved_layer: int | None = None
    n_layers: int | None = None
    revision: str | None = None
    max_length: int | None = None
    notes: list = field(default_factory=list)
    _projection: object = None
    _zoo: object = None
    _onnx: object = None

    def describe(self) -> dict:
        """The spec plus what was resolved: pooling, layer, device, revision."""
        return {**self.spec.as_dict(), "name": self.spec.display_name, "modality": self.modality,
                "resolved_pooling": self.resolved_pooling, "resolved_layer": self.resolved_layer,
                "n_layers": self.n_layers, "resolved_device": self.device, "resolved_revision": self.revision}

    # ------------------------------------------------------------------ encode
    def encode(self, items, *, progress=None, should_stop=None) -> np.ndarray:
        """Vectors of texts or images, in batches.

        Parameters
        ----------
        items : sequence of length n
            ``str`` for texts; encoded image bytes or (h, w, 3) uint8 arrays for images.
        progress : callable(done, total, what), optional
            Called after each batch with the rows done so far.
        should_stop : callable() -> bool, optional
            Polled before each batch; True raises :class:`~core.errors.CancelledError`.

        Returns
        -------
        ndarray of shape (n, dim), float32
        """
        items = list(items)
        n = len(items)
        if n == 0:
            raise InvalidInputError("nothing to encode: pass at least one text or image")
        bs = int(self.spec.batch_size)
        if self.modality == "text":
            bad = [i for i, t in enumerate(items[:100000]) if not isinstance(t, str)]
            if bad:
                raise InvalidInputError(f"texts must be strings; rows {bad[:10]} are not")
            order = np.argsort([-len(t) for t in items], kind="stable")  # like batches of like length pad less
        else:
            order = np.arange(n)
        out = None
        self.notes = []
        self._truncated = 0
        for start in range(0, n, bs):
            if should_stop is not None and should_stop():
                raise CancelledError(f"stopped encoding with {self.spec.display_name} after {start} of {n} rows")
            idx = order[start:start + bs]
            Z = self._encode_batch([items[i] for i in idx])
            if out is None:
                out = np.empty((n, Z.shape[1]), dtype=np.float32)
            out[idx] = Z
            if progress is not None:
                progress(min(start + bs, n), n, self.spec.display_name)
        if not np.isfinite(out).all():
            rows = np.nonzero(~np.isfinite(out).all(1))[0]
            raise LoadError(f"{self.spec.display_name} gave NaN/Inf vectors for {len(rows)} rows (e.g. {rows[:5].tolist()}); "
                            "try device='cpu' (fp16 can overflow) or another pooling")
        if self._truncated:
            self.notes.append(f"{self.spec.display_name}: {self._truncated} of {n} texts are longer than its "
                              f"{self.max_length} tokens and were cut to fit")
        if self.spec.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.where(norms > 0, norms, 1.0)
        return out.astype(np.float32, copy=False)

    def _encode_batch(self, batch) -> np.ndarray:
        if self.spec.source == "zoo":
            return self._zoo_batch(batch)
        if self.spec.source == "onnx":
            return self._onnx_batch(batch)
        import torch

        with torch.inference_mode():
            if self.spec.source == "sentence-transformers":
                Z = self.model.encode(batch, batch_size=len(batch), convert_to_numpy=True, show_progress_bar=False)
                return np.asarray(Z, dtype=np.float32)
            if self.modality == "text":
                enc = {k: v.to(self.device) for k, v in self._tokenize(batch, "pt").items()}
                mask = enc.get("attention_mask")
            else:
                images = [decode_image(x) for x in batch]
                enc = {"pixel_values": self.processor(images=images, return_tensors="pt")["pixel_values"].to(self.device)}
                if self.device != "cpu" and self.model.dtype == torch.float16:
                    enc["pixel_values"] = enc["pixel_values"].half()
                mask = None
            return self._pool(enc, mask).float().cpu().numpy()

    def _tokenize(self, batch, tensors: str) -> dict:
        """A padded, truncated batch; counts the texts cut to ``max_length`` for the notes."""
        enc = dict(self.processor(batch, padding=True, truncation=True, max_length=self.max_length,
                                  return_tensors=tensors))
        mask = enc.get("attention_mask")
        full = (list(range(len(batch))) if mask is None
                else [i for i, m in enumerate(mask.sum(1).tolist()) if m >= self.max_length])
        if full:  # only rows that fill max_length may have been cut: tokenize just those again, uncut
            long = self.processor([batch[i] for i in full], truncation=False, padding=False, verbose=False)
            self._truncated += sum(len(x) > self.max_length for x in long["input_ids"])
        return enc

    def _pool(self, enc, mask):
        want_hidden = self.resolved_layer is not None
        out = self.model(**enc, output_hidden_states=want_hidden, return_dict=True)
        pooling = self.resolved_pooling
        if pooling == "pooler":
            pooled = getattr(out, "pooler_output", None)
            if pooled is None:
                raise LoadError(f"{self.spec.model} has no pooler output; use pooling 'mean' or 'cls'")
            if self._projection is not None:
                pooled = self._projection(pooled)
            return pooled.reshape(pooled.shape[0], -1)
        H = out.hidden_states[self.resolved_layer] if want_hidden else out.last_hidden_state
        if H.ndim == 4:  # conv nets: (batch, channels, h, w)
            if pooling == "cls":
                raise LoadError(f"{self.spec.model} is convolutional, it has no class token; use 'mean' or 'pooler'")
            return H.mean(dim=(2, 3))
        if pooling == "cls":
            return H[:, 0]
        if mask is not None:
            m = mask.to(H.dtype).unsqueeze(-1)
            return (H * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return H.mean(1)

    def _onnx_batch(self, batch) -> np.ndarray:
        session, pooled_name, hidden_name = self._onnx
        outputs = [o for o in (pooled_name, hidden_name) if o is not None]
        if self.modality == "text":
            enc = self._tokenize(batch, "np")
            mask = enc.get("attention_mask")
        else:
            enc = {"pixel_values": np.asarray(self.processor(images=[decode_image(x) for x in batch],
                                                             return_tensors="np")["pixel_values"], dtype=np.float32)}
            mask = None
        feed = {}
        for inp in session.get_inputs():
            if inp.name in enc:
                v = np.asarray(enc[inp.name])
                feed[inp.name] = v.astype(np.int64) if v.dtype.kind in "iub" else v.astype(np.float32)
            elif inp.name == "token_type_ids" and "input_ids" in enc:
                feed[inp.name] = np.zeros_like(np.asarray(enc["input_ids"]), dtype=np.int64)
            else:
                raise LoadError(f"{self.spec.model}: the ONNX model wants an input {inp.name!r} that the "
                                f"{'tokenizer' if self.modality == 'text' else 'image processor'} does not give "
                                f"(it gives {sorted(enc)})")
        try:
            got = dict(zip(outputs, session.run(outputs, feed)))
        except Exception as exc:  # onnxruntime's own exception types
            raise LoadError(f"{self.spec.model}: the ONNX model failed on a batch ({exc})") from None
        if self.resolved_pooling == "pooler":
            Z = np.asarray(got[pooled_name])
            return Z.reshape(len(batch), -1).astype(np.float32)
        H = np.asarray(got[hidden_name], dtype=np.float32)
        if H.ndim == 4:  # conv nets: (batch, channels, h, w)
            return H.mean(axis=(2, 3))
        if H.ndim != 3 or H.shape[0] != len(batch):
            raise LoadError(f"{self.spec.model}: ONNX output {hidden_name!r} has shape {H.shape}; expected "
                            "(batch, tokens, dim)")
        if self.resolved_pooling == "cls":
            return H[:, 0]
        if mask is not None:
            m = np.asarray(mask, dtype=np.float32)[:, :, None]
            return (H * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return H.mean(1)

    def _zoo_batch(self, batch) -> np.ndarray:
        zoo, name = self._zoo
        if self.modality == "text":
            return zoo.encode(name, list(batch))
        from PIL import Image

        X = np.stack([np.asarray(decode_image(x).convert("L").resize((8, 8), Image.BILINEAR), dtype=np.float32) / 255.0
                      for x in batch]).reshape(len(batch), 64)
        return zoo.encode(name, X)

