"""Bring your own: embeddings files, ONNX models and safetensors weights -> a Collection.

One entry point, :func:`load_collection`, turns the user's files into parallel
:class:`~core.spaces.latent_space.LatentSpace` objects sharing one id order and one split:

- **embeddings files**, one per space: ``.npy`` (a 2-D array), ``.npz`` (arrays
  ``vectors``, optional ``ids`` and ``labels``), ``.csv`` and ``.parquet`` (numeric
  vector columns, or one list column, plus optional id and label columns);
- **models** applied to one **data table** (CSV/parquet: feature columns + optional
  id/label columns): ``.onnx`` (run with onnxruntime) or ``.safetensors`` weights of a
  zoo architecture named by a JSON sidecar ``{"arch": "mlp", "config": {...}}``.

Nothing is ever unpickled: ``np.load(allow_pickle=False)``, safetensors, onnxruntime,
pandas/pyarrow readers. ``.pt``/``.pkl``/``.joblib`` files are refused with a message
saying how to export them safely.

Matching rules (several files form parallel spaces):

- every file has ids -> rows are matched **by id**, never by order; ids that are not
  in every file are an error (which files, how many match), unless ``intersect=True``;
- no file has ids -> rows are matched **by order**, only if the row counts agree, and
  the collection's ``notes`` say so;
- some files have ids -> the others take those ids by order (counts must agree), noted.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..spaces.collection import Collection, default_split
from ..errors import FileTooLargeError, InvalidInputError, LoadError, MismatchError, UnsafeFileError
from ..validation import parse_json
from ..spaces.latent_space import LatentSpace

__all__ = [
    "EMBEDDING_FORMATS",
    "MODEL_FORMATS",
    "PICKLE_SUFFIXES",
    "ReadFile",
    "read_embeddings",
    "read_table",
    "load_model",
    "encode_table",
    "load_collection",
]

#: Suffixes read as one space each.
EMBEDDING_FORMATS = (".npy", ".npz", ".csv", ".parquet")
#: Suffixes read as models (run on a data table).
MODEL_FORMATS = (".onnx", ".safetensors")
#: Suffixes refused because loading them means unpickling.
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".joblib", ".bin", ".ckpt")

_ID_COLUMNS = ("id", "ids", "sample_id")
_LABEL_COLUMNS = ("label", "labels", "target", "y")
_VECTOR_COLUMNS = ("vector", "vectors", "embedding", "embeddings")


@dataclass(frozen=True)
class ReadFile:
    """One input file: its name and its bytes (an upload) or its path on disk."""

    name: str
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def of(cls, source, *, max_bytes: int | None = None) -> "ReadFile":
        """Wrap a path, a ``(name, bytes)`` pair, or an object with ``.name`` and ``.getvalue()``."""
        if isinstance(source, ReadFile):
            rf = source
        elif isinstance(source, (str, Path)):
            p = Path(source)
            if not p.is_file():
                raise LoadError(f"{p}: no such file")
            rf = cls(p.name, path=p)
        elif isinstance(source, tuple) and len(source) == 2:
            rf = cls(str(source[0]), data=bytes(source[1]))
        elif hasattr(source, "getvalue") and hasattr(source, "name"):
            rf = cls(str(source.name), data=bytes(source.getvalue()))
        else:
            raise InvalidInputError(
                f"cannot read {type(source).__name__}; pass a path, a (name, bytes) pair or an uploaded file"
            )
        if max_bytes is not None and rf.size > max_bytes:
            raise FileTooLargeError(
                f"{rf.name}: {rf.size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit; use the "
                "`stitchboard import` CLI for big files, or raise the limit"
            )
        return rf

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def open(self):
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")

    def read(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()


def _refuse_pickles(rf: ReadFile) -> None:
    if rf.suffix in PICKLE_SUFFIXES:
        raise UnsafeFileError(
            f"{rf.name}: {rf.suffix} files are Python pickles, which can run code when loaded, so Stitchboard "
            "refuses them. Export the array with numpy (np.save -> .npy) or safetensors "
            "(safetensors.torch.save_file -> .safetensors), or the model with torch.onnx.export -> .onnx"
        )


# ---------------------------------------------------------------------- tables
def read_table(source, *, max_bytes: int | None = None) -> pd.DataFrame:
    """Read a CSV or parquet file into a DataFrame, with clear errors.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
    max_bytes : int, optional

    Returns
    -------
    pandas.DataFrame of shape (n_rows, n_columns)
    """
    rf = ReadFile.of(source, max_bytes=max_bytes)
    _refuse_pickles(rf)
    if rf.suffix == ".csv":
        try:
            with rf.open() as fh:
                df = pd.read_csv(fh)
        except pd.errors.EmptyDataError:
            raise LoadError(f"{rf.name}: the file is empty; it needs a header row and at least one data row") from None
        except pd.errors.ParserError as exc:
            raise LoadError(
                f"{rf.name}: rows have different numbers of fields ({str(exc).strip()}); every row needs one "
                "value per header column"
            ) from None
        except UnicodeDecodeError:
            raise LoadError(f"{rf.name}: not a UTF-8 text CSV") from None
    elif rf.suffix == ".parquet":
        try:
            with rf.open() as fh:
                df = pd.read_parquet(fh)
        except Exception as exc:  # pyarrow raises many types on corrupt input
            raise LoadError(f"{rf.name}: not a readable parquet file (truncated or corrupt?): {exc}") from None
    else:
        raise LoadError(f"{rf.name}: a table must be .csv or .parquet; got {rf.suffix or 'no suffix'}")
    if len(df) == 0:
        raise LoadError(f"{rf.name}: the table has a header but no rows; add data rows")
    return df


def _pick(df: pd.DataFrame, given: str | None, defaults: tuple, what: str, rf_name: str) -> str | None:
    if given is not None:
        if given not in df.columns:
            raise LoadError(f"{rf_name}: no {what} column {given!r}; columns are {list(df.columns)[:20]}")
        return given
    lower = {str(c).lower(): c for c in df.columns}
    for d in defaults:
        if d in lower:
            return lower[d]
    return None


def _labels_from(values, rf_name: str, ids) -> np.ndarray:
    s = pd.Series(values)
    missing = s.isna().to_numpy()
    if missing.any():
        bad = np.asarray(ids)[missing][:10].tolist()
        raise InvalidInputError(
            f"{rf_name}: {int(missing.sum())} label(s) are missing (NaN/empty) for ids {bad}; fill them in, "
            "drop those rows, or remove the label column to load without labels"
        )
    return s.to_numpy()


def _frame_to_space(df: pd.DataFrame, rf_name: str, *, name: str, id_column, label_column) -> tuple:
    id_col = _pick(df, id_column, _ID_COLUMNS, "id", rf_name)
    label_col = _pick(df, label_column, _LABEL_COLUMNS, "label", rf_name)
    rest = [c for c in df.columns if c not in (id_col, label_col)]
    if not rest:
        raise LoadError(f"{rf_name}: no vector columns besides the id/label columns")
    list_cols = [c for c in rest if df[c].dtype == object and len(df) and isinstance(df[c].iloc[0], (list, np.ndarray))]
    if list_cols:
        col = next((c for c in list_cols if str(c).lower() in _VECTOR_COLUMNS), list_cols[0])
        lengths = df[col].map(len).to_numpy()
        if (lengths != lengths[0]).any():
            bad = np.flatnonzero(lengths != lengths[0])[:10].tolist()
            raise LoadError(f"{rf_name}: vectors in column {col!r} have different lengths (rows {bad}); all must match")
        try:
            X = np.stack(df[col].map(lambda v: np.asarray(v, dtype=np.float64)).to_list())
        except (TypeError, ValueError):
            raise LoadError(f"{rf_name}: column {col!r} holds non-numeric vectors") from None
    else:
        bad = [c for c in rest if not (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))]
        if bad:
            raise LoadError(
                f"{rf_name}: non-numeric column(s) {bad[:10]}; vector columns must be numbers. Name the id/label "
                "columns (id_column=, label_column=) or drop text columns"
            )
        X = df[rest].to_numpy(dtype=np.float64)
    ids = None if id_col is None else df[id_col].to_numpy()
    labels = None if label_col is None else _labels_from(df[label_col], rf_name, ids if ids is not None else np.arange(len(df)))
    return X, ids, labels


# ---------------------------------------------------------------------- embeddings
def _is_pickle_refusal(exc: Exception) -> bool:
    """numpy's own refusal of pickled content under ``allow_pickle=False``.

    ("Object arrays cannot be loaded when allow_pickle=False", "This file contains
    pickled (object) data..."); other ValueErrors are corrupt files, whatever words
    their message happens to hold (a mangled header can say "<ast.BinOp object>").
    """
    msg = str(exc)
    return "allow_pickle" in msg or "pickled" in msg


def _quote(exc: Exception) -> str:
    """A library's message, without object addresses (``<ast.BinOp object at 0x7f...>`` -> ``<ast.BinOp>``)."""
    return re.sub(r" object at 0x[0-9a-fA-F]+>", ">", str(exc))


def _load_npy(rf: ReadFile):
    try:
        # a BytesIO that stays open: npz members are read lazily after np.load returns
        obj = np.load(io.BytesIO(rf.read()), allow_pickle=False)
    except ValueError as exc:
        if _is_pickle_refusal(exc):
            raise UnsafeFileError(
                f"{rf.name}: holds Python objects (a pickle), which Stitchboard never loads because unpickling can "
                "run code. Save a numeric array: np.save(path, vectors.astype('float32'))"
            ) from None
        raise LoadError(f"{rf.name}: not a valid {rf.suffix} file: {_quote(exc)}") from None
    except (OSError, EOFError, KeyError) as exc:
        raise LoadError(f"{rf.name}: not a valid {rf.suffix} file (truncated or corrupt?): {exc}") from None
    except Exception as exc:  # zipfile.BadZipFile and friends on mangled npz
        raise LoadError(f"{rf.name}: not a valid {rf.suffix} file (truncated or corrupt?): {exc}") from None
    return obj


def _npz_arrays(obj, rf: ReadFile) -> tuple:
    try:
        with obj:
            keys = list(obj.keys())
            if "vectors" in keys:
                X = obj["vectors"]
            elif len(keys) == 1:
                X = obj[keys[0]]
            else:
                raise LoadError(f"{rf.name}: npz needs an array named 'vectors' (optional 'ids', 'labels'); found {keys}")
            ids = obj["ids"] if "ids" in keys else None
            labels = obj["labels"] if "labels" in keys else None
    except ValueError as exc:
        if not _is_pickle_refusal(exc):
            raise LoadError(f"{rf.name}: not a valid .npz file (a corrupt member?): {exc}") from None
        raise UnsafeFileError(
            f"{rf.name}: an array in the npz holds Python objects (a pickle), which Stitchboard never loads. "
            f"Save numeric arrays with np.savez(path, vectors=..., ids=..., labels=...) ({exc})"
        ) from None
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"{rf.name}: not a valid .npz file (truncated or corrupt?): {exc}") from None
    return X, ids, labels


