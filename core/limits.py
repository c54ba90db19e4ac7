"""Every size and parse limit a user's input meets, declared once, each with its setting.

A :class:`Limit` is read from its environment setting when it is checked (so a server
started with ``STITCHBOARD_MAX_VALUES=...`` and a test that sets it both see the new
value), and it words the refusal: what was over, the limit, and the setting that raises
it. The dashboard's per-file upload limit is Streamlit's own ``server.maxUploadSize``
(also read from ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``), declared here for the messages and
the docs. The worker limits (memory, wall time, result size) belong to
:mod:`core.runtime.workers`; docs/errors.md lists them with these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import FileTooLargeError, InvalidInputError

__all__ = [
    "Limit",
    "LIMITS",
    "UPLOAD_MB",
    "MAX_VALUES",
    "MAX_DIMS",
    "MAX_OUTPUT_DIMS",
    "MAX_JSON_DEPTH",
    "MAX_JSON_DIGITS",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_MB",
    "MAX_IMAGE_PIXELS",
    "MAX_DATASET_ROWS",
    "MAX_ANCHOR_ROWS",
    "MAX_SESSION_BYTES",
    "MAX_IDS",
    "MAX_SESSION_STRING",
]


@dataclass(frozen=True)
class Limit:
    """One limit: its environment setting, default and unit; ``value`` reads the setting.

    Parameters
    ----------
    setting : str
        The environment variable that sets it.
    default : int
    unit : str
        What is counted, in messages and docs ("values", "MB", "levels"...).
    what : str
        What it bounds, for the docs table.
    raise_with : str, optional
        How to raise it when that is not only the environment setting.
    """

    setting: str
    default: int
    unit: str
    what: str
    raise_with: str | None = None

    @property
    def value(self) -> int:
        """The limit in force: the setting's value if set, else the default."""
        raw = os.environ.get(self.setting)
        if raw is None or not raw.strip():
            return self.default
        try:
            value = int(float(raw))
        except ValueError:
            value = 0
        if value <= 0:
            raise InvalidInputError(f"{self.setting}={raw!r} must be a positive whole number ({self.unit})")
        return value

    @property
    def how_to_raise(self) -> str:
        return self.raise_with or f"set the environment variable {self.setting} to raise it"

    def describe(self, value: int | None = None) -> str:
        """``"the limit of 64 levels (STITCHBOARD_MAX_JSON_DEPTH; set STITCHBOARD_MAX_JSON_DEPTH to raise it)"``."""
        value = self.value if value is None else value
        return f"the limit of {value:,} {self.unit} ({self.how_to_raise})"

    def check(self, amount: int, subject: str, *, error=FileTooLargeError, advice: str = "",
              limit: int | None = None) -> None:
        """Raise ``error`` when ``amount`` is over the limit.

        ``limit`` is the value in force when the caller read it (a worker gets it as an
        argument). The message reads ``"<subject>: <amount> <unit> is over the limit of <limit> <unit>
        (set the environment variable <setting> to raise it)<advice>"``.
        """
        limit = self.value if limit is None else limit
        if amount > limit:
            raise error(f"{subject}: {amount:,} {self.unit} is over {self.describe(limit)}{advice}")


UPLOAD_MB = Limit(
    "STREAMLIT_SERVER_MAX_UPLOAD_SIZE", 200, "MB", "bytes of one file uploaded to the dashboard",
    raise_with="start the dashboard with --server.maxUploadSize N, or set STREAMLIT_SERVER_MAX_UPLOAD_SIZE",
)
MAX_VALUES = Limit(
    "STITCHBOARD_MAX_VALUES", 1 << 29, "values",
    "rows x dims of one space read into memory (npy, npz, csv, parquet, a model's output); 2 GiB as float32",
)
MAX_DIMS = Limit("STITCHBOARD_MAX_DIMS", 1 << 16, "values per row",
                 "dims of one vector in a file (npy, npz, csv, parquet; streamed files too)")
MAX_OUTPUT_DIMS = Limit("STITCHBOARD_MAX_OUTPUT_DIMS", 1 << 16, "values per row", "dims of one output row of a model")
MAX_JSON_DEPTH = Limit("STITCHBOARD_MAX_JSON_DEPTH", 64, "levels", "nesting of a JSON file (sidecar, anchors, config)")
MAX_JSON_DIGITS = Limit("STITCHBOARD_MAX_JSON_DIGITS", 100, "characters", "length of one number in a JSON file")
MAX_ZIP_MEMBERS = Limit("STITCHBOARD_MAX_ZIP_MEMBERS", 50_000, "members", "files in one zip of images")
MAX_ZIP_MB = Limit("STITCHBOARD_MAX_ZIP_MB", 1024, "MB", "uncompressed images of one zip, as its directory declares")
MAX_IMAGE_PIXELS = Limit("STITCHBOARD_MAX_IMAGE_PIXELS", 40_000_000, "pixels",
                         "width x height of one image, read from its header before decoding")
MAX_DATASET_ROWS = Limit("STITCHBOARD_MAX_DATASET_ROWS", 200_000, "rows", "rows of one Hugging Face dataset split")
MAX_ANCHOR_ROWS = Limit("STITCHBOARD_MAX_ANCHOR_ROWS", 1_000_000, "rows", "anchor vectors in one --anchors file")
MAX_SESSION_BYTES = Limit("STITCHBOARD_MAX_SESSION_BYTES", 1_000_000, "bytes",
                          "a session file, or one query parameter of a link")
MAX_IDS = Limit("STITCHBOARD_MAX_IDS", 100_000, "ids", "ids in a session's anchors or highlight list, or a link's")
MAX_SESSION_STRING = Limit("STITCHBOARD_MAX_SESSION_STRING", 1_000, "characters", "one text value or id of a session")

#: Every limit, in the order of the docs table.
LIMITS = {
    "UPLOAD_MB": UPLOAD_MB,
    "MAX_VALUES": MAX_VALUES,
    "MAX_DIMS": MAX_DIMS,
    "MAX_OUTPUT_DIMS": MAX_OUTPUT_DIMS,
    "MAX_JSON_DEPTH": MAX_JSON_DEPTH,
    "MAX_JSON_DIGITS": MAX_JSON_DIGITS,
    "MAX_ZIP_MEMBERS": MAX_ZIP_MEMBERS,
    "MAX_ZIP_MB": MAX_ZIP_MB,
    "MAX_IMAGE_PIXELS": MAX_IMAGE_PIXELS,
    "MAX_DATASET_ROWS": MAX_DATASET_ROWS,
    "MAX_ANCHOR_ROWS": MAX_ANCHOR_ROWS,
    "MAX_SESSION_BYTES": MAX_SESSION_BYTES,
    "MAX_IDS": MAX_IDS,
    "MAX_SESSION_STRING": MAX_SESSION_STRING,
}
