"""Texts and images the user brings to pretrained encoders: a :class:`MediaSet`.

A media set is the raw samples a pretrained encoder turns into a space: sentences, or
images (encoded bytes from a zip, or pixel arrays). It carries the ids, the labels and
any other columns, so the spaces encoded from it form a :class:`~core.spaces.collection.Collection`
(see :mod:`core.encode.encoding`).

Sources:

- :func:`read_texts`: a CSV/parquet table with a text column, optional id and label columns;
- :func:`read_image_zip`: a ``.zip`` of class folders (``label/file.png``; ids are the paths
  inside the zip, labels the folder names), or a zip plus a CSV/parquet table whose image
  column names paths inside it;
- :func:`bundled_texts` and :func:`bundled_digit_images` (the digits as RGB images,
  upscaled so vision models see more than 8 x 8 pixels).

A zip is never extracted to disk: members are read into memory, after checks on the
member count, the declared uncompressed sizes and every image's pixel count (read from
its header, before decoding). Paths that climb out of the archive (``..``, absolute
paths, drive letters) are refused.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from ..errors import FileTooLargeError, InvalidInputError, LoadError, UnsafeFileError

__all__ = [
    "MediaSet",
    "IMAGE_SUFFIXES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_BYTES",
    "MAX_IMAGE_PIXELS",
    "read_texts",
    "read_image_zip",
    "bundled_texts",
    "bundled_digit_images",
    "decode_image",
    "read_hf_dataset",
]

#: Image files read from a zip; other members (README, .DS_Store...) are listed in the notes.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
#: Most members a zip may hold.
MAX_ZIP_MEMBERS = 50_000
#: Most uncompressed bytes of the images of one zip, as declared by its directory.
MAX_ZIP_BYTES = 1 << 30
#: Most pixels of one image (width x height), checked from its header before decoding.
MAX_IMAGE_PIXELS = 40_000_000
#: Side of the grey thumbnails kept for the inspector.
THUMB_SIDE = 24

_TEXT_COLUMNS = ("text", "sentence", "texts", "document", "content")
_ID_COLUMNS = ("id", "ids", "sample_id")
_LABEL_COLUMNS = ("label", "labels", "target", "y", "topic", "class")


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


# ---------------------------------------------------------------------- texts
def _pick(df: pd.DataFrame, given, defaults, what: str, name: str, *, required: bool = False):
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


def _ids_labels(df, name, id_col, label_col, notes):
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
    from ..io.files import ReadFile, read_table

    rf = ReadFile.of(source, max_bytes=max_bytes)
    if rf.suffix not in (".csv", ".parquet"):
        raise LoadError(f"{rf.name}: texts come in a .csv or .parquet table; got {rf.suffix or 'no suffix'}")
    df = read_table(rf)
    tcol = _pick(df, text_column, _TEXT_COLUMNS, "text", rf.name, required=True)
    icol = _pick(df, id_column, _ID_COLUMNS, "id", rf.name)
    lcol = _pick(df, label_column, _LABEL_COLUMNS, "label", rf.name)
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
    ids, labels = _ids_labels(df, rf.name, icol, lcol, notes)
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


# ---------------------------------------------------------------------- images
def _safe_member(name: str, zip_name: str) -> str:
    p = name.replace("\\", "/")
    parts = PurePosixPath(p).parts
    if p.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise UnsafeFileError(
            f"{zip_name}: member {name!r} points outside the archive (absolute path or '..'); such zips are refused. "
            "Re-create the zip from the folder of class folders"
        )
    return p


def _image_size(data: bytes, what: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            return im.size
    except Image.DecompressionBombError as exc:  # Pillow's own cap, met before ours can look
        raise FileTooLargeError(f"{what}: {exc}; a decompression bomb guard, downscale it") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise LoadError(f"{what}: not a readable image ({exc}); remove it or re-save it as PNG/JPEG") from None


def _check_pixels(size, what: str, max_pixels: int) -> None:
    w, h = size
    if w * h > max_pixels:
        raise FileTooLargeError(
            f"{what}: {w} x {h} = {w * h:,} pixels is over the {max_pixels:,}-pixel limit per image (a decompression "
            "bomb guard); downscale it"
        )


def decode_image(item, *, max_pixels: int = MAX_IMAGE_PIXELS):
    """One image item (encoded bytes or an (h, w, 3) uint8 array) as an RGB ``PIL.Image``."""
    from PIL import Image

    if isinstance(item, (bytes, bytearray)):
        _check_pixels(_image_size(item, "image"), "image", max_pixels)
        try:
            with Image.open(io.BytesIO(item)) as im:
                return im.convert("RGB")
        except (OSError, ValueError, SyntaxError) as exc:  # a valid header over truncated or corrupt data
            raise LoadError(f"image: cannot be decoded ({exc}); re-save it as PNG/JPEG") from None
    a = np.asarray(item)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    return Image.fromarray(np.ascontiguousarray(a, dtype=np.uint8), mode="RGB")


def _thumbnail(img) -> np.ndarray:
    from PIL import Image

    g = img.convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.BILINEAR)
    return 1.0 - np.asarray(g, dtype=np.float32) / 255.0


def read_image_zip(source, *, table=None, image_column: str | None = None, id_column: str | None = None,
                   label_column: str | None = None, name: str | None = None, max_bytes: int | None = None,
                   max_members: int = MAX_ZIP_MEMBERS, max_total_bytes: int = MAX_ZIP_BYTES,
                   max_pixels: int = MAX_IMAGE_PIXELS) -> MediaSet:
    """Read the images of a zip: class folders, or the paths listed in a table.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
        A ``.zip``. Without ``table``: every image member, labelled by its folder
        (``cat/001.png`` -> ``cat``; images at the top level have no label and make the
        set unlabelled).
    table : path, (name, bytes) or uploaded file, optional
        A CSV/parquet whose ``image_column`` holds member paths of the zip, with optional
        id and label columns.
    image_column : str, optional
        Default: ``image``, ``path``, ``file`` or ``filename``.
    id_column, label_column : str, optional
        Table columns; by default the member path is the id and the folder the label.
    name : str, optional
        Collection name; the zip's stem by default.
    max_bytes : int, optional
        Size limit of the zip file itself.
    max_members, max_total_bytes, max_pixels : int
        Caps on the member count, the images' declared uncompressed bytes, and the
        pixels of each image.

    Returns
    -------
    MediaSet
        ``modality="image"``, items are the members' bytes in path order (table order with a table).
    """
    from ..io.files import ReadFile, read_table

    rf = ReadFile.of(source, max_bytes=max_bytes)
    if rf.suffix != ".zip":
        raise LoadError(f"{rf.name}: images come in a .zip (class folders: label/file.png); got {rf.suffix or 'no suffix'}")
    try:
        zf = zipfile.ZipFile(rf.open())
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(f"{rf.name}: not a readable zip archive ({exc})") from None
    if len(infos) > max_members:
        raise FileTooLargeError(f"{rf.name}: {len(infos):,} members is over the {max_members:,}-member limit; split it")
    members, skipped = {}, []
    for info in infos:
        path = _safe_member(info.filename, rf.name)
        if info.is_dir():
            continue
        base = PurePosixPath(path)
        if base.name.startswith(".") or "__MACOSX" in base.parts or base.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(path)
            continue
        members[path] = info
    notes = []
    if table is not None:
        trf = ReadFile.of(table, max_bytes=max_bytes)
        df = read_table(trf)
        icol = _pick(df, image_column, ("image", "path", "file", "filename", "image_path"), "image", trf.name,
                     required=True)
        paths = df[icol].astype(str).map(lambda p: p.replace("\\", "/").removeprefix("./"))
        missing = [p for p in paths if p not in members]
        if missing:
            raise InvalidInputError(
                f"{trf.name}: {len(missing)} of {len(paths)} paths in column {icol!r} are not images in {rf.name}, "
                f"e.g. {missing[:3]}; paths are relative to the zip's root, like {next(iter(members), 'cat/1.png')!r}"
            )
        order = paths.tolist()
        idc = _pick(df, id_column, _ID_COLUMNS, "id", trf.name)
        lbc = _pick(df, label_column, _LABEL_COLUMNS, "label", trf.name)
        ids, labels = _ids_labels(df, trf.name, idc, lbc, [])
        if idc is None:
            ids = np.asarray(order, dtype=str)
        if lbc is None:
            labels = _folder_labels(order)
        columns = df.drop(columns=[c for c in (idc, lbc) if c is not None]).reset_index(drop=True)
        unused = len(members) - len(set(order))
        if unused:
            notes.append(f"{rf.name}: {unused} images in the zip are not listed in {trf.name} and were not encoded")
    else:
        order = sorted(members)
        if not order:
            raise InvalidInputError(
                f"{rf.name}: no images found (looked for {', '.join(IMAGE_SUFFIXES)}); put them in class folders, "
                "e.g. cat/001.png, dog/002.png"
            )
        ids = np.asarray(order, dtype=str)
        labels = _folder_labels(order)
        columns = pd.DataFrame({"path": order})
    if skipped:
        notes.append(f"{rf.name}: {len(skipped)} member{'s that are' if len(skipped) > 1 else ' that is'} not an "
                     f"image{'s were' if len(skipped) > 1 else ' was'} skipped: {', '.join(skipped[:3])}"
                     + (" …" if len(skipped) > 3 else ""))
    total = sum(members[p].file_size for p in set(order))
    if total > max_total_bytes:
        raise FileTooLargeError(
            f"{rf.name}: its images declare {total / 1e6:,.0f} MB uncompressed, over the "
            f"{max_total_bytes / 1e6:,.0f} MB limit (a zip-bomb guard); split the archive"
        )
    items, thumbs = [], []
    with zf:
        for p in order:
            try:
                data = zf.read(members[p])  # bounded by the declared size, CRC-checked
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                raise LoadError(f"{rf.name}: member {p!r} cannot be read ({exc})") from None
            _check_pixels(_image_size(data, f"{rf.name}:{p}"), f"{rf.name}:{p}", max_pixels)
            items.append(data)
            thumbs.append(_thumbnail(decode_image(data, max_pixels=max_pixels)))
    if labels is None:
        notes.append(f"{rf.name}: images are not in class folders, so there are no labels (no stitching accuracy)")
    return MediaSet(name=name or rf.stem, modality="image", items=tuple(items), ids=ids, labels=labels,
                    columns=columns, thumbnails=np.stack(thumbs), notes=tuple(notes), meta={"file": rf.name})


def _folder_labels(paths) -> np.ndarray | None:
    folders = [PurePosixPath(p).parent.name for p in paths]
    if any(f == "" for f in folders):
        return None
    return np.asarray(folders, dtype=str)


def bundled_digit_images(*, side: int = 32) -> MediaSet:
    """The bundled digits as RGB images, white on black, upscaled from 8 x 8 to ``side`` x ``side``.

    Parameters
    ----------
    side : int, default=32
        Pixels per side after bilinear upscaling; vision processors resize again.

    Returns
    -------
    MediaSet
        ``items`` are uint8 arrays of shape (side, side, 3); ids 0..1796 as in the digits zoo.
    """
    from PIL import Image

    from ..spaces.datasets import load_dataset

    data = load_dataset("digits")
    imgs = []
    for x in data.X.reshape(-1, 8, 8):
        im = Image.fromarray(np.uint8(np.clip(x, 0, 1) * 255), mode="L").resize((side, side), Image.BILINEAR)
        imgs.append(np.repeat(np.asarray(im)[:, :, None], 3, axis=2))
    return MediaSet(name="digits", modality="image", items=tuple(imgs), ids=data.ids,
                    labels=np.asarray(data.target_names)[data.y], thumbnails=data.X.reshape(-1, 8, 8),
                    meta={"bundled": "digits", "split": data.split})


def read_hf_dataset(name_or_path: str, *, split: str = "train", text_column: str | None = None,
                    image_column: str | None = None, id_column: str | None = None,
                    label_column: str | None = None, max_rows: int = 200_000) -> MediaSet:
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
    max_rows : int, default=200000
        Refuse larger splits rather than sampling them silently.

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
    if len(ds) > max_rows:
        raise FileTooLargeError(f"{name_or_path}[{split}]: {len(ds):,} rows is over the {max_rows:,}-row limit; "
                                "pick a smaller split (e.g. split='train[:10000]')")
    feats = ds.features
    image_cols = [c for c, f in feats.items() if isinstance(f, hfd.Image)]
    col = image_column or text_column
    if col is None:
        col = image_cols[0] if image_cols else _pick(pd.DataFrame(columns=list(feats)), None, _TEXT_COLUMNS,
                                                     "text", name_or_path, required=True)
    if col not in feats:
        raise InvalidInputError(f"{name_or_path}: no column {col!r}; the columns are {list(feats)}")
    modality = "image" if isinstance(feats[col], hfd.Image) else "text"
    if label_column is None:
        label_column = next((c for c, f in feats.items() if isinstance(f, hfd.ClassLabel)),
                            next((c for c in _LABEL_COLUMNS if c in feats), None))
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
            _check_pixels(_image_size(b, f"{name_or_path}[{i}]"), f"{name_or_path}[{i}]", MAX_IMAGE_PIXELS)
        thumbs = np.stack([_thumbnail(decode_image(b)) for b in items])
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
    ids, labels = _ids_labels(df, f"{name_or_path}[{split}]", id_column, label_column, notes)
    columns = pd.DataFrame({"text": list(items)}) if modality == "text" else None
    return MediaSet(name=Path(name_or_path).name or name_or_path, modality=modality, items=items, ids=ids,
                    labels=labels, columns=columns, thumbnails=thumbs, notes=tuple(notes),
                    meta={"file": f"{name_or_path}[{split}]"})
