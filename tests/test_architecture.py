"""The package's shape: no import cycles, and lower layers never import upper ones.

Every ``import`` counts: at the top, inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "forecaster"

# Stages know nothing of scoring, reports, use cases or the command line.
STAGES = (
    "version",
    "spec",
    "errors",
    "notes",
    "time_formats",
    "time_axis",
    "frequency",
    "data",
    "panel",
    "long_files",
    "features",
    "baselines",
    "calendar_features",
    "windows",
    "scaling",
    "models",
    "storage",
    "tracking",
    "hardware",
)
UPPER = ("evaluation", "reports", "commands", "api", "cli")


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


def test_the_walk_sees_imports_inside_functions_and_type_checking() -> None:
    assert "forecaster.commands.train" in GRAPH["forecaster.cli"]  # imported in a function
    assert "forecaster.training" in GRAPH["forecaster.manifest"]  # under TYPE_CHECKING


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles() -> None:
    assert find_cycle(GRAPH) is None


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


@pytest.mark.parametrize("stage", STAGES)
def test_stages_do_not_import_upper_layers(stage: str) -> None:
    modules = [name for name in GRAPH if in_package(name, f"forecaster.{stage}")]
    assert modules, f"no module forecaster.{stage}"
    for module in modules:
        upper = [name for name in GRAPH[module] if name.split(".")[1] in UPPER]
        assert upper == [], f"{module} imports {upper}"


def test_the_spec_imports_only_the_errors() -> None:
    """The spec sits below every other module: the rest read it, it reads none of them."""
    for name, imported in GRAPH.items():
        if in_package(name, "forecaster.spec"):
            outside = {i for i in imported if not in_package(i, "forecaster.spec")}
            assert outside <= {"forecaster.errors"}, f"{name} imports {outside}"


def test_evaluation_writes_nothing_and_reports_use_no_use_case() -> None:
    for name, imported in GRAPH.items():
        layer = name.split(".")[1] if "." in name else ""
        if layer == "evaluation":
            assert not {"forecaster.storage", "forecaster.bundle"} & imported, name
            assert not [i for i in imported if i.split(".")[1] in ("reports", "commands", "cli")]
        if layer == "reports":
            assert not [i for i in imported if i.split(".")[1] in ("commands", "cli", "training")]


def test_only_the_cli_and_the_python_api_import_the_commands() -> None:
    importers = {
        name
        for name, imported in GRAPH.items()
        if any(i.startswith("forecaster.commands") for i in imported)
        and not name.startswith("forecaster.commands")
    }
    assert importers == {"forecaster.cli", "forecaster.api"}
