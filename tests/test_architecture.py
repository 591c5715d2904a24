"""The package's shape: no import cycles, and the import contracts in ``pyproject.toml``.

``[tool.importlinter]`` orders the packages in layers (cli, commands, reports, evaluation,
bundle, model, data, spec, storage, errors and log) and says what evaluation and reports
never import; ``lint-imports`` checks it. Every ``import`` counts: at the top, inside
functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "forecaster"
# lint-imports with the current directory (this checkout) first on sys.path, no cache
LINT_IMPORTS = (
    "from importlinter.cli import lint_imports; "
    "raise SystemExit(lint_imports(no_cache=True, no_logo=True))"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The forecaster modules ``path`` imports, resolved to module names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("forecaster")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("forecaster"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = "open", stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node], _ = "done", stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_walk_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from forecaster.errors import InputError\n"
        "def main():\n"
        "    import forecaster.cli\n"
        "    from forecaster import errors\n"
    )
    assert imports_of(source) == {"forecaster.errors", "forecaster.cli"}
    assert "forecaster.commands.train" in GRAPH["forecaster.cli"]  # imported in a function


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles() -> None:
    assert find_cycle(GRAPH) is None


def test_the_import_contracts_hold() -> None:
    """Lower layers never import upper ones (the exceptions are listed under
    ``ignore_imports``), and every module of the package is in a layer."""
    checked = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "BROKEN" not in checked.stdout