def read_embeddings(source, *, name: str | None = None, id_column: str | None = None,
                    label_column: str | None = None, max_bytes: int | None = None) -> LatentSpace:
    """Read one embeddings file into a space.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
        ``.npy``, ``.npz``, ``.csv`` or ``.parquet``.
    name : str, optional
        Space name; the file's stem by default.
    id_column, label_column : str, optional
        CSV/parquet column names; by default ``id``/``ids``/``sample_id`` and
        ``label``/``labels``/``target``/``y`` are used when present.
    max_bytes : int, optional
        Refuse larger files with :class:`~core.errors.FileTooLargeError`.

    Returns
    -------
    LatentSpace
        vectors (n, d) float32. ``meta["has_ids"]`` says whether the file gave ids
        (otherwise ids are row numbers 0..n-1).
    """
    rf = ReadFile.of(source, max_bytes=max_bytes)
    _refuse_pickles(rf)
    name = name or rf.stem
    if rf.suffix == ".npy":
        X, ids, labels = _load_npy(rf), None, None
        if isinstance(X, np.lib.npyio.NpzFile):
            raise LoadError(f"{rf.name}: this is an npz archive; rename it to .npz")
    elif rf.suffix == ".npz":
        obj = _load_npy(rf)
        if not isinstance(obj, np.lib.npyio.NpzFile):
            raise LoadError(f"{rf.name}: not an npz archive; use .npy for a single array")
        X, ids, labels = _npz_arrays(obj, rf)
    elif rf.suffix in (".csv", ".parquet"):
        X, ids, labels = _frame_to_space(read_table(rf), rf.name, name=name, id_column=id_column, label_column=label_column)
    else:
        raise LoadError(
            f"{rf.name}: unsupported embeddings format {rf.suffix or '(no suffix)'}; use one of {list(EMBEDDING_FORMATS)}"
        )
    return _make_space(X, ids, labels, name=name, rf_name=rf.name, kind="embeddings")


