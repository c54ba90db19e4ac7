"""Progress and cancel use the libraries' public hooks: nothing in core replaces umap's or scikit-learn's internals."""

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[3] / "core"


def test_no_module_patches_umap_or_sklearn_internals():
    # the same search as `grep -rn "_t_sne\._\|layouts\.tqdm" core`
    pattern = re.compile(r"_t_sne\._|layouts\.tqdm")
    hits = [f"{p.relative_to(CORE.parent)}:{i}: {line.strip()}"
            for p in sorted(CORE.rglob("*.py")) for i, line in enumerate(p.read_text().splitlines(), 1)
            if pattern.search(line)]
    assert hits == []
    assert not (CORE / "maps" / "iterations.py").exists()
    assert len(list(CORE.rglob("*.py"))) > 50  # the search did look at the package
