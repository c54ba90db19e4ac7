"""Embeddings files, one space each: ``.npy``, ``.npz``, ``.csv`` and ``.parquet``.

- ``.npy``: a 2-D array;
- ``.npz``: arrays ``vectors``, optional ``ids`` and ``labels``;
- ``.csv`` and ``.parquet``: numeric vector columns, or one list column, plus optional
  id and label columns.

Arrays are read with ``np.load(allow_pickle=False)``: a file holding Python objects is
refused, never unpickled. Headers and footers are checked against the file's size and the
limits before anything is allocated (:mod:`core.io.size_checks`).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, LoadError, UnsafeFileError
from ..spaces.latent_space import LatentSpace
from .files import (ID_COLUMNS, LABEL_COLUMNS, ReadFile, is_pickle_refusal, load_npy, pick_column, read_table,
                    refuse_pickles)
from .size_checks import check_npy_bytes, check_npz_member

__all__ = ["EMBEDDING_FORMATS", "read_embeddings"]

#: Suffixes read as one space each.
EMBEDDING_FORMATS = (".npy", ".npz", ".csv", ".parquet")

#: List columns preferred as the vectors when a table has several.
_VECTOR_COLUMNS = ("vector", "vectors", "embedding", "embeddings")


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


def frame_to_space(df: pd.DataFrame, rf_name: str, *, name: str, id_column, label_column) -> tuple:
    """``(X, ids, labels)`` of a table: one list column or numeric columns, ids/labels None when absent."""
    id_col = pick_column(df, id_column, ID_COLUMNS, "id", rf_name)
    label_col = pick_column(df, label_column, LABEL_COLUMNS, "label", rf_name)
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
    for col in (id_col, label_col):
        if col is not None and df[col].dtype == object and df[col].map(_is_container).any():
            raise LoadError(f"{rf_name}: column {col!r} holds lists or records; ids and labels must be single values "
                            "(numbers or text)")
    ids = None if id_col is None else df[id_col].to_numpy()
    labels = None if label_col is None else _labels_from(df[label_col], rf_name, ids if ids is not None else np.arange(len(df)))
    return X, ids, labels


def _is_container(v) -> bool:
    return isinstance(v, (list, tuple, dict, set, np.ndarray))


def _load_npy(rf: ReadFile, data: bytes):
    # a BytesIO that stays open: npz members are read lazily after np.load returns
    return load_npy(io.BytesIO(data), name=rf.name, suffix=rf.suffix)


def _npz_arrays(obj, rf: ReadFile) -> tuple:
    try:
        with obj:
            keys = list(obj.keys())
            if "vectors" in keys:
                vkey = "vectors"
            elif len(keys) == 1:
                vkey = keys[0]
            else:
                raise LoadError(f"{rf.name}: npz needs an array named 'vectors' (optional 'ids', 'labels'); found {keys}")
            wanted = [k for k in (vkey, "ids", "labels") if k in keys]
            for k in wanted:  # every header checked before numpy allocates any of them
                check_npz_member(obj, k, rf.name, vectors=k == vkey)
            X = obj[vkey]
            ids = obj["ids"] if "ids" in keys else None
            labels = obj["labels"] if "labels" in keys else None
    except LoadError:
        raise
    except ValueError as exc:
        if not is_pickle_refusal(exc):
            raise LoadError(f"{rf.name}: not a valid .npz file (a corrupt member?): {exc}") from None
        raise UnsafeFileError(
            f"{rf.name}: an array in the npz holds Python objects (a pickle), which Stitchboard never loads. "
            f"Save numeric arrays with np.savez(path, vectors=..., ids=..., labels=...) ({exc})"
        ) from None
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
    refuse_pickles(rf)
    name = name or rf.stem
    if rf.suffix == ".npy":
        data = rf.read()
        if data[:4] == b"PK\x03\x04":
            raise LoadError(f"{rf.name}: this is an npz archive; rename it to .npz")
        check_npy_bytes(data, rf.name)
        X, ids, labels = _load_npy(rf, data), None, None
    elif rf.suffix == ".npz":
        obj = _load_npy(rf, rf.read())
        if not isinstance(obj, np.lib.npyio.NpzFile):
            raise LoadError(f"{rf.name}: not an npz archive; use .npy for a single array")
        X, ids, labels = _npz_arrays(obj, rf)
    elif rf.suffix in (".csv", ".parquet"):
        X, ids, labels = frame_to_space(read_table(rf), rf.name, name=name, id_column=id_column, label_column=label_column)
    else:
        raise LoadError(
            f"{rf.name}: unsupported embeddings format {rf.suffix or '(no suffix)'}; use one of {list(EMBEDDING_FORMATS)}"
        )
    return make_space(X, ids, labels, name=name, rf_name=rf.name, kind="embeddings")


def _to_float32(X: np.ndarray, block: int = 65_536) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X`` (n, d) as float32 (a view when it is float32 already), which rows are finite after and before.

    Block by block on two threads, each block converted and checked while it is in cache: one pass
    instead of three over a 1M x 384 upload (float16 converts slowly). Only a float64 source can hold
    finite values that overflow float32, so only then are its own rows checked as well.
    """
    from concurrent.futures import ThreadPoolExecutor

    n = X.shape[0]
    out = X if X.dtype == np.float32 else np.empty(X.shape, dtype=np.float32)
    finite = np.empty(n, dtype=bool)
    wide = X.dtype.itemsize > 4 and X.dtype.kind == "f"
    source_finite = np.empty(n, dtype=bool) if wide else None

    def run(s):
        with np.errstate(over="ignore"):  # errstate is per thread: a float64 beyond float32 becomes inf, refused below
            if out is not X:
                out[s:s + block] = X[s:s + block]
            finite[s:s + block] = np.isfinite(out[s:s + block]).all(axis=1)
            if wide:
                source_finite[s:s + block] = np.isfinite(X[s:s + block]).all(axis=1)

    starts = range(0, n, block)
    if n <= block:
        run(0)
    else:
        with ThreadPoolExecutor(2, thread_name_prefix="stitchboard-load") as pool:
            list(pool.map(run, starts))
    return out, finite, (finite if source_finite is None else source_finite)


def make_space(X, ids, labels, *, name, rf_name, kind) -> LatentSpace:
    """A float32 space from read arrays, refusing bad shapes, non-finite rows, repeated ids and NaN labels."""
    X = np.asarray(X)
    if X.dtype == object or X.dtype.kind not in "biuf":
        raise LoadError(f"{rf_name}: vectors must be numbers; got dtype {X.dtype}")
    if X.ndim != 2:
        raise LoadError(f"{rf_name}: vectors must be a 2-D array (n_samples, n_dims); got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise LoadError(f"{rf_name}: vectors are empty (shape {X.shape}); need at least one row and one column")
    X, finite, source_finite = _to_float32(X)
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
