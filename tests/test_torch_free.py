"""The core install needs no torch: the default user paths (library and dashboard pages), in a fresh process.

Two ways, each in its own subprocess (a test process has long imported whatever others did):

- ``imported``: torch is installed (the dev extra), and none of these paths imports it;
- ``blocked``: importing torch fails, as in a core install, and every path still works,
  while the commands that need torch say which extra to install.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_BLOCK = '''
import importlib.abc, sys

class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r} (a core install)", name=name)
        return None

sys.meta_path.insert(0, _NoTorch())
'''

_PATHS = '''
import json, sys
import numpy as np
import pandas as pd

done = []
from core.spaces.zoo import Zoo
zoo = Zoo("digits")
for name in zoo.names:
    assert np.isfinite(zoo.vectors(name)).all()
coll = zoo.collection()
done.append("zoo vectors")

from core.methods.anchors import select_anchors
from core.methods.stitching import stitching_matrix
train, test = zoo.spaces("train"), zoo.spaces("test")
anchors = select_anchors(train["mlp-s0"], 100, random_state=0)
res = stitching_matrix(train, test, anchors)
assert res.stitched_mean("relative") > res.stitched_mean("absolute")
done.append("stitching_matrix")

from core.maps.layout import compute_layout
X = zoo.vectors("mlp-s0")
assert compute_layout(X, method="pca").shape == (len(X), 2)
assert compute_layout(X[:300], method="umap", n_epochs=20).shape == (300, 2)
done.append("layouts")

from core.methods.reconstruction import reconstruction_stitching
from core.spaces.latent_space import LatentSpace
rec = reconstruction_stitching(train, test, LatentSpace(zoo.data.X, zoo.data.ids), anchors, decoder="ae-s0",
                               encoders=["ae-s0", "ae-s1"], epochs=10)
assert rec.mse["relative"]["ae-s1"] < rec.mse["absolute"]["ae-s1"]
done.append("reconstruction")

from core.methods.neighbours import knn_graph
idx, dist = knn_graph(np.random.default_rng(0).normal(size=(8000, 16)).astype(np.float32), n_neighbors=5)
assert idx.shape == (8000, 5)
done.append("kNN graph (IVF)")

from core.io.models import encode_table, load_model
d = zoo.data
table = pd.DataFrame({"id": d.ids, **{f"px{i}": d.X[:, i] for i in range(64)}})
model = load_model(zoo.root / "cnn-s0.safetensors",
                   sidecar={"arch": "cnn", "config": zoo.entries["cnn-s0"]["config"]})
np.testing.assert_allclose(encode_table(table, model).vectors, zoo.vectors("cnn-s0"), atol=1e-6)
done.append("uploaded safetensors")

from tests.dashboard.apphelp import start
for page in ("pages/stitching.py", "pages/explore.py", "pages/compare.py"):
    at = start(page, method="pca")
    assert not at.exception and not at.error, (page, [e.value for e in [*at.exception, *at.error]])
done.append("dashboard pages")

print(json.dumps({"done": done, "torch": "torch" in sys.modules}))
'''


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("mode", ["imported", "blocked"])
def test_default_user_paths_run_without_torch(mode):
    proc = _run((_BLOCK if mode == "blocked" else "") + textwrap.dedent(_PATHS))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["done"] == ["zoo vectors", "stitching_matrix", "layouts", "reconstruction", "kNN graph (IVF)",
                           "uploaded safetensors", "dashboard pages"]
    assert out["torch"] is False, "a default path imported torch"


def test_commands_that_need_torch_name_the_extra(tmp_path):
    code = _BLOCK + textwrap.dedent(f'''
        from core.cli import main
        assert main(["zoo", "build", "--dataset", "wine", "--out", {str(tmp_path)!r}]) == 2
        from core.spaces.zoo import Zoo
        from core.spaces.zoo_build import load_torch_model
        zoo = Zoo("wine")
        try:
            load_torch_model(zoo.entries["mlp-s0"], zoo.root)
        except ImportError as exc:
            print("ERROR", exc)
        # the ONNX files are written from the weights without torch
        import shutil
        shutil.copytree(zoo.root, {str(tmp_path / "wine")!r})
        assert main(["zoo", "build", "--onnx-only", "--dataset", "wine", "--out", {str(tmp_path / "wine")!r}]) == 0
    ''')
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "error: stitchboard zoo build needs torch" in proc.stderr
    assert "pip install -c constraints.txt -e '.[zoo-build]'" in proc.stderr
    assert "ERROR the torch module of a zoo encoder needs torch" in proc.stdout
    assert "zoo-build" in proc.stdout
    assert not list(tmp_path.glob("*.safetensors"))  # nothing half-built
    for e in json.loads((tmp_path / "wine" / "manifest.json").read_text())["encoders"]:
        assert (tmp_path / "wine" / e["onnx"]).read_bytes() == (ROOT / "assets" / "wine" / e["onnx"]).read_bytes()
