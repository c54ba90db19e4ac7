"""Building the bundled encoder zoo: deterministic training, safetensors weights, a manifest.

``stitchboard zoo build`` trains every :data:`ZOO_SPECS` entry on the dataset's train
split and writes ``assets/<dataset>/<name>.safetensors``, its ONNX model ``<name>.onnx``
(:mod:`core.spaces.zoo_onnx`) and ``manifest.json``; ``--check`` rebuilds into a temporary
folder and compares. The app and the tests only *load* these files (:mod:`core.spaces.zoo`);
nothing is trained at start-up. Training needs torch: the ``zoo-build`` extra.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import InvalidInputError, LoadError
from .architecture_graphs import ARCHITECTURE_NAMES
from .assets import assets_dir
from .datasets import DESCRIPTIONS, Dataset, load_dataset
from ..validation import check_choice
from .zoo import Zoo
from .zoo_onnx import tensor_sha256, write_manifest, write_model_onnx

__all__ = ["EncoderSpec", "ZOO_SPECS", "build_zoo", "train_encoder", "tensor_sha256", "check_zoo", "load_torch_model",
           "onnx_torch_difference", "require_torch"]

#: How to get torch for the commands that train or compare with it.
TORCH_EXTRA = "pip install -c constraints.txt -e '.[zoo-build]'"


def require_torch(what: str):
    """``torch``, imported; an ``ImportError`` naming the extra to install when it is missing.

    Parameters
    ----------
    what : str
        What needs it, for the message (e.g. "stitchboard zoo build").
    """
    try:
        import torch
    except ImportError:
        raise ImportError(f"{what} needs torch, which the core install does not include. Install the zoo-build "
                          f"extra: {TORCH_EXTRA} (on a machine without a GPU, add --extra-index-url "
                          "https://download.pytorch.org/whl/cpu for the CPU-only build)") from None
    return torch


@dataclass(frozen=True)
class EncoderSpec:
    """How to build one zoo encoder.

    Attributes
    ----------
    name : str
    arch : str
        Key of :data:`core.spaces.architectures.ARCHITECTURES`.
    config : dict
        Constructor keyword arguments (input size included).
    seed : int
        Seed of initialisation and batch order.
    epochs : int
    lr : float
    batch_size : int
    """

    name: str
    arch: str
    config: dict
    seed: int
    epochs: int = 40
    lr: float = 1e-3
    batch_size: int = 64


def _mlp(in_dim, hidden, latent, n_classes):
    return {"in_dim": in_dim, "hidden": hidden, "latent_dim": latent, "n_classes": n_classes}


_DIGITS_MLP = _mlp(64, 128, 64, 10)
_WINE_MLP = _mlp(13, 32, 16, 3)
_CANCER_MLP = _mlp(30, 64, 16, 2)
_AE = {"in_dim": 64, "hidden": 128, "latent_dim": 32}

#: Every bundled encoder, per dataset. ``stitchboard zoo build`` trains exactly these.
ZOO_SPECS: dict[str, tuple[EncoderSpec, ...]] = {
    "digits": (
        EncoderSpec("mlp-s0", "mlp", _DIGITS_MLP, seed=0),
        EncoderSpec("mlp-s1", "mlp", _DIGITS_MLP, seed=1),
        EncoderSpec("mlp-s2", "mlp", _DIGITS_MLP, seed=2),
        EncoderSpec("mlp-wide-s0", "mlp", _mlp(64, 256, 32, 10), seed=0),
        EncoderSpec("mlp-narrow-s0", "mlp", _mlp(64, 128, 16, 10), seed=0),
        EncoderSpec("cnn-s0", "cnn", {"side": 8, "channels": 16, "latent_dim": 64, "n_classes": 10}, seed=0),
        EncoderSpec("cnn-s1", "cnn", {"side": 8, "channels": 16, "latent_dim": 64, "n_classes": 10}, seed=1),
        EncoderSpec("ae-s0", "ae", _AE, seed=0, epochs=60),
        EncoderSpec("ae-s1", "ae", _AE, seed=1, epochs=60),
    ),
    "wine": (
        EncoderSpec("mlp-s0", "mlp", _WINE_MLP, seed=0, epochs=150, batch_size=16),
        EncoderSpec("mlp-s1", "mlp", _WINE_MLP, seed=1, epochs=150, batch_size=16),
        EncoderSpec("mlp-s2", "mlp", _WINE_MLP, seed=2, epochs=150, batch_size=16),
        EncoderSpec("mlp-wide-s0", "mlp", _mlp(13, 64, 8, 3), seed=0, epochs=150, batch_size=16),
    ),
    "breast_cancer": (
        EncoderSpec("mlp-s0", "mlp", _CANCER_MLP, seed=0, epochs=80, batch_size=32),
        EncoderSpec("mlp-s1", "mlp", _CANCER_MLP, seed=1, epochs=80, batch_size=32),
        EncoderSpec("mlp-s2", "mlp", _CANCER_MLP, seed=2, epochs=80, batch_size=32),
        EncoderSpec("mlp-wide-s0", "mlp", _mlp(30, 128, 8, 2), seed=0, epochs=80, batch_size=32),
    ),
    "text": (
        EncoderSpec("lsa-word", "lsa", {"n_components": 64, "analyzer": "word", "ngram_range": [1, 1], "min_df": 1}, seed=0),
        EncoderSpec("lsa-bigram", "lsa", {"n_components": 64, "analyzer": "word", "ngram_range": [1, 2], "min_df": 1}, seed=0),
        EncoderSpec("lsa-char", "lsa", {"n_components": 96, "analyzer": "char_wb", "ngram_range": [3, 5], "min_df": 1}, seed=0),
    ),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_encoder(spec: EncoderSpec, dataset: Dataset):
    """Train one encoder deterministically on the dataset's train split.

    Classifiers (``mlp``, ``cnn``) minimise cross-entropy, autoencoders (``ae``)
    reconstruction MSE, and ``lsa`` fits TF-IDF + SVD on the train sentences. Torch
    training runs on one thread so that reductions are bit-reproducible.

    Parameters
    ----------
    spec : EncoderSpec
    dataset : Dataset

    Returns
    -------
    model : torch.nn.Module or LSAEncoder
        Trained, in eval mode.
    scores : dict
        ``{"test_accuracy": ...}`` for classifiers, ``{"test_mse": ...}`` for
        autoencoders, ``{"explained_variance": ...}`` (train) for LSA.
    """
    Xtr, ytr, _ = dataset.part("train")
    Xte, yte, _ = dataset.part("test")
    if spec.arch == "lsa":
        from .text_encoders import LSAEncoder

        cfg = spec.config
        enc = LSAEncoder(cfg["n_components"], analyzer=cfg["analyzer"], ngram_range=tuple(cfg["ngram_range"]),
                         min_df=cfg.get("min_df", 1), random_state=spec.seed).fit(list(Xtr))
        return enc, {"explained_variance": round(enc.explained_variance_ratio_, 6)}

    torch = require_torch("training a zoo encoder")
    from .architectures import AUTOENCODERS, build_model

    autoencoder = spec.arch in AUTOENCODERS
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # bit-reproducible reductions
    try:
        torch.manual_seed(spec.seed)
        model = build_model(spec.arch, spec.config)
        Xtr_t, ytr_t = torch.from_numpy(Xtr), torch.from_numpy(ytr)
        gen = torch.Generator().manual_seed(spec.seed)
        opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
        loss_fn = torch.nn.MSELoss() if autoencoder else torch.nn.CrossEntropyLoss()
        model.train()
        for _ in range(spec.epochs):
            perm = torch.randperm(len(Xtr_t), generator=gen)
            for start in range(0, len(perm), spec.batch_size):
                idx = perm[start : start + spec.batch_size]
                opt.zero_grad()
                xb = Xtr_t[idx]
                loss = loss_fn(model(xb), xb if autoencoder else ytr_t[idx])
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(Xte))
    finally:
        torch.set_num_threads(threads)
    if autoencoder:
        return model, {"test_mse": round(float(((out.numpy() - Xte) ** 2).mean()), 6)}
    return model, {"test_accuracy": round(float((out.argmax(1).numpy() == yte).mean()), 6)}


def build_zoo(
    dataset: str = "digits",
    *,
    out_dir: str | Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Train the dataset's zoo and write safetensors weights, ONNX models and ``manifest.json``.

    Parameters
    ----------
    dataset : str, default="digits"
    out_dir : path, optional
        Defaults to ``assets_dir() / dataset``.
    progress : callable(done, total, name), optional
        Called before each encoder is trained and once at the end.

    Returns
    -------
    dict
        The manifest written.
    """
    import onnx

    torch = require_torch("stitchboard zoo build")
    from safetensors.torch import save_file

    check_choice(dataset, name="dataset", choices=sorted(ZOO_SPECS))
    out = Path(out_dir) if out_dir is not None else assets_dir() / dataset
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset(dataset)
    specs = ZOO_SPECS[dataset]
    entries = []
    for i, spec in enumerate(specs):
        if progress:
            progress(i, len(specs), spec.name)
        model, scores = train_encoder(spec, data)
        path = out / f"{spec.name}.safetensors"
        if spec.arch == "lsa":
            model.save(path)
            state = model.state_dict()
            latent_dim = int(spec.config["n_components"])
        else:
            state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
            save_file(state, str(path), metadata={"arch": spec.arch, "seed": str(spec.seed)})
            latent_dim = int(spec.config["latent_dim"])
        entry = {
            "name": spec.name,
            "arch": spec.arch,
            "config": spec.config,
            "seed": spec.seed,
            "latent_dim": latent_dim,
            **({} if spec.arch == "lsa" else {"epochs": spec.epochs, "lr": spec.lr, "batch_size": spec.batch_size}),
            **scores,
            "file": path.name,
            "sha256": _sha256(path),
            "tensor_sha256": tensor_sha256(state),
        }
        if spec.arch != "lsa":
            entry.update(write_model_onnx(entry, out, {k: v.numpy() for k, v in state.items()}))
        entries.append(entry)
    if progress:
        progress(len(specs), len(specs), "done")
    manifest = {
        "dataset": dataset,
        "description": DESCRIPTIONS[dataset],
        "split": data.params,
        "latent": _LATENT_NOTE[data.modality],
        "built_with": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                       **({"onnx": onnx.__version__} if any("onnx" in e for e in entries) else {})},
        "encoders": entries,
    }
    write_manifest(manifest, out)
    return manifest


