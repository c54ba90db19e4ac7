"""No unpickling anywhere in the product: a pickle is a program, and loading one runs it.

Walks every ``.py`` file of ``core/`` and ``dashboard/`` with :mod:`ast` and refuses:

- importing ``pickle``, ``_pickle``, ``cPickle``, ``cloudpickle``, ``dill`` or ``shelve``
  (also through ``__import__`` / ``importlib.import_module``);
- ``marshal.load(s)``, ``joblib.load``, ``pandas.read_pickle``;
- ``numpy.load`` unless it passes ``allow_pickle=False`` explicitly (the default is False
  today, but strictness keeps it visible), and any ``allow_pickle=True``;
- ``torch.load`` unless it passes ``weights_only=True``;
- ``yaml.load`` / ``load_all`` without a safe loader, ``yaml.unsafe_load`` / ``full_load``;
- referring to any of these without calling them (``f = np.load``), since the
  arguments of a later call cannot be checked, or passing ``**kwargs`` to them.

Aliases are resolved (``import numpy as np``, ``from torch import load as tl``). The
self-tests feed a snippet breaking each rule, so the checker is known to catch them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [ROOT / "core", ROOT / "dashboard"]

FORBIDDEN_MODULES = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "shelve"}
FORBIDDEN_CALLS = {
    "marshal.load": "marshal",
    "marshal.loads": "marshal",
    "joblib.load": "joblib",
    "sklearn.externals.joblib.load": "joblib",
    "pandas.read_pickle": "read_pickle",
    "yaml.unsafe_load": "yaml",
    "yaml.full_load": "yaml",
    "yaml.unsafe_load_all": "yaml",
    "yaml.full_load_all": "yaml",
}
# name -> (keyword, required constant value)
REQUIRED_KEYWORD = {
    "numpy.load": ("allow_pickle", False),
    "torch.load": ("weights_only", True),
}
SAFE_YAML_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader"}
CHECKED = set(FORBIDDEN_CALLS) | set(REQUIRED_KEYWORD) | {"yaml.load", "yaml.load_all", "numpy.lib.format.read_array"}


def _aliases(tree: ast.AST) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _qualname(node: ast.AST, names: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(names.get(node.id, node.id))
    return ".".join(reversed(parts))


def violations(source: str, filename: str = "<snippet>") -> list[tuple[str, int, str]]:
    """``(rule, line, text)`` for every forbidden use in ``source``."""
    tree = ast.parse(source, filename)
    names = _aliases(tree)
    found = []

    def add(rule, node, text):
        found.append((rule, getattr(node, "lineno", 0), text))

    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in FORBIDDEN_MODULES:
                    add("pickle-module", node, f"import {a.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_MODULES:
            add("pickle-module", node, f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            called.add(id(node.func))
            q = _qualname(node.func, names)
            if q in ("__import__", "importlib.import_module") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and str(arg.value).split(".")[0] in FORBIDDEN_MODULES:
                    add("pickle-module", node, f"{q}({arg.value!r})")
            if q is None or q not in CHECKED:
                continue
            if any(k.arg is None for k in node.keywords):
                add("unchecked-kwargs", node, f"{q}(**...): its arguments cannot be checked")
                continue
            kws = {k.arg: k.value for k in node.keywords}
            if q in FORBIDDEN_CALLS:
                add(FORBIDDEN_CALLS[q], node, f"{q}(...)")
            elif q in REQUIRED_KEYWORD:
                key, want = REQUIRED_KEYWORD[q]
                v = kws.get(key)
                if not (isinstance(v, ast.Constant) and v.value is want):
                    add(q.split(".")[0], node, f"{q}(...) without {key}={want}")
            elif q == "numpy.lib.format.read_array":
                v = kws.get("allow_pickle")
                if v is not None and not (isinstance(v, ast.Constant) and v.value is False):
                    add("numpy", node, f"{q}(..., allow_pickle=...)")
            elif q in ("yaml.load", "yaml.load_all"):
                loader = kws.get("Loader", node.args[1] if len(node.args) > 1 else None)
                if loader is None or _qualname(loader, names) not in SAFE_YAML_LOADERS:
                    add("yaml", node, f"{q}(...) without a safe Loader")
    for node in ast.walk(tree):  # references that are not calls: f = np.load
        if isinstance(node, (ast.Attribute, ast.Name)) and id(node) not in called:
            q = _qualname(node, names)
            if q in CHECKED:
                add("indirect", node, f"{q} used without being called")
    return found


def _product_files():
    for folder in PRODUCT:
        yield from sorted(folder.rglob("*.py"))


def test_product_source_never_unpickles():
    files = list(_product_files())
    assert len(files) >= 10, "the product source was not found"
    bad = [
        f"{path.relative_to(ROOT)}:{line}: [{rule}] {text}"
        for path in files
        for rule, line, text in violations(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not bad, "unpickling in product code:\n" + "\n".join(bad)


SNIPPETS = {
    "pickle.loads": ("import pickle\npickle.loads(b'')", "pickle-module"),
    "pickle alias": ("import pickle as p\np.load(open('f', 'rb'))", "pickle-module"),
    "from pickle": ("from pickle import loads\nloads(b'')", "pickle-module"),
    "cPickle": ("import cPickle", "pickle-module"),
    "_pickle": ("import _pickle", "pickle-module"),
    "dill": ("import dill\ndill.loads(b'')", "pickle-module"),
    "cloudpickle": ("from cloudpickle import loads", "pickle-module"),
    "shelve": ("import shelve\nshelve.open('db')", "pickle-module"),
    "__import__": ("m = __import__('pickle')", "pickle-module"),
    "import_module": ("import importlib\nimportlib.import_module('dill')", "pickle-module"),
    "marshal.loads": ("import marshal\nmarshal.loads(b'')", "marshal"),
    "joblib.load": ("import joblib\njoblib.load('m.joblib')", "joblib"),
    "from joblib": ("from joblib import load\nload('m.joblib')", "joblib"),
    "read_pickle": ("import pandas as pd\npd.read_pickle('x.pkl')", "read_pickle"),
    "np.load default": ("import numpy as np\nnp.load('x.npy')", "numpy"),
    "np.load True": ("import numpy as np\nnp.load('x.npy', allow_pickle=True)", "numpy"),
    "np.load variable": ("import numpy as np\nflag = False\nnp.load('x.npy', allow_pickle=flag)", "numpy"),
    "np.load kwargs": ("import numpy as np\nkw = {}\nnp.load('x.npy', **kw)", "unchecked-kwargs"),
    "from numpy import load": ("from numpy import load\nload('x.npy')", "numpy"),
    "read_array": ("import numpy as np\nnp.lib.format.read_array(f, allow_pickle=True)", "numpy"),
    "np.load reference": ("import numpy as np\nreader = np.load", "indirect"),
    "torch.load default": ("import torch\ntorch.load('m.pt')", "torch"),
    "torch.load False": ("import torch\ntorch.load('m.pt', weights_only=False)", "torch"),
    "torch.load alias": ("from torch import load as tl\ntl('m.pt')", "torch"),
    "yaml.load": ("import yaml\nyaml.load(text)", "yaml"),
    "yaml.load Loader": ("import yaml\nyaml.load(text, Loader=yaml.Loader)", "yaml"),
    "yaml.unsafe_load": ("import yaml\nyaml.unsafe_load(text)", "yaml"),
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_checker_catches(name):
    source, rule = SNIPPETS[name]
    found = violations(source)
    assert rule in {r for r, _, _ in found}, f"{name}: expected a [{rule}] violation, got {found}"


def test_checker_allows_the_safe_forms():
    source = "\n".join(
        [
            "import numpy as np, torch, yaml, json",
            "from safetensors.torch import load_file",
            "np.load('x.npy', allow_pickle=False)",
            "np.load('x.npz', mmap_mode='r', allow_pickle=False)",
            "torch.load('m.pt', weights_only=True)",
            "yaml.load(text, Loader=yaml.SafeLoader)",
            "yaml.safe_load(text)",
            "load_file('m.safetensors')",
            "json.loads('{}')",
            "np.save('x.npy', np.ones(3))",
        ]
    )
    assert violations(source) == []
