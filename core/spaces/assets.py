"""Where the bundled datasets and encoder zoo live: the package data, or ``$STITCHBOARD_ASSETS``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["assets_dir"]


def assets_dir() -> Path:
    """Folder of the bundled assets (one sub-folder per dataset).

    ``$STITCHBOARD_ASSETS`` if set; else the ``core.assets`` package data, which an
    install (editable or wheel) maps to the repository's top-level ``assets/`` folder.
    """
    env = os.environ.get("STITCHBOARD_ASSETS")
    if env:
        return Path(env)
    try:
        from importlib.resources import files

        return Path(str(files("core.assets")))
    except ModuleNotFoundError:  # a source tree on sys.path that was never installed
        return Path(__file__).resolve().parents[2] / "assets"