def _make_space(X, ids, labels, *, name, rf_name, kind) -> LatentSpace:
    X = np.asarray(X)
    if X.dtype == object or X.dtype.kind not in "biuf":
        raise LoadError(f"{rf_name}: vectors must be numbers; got dtype {X.dtype}")
    if X.ndim != 2:
        raise LoadError(f"{rf_name}: vectors must be a 2-D array (n_samples, n_dims); got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise LoadError(f"{rf_name}: vectors are empty (shape {X.shape}); need at least one row and one column")
    source_finite = np.isfinite(X).all(axis=1) if X.dtype.kind == "f" else np.ones(len(X), dtype=bool)
    with np.errstate(over="ignore"):
        X = X.astype(np.float32)
    finite = np.isfinite(X).all(axis=1)
    has_ids = ids is not None
    ids = np.arange(len(X)) if ids is None else np.asarray(ids)
    if ids.shape != (len(X),):
        raise LoadError(f"{rf_name}: ids must have shape ({len(X)},); got {ids.shape}")
    if ids.dtype == object:
        ids = ids.astype(str)
    if not finite.all() and (source_finite & ~finite).any():
        big = source_finite & ~finite
        raise InvalidInputError(
            f"{rf_name}: {int(big.sum())} row(s) hold values beyond the float32 range (|x| > 3.4e38; ids "
            f"{ids[big][:10].tolist()}); rescale the vectors"
        )
    if not finite.all():
        bad = ids[~finite][:10].tolist()
        raise InvalidInputError(
            f"{rf_name}: {int((~finite).sum())} row(s) contain NaN or Inf (ids {bad}); clean or drop those rows"
        )
    uniq, counts = np.unique(ids, return_counts=True)
    if len(uniq) != len(ids):
        raise LoadError(f"{rf_name}: ids must be unique; duplicated: {uniq[counts > 1][:10].tolist()}")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(X),):
            raise LoadError(f"{rf_name}: labels must have shape ({len(X)},); got {labels.shape}")
        if labels.dtype.kind == "f" and np.isnan(labels).any():
            bad = ids[np.isnan(labels)][:10].tolist()
            raise InvalidInputError(f"{rf_name}: labels are NaN for ids {bad}; fill them in or drop those rows")
    return LatentSpace(X, ids, labels=labels, name=name, meta={"file": rf_name, "has_ids": has_ids, "kind": kind})