_LATENT_NOTE = {
    "image": "encoder output after Tanh: the penultimate layer of classifiers, the bottleneck of autoencoders",
    "tabular": "penultimate layer (encoder output, after Tanh)",
    "text": "LSA: TF-IDF (sublinear tf) projected on the truncated-SVD components",
}


def load_torch_model(entry: dict, root: Path):
    """The torch module of a zoo network (eval mode), filled from its safetensors file; needs torch.

    Parameters
    ----------
    entry : dict
        Its manifest entry (``Zoo.entries[name]``).
    root : path
        The zoo folder (``Zoo.root``).

    Returns
    -------
    torch.nn.Module
    """
    require_torch("the torch module of a zoo encoder")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .architectures import build_model

    path = Path(root) / entry["file"]
    try:
        model = build_model(entry["arch"], entry["config"])
    except (InvalidInputError, TypeError, KeyError) as exc:
        raise LoadError(f"zoo entry {entry['name']!r}: cannot build arch={entry['arch']!r} from its config ({exc})") from None
    try:
        state = load_file(str(path))
    except FileNotFoundError:
        raise LoadError(f"weights file {path} is missing; rebuild the zoo with `stitchboard zoo build`") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise LoadError(f"weights file {path} is not a readable safetensors file ({exc}); it may be truncated or corrupt") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        detail = " ".join(line.strip() for line in str(exc).strip().splitlines()[:3])
        raise LoadError(f"weights in {path.name} do not match architecture {entry['arch']!r} with config "
                        f"{entry['config']}: {detail}") from None
    return model.eval()


