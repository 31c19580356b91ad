"""The local stack's shape: one package per emulated service, no cycles, no reaching in.

Read from the source with `ast` (nothing is imported), so a new service package is held
to the same rules the moment it appears.
"""

from __future__ import annotations

import ast
from pathlib import Path

import wyntek_localstack

ROOT = Path(wyntek_localstack.__file__).parent
PACKAGE = "wyntek_localstack"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, [alias.name for alias in node.names]))
    return found


def _service_of(module: str) -> str | None:
    """The service package a module belongs to (None for the shared top level)."""
    parts = module.split(".")
    if len(parts) >= 2 and (ROOT / parts[1]).is_dir():
        return parts[1]
    return None


def test_each_service_has_its_package_and_one_mount_list() -> None:
    for service in ("gotrue", "postgrest", "storage"):
        assert (ROOT / service / "__init__.py").is_file(), service
    for gone in ("auth.py", "storage.py", "tus.py", "blobs.py", "rest"):
        assert not (ROOT / gone).exists(), f"{gone} should live in its service package"
    from wyntek_localstack.app import SERVICES
    assert [s.prefix for s in SERVICES][:3] == ["/auth/v1", "/rest/v1", "/storage/v1"]


def test_no_import_cycles() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for target, names in _imports(name, path):
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in modules and candidate != name:
                    edges.add(candidate)
                    break
        graph[name] = edges

    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)


def test_no_private_imports_across_packages() -> None:
    offenders = []
    for name, path in _modules().items():
        for target, names in _imports(name, path):
            if not target.startswith(PACKAGE):
                continue
            if _service_of(target) == _service_of(name) and _service_of(name) is not None:
                continue  # inside one service package
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                offenders.append(f"{name} imports {private} from {target}")
    assert not offenders, offenders


def test_no_untyped_extras_bag() -> None:
    users = [name for name, path in _modules().items()
             if "extras" in path.read_text(encoding="utf-8")]
    assert not users, f"use Context.state(...) instead of an extras dict: {users}"