# ---------------------------------------------------------------------- models
class _OnnxModel:
    """An ONNX model read from its graph here and run only in a bounded worker (:func:`core.io.onnx_models.run_onnx`)."""

    def __init__(self, rf: ReadFile, output: str | None):
        from .onnx_models import graph_signature

        data = rf.read()
        self.source = rf.path if rf.path is not None else data
        # an upload (no path) may not use external data; a file on disk only inside its folder
        inputs, outputs = graph_signature(data, name=rf.name, folder=None if rf.path is None else rf.path.parent)
        if len(inputs) != 1:
            raise LoadError(f"{rf.name}: the model must take exactly one input (n, n_features); it takes {len(inputs)}")
        self.input, shape = inputs[0]
        outs = [o for o, _ in outputs]
        if not outs:
            raise LoadError(f"{rf.name}: the model has no outputs")
        if output is None:
            output = next((o for o in outs if any(k in o.lower() for k in ("latent", "embedding", "encod"))), outs[0])
        elif output not in outs:
            raise LoadError(f"{rf.name}: no output named {output!r}; outputs are {outs}")
        self.output = output
        self.name = rf.name
        if shape is not None and len(shape) != 2:
            raise LoadError(
                f"{rf.name}: the model's input {self.input!r} has shape {list(shape)}; Stitchboard feeds a 2-D table "
                "(n_rows, n_features). Export the model with a (batch, n_features) input"
            )
        self.n_features = shape[1] if shape is not None and isinstance(shape[1], int) and shape[1] > 0 else None

    def encode(self, X: np.ndarray) -> np.ndarray:
        from .onnx_models import run_onnx

        if self.n_features is not None and X.shape[1] != self.n_features:
            raise MismatchError(
                f"{self.name}: the model expects {self.n_features} input features, the table has {X.shape[1]}; "
                "check the feature columns (id/label columns are excluded)"
            )
        return run_onnx(self.source, np.ascontiguousarray(X, dtype=np.float32), input_name=self.input,
                        output=self.output, name=self.name)


