"""The bundled encoder zoo: deterministic training, safetensors weights, a manifest.

``stitchboard zoo build`` trains every :data:`ZOO_SPECS` entry on the dataset's train
split and writes ``assets/<dataset>/<name>.safetensors`` plus ``manifest.json``. The app
and the tests only *load* these files; nothing is trained at start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .datasets import Dataset, load_dataset
from .errors import InvalidInputError, LoadError
from .latent_space import LatentSpace
from .validation import check_choice

__all__ = [
    "EncoderSpec",
    "ZOO_SPECS",
    "assets_dir",
    "build_zoo",
    "Zoo",
    "load_zoo",
    "tensor_sha256",
]


@dataclass(frozen=True)
class EncoderSpec:
    """How to build one zoo encoder.

    Attributes
    ----------
    name : str
    arch : str
        Key of :data:`core.encoders.ARCHITECTURES`.
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


ZOO_SPECS: dict[str, tuple[EncoderSpec, ...]] = {
    "digits": (
        EncoderSpec("mlp-s0", "mlp", {"in_dim": 64, "hidden": 128, "latent_dim": 64, "n_classes": 10}, seed=0),
        EncoderSpec("mlp-s1", "mlp", {"in_dim": 64, "hidden": 128, "latent_dim": 64, "n_classes": 10}, seed=1),
        EncoderSpec("mlp-s2", "mlp", {"in_dim": 64, "hidden": 128, "latent_dim": 64, "n_classes": 10}, seed=2),
        EncoderSpec("mlp-wide-s0", "mlp", {"in_dim": 64, "hidden": 256, "latent_dim": 32, "n_classes": 10}, seed=0),
        EncoderSpec("cnn-s0", "cnn", {"side": 8, "channels": 16, "latent_dim": 64, "n_classes": 10}, seed=0),
        EncoderSpec("cnn-s1", "cnn", {"side": 8, "channels": 16, "latent_dim": 64, "n_classes": 10}, seed=1),
    ),
}


