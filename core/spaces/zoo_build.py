"""Building the bundled encoder zoo: deterministic training, safetensors weights, a manifest.

``stitchboard zoo build`` trains every :data:`ZOO_SPECS` entry on the dataset's train
split and writes ``assets/<dataset>/<name>.safetensors`` plus ``manifest.json``;
``--check`` rebuilds into a temporary folder and compares. The app and the tests only
*load* these files (:mod:`core.spaces.zoo`); nothing is trained at start-up.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .assets import assets_dir
from .datasets import DESCRIPTIONS, Dataset, load_dataset
from ..validation import check_choice
from .zoo import Zoo

__all__ = ["EncoderSpec", "ZOO_SPECS", "build_zoo", "train_encoder", "tensor_sha256", "check_zoo"]


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
        EncoderSpec("lsa-word", "lsa", {"n_components": 128, "analyzer": "word", "ngram_range": [1, 1], "min_df": 1}, seed=0),
        EncoderSpec("lsa-bigram", "lsa", {"n_components": 128, "analyzer": "word", "ngram_range": [1, 2], "min_df": 1}, seed=0),
        EncoderSpec("lsa-char", "lsa", {"n_components": 128, "analyzer": "char_wb", "ngram_range": [2, 4], "min_df": 2}, seed=0),
    ),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tensor_sha256(state: dict) -> str:
    """Canonical hash of a state dict: names, dtypes, shapes and raw bytes, sorted by name.

    The safetensors file bytes are not a stable fingerprint (the order of its JSON
    header can change from one process to the next); this hash is.
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

    import torch

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
    """Train the dataset's zoo and write safetensors weights plus ``manifest.json``.

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
    import torch
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
        entries.append(
            {
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
        )
    if progress:
        progress(len(specs), len(specs), "done")
    manifest = {
        "dataset": dataset,
        "description": DESCRIPTIONS[dataset],
        "split": data.params,
        "latent": _LATENT_NOTE[data.modality],
        "built_with": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "encoders": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


_LATENT_NOTE = {
    "image": "encoder output after Tanh: the penultimate layer of classifiers, the bottleneck of autoencoders",
    "tabular": "penultimate layer (encoder output, after Tanh)",
    "text": "LSA: TF-IDF (sublinear tf) projected on the truncated-SVD components",
}


def _load_tensors(path: Path) -> dict:
    from safetensors.numpy import load_file

    return load_file(str(path))


def check_zoo(dataset: str = "digits", *, tolerance: float = 1e-5, progress=None) -> dict:
    """Rebuild a zoo into a temporary folder and compare it with the bundled files.

    Parameters
    ----------
    dataset : str, default="digits"
    tolerance : float, default=1e-5
        Largest absolute difference of any weight still called "within tolerance".
    progress : callable(done, total, name), optional

    Returns
    -------
    dict
        ``{"verdict": "bit-for-bit" | "within tolerance" | "differs", "encoders":
        {name: {"verdict": ..., "max_abs_diff": float}}}``.
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
    order = ("bit-for-bit", "within tolerance", "differs")
    verdict = max((r["verdict"] for r in report.values()), key=order.index, default="bit-for-bit")
    return {"dataset": dataset, "verdict": verdict, "tolerance": tolerance, "encoders": report}