class _TorchZooModel:
    def __init__(self, rf: ReadFile, sidecar: dict):
        from safetensors.torch import load as load_bytes

        from ..spaces.architectures import ARCHITECTURES, build_model

        arch, config = sidecar.get("arch"), sidecar.get("config")
        if arch not in ARCHITECTURES or not isinstance(config, dict):
            raise LoadError(
                f"{rf.name}: the JSON sidecar must be {{\"arch\": one of {sorted(ARCHITECTURES)}, \"config\": {{...}}}}; "
                f"got {json.dumps(sidecar)[:200]}"
            )
        import torch

        with torch.device("meta"):  # shapes first, without allocating: a sidecar may ask for huge layers
            want = {k: tuple(v.shape) for k, v in build_model(arch, config).state_dict().items()}
        try:
            state = load_bytes(rf.read())
        except Exception as exc:
            raise LoadError(f"{rf.name}: not a valid safetensors file (truncated or corrupt?): {exc}") from None
        have = {k: tuple(v.shape) for k, v in state.items()}
        if want != have:
            diff = [f"{k}: file {have.get(k)} vs {arch} {want.get(k)}" for k in sorted(set(want) | set(have))
                    if want.get(k) != have.get(k)][:5]
            raise LoadError(
                f"{rf.name}: weights do not match arch={arch!r} with config {config}: {'; '.join(diff)}. "
                "Fix the sidecar's config (sizes) or the arch"
            )
        self.model = build_model(arch, config)  # its size is now bounded by the file's
        self.model.load_state_dict(state)
        self.model.eval()
        self.name = rf.name
        first = next(iter(self.model.parameters()))
        self.n_features = int(config.get("in_dim", int(config.get("side", 0)) ** 2)) if first is not None else None

    def encode(self, X: np.ndarray) -> np.ndarray:
        import torch

        if X.shape[1] != self.n_features:
            raise MismatchError(
                f"{self.name}: the model expects {self.n_features} input features, the table has {X.shape[1]}"
            )
        with torch.no_grad():
            return self.model.encode(torch.from_numpy(X.astype(np.float32))).numpy()


