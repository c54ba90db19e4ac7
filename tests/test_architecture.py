"""The shape of the code: one-way layers, no import cycles, modules of a readable size."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Layers from the bottom; a module may import its own layer and the ones before it.
LAYERS = ["base", "runtime", "spaces", "methods", "maps", "io", "encode", "entry"]
BASE = {"core", "core.errors", "core.limits", "core.validation"}
#: Longest module, in lines (a module past it does two jobs: split it).
MAX_LINES = 420


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(top: str) -> dict[str, Path]:
    return {_module_name(p): p for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts}


def _layer(module: str) -> str:
    if module in BASE:
        return "base"
    sub = module.split(".")[1]
    return sub if sub in LAYERS else "entry"


def _imports(module: str, path: Path) -> list[tuple[str, bool]]:
    """``(imported core module, at module level?)`` for every import of ``core`` in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    top_level = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "core" or name.startswith("core."):
                out.append((name, id(node) in top_level))
    return out


def _resolve(name: str, known: dict) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def test_core_layers_import_only_downwards():
    mods = _modules("core")
    wrong = []
    for module, path in mods.items():
        for name, _ in _imports(module, path):
            target = _resolve(name, mods)
            if target is None or target == "core":
                continue
            if LAYERS.index(_layer(target)) > LAYERS.index(_layer(module)):
                wrong.append(f"{module} ({_layer(module)}) imports {target} ({_layer(target)})")
    assert wrong == [], "imports from a higher layer:\n" + "\n".join(wrong)


def test_no_import_cycles_in_core():
    mods = _modules("core")
    graph = {m: set() for m in mods}
    for module, path in mods.items():
        for name, _ in _imports(module, path):
            target = _resolve(name, mods)
            if target not in (None, "core", module) and not module.startswith(target + "."):
                graph[module].add(target)
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_no_module_is_too_long():
    long = {str(p.relative_to(ROOT)): n for top in ("core", "dashboard") for p in _modules(top).values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines (split them by concept): {long}"