def onnx_torch_difference(zoo: Zoo, name: str) -> float:
    """Largest ``|onnxruntime - torch|`` over every output of one zoo network on its whole dataset.

    Runs the zoo's ONNX file and the torch module of its safetensors weights; needs torch.
    Each output's difference is divided by its largest magnitude when that is above 1:
    float32 rounding grows with the values (logits reach ~13), latent vectors lie in [-1, 1].
    """
    torch = require_torch("comparing the zoo's ONNX models with torch")
    onnx_model, net = zoo.model(name), load_torch_model(zoo.entries[name], zoo.root)
    X = np.ascontiguousarray(zoo.data.X, dtype=np.float32)
    with torch.no_grad():
        Xt = torch.from_numpy(X)
        latent = net.encode(Xt)
        ref = {"latent": latent, "logits": getattr(net, "head", None), "reconstruction": getattr(net, "decoder", None)}
        ref = {k: (v if k == "latent" else v(latent)).numpy() for k, v in ref.items() if v is not None}
    return max(float(np.abs(onnx_model.run(X, out).astype(np.float64) - ref[out]).max() / max(1.0, np.abs(ref[out]).max()))
               for out in onnx_model.outputs)


def _load_tensors(path: Path) -> dict:
    from safetensors.numpy import load_file

    return load_file(str(path))


