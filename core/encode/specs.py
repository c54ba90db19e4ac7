"""What a pretrained encoder is: a :class:`PretrainedSpec` names a model and how a vector is made from it.

A spec says which model (a Hugging Face name or a local folder, and a revision), how a
vector is made from it (pooling, layer, L2 normalisation) and where it runs (batch
size, device). :func:`core.encode.loading.load_encoder` turns it into a
:class:`~core.encode.encoder.PretrainedEncoder`.

Sources:

- ``"transformers"``: any ``AutoModel`` with an ``AutoTokenizer`` (texts) or an
  ``AutoImageProcessor`` (images: ViT, DINOv2, ConvNeXt, the vision tower of CLIP).
- ``"sentence-transformers"``: a sentence-transformers model with its own pooling.
- ``"onnx"``: an ONNX export (``model.onnx`` or ``onnx/model.onnx``, as Optimum and many
  hub repos ship it) with the tokenizer or image processor beside it, run with
  onnxruntime. It has only its outputs: the last layer, pooled here (``mean``/``cls``),
  or its own ``pooler_output``/``sentence_embedding``.
- ``"zoo"``: a bundled zoo encoder (``lsa-word``... on texts, ``mlp-s0``... on images
  reduced to the digits' 8 x 8 grey pixels).

Pooling (``"default"`` resolves to one of the others, recorded in ``resolved_pooling``):

=============  ==============================================================
``mean``       mean of the layer's token vectors (attention-masked for texts;
               all patches and the class token for images; the spatial mean
               of a convolutional feature map)
``cls``        the first token's vector
``pooler``     the model's ``pooler_output`` (last layer only); for CLIP-like
               models, the projected embedding ``get_*_features`` returns
``default``    texts: ``mean`` (BERT's pooler is a next-sentence head);
               images: ``pooler`` when the model has one, else ``cls``; at an
               inner layer, ``mean`` for texts and conv nets, ``cls`` else
=============  ==============================================================
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InvalidInputError

__all__ = [
    "SOURCES",
    "POOLINGS",
    "SUGGESTIONS",
    "PretrainedSpec",
    "pretrained_available",
]

SOURCES = ("transformers", "sentence-transformers", "onnx", "zoo")
POOLINGS = ("default", "mean", "cls", "pooler")

#: Names offered in the dashboard, by modality.
SUGGESTIONS = {
    "text": ("sentence-transformers/all-MiniLM-L6-v2", "BAAI/bge-small-en-v1.5", "intfloat/e5-small-v2",
             "sentence-transformers/all-mpnet-base-v2"),
    "image": ("google/vit-base-patch16-224-in21k", "facebook/dinov2-small", "openai/clip-vit-base-patch32"),
}


def pretrained_available() -> bool:
    """Whether ``transformers`` is importable (the ``pretrained`` extra is installed)."""
    import importlib.util

    return importlib.util.find_spec("transformers") is not None


def need_transformers() -> None:
    """Raise ``ImportError`` saying how to install the ``pretrained`` extra when it is missing."""
    if not pretrained_available():
        raise ImportError(
            "transformers is not installed. Install the pretrained extra: pip install -c constraints.txt -e '.[pretrained]'"
        )


@dataclass(frozen=True)
class PretrainedSpec:
    """Which pretrained model, and how a vector is made from it.

    Parameters
    ----------
    model : str
        A Hugging Face name (``"BAAI/bge-small-en-v1.5"``), a local model folder, or for
        ``source="zoo"`` a zoo encoder name (``"lsa-word"``, ``"mlp-s0"``).
    source : {"transformers", "sentence-transformers", "onnx", "zoo"}, default="transformers"
    revision : str, optional
        Branch, tag or commit of a hub model (its default branch when None).
    pooling : {"default", "mean", "cls", "pooler"}, default="default"
        See the module docstring.
    layer : int, optional
        Hidden layer: 0 is the embeddings, ``n_layers`` (or -1) the last, the default.
    normalize : bool, default=False
        L2-normalise each vector.
    batch_size : int, default=32
    device : str, default="auto"
        ``"auto"`` takes CUDA, then MPS, then the CPU; fp16 on a GPU.
    name : str, optional
        Space name; made from the model name, layer and pooling by default.
    """

    model: str
    source: str = "transformers"
    revision: str | None = None
    pooling: str = "default"
    layer: int | None = None
    normalize: bool = False
    batch_size: int = 32
    device: str = "auto"
    name: str | None = None

    def __post_init__(self):
        if not isinstance(self.model, str) or not self.model.strip():
            raise InvalidInputError("model must be a Hugging Face name such as 'BAAI/bge-small-en-v1.5' or a folder")
        object.__setattr__(self, "model", self.model.strip())
        if self.source not in SOURCES:
            raise InvalidInputError(f"source={self.source!r} is not one of {list(SOURCES)}")
        if self.pooling not in POOLINGS:
            raise InvalidInputError(f"pooling={self.pooling!r} is not one of {list(POOLINGS)}")
        if self.layer is not None and (isinstance(self.layer, bool) or not isinstance(self.layer, (int, np.integer))):
            raise InvalidInputError(f"layer={self.layer!r} must be a whole number (0 = embeddings, -1 = last) or None")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer)) or not 1 <= self.batch_size <= 4096:
            raise InvalidInputError(f"batch_size={self.batch_size!r} must be a whole number in [1, 4096]")
        if not isinstance(self.device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", self.device):
            raise InvalidInputError(f"device={self.device!r} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
        if self.source == "sentence-transformers" and (self.pooling != "default" or self.layer not in (None, -1)):
            raise InvalidInputError(
                "a sentence-transformers model pools with its own modules: leave pooling='default' and layer unset, "
                "or use source='transformers' to choose the pooling and layer of its transformer"
            )
        if self.source == "onnx" and self.layer not in (None, -1):
            raise InvalidInputError("an ONNX export gives only its outputs (the last layer): leave layer unset, or use "
                                    "source='transformers' with the model's safetensors to choose a layer")
        if self.source == "zoo" and (self.pooling != "default" or self.layer is not None):
            raise InvalidInputError("zoo encoders have one latent space: leave pooling='default' and layer unset")

    @property
    def display_name(self) -> str:
        """The space name: ``name``, else the model's last path part plus ``-L<layer>`` and ``-<pooling>``."""
        if self.name:
            return self.name
        base = self.model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or self.model
        if self.layer is not None:
            base += f"-L{self.layer}"
        if self.pooling != "default":
            base += f"-{self.pooling}"
        return base

    def as_dict(self) -> dict:
        """The spec as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PretrainedSpec":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)
