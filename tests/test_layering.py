"""design.md section 2: explainers/ is plain Python; frontend/ never imports explainers."""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT = re.compile(r"^\s*(from|import)\s+(\w+)", re.MULTILINE)


def _imported_top_levels(folder: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): {m.group(2) for m in IMPORT.finditer(path.read_text())}
        for path in (ROOT / folder).rglob("*.py")
    }


def test_explainers_imports_neither_django_nor_the_app_layer():
    forbidden = {"django", "rest_framework", "celery", "audits", "frontend", "auditplatform"}
    offenders = {f: sorted(i & forbidden) for f, i in _imported_top_levels("explainers").items() if i & forbidden}
    assert offenders == {}
    assert not any("django" in p.read_text() for p in (ROOT / "explainers").rglob("*.py"))


def test_frontend_does_not_import_explainers():
    offenders = [f for f, i in _imported_top_levels("frontend").items() if "explainers" in i]
    assert offenders == []


# Services enqueue their own Celery tasks and tasks call services: the one permitted circle, closed by an
# import inside the enqueuing function (a task module imported at the top of a service would run first).
FUNCTION_LOCAL_IMPORTS_ALLOWED = {
    ("audits.services.audit_execution", "audits.tasks"),
    ("audits.services.audit_runs", "audits.tasks"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> dict[str, bool]:
    """First-party modules `path` imports, each mapped to whether a module-level statement imports it.

    `from package import name` counts as importing package.name when that is a module, else the package.
    Imports inside functions count too (False): a circle closed by a function-local import is still a circle.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    in_functions = {
        id(node)
        for scope in ast.walk(tree)
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(scope)
    }
    found: dict[str, bool] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            if target in modules and target != name:
                found[target] = found.get(target, False) or id(node) not in in_functions
    return found


def _import_graph(folders: tuple[str, ...]) -> dict[str, dict[str, bool]]:
    paths = [p for folder in folders for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def _import_cycles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """Every circle of imports in `graph`, each listed once, from its smallest module."""
    cycles: set[tuple[str, ...]] = set()

    def walk(start: str, node: str, trail: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                cycles.add(tuple(trail))
            elif nxt > start and nxt not in trail:
                walk(start, nxt, [*trail, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return sorted(list(c) for c in cycles)


def test_modules_of_audits_and_explainers_import_each_other_one_way_only():
    """No circle of imports among first-party modules (e.g. spec -> counting -> spec), but for the documented
    services -> tasks hop, which must stay inside a function."""
    graph = _import_graph(("audits", "explainers"))
    module_level = [edge for edge in FUNCTION_LOCAL_IMPORTS_ALLOWED if graph[edge[0]].get(edge[1])]
    assert module_level == [], "services import their tasks inside the enqueuing function only"
    for source, target in FUNCTION_LOCAL_IMPORTS_ALLOWED:
        graph[source].pop(target, None)
    assert _import_cycles(graph) == []


def test_the_cycle_finder_reports_every_circle_including_function_local_imports(tmp_path, monkeypatch):
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import B\nA = 1\n")
    (package / "b.py").write_text("from circle import c\nB = 2\n")
    (package / "c.py").write_text("import circle.a\n")
    (package / "d.py").write_text("def late():\n    from circle.e import E\n")
    (package / "e.py").write_text("from . import d\nE = 3\n")
    (package / "f.py").write_text("import circle.a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    graph = _import_graph(("circle",))
    assert graph["circle.d"] == {"circle.e": False} and graph["circle.e"] == {"circle.d": True}
    assert _import_cycles(graph) == [["circle.a", "circle.b", "circle.c"], ["circle.d", "circle.e"]]
