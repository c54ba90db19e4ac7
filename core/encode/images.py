"""Images the user brings to pretrained encoders: zips of class folders, and the bundled digits.

- :func:`read_image_zip`: a ``.zip`` of class folders (``label/file.png``; ids are the paths
  inside the zip, labels the folder names), or a zip plus a CSV/parquet table whose image
  column names paths inside it;
- :func:`bundled_digit_images`: the digits as RGB images, upscaled so vision models see
  more than 8 x 8 pixels.

A zip is never extracted to disk: members are read into memory, after checks on the
member count, the declared uncompressed sizes and every image's pixel count (read from
its header, before decoding). Paths that climb out of the archive (``..``, absolute
paths, drive letters) are refused.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from ..errors import FileTooLargeError, InvalidInputError, LoadError, UnsafeFileError
from ..limits import MAX_IMAGE_PIXELS, MAX_ZIP_MB, MAX_ZIP_MEMBERS
from .media import ID_COLUMNS, LABEL_COLUMNS, MediaSet, ids_and_labels, pick_column

__all__ = [
    "IMAGE_SUFFIXES",
    "read_image_zip",
    "bundled_digit_images",
    "decode_image",
]

#: Image files read from a zip; other members (README, .DS_Store...) are listed in the notes.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
#: Side of the grey thumbnails kept for the inspector.
THUMB_SIDE = 24


def _safe_member(name: str, zip_name: str) -> str:
    p = name.replace("\\", "/")
    parts = PurePosixPath(p).parts
    if p.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise UnsafeFileError(
            f"{zip_name}: member {name!r} points outside the archive (absolute path or '..'); such zips are refused. "
            "Re-create the zip from the folder of class folders"
        )
    return p


def image_size(data: bytes, what: str) -> tuple[int, int]:
    """(width, height) of encoded image bytes, from the header only."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            return im.size
    except Image.DecompressionBombError as exc:  # Pillow's own cap, met before ours can look
        raise FileTooLargeError(f"{what}: {exc}; a decompression bomb guard, downscale it") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise LoadError(f"{what}: not a readable image ({exc}); remove it or re-save it as PNG/JPEG") from None


def check_pixels(size, what: str, max_pixels: int | None = None) -> None:
    """Refuse an image of more than ``max_pixels`` (:data:`core.limits.MAX_IMAGE_PIXELS`) before it is decoded."""
    w, h = size
    MAX_IMAGE_PIXELS.check(w * h, f"{what}: {w} x {h} image", limit=max_pixels,
                           advice=" (a decompression bomb guard); downscale it")


def decode_image(item, *, max_pixels: int | None = None):
    """One image item (encoded bytes or an (h, w, 3) uint8 array) as an RGB ``PIL.Image``."""
    from PIL import Image

    if isinstance(item, (bytes, bytearray)):
        check_pixels(image_size(item, "image"), "image", max_pixels)
        try:
            with Image.open(io.BytesIO(item)) as im:
                return im.convert("RGB")
        except (OSError, ValueError, SyntaxError) as exc:  # a valid header over truncated or corrupt data
            raise LoadError(f"image: cannot be decoded ({exc}); re-save it as PNG/JPEG") from None
    a = np.asarray(item)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    return Image.fromarray(np.ascontiguousarray(a, dtype=np.uint8), mode="RGB")


def thumbnail(img) -> np.ndarray:
    """A ``PIL.Image`` as a (THUMB_SIDE, THUMB_SIDE) float32 grey preview, dark on white."""
    from PIL import Image

    g = img.convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.BILINEAR)
    return 1.0 - np.asarray(g, dtype=np.float32) / 255.0


def read_image_zip(source, *, table=None, image_column: str | None = None, id_column: str | None = None,
                   label_column: str | None = None, name: str | None = None, max_bytes: int | None = None,
                   max_members: int | None = None, max_total_bytes: int | None = None,
                   max_pixels: int | None = None) -> MediaSet:
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
    max_members, max_total_bytes, max_pixels : int, optional
        Caps on the member count, the images' declared uncompressed bytes, and the
        pixels of each image; by default :data:`core.limits.MAX_ZIP_MEMBERS`,
        :data:`~core.limits.MAX_ZIP_MB` and :data:`~core.limits.MAX_IMAGE_PIXELS`.

    Returns
    -------
    MediaSet
        ``modality="image"``, items are the members' bytes in path order (table order with a table).
    """
    from ..io.files import ReadFile, read_table, refuse_pickles

    rf = ReadFile.of(source, max_bytes=max_bytes)
    refuse_pickles(rf)  # the upload box takes any file, so that this says why a pickle is refused
    if rf.suffix != ".zip":
        raise LoadError(f"{rf.name}: images come in a .zip (class folders: label/file.png); got {rf.suffix or 'no suffix'}")
    try:
        zf = zipfile.ZipFile(rf.open())
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(f"{rf.name}: not a readable zip archive ({exc})") from None
    MAX_ZIP_MEMBERS.check(len(infos), rf.name, limit=max_members, advice="; split the archive")
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
        icol = pick_column(df, image_column, ("image", "path", "file", "filename", "image_path"), "image", trf.name,
                     required=True)
        paths = df[icol].astype(str).map(lambda p: p.replace("\\", "/").removeprefix("./"))
        missing = [p for p in paths if p not in members]
        if missing:
            raise InvalidInputError(
                f"{trf.name}: {len(missing)} of {len(paths)} paths in column {icol!r} are not images in {rf.name}, "
                f"e.g. {missing[:3]}; paths are relative to the zip's root, like {next(iter(members), 'cat/1.png')!r}"
            )
        order = paths.tolist()
        idc = pick_column(df, id_column, ID_COLUMNS, "id", trf.name)
        lbc = pick_column(df, label_column, LABEL_COLUMNS, "label", trf.name)
        ids, labels = ids_and_labels(df, trf.name, idc, lbc, [])
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
    limit = MAX_ZIP_MB.value << 20 if max_total_bytes is None else max_total_bytes
    if total > limit:
        raise FileTooLargeError(
            f"{rf.name}: its images declare {total / 2**20:,.1f} MB uncompressed, over the limit of "
            f"{limit / 2**20:,.1f} MB (a zip-bomb guard; {MAX_ZIP_MB.how_to_raise}); split the archive"
        )
    items, thumbs = [], []
    with zf:
        for p in order:
            try:
                data = zf.read(members[p])  # bounded by the declared size, CRC-checked
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                raise LoadError(f"{rf.name}: member {p!r} cannot be read ({exc})") from None
            check_pixels(image_size(data, f"{rf.name}:{p}"), f"{rf.name}:{p}", max_pixels)
            items.append(data)
            thumbs.append(thumbnail(decode_image(data, max_pixels=max_pixels)))
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


