"""Load a :class:`~core.encode.specs.PretrainedSpec` into a :class:`~core.encode.encoder.PretrainedEncoder`.

:func:`load_encoder` checks the model folder (:mod:`core.encode.model_files`), loads the
model with its tokenizer or image processor, and resolves the spec's ``"default"``
pooling and its layer for that model (the table in :mod:`core.encode.specs`).
Every ``from_pretrained`` passes ``trust_remote_code=False`` and ``local_files_only=True``
(the files are where :func:`~core.encode.model_files.resolve_model` put them), and models
load with ``use_safetensors=True``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputError, LoadError
from ..limits import MAX_OUTPUT_DIMS
from .encoder import PretrainedEncoder
from .model_files import check_model_folder, resolve_model
from .specs import PretrainedSpec, need_transformers

__all__ = ["load_encoder"]

#: ONNX output names that hold one pooled vector per item, in order of preference.
_POOLED_OUTPUTS = ("sentence_embedding", "pooler_output", "image_embeds", "text_embeds", "embeddings")


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
    need_transformers()
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
        if isinstance(last, int):  # a bound on what a hostile export can make us allocate per row
            MAX_OUTPUT_DIMS.check(last, f"{spec.model}: ONNX output {o!r} of shape {list(shape)}", error=LoadError)
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