def check_zoo(dataset: str = "digits", *, tolerance: float = 1e-5, progress=None) -> dict:
    """Rebuild a zoo into a temporary folder and compare it with the bundled files.

    Parameters
    ----------
    dataset : str, default="digits"
    tolerance : float, default=1e-5
        Largest absolute difference of any weight still called "within tolerance", and
        of any output of a bundled ONNX model from torch's on the same weights.
    progress : callable(done, total, name), optional

    Returns
    -------
    dict
        ``{"verdict": "bit-for-bit" | "within tolerance" | "differs", "encoders":
        {name: {"verdict": ..., "max_abs_diff": float, "onnx_max_abs_diff": float}}}``;
        ``onnx_max_abs_diff`` (networks only) compares the bundled ONNX model with torch
        on the whole dataset, and a value over ``tolerance`` makes the verdict "differs".
    """
    import tempfile

    bundled = Zoo(dataset)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        manifest = build_zoo(dataset, out_dir=tmp, progress=progress)
        for e in manifest["encoders"]:
            ref = bundled.entries.get(e["name"])
            if ref is None or not ref.get("file"):
                report[e["name"]] = {"verdict": "differs", "max_abs_diff": float("inf"), "why": "not bundled"}
                continue
            if ref.get("tensor_sha256") == e["tensor_sha256"]:
                report[e["name"]] = {"verdict": "bit-for-bit", "max_abs_diff": 0.0}
                continue
            new, old = _load_tensors(Path(tmp) / e["file"]), _load_tensors(bundled.root / ref["file"])
            if set(new) != set(old) or any(new[k].shape != old[k].shape for k in new):
                report[e["name"]] = {"verdict": "differs", "max_abs_diff": float("inf"), "why": "tensor names/shapes"}
                continue
            diff = max(float(np.abs(new[k].astype(np.float64) - old[k].astype(np.float64)).max()) for k in new)
            report[e["name"]] = {"verdict": "within tolerance" if diff <= tolerance else "differs", "max_abs_diff": diff}
    for name, r in report.items():
        if r.get("why") != "not bundled" and bundled.entries[name]["arch"] in ARCHITECTURE_NAMES:
            r["onnx_max_abs_diff"] = onnx_torch_difference(bundled, name)
            if r["onnx_max_abs_diff"] > tolerance:
                r.update(verdict="differs", why="the ONNX model's outputs differ from torch's")
    order = ("bit-for-bit", "within tolerance", "differs")
    verdict = max((r["verdict"] for r in report.values()), key=order.index, default="bit-for-bit")
    return {"dataset": dataset, "verdict": verdict, "tolerance": tolerance, "encoders": report}