def load_model(source, *, sidecar=None, output: str | None = None, max_bytes: int | None = None):
    """Load an encoder model: ONNX, or zoo-architecture safetensors with a JSON sidecar.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
    sidecar : dict, path, (name, bytes) or uploaded file, optional
        Required for ``.safetensors``: ``{"arch": "mlp", "config": {...}}``. For a path
        source, ``<stem>.json`` next to it is used when not given.
    output : str, optional
        ONNX output holding the latent vectors; by default one named like
        latent/embedding/encoder, else the first.
    max_bytes : int, optional

    Returns
    -------
    model
        An object with ``encode(X) -> (n, latent_dim)`` and ``name``.
    """
    rf = ReadFile.of(source, max_bytes=max_bytes)
    _refuse_pickles(rf)
    if rf.suffix == ".onnx":
        return _OnnxModel(rf, output)
    if rf.suffix == ".safetensors":
        if sidecar is None and rf.path is not None and rf.path.with_suffix(".json").is_file():
            sidecar = rf.path.with_suffix(".json")
        if sidecar is None:
            raise LoadError(
                f"{rf.name}: safetensors weights need a JSON sidecar naming the architecture, e.g. "
                '{"arch": "mlp", "config": {"in_dim": 64, "hidden": 128, "latent_dim": 64, "n_classes": 10}}'
            )
        if not isinstance(sidecar, dict):
            srf = ReadFile.of(sidecar)
            sidecar = parse_json(srf.read(), what=f"{srf.name} (the sidecar)")
            if not isinstance(sidecar, dict):
                raise LoadError(f"{srf.name}: the sidecar must be a JSON object with 'arch' and 'config'")
        return _TorchZooModel(rf, sidecar)
    raise LoadError(f"{rf.name}: unsupported model format {rf.suffix or '(no suffix)'}; use .onnx or .safetensors + .json")


def encode_table(table, model, *, name: str | None = None, id_column: str | None = None,
                 label_column: str | None = None, max_bytes: int | None = None) -> LatentSpace:
    """Run a model over a data table (feature columns + optional id and label columns).

    Parameters
    ----------
    table : path, (name, bytes), uploaded file or DataFrame
        CSV/parquet; every column except the id and label columns is a feature.
    model : object from :func:`load_model`
    name : str, optional
        Space name; the model file's stem by default.
    id_column, label_column : str, optional

    Returns
    -------
    LatentSpace of shape (n_rows, latent_dim)
    """
    if isinstance(table, pd.DataFrame):
        df, tname = table, "table"
    else:
        rf = ReadFile.of(table, max_bytes=max_bytes)
        df, tname = read_table(rf), rf.name
    X, ids, labels = _frame_to_space(df, tname, name="table", id_column=id_column, label_column=label_column)
    Z = model.encode(X.astype(np.float32))
    space = _make_space(Z, ids, labels, name=name or Path(model.name).stem, rf_name=f"{model.name} on {tname}",
                        kind="model")
    return space


# ---------------------------------------------------------------------- collection
def _match(spaces: list[LatentSpace], *, intersect: bool) -> tuple[list[LatentSpace], list[str]]:
    notes = []
    with_ids = [s for s in spaces if s.meta.get("has_ids", True)]
    without = [s for s in spaces if not s.meta.get("has_ids", True)]
    if without:
        ref = with_ids[0] if with_ids else without[0]
        bad = [f"{s.meta.get('file', s.name)} ({len(s)} rows)" for s in without if len(s) != len(ref)]
        if bad:
            raise MismatchError(
                f"files without ids can only be matched by row order when row counts agree: "
                f"{ref.meta.get('file', ref.name)} has {len(ref)} rows, but {', '.join(bad)}. Add an id column "
                "(or 'ids' array) to every file"
            )
        names = ", ".join(s.meta.get("file", s.name) for s in without)
        if with_ids:
            notes.append(f"{names}: no ids, so rows were matched BY ORDER to the ids of {ref.meta.get('file', ref.name)}")
        else:
            notes.append(f"no file has ids, so rows were matched BY ORDER (row i is the same sample in every file): {names}")
        spaces = [
            s if s.meta.get("has_ids", True) else
            LatentSpace(s.vectors, ref.ids, labels=s.labels, name=s.name, meta={**s.meta, "ids_from": ref.name})
            for s in spaces
        ]
    first = spaces[0]
    common = first.ids
    for s in spaces[1:]:
        common = np.intersect1d(common, s.ids)
    problems = [(s, len(np.intersect1d(s.ids, common))) for s in spaces if len(s) != len(common)]
    if problems:
        detail = "; ".join(f"{s.meta.get('file', s.name)}: {len(s)} ids" for s in spaces)
        if len(common) == 0:
            raise MismatchError(f"the files share no ids ({detail}); they are not the same samples")
        if not intersect:
            raise MismatchError(
                f"ids do not match across files: only {len(common)} ids are in every file ({detail}). Fix the ids, or "
                f"load with intersect=True (CLI --intersect; app: Options › Keep only shared ids) to use the {len(common)} shared samples"
            )
        notes.append(f"kept the {len(common)} ids present in every file ({detail}); the other rows were dropped as requested")
    order = common if len(common) != len(first) else first.ids
    return [s.subset(order) if not np.array_equal(s.ids, order) else s for s in spaces], notes


