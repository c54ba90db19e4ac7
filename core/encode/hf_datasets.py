"""A Hugging Face dataset (the ``hf-datasets`` extra) as a :class:`~core.encode.media.MediaSet`.

A hub dataset's images must come as bytes: a path in a downloaded dataset would read a
file on this machine, so only local datasets may point at files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, LoadError, UnsafeFileError
from ..limits import MAX_DATASET_ROWS
from .images import check_pixels, decode_image, image_size, thumbnail
from .media import LABEL_COLUMNS, TEXT_COLUMNS, MediaSet, ids_and_labels, pick_column

__all__ = ["read_hf_dataset"]


def read_hf_dataset(name_or_path: str, *, split: str = "train", text_column: str | None = None,
                    image_column: str | None = None, id_column: str | None = None,
                    label_column: str | None = None, max_rows: int | None = None) -> MediaSet:
    """A Hugging Face dataset (the ``hf-datasets`` extra) as a media set.

    Parameters
    ----------
    name_or_path : str
        A hub dataset name (fetched through the normal cache; no loading scripts are run),
        or a local folder written by ``Dataset.save_to_disk`` / holding data files.
    split : str, default="train"
    text_column, image_column : str, optional
        Which column to encode; by default the first ``Image`` column, else a text column.
    id_column, label_column : str, optional
        By default ``id`` (else row numbers) and a ``ClassLabel`` column or ``label``.
    max_rows : int, optional
        Refuse larger splits rather than sampling them silently; by default
        :data:`core.limits.MAX_DATASET_ROWS`.

    Returns
    -------
    MediaSet
    """
    from pathlib import Path

    try:
        import datasets as hfd
    except ImportError:
        raise ImportError("Hugging Face datasets need the hf-datasets extra: "
                          "pip install -c constraints.txt -e '.[hf-datasets]'") from None
    path = Path(name_or_path).expanduser()
    try:
        if (path / "state.json").is_file() or (path / "dataset_dict.json").is_file():
            ds = hfd.load_from_disk(str(path))
            if isinstance(ds, hfd.DatasetDict):
                if split not in ds:
                    raise InvalidInputError(f"{name_or_path}: no split {split!r}; it has {list(ds)}")
                ds = ds[split]
        else:
            ds = hfd.load_dataset(str(path) if path.exists() else name_or_path, split=split)
    except InvalidInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - datasets raises many types (hub, offline, bad files)
        raise LoadError(f"could not load dataset {name_or_path!r} split {split!r}: {exc}") from None
    MAX_DATASET_ROWS.check(len(ds), f"{name_or_path}[{split}]", limit=max_rows,
                           advice="; or pick a smaller split (e.g. split='train[:10000]')")
    feats = ds.features
    image_cols = [c for c, f in feats.items() if isinstance(f, hfd.Image)]
    col = image_column or text_column
    if col is None:
        col = image_cols[0] if image_cols else pick_column(pd.DataFrame(columns=list(feats)), None, TEXT_COLUMNS,
                                                     "text", name_or_path, required=True)
    if col not in feats:
        raise InvalidInputError(f"{name_or_path}: no column {col!r}; the columns are {list(feats)}")
    modality = "image" if isinstance(feats[col], hfd.Image) else "text"
    if label_column is None:
        label_column = next((c for c, f in feats.items() if isinstance(f, hfd.ClassLabel)),
                            next((c for c in LABEL_COLUMNS if c in feats), None))
    if modality == "image":
        local = path.exists()
        raw = ds.cast_column(col, hfd.Image(decode=False))[col]
        missing = [i for i, r in enumerate(raw) if not r.get("bytes")]
        if missing and not local:
            # A hub dataset must carry its image bytes: a bare path would read a file on this server.
            raise UnsafeFileError(f"{name_or_path}: rows {missing[:10]} give image paths instead of image bytes; "
                                  "only local datasets may point at files")
        items = tuple(r["bytes"] if r.get("bytes") else Path(r["path"]).read_bytes() for r in raw)
        for i, b in enumerate(items):
            check_pixels(image_size(b, f"{name_or_path}[{i}]"), f"{name_or_path}[{i}]")
        thumbs = np.stack([thumbnail(decode_image(b)) for b in items])
    else:
        items = tuple(ds[col])
        bad = [i for i, t in enumerate(items) if not isinstance(t, str)]
        if bad:
            raise InvalidInputError(f"{name_or_path}: column {col!r} is not all text (rows {bad[:10]})")
        thumbs = None
    notes: list[str] = []
    if id_column is None and "id" in feats:
        id_column = "id"
    keep = [c for c in (id_column, label_column) if c]
    df = ds.select_columns(keep).to_pandas() if keep else pd.DataFrame(index=range(len(ds)))
    if label_column and isinstance(feats[label_column], hfd.ClassLabel):
        df[label_column] = [feats[label_column].int2str(int(v)) for v in df[label_column]]
    ids, labels = ids_and_labels(df, f"{name_or_path}[{split}]", id_column, label_column, notes)
    columns = pd.DataFrame({"text": list(items)}) if modality == "text" else None
    return MediaSet(name=Path(name_or_path).name or name_or_path, modality=modality, items=items, ids=ids,
                    labels=labels, columns=columns, thumbnails=thumbs, notes=tuple(notes),
                    meta={"file": f"{name_or_path}[{split}]"})
