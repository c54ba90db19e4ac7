"""Texts and images the user brings to pretrained encoders: a :class:`MediaSet`.

A media set is the raw samples a pretrained encoder turns into a space: sentences, or
images (encoded bytes from a zip, or pixel arrays). It carries the ids, the labels and
any other columns, so the spaces encoded from it form a :class:`~core.spaces.collection.Collection`
(see :mod:`core.encode.encoding`).

Sources:

- :func:`read_texts`: a CSV/parquet table with a text column, optional id and label columns;
- :func:`core.encode.images.read_image_zip`: a ``.zip`` of class folders, or a zip plus a
  table of paths inside it;
- :func:`core.encode.hf_datasets.read_hf_dataset`: a Hugging Face dataset;
- :func:`bundled_texts` and :func:`core.encode.images.bundled_digit_images`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, LoadError

__all__ = [
    "MediaSet",
    "read_texts",
    "bundled_texts",
]

#: Column names looked for, in order, when the user names none.
TEXT_COLUMNS = ("text", "sentence", "texts", "document", "content")
ID_COLUMNS = ("id", "ids", "sample_id")
LABEL_COLUMNS = ("label", "labels", "target", "y", "topic", "class")


@dataclass(frozen=True)
class MediaSet:
    """Raw samples for a pretrained encoder, with their ids and labels.

    Parameters
    ----------
    name : str
        Shown as the collection name.
    modality : {"text", "image"}
    items : tuple of length n_samples
        ``str`` for texts; encoded image ``bytes`` or ``uint8`` arrays of shape (h, w, 3).
    ids : ndarray of shape (n_samples,)
        Unique ints or strings.
    labels : ndarray of shape (n_samples,), str, optional
        Class names.
    columns : pandas.DataFrame, optional
        Other per-sample columns (the text itself, the source table's extra columns),
        one row per sample, for the sample table.
    thumbnails : ndarray of shape (n_samples, h, w), float32, optional
        Grey previews, dark on white as the inspector draws digits.
    notes : tuple of str
        What the user must be told (members skipped, ids made from row numbers...).
    """

    name: str
    modality: str
    items: tuple
    ids: np.ndarray
    labels: np.ndarray | None = None
    columns: pd.DataFrame | None = None
    thumbnails: np.ndarray | None = None
    notes: tuple = ()
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.modality not in ("text", "image"):
            raise InvalidInputError(f"modality={self.modality!r} must be 'text' or 'image'")
        n = len(self.items)
        if n < 2:
            raise InvalidInputError(f"{self.name}: {n} sample(s); a collection needs at least 2")
        ids = np.asarray(self.ids)
        if ids.shape != (n,):
            raise InvalidInputError(f"{self.name}: {ids.shape[0] if ids.ndim else 0} ids for {n} samples")
        if len(np.unique(ids)) != n:
            vals, counts = np.unique(ids, return_counts=True)
            raise InvalidInputError(f"{self.name}: ids must be unique; repeated: {vals[counts > 1][:5].tolist()}")
        if self.labels is not None and np.asarray(self.labels).shape != (n,):
            raise InvalidInputError(f"{self.name}: {len(self.labels)} labels for {n} samples")

    def __len__(self) -> int:
        return len(self.items)

    def content_key(self) -> str:
        """SHA-256 of the samples' content and ids, in order (what a cached encoding depends on)."""
        h = hashlib.sha256(f"media:{self.modality}:{len(self)};".encode())
        for it in self.items:
            if isinstance(it, str):
                b = it.encode("utf-8", "surrogatepass")
                h.update(b"s%d:" % len(b) + b)
            elif isinstance(it, (bytes, bytearray)):
                h.update(b"b%d:" % len(it) + bytes(it))
            else:
                a = np.ascontiguousarray(it)
                h.update(f"a{a.dtype.str}{a.shape}:".encode() + a.tobytes())
        h.update(repr(np.asarray(self.ids).tolist()).encode())
        return h.hexdigest()


def pick_column(df: pd.DataFrame, given, defaults, what: str, name: str, *, required: bool = False):
    """The ``given`` column (checked), else the first of ``defaults`` in ``df``; None or an error when absent."""
    if given is not None:
        if given not in df.columns:
            raise InvalidInputError(f"{name}: no {what} column {given!r}; the columns are {list(df.columns)[:20]}")
        return given
    for c in defaults:
        if c in df.columns:
            return c
    if required:
        raise InvalidInputError(
            f"{name}: no {what} column found (looked for {list(defaults)}); the columns are {list(df.columns)[:20]}. "
            f"Name it with --{what}-column / the '{what} column' field"
        )
    return None


def ids_and_labels(df, name, id_col, label_col, notes):
    """Ids (row numbers without ``id_col``, said in ``notes``) and str labels (or None) of a table's rows."""
    if id_col is not None:
        ids = df[id_col].to_numpy()
        if pd.isna(df[id_col]).any():
            rows = np.nonzero(pd.isna(df[id_col]).to_numpy())[0][:10].tolist()
            raise InvalidInputError(f"{name}: the id column {id_col!r} is empty at rows {rows}; give every row an id")
        if ids.dtype.kind == "f" and np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)
        elif ids.dtype.kind not in "iu":
            ids = ids.astype(str)
    else:
        ids = np.arange(len(df), dtype=np.int64)
        notes.append(f"{name}: no id column, so the ids are the row numbers 0..{len(df) - 1}")
    labels = None
    if label_col is not None:
        col = df[label_col]
        if col.isna().any():
            rows = np.nonzero(col.isna().to_numpy())[0][:10].tolist()
            raise InvalidInputError(
                f"{name}: the label column {label_col!r} is empty at rows {rows}; fill them in or drop those rows"
            )
        labels = col.astype(str).to_numpy()
    return ids, labels


