"""The package's layering (STYLE.md "Layers"): no import cycles between its modules, and the
presentation layers go through the public API rather than the C++ module."""

from __future__ import annotations

import ast
from pathlib import Path

import zogy

PACKAGE = Path(zogy.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _names() -> set[str]:
    """Every importable module of the package, the compiled one too."""
    compiled = {f"zogy.{p.name.split('.')[0]}" for p in PACKAGE.glob("*.so")}
    return set(_modules()) | compiled


def _imports(name: str, path: Path, modules) -> set[str]:
    """Modules of the package that `name` imports anywhere in its body (function-level
    imports included: a deferred import still ties the two modules together)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found.update(n for n in names if n in modules)
    found.discard(name)
    return {m for m in found if m in modules and not m.endswith("._core")}


def _cycle(graph) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _graph():
    names = _names()
    return {name: _imports(name, path, names) for name, path in _modules().items()}


def test_no_import_cycles():
    graph = _graph()
    assert "zogy.results" in graph["zogy.api"] and "zogy.results" in graph["zogy.grid"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_api_layer_calls_the_core_subtraction():
    callers = sorted(name for name, path in _modules().items()
                     if "_core.subtract(" in path.read_text())
    assert callers == ["zogy._subtract_core"]


def _imports_core(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            if node.module == "_core" or any(a.name == "_core" for a in node.names):
                return True
    return False


def test_presentation_goes_through_the_public_api():
    presentation = ("zogy.study", "zogy.batch", "zogy.io", "zogy.plot", "zogy.cli", "zogy._cli")
    offenders = sorted(name for name, path in _modules().items()
                       if name.startswith(presentation) and _imports_core(path))
    assert offenders == []
    assert _imports_core(PACKAGE / "api.py")  # the check can see an import of the core


def test_result_classes_keep_their_documented_field_order():
    # Positional construction, repr() and dataclasses.astuple() depend on it.
    import dataclasses

    from zogy import GridResult, ZogyResult

    assert [f.name for f in dataclasses.fields(ZogyResult)] == [
        "difference", "difference_variance", "psf", "flux_zero_point", "score",
        "score_variance", "scorr", "flux", "flux_err", "mask", "padded_shape", "border", "keys",
        "seed", "noise_weights", "fill_means", "padding", "score_normalisation", "grow_radius",
    ]  # fmt: skip
    assert [f.name for f in dataclasses.fields(GridResult)] == [
        "difference", "difference_variance", "score", "score_variance", "scorr", "flux",
        "flux_err", "mask", "cells", "grid_shape", "border", "grid_inner_size", "blend", "seam",
        "keys", "seed", "noise_weights", "fill_means", "padding",
    ]  # fmt: skip


def test_mask_bits_come_from_the_core():
    from zogy import _core, results

    bits = (results.MASK_SCIENCE_BAD, results.MASK_REFERENCE_BAD, results.MASK_EDGE,
            results.MASK_NEAR_BAD)  # fmt: skip
    assert bits == (1, 2, 4, 8)  # docs/algorithm.md's "Output mask bits"
    assert bits == (_core.MASK_SCIENCE_BAD, _core.MASK_REFERENCE_BAD, _core.MASK_EDGE,
                    _core.MASK_NEAR_BAD)  # fmt: skip


def test_no_package_attribute_shadows_a_submodule():
    # `import zogy.study.padding as m` would bind a function if one had the module's name.
    import importlib

    for name in _modules():
        package, _, short = name.rpartition(".")
        if package.startswith("zogy") and package in _modules():
            module = importlib.import_module(name)
            assert getattr(importlib.import_module(package), short) is module, name