def _unify_labels(spaces: list[LatentSpace]) -> tuple[list[LatentSpace], tuple, list[str]]:
    labelled = [s for s in spaces if s.labels is not None]
    if not labelled:
        return spaces, (), ["no labels: classification stitching is unavailable (add a label column to show it)"]
    ref = labelled[0]
    for s in labelled[1:]:
        if not np.array_equal(np.asarray(s.labels).astype(str), np.asarray(ref.labels).astype(str)):
            n_diff = int((np.asarray(s.labels).astype(str) != np.asarray(ref.labels).astype(str)).sum())
            raise MismatchError(
                f"labels disagree between {ref.meta.get('file', ref.name)} and {s.meta.get('file', s.name)} for "
                f"{n_diff} samples; keep labels in one file only, or make them agree"
            )
    raw = np.asarray(ref.labels)
    classes, y = np.unique(raw.astype(str) if raw.dtype.kind not in "iub" else raw, return_inverse=True)
    notes = []
    if len(classes) < 2:
        notes.append(f"all samples have the same label ({classes[0]!s}): classification stitching is unavailable")
    out = [LatentSpace(s.vectors, s.ids, labels=y.astype(np.int64), name=s.name, meta=s.meta) for s in spaces]
    return out, tuple(str(c) for c in classes), notes