def assets_dir() -> Path:
    """Folder of the bundled assets.

    ``$STITCHBOARD_ASSETS`` if set, else ``assets/`` next to the ``core`` package (the
    repository root of an editable install).
    """
    env = os.environ.get("STITCHBOARD_ASSETS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "assets"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tensor_sha256(state: dict) -> str:
    """Canonical hash of a state dict: names, dtypes, shapes and raw bytes, sorted by name.

    The safetensors file bytes are not a stable fingerprint (the order of its JSON
    header can change from one process to the next); this hash is.
    """
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().contiguous().cpu()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def train_encoder(spec: EncoderSpec, dataset: Dataset):
    """Train one encoder deterministically on the dataset's train split.

    Parameters
    ----------
    spec : EncoderSpec
    dataset : Dataset

    Returns
    -------
    model : torch.nn.Module
        Trained, in eval mode.
    test_accuracy : float
    """
    import torch

    from .encoders import build_model

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # bit-reproducible reductions
    try:
        torch.manual_seed(spec.seed)
        model = build_model(spec.arch, spec.config)
        Xtr, ytr, _ = dataset.part("train")
        Xte, yte, _ = dataset.part("test")
        Xtr_t, ytr_t = torch.from_numpy(Xtr), torch.from_numpy(ytr)
        gen = torch.Generator().manual_seed(spec.seed)
        opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        model.train()
        for _ in range(spec.epochs):
            perm = torch.randperm(len(Xtr_t), generator=gen)
            for start in range(0, len(perm), spec.batch_size):
                idx = perm[start : start + spec.batch_size]
                opt.zero_grad()
                loss = loss_fn(model(Xtr_t[idx]), ytr_t[idx])
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(Xte)).argmax(1).numpy()
    finally:
        torch.set_num_threads(threads)
    return model, float((pred == yte).mean())


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

    check_choice("dataset", dataset, sorted(ZOO_SPECS))
    out = Path(out_dir) if out_dir is not None else assets_dir() / dataset
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset(dataset)
    specs = ZOO_SPECS[dataset]
    entries = []
    for i, spec in enumerate(specs):
        if progress:
            progress(i, len(specs), spec.name)
        model, acc = train_encoder(spec, data)
        path = out / f"{spec.name}.safetensors"
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(path), metadata={"arch": spec.arch, "seed": str(spec.seed)})
        entries.append(
            {
                "name": spec.name,
                "arch": spec.arch,
                "config": spec.config,
                "seed": spec.seed,
                "latent_dim": int(spec.config["latent_dim"]),
                "epochs": spec.epochs,
                "lr": spec.lr,
                "batch_size": spec.batch_size,
                "test_accuracy": round(acc, 6),
                "file": path.name,
                "sha256": _sha256(path),
                "tensor_sha256": tensor_sha256(state),
            }
        )
    if progress:
        progress(len(specs), len(specs), "done")
    manifest = {
        "dataset": dataset,
        "split": data.params,
        "latent": "penultimate layer (encoder output, after Tanh)",
        "built_with": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "encoders": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


class Zoo:
    """The encoders of one dataset, loaded from ``manifest.json`` and safetensors.

    Parameters
    ----------
    dataset : str, default="digits"
    root : path, optional
        Folder holding ``manifest.json``; defaults to ``assets_dir() / dataset``.
    """

    def __init__(self, dataset: str = "digits", *, root: str | Path | None = None):
        if not isinstance(dataset, str) or not dataset or "/" in dataset or "\\" in dataset or dataset.startswith("."):
            raise InvalidInputError(f"dataset={dataset!r} must be a plain folder name such as 'digits'")
        self.dataset_name = dataset
        self.root = Path(root) if root is not None else assets_dir() / dataset
        manifest_path = self.root / "manifest.json"
        if not manifest_path.is_file():
            raise LoadError(
                f"No zoo manifest at {manifest_path}. Run `stitchboard zoo build --dataset {dataset}` first, "
                "or set STITCHBOARD_ASSETS to the folder holding the bundled assets."
            )
        self.manifest = _read_manifest(manifest_path)
        self.entries = {e["name"]: e for e in self.manifest["encoders"]}
        self._data: Dataset | None = None
        self._models: dict = {}

    @property
    def names(self) -> list[str]:
        """Encoder names, in manifest order."""
        return list(self.entries)

    @property
    def data(self) -> Dataset:
        """The dataset, split as recorded in the manifest."""
        if self._data is None:
            self._data = load_dataset(self.dataset_name, **self.manifest.get("split", {}))
        return self._data

    def model(self, name: str):
        """The trained torch model of one encoder (eval mode)."""
        if not isinstance(name, str) or name not in self.entries:
            raise InvalidInputError(f"encoder={name!r} is not in the {self.dataset_name} zoo; choose one of {self.names}")
        if name not in self._models:
            self._models[name] = _load_model(self.entries[name], self.root)
        return self._models[name]

    def space(self, name: str, split: str = "all") -> LatentSpace:
        """Run one encoder on a split and return its latent space.

        Parameters
        ----------
        name : str
            Encoder name.
        split : {"train", "test", "all"}, default="all"

        Returns
        -------
        LatentSpace
            vectors of shape (n_split, latent_dim), float32, ids and labels of the split.
        """
        import torch

        X, y, ids = self.data.part(split)
        with torch.no_grad():
            Z = self.model(name).encode(torch.from_numpy(X)).numpy().astype(np.float32)
        e = self.entries[name]
        return LatentSpace(
            Z,
            ids,
            labels=y,
            name=name,
            meta={"dataset": self.dataset_name, "split": split, "arch": e["arch"], "seed": e["seed"]},
        )

    def spaces(self, split: str = "all", names=None) -> dict[str, LatentSpace]:
        """Latent spaces of several encoders (all by default), keyed by name."""
        return {n: self.space(n, split) for n in (names or self.names)}


_ENTRY_KEYS = {"name": str, "arch": str, "config": dict, "file": str, "seed": int}


def _read_manifest(path: Path) -> dict:
    """``manifest.json``, parsed and checked: a dict with a list of encoder entries."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LoadError(f"zoo manifest {path} is not valid JSON ({exc}); rebuild it with `stitchboard zoo build`") from None
    entries = manifest.get("encoders") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not entries:
        raise LoadError(f"zoo manifest {path} has no 'encoders' list; rebuild it with `stitchboard zoo build`")
    for i, e in enumerate(entries):
        bad = [k for k, t in _ENTRY_KEYS.items() if not isinstance(e, dict) or not isinstance(e.get(k), t)]
        if bad:
            raise LoadError(f"zoo manifest {path}: encoder entry {i} lacks or mistypes {bad}")
        if Path(e["file"]).name != e["file"] or not e["file"].endswith(".safetensors"):
            raise LoadError(f"zoo manifest {path}: file {e['file']!r} must be a .safetensors file name in the zoo folder")
    return manifest


def _load_model(entry: dict, root: Path):
    """Build the entry's architecture and fill it from its safetensors file (no pickle)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .encoders import build_model

    path = root / entry["file"]
    try:
        model = build_model(entry["arch"], entry["config"])
    except (InvalidInputError, TypeError, KeyError, ValueError) as exc:
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
        first = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in first[:3])
        raise LoadError(
            f"weights in {path.name} do not match architecture {entry['arch']!r} with config {entry['config']}: "
            f"{detail}"
        ) from None
    model.eval()
    return model


def load_zoo(dataset: str = "digits") -> Zoo:
    """Load the bundled zoo of a dataset. See :class:`Zoo`."""
    return Zoo(dataset)
