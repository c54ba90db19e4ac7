"""The wheel's package list in pyproject.toml matches the source tree, and carries the zoo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")


def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_of_the_tree_is_listed_for_the_wheel():
    listed = set(_setuptools_config()["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("core", "dashboard")
        for p in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == {"core.assets"}, "packages listed in pyproject.toml that are not in the tree"


def test_the_bundled_zoo_is_package_data_of_core_assets():
    cfg = _setuptools_config()
    assert cfg["package-dir"]["core.assets"] == "assets"
    patterns = cfg["package-data"]["core.assets"]
    files = [p for p in (ROOT / "assets").rglob("*") if p.is_file() and p.name != "__init__.py"
             and "__pycache__" not in p.parts]
    assert files, "assets/ is empty"
    missed = [str(p.relative_to(ROOT)) for p in files if not any(p.relative_to(ROOT / "assets").match(g) for g in patterns)]
    assert missed == [], "bundled files no package-data pattern ships"
