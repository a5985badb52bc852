"""The house's layers, read from the code's own imports: no cycles, no arrow the wrong way,
no module too large to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("meetings", "signaling", "rooms", "media", "groups", "ops")
MAX_LINES = 500

# A layer may not import these (by top-level name).
FORBIDDEN = {
    "rooms": {
        "signaling",
        "media",
        "meetings",
        "ops",
        "channels",
        "daphne",
        "aiortc",
        "av",
        "aioice",
    },
    "media": {"rooms", "signaling", "meetings", "ops", "django", "channels", "daphne"},
    "signaling": {"meetings", "aiortc", "av", "aioice"},
    "meetings": {"aiortc", "av", "aioice"},
    # groups/ plans meetings; it never touches a live socket or media.
    "groups": {"signaling", "media", "meetings", "channels", "daphne", "aiortc", "av", "aioice"},
    # ops/ reads what the others expose; it never handles media itself.
    "ops": {"aiortc", "av", "aioice"},
}


def _product_files() -> dict[str, Path]:
    """Module name -> file, for every product module outside migrations."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _product_files()


def _imports(name: str, path: Path) -> set[str]:
    """Every module name `name` imports, at top level or inside a function."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    # imports for type checkers only never run, so they make no cycle
    for block in ast.walk(tree):
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from package import submodule` depends on the submodule, not on the package
            names = [f"{module}.{alias.name}" for alias in node.names]
            submodules = {n for n in names if n in MODULES}
            targets.update(submodules)
            if len(submodules) < len(names):
                targets.add(module)
    return targets


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        graph[name] = {t for t in _imports(name, path) if t in MODULES and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_scan_sees_the_product():
    # A scan that found nothing would pass every check below.
    graph = _graph()
    assert {"rooms.state", "signaling.consumers", "media.relay"} <= set(graph)
    assert "rooms.state" in set().union(*graph.values())


def test_no_import_cycle_among_product_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_against_the_layers(layer):
    wrong = []
    for name, path in MODULES.items():
        if name.split(".")[0] != layer:
            continue
        for target in _imports(name, path):
            if target.split(".")[0] in FORBIDDEN[layer]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_only_media_imports_aiortc():
    for name, path in MODULES.items():
        if name.split(".")[0] == "media":
            continue
        tops = {t.split(".")[0] for t in _imports(name, path)}
        assert not tops & {"aiortc", "av", "aioice"}, name


def test_no_product_module_over_the_limit():
    sources = [
        *MODULES.values(),
        *(ROOT / "frontend").rglob("*.js"),
        *(ROOT / "bench").glob("*.py"),
    ]
    assert len(sources) > 40
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