def read_texts(source, *, text_column: str | None = None, id_column: str | None = None,
               label_column: str | None = None, name: str | None = None, max_bytes: int | None = None) -> MediaSet:
    """Read the texts of a CSV or parquet table.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
        ``.csv`` or ``.parquet``.
    text_column : str, optional
        Default: the first of ``text``, ``sentence``, ``texts``, ``document``, ``content``.
    id_column, label_column : str, optional
        Default: ``id`` (else row numbers) and ``label``/``topic``/``class``... (else none).
    name : str, optional
        The collection name; the file's stem by default.
    max_bytes : int, optional
        Refuse a larger file.

    Returns
    -------
    MediaSet
        ``modality="text"``, ``columns`` holding the text (as ``text``) and the other columns.
    """
    from ..io.files import ReadFile, read_table, refuse_pickles

    rf = ReadFile.of(source, max_bytes=max_bytes)
    refuse_pickles(rf)  # the upload box takes any file, so that this says why a pickle is refused
    if rf.suffix not in (".csv", ".parquet"):
        raise LoadError(f"{rf.name}: texts come in a .csv or .parquet table; got {rf.suffix or 'no suffix'}")
    df = read_table(rf)
    tcol = pick_column(df, text_column, TEXT_COLUMNS, "text", rf.name, required=True)
    icol = pick_column(df, id_column, ID_COLUMNS, "id", rf.name)
    lcol = pick_column(df, label_column, LABEL_COLUMNS, "label", rf.name)
    if tcol in (icol, lcol):
        raise InvalidInputError(f"{rf.name}: the text column {tcol!r} is also the id or label column; pick another")
    texts = df[tcol]
    bad = texts.isna() | ~texts.map(lambda v: isinstance(v, str))
    if bad.any():
        rows = np.nonzero(bad.to_numpy())[0][:10].tolist()
        raise InvalidInputError(
            f"{rf.name}: the text column {tcol!r} has {int(bad.sum())} empty or non-text cells (rows {rows}); "
            "fill them in or drop those rows"
        )
    notes: list[str] = []
    ids, labels = ids_and_labels(df, rf.name, icol, lcol, notes)
    cols = df.drop(columns=[c for c in (icol, lcol) if c is not None]).rename(columns={tcol: "text"})
    cols = cols[["text"] + [c for c in cols.columns if c != "text"]].reset_index(drop=True)
    return MediaSet(name=name or rf.stem, modality="text", items=tuple(texts.tolist()), ids=ids, labels=labels,
                    columns=cols, notes=tuple(notes), meta={"file": rf.name, "text_column": tcol})


def bundled_texts() -> MediaSet:
    """The bundled sentences (``assets/text/sentences.csv``): ids 0..n-1, labelled by topic."""
    from ..spaces.datasets import load_dataset

    data = load_dataset("text")
    return MediaSet(name="text", modality="text", items=tuple(data.X.tolist()), ids=data.ids,
                    labels=np.asarray(data.target_names)[data.y], columns=pd.DataFrame({"text": data.X}),
                    meta={"bundled": "text", "split": data.split})