def load_collection(
    files,
    *,
    names=None,
    table=None,
    sidecars=None,
    name: str = "uploaded",
    id_column: str | None = None,
    label_column: str | None = None,
    intersect: bool = False,
    test_size: float = 0.2,
    random_state: int = 0,
    max_bytes: int | None = None,
) -> Collection:
    """Turn the user's files into a :class:`~core.spaces.collection.Collection` of parallel spaces.

    Parameters
    ----------
    files : sequence of path, (name, bytes) or uploaded file
        Embeddings files (one space each) and/or models (``.onnx``,
        ``.safetensors``), in the order the spaces should appear. ``.json`` files are
        taken as sidecars of the ``.safetensors`` file with the same stem.
    names : sequence of str, optional
        Space names, one per embeddings/model file; file stems by default.
    table : path, (name, bytes) or uploaded file, optional
        The data table the models encode; required when ``files`` holds models.
    sidecars : dict of str -> dict or file, optional
        JSON sidecars by safetensors file stem, when not passed among ``files``.
    name : str, default="uploaded"
        Collection name.
    id_column, label_column : str, optional
        Column names in CSV/parquet files (defaults: ``id``, ``label`` and variants).
    intersect : bool, default=False
        Keep only ids present in every file instead of refusing partial overlap.
    test_size : float, default=0.2
    random_state : int, default=0
        Seed of the (stratified when possible) train/test split.
    max_bytes : int, optional
        Per-file size limit.

    Returns
    -------
    Collection
        ``notes`` lists how rows were matched and anything the user must know.
    """
    rfs = [ReadFile.of(f, max_bytes=max_bytes) for f in files]
    if not rfs:
        raise InvalidInputError("no files given; pass at least one embeddings file or model")
    side = dict(sidecars or {})
    for rf in rfs:
        if rf.suffix == ".json":
            side[rf.stem] = rf
    items = [rf for rf in rfs if rf.suffix != ".json"]
    if not items:
        raise InvalidInputError(
            f"only JSON sidecars given ({', '.join(rf.name for rf in rfs)}); add the .safetensors weights they "
            "describe (and a data table), or embeddings files"
        )
    for rf in items:
        _refuse_pickles(rf)
        if rf.suffix not in EMBEDDING_FORMATS + MODEL_FORMATS:
            raise LoadError(
                f"{rf.name}: unsupported format {rf.suffix or '(no suffix)'}; embeddings: {list(EMBEDDING_FORMATS)}, "
                f"models: {list(MODEL_FORMATS)} (+ .json sidecar)"
            )
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(items):
            raise InvalidInputError(f"names has {len(names)} entries but there are {len(items)} spaces; give one per file")
    else:
        names = [rf.stem for rf in items]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InvalidInputError(
            f"space names must be unique; {dup} appear more than once: rename the files (or pass names=...)"
        )
    models = [rf for rf in items if rf.suffix in MODEL_FORMATS]
    table_df = None
    if models:
        if table is None:
            raise InvalidInputError(
                f"{models[0].name} is a model: also give the data table it should encode (CSV/parquet with feature "
                "columns and optional id/label columns)"
            )
        trf = ReadFile.of(table, max_bytes=max_bytes)
        table_df = (trf.name, read_table(trf))
    spaces = []
    for rf, nm in zip(items, names):
        if rf.suffix in MODEL_FORMATS:
            model = load_model(rf, sidecar=side.get(rf.stem))
            spaces.append(encode_table(table_df[1], model, name=nm, id_column=id_column, label_column=label_column))
            spaces[-1].meta.update({"file": rf.name, "table": table_df[0],
                                    "has_ids": _pick(table_df[1], id_column, _ID_COLUMNS, "id", table_df[0]) is not None})
        else:
            spaces.append(read_embeddings(rf, name=nm, id_column=id_column, label_column=label_column))
    spaces, notes = _match(spaces, intersect=intersect)
    spaces, target_names, label_notes = _unify_labels(spaces)
    notes += label_notes
    ids = spaces[0].ids
    labels = spaces[0].labels
    split = default_split(ids, labels if target_names and len(target_names) > 1 else None,
                          test_size=test_size, random_state=random_state)
    samples = pd.DataFrame({"id": ids, "split": split})
    if labels is not None:
        samples["label"] = np.asarray(target_names, dtype=object)[labels]
    if table_df is not None:
        tdf = table_df[1]
        id_col = _pick(tdf, id_column, _ID_COLUMNS, "id", table_df[0])
        key = tdf[id_col].to_numpy() if id_col is not None else np.arange(len(tdf))
        feats = tdf.set_axis(key).drop(columns=[c for c in (id_col,) if c is not None])
        feats = feats.loc[ids].reset_index(drop=True)
        for c in feats.columns:
            if c not in samples.columns:
                samples[c] = feats[c].to_numpy()
    rows = []
    for rf, s in zip(items, spaces):
        rows.append({"name": s.name, "dim": s.n_dims, "file": rf.name, "kind": s.meta.get("kind"),
                     "rows_in_file": None})
    return Collection(
        name=name,
        spaces={s.name: LatentSpace(s.vectors, s.ids, labels=s.labels, name=s.name, meta=s.meta) for s in spaces},
        split=split,
        target_names=target_names,
        samples=samples,
        encoders=pd.DataFrame(rows).drop(columns=["rows_in_file"]),
        notes=tuple(notes),
        meta={"source": "upload", "files": [rf.name for rf in rfs], "intersect": intersect,
              "split": {"test_size": test_size, "random_state": random_state}},
    )
