"""A user's input files: a path, a ``(name, bytes)`` pair or an upload, and data tables.

Nothing is ever unpickled: every reader here and in :mod:`core.io.embeddings` and
:mod:`core.io.models` uses ``np.load(allow_pickle=False)``, safetensors, onnxruntime or
the pandas/pyarrow readers. ``.pt``/``.pkl``/``.joblib`` files are refused with a message
saying how to export them safely (:func:`refuse_pickles`).

A table's id and label columns are found by name (:func:`pick_column`):
``id``/``ids``/``sample_id`` and ``label``/``labels``/``target``/``y`` unless named.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import FileTooLargeError, InvalidInputError, LoadError, UnsafeFileError
from ..limits import UPLOAD_MB
from .size_checks import check_csv_shape, check_parquet_footer

__all__ = ["PICKLE_SUFFIXES", "ReadFile", "read_table"]

#: Suffixes refused because loading them means unpickling.
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".joblib", ".bin", ".ckpt")

#: Column names taken as a table's ids / labels when none is named (case-insensitive).
ID_COLUMNS = ("id", "ids", "sample_id")
LABEL_COLUMNS = ("label", "labels", "target", "y")


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
                f"{rf.name}: {_size(rf.size)} is over the upload limit of {_size(max_bytes)} "
                f"({UPLOAD_MB.how_to_raise}); or use the `stitchboard import` CLI for big files"
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


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def refuse_pickles(rf: ReadFile) -> None:
    """Raise :class:`~core.errors.UnsafeFileError` for a pickle suffix (:data:`PICKLE_SUFFIXES`)."""
    if rf.suffix in PICKLE_SUFFIXES:
        raise UnsafeFileError(
            f"{rf.name}: {rf.suffix} files are Python pickles, which can run code when loaded, so Stitchboard "
            "refuses them. Export the array with numpy (np.save -> .npy) or safetensors "
            "(safetensors.torch.save_file -> .safetensors), or the model with torch.onnx.export -> .onnx"
        )


def is_pickle_refusal(exc: Exception) -> bool:
    """numpy's own refusal of pickled content under ``allow_pickle=False``.

    ("Object arrays cannot be loaded when allow_pickle=False", "This file contains
    pickled (object) data..."); other ValueErrors are corrupt files, whatever words
    their message happens to hold (a mangled header can say "<ast.BinOp object>").
    """
    msg = str(exc)
    return "allow_pickle" in msg or "pickled" in msg


def load_npy(source, *, name: str, suffix: str = ".npy", mmap_mode: str | None = None):
    """``np.load(source, mmap_mode=mmap_mode, allow_pickle=False)`` with its failures as our errors.

    Pickled content is an :class:`UnsafeFileError`; a corrupt or truncated file a
    :class:`LoadError` naming ``name`` and its ``suffix`` (``.npy``/``.npz``).
    """
    try:
        return np.load(source, mmap_mode=mmap_mode, allow_pickle=False)
    except ValueError as exc:
        if is_pickle_refusal(exc):
            raise UnsafeFileError(
                f"{name}: holds Python objects (a pickle), which Stitchboard never loads because unpickling can "
                "run code. Save a numeric array: np.save(path, vectors.astype('float32'))"
            ) from None
        # without object addresses (``<ast.BinOp object at 0x7f...>`` -> ``<ast.BinOp>``)
        raise LoadError(f"{name}: not a valid {suffix} file: {re.sub(r' object at 0x[0-9a-fA-F]+>', '>', str(exc))}"
                        ) from None
    except Exception as exc:  # OSError, EOFError, OverflowError, zipfile.BadZipFile and friends on mangled files
        raise LoadError(f"{name}: not a valid {suffix} file (truncated or corrupt?): {exc}") from None


def read_table(source, *, max_bytes: int | None = None) -> pd.DataFrame:
    """Read a CSV or parquet file into a DataFrame, with clear errors.

    Parameters
    ----------
    source : path, (name, bytes) or uploaded file
    max_bytes : int, optional

    Returns
    -------
    pandas.DataFrame of shape (n_rows, n_columns)

    Raises
    ------
    LoadError
        Unreadable, empty, or a parquet footer that disagrees with itself or the file.
    FileTooLargeError
        Rows x columns (announced by the footer, or counted in the CSV's lines) over
        :data:`core.limits.MAX_VALUES`, checked before parsing.
    """
    rf = ReadFile.of(source, max_bytes=max_bytes)
    refuse_pickles(rf)
    if rf.suffix == ".csv":
        data = rf.read()
        check_csv_shape(data, rf.name)
        try:
            with io.BytesIO(data) as fh:
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
                check_parquet_footer(fh, rf.size, rf.name, whole=True)
                df = pd.read_parquet(fh)
        except LoadError:
            raise
        except Exception as exc:  # pyarrow raises many types on corrupt input
            raise LoadError(f"{rf.name}: not a readable parquet file (truncated or corrupt?): {exc}") from None
    else:
        raise LoadError(f"{rf.name}: a table must be .csv or .parquet; got {rf.suffix or 'no suffix'}")
    if len(df) == 0:
        raise LoadError(f"{rf.name}: the table has a header but no rows; add data rows")
    return df


def pick_column(df: pd.DataFrame, given: str | None, defaults: tuple, what: str, rf_name: str) -> str | None:
    """The column named ``given`` (an error if absent), else the first of ``defaults`` present, else None."""
    if given is not None:
        if given not in df.columns:
            raise LoadError(f"{rf_name}: no {what} column {given!r}; columns are {list(df.columns)[:20]}")
        return given
    lower = {str(c).lower(): c for c in df.columns}
    for d in defaults:
        if d in lower:
            return lower[d]
    return None
