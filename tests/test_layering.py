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
    # Django's way to register system checks: imported when the app is ready, not when settings load.
    ("audits.apps", "audits.checks"),
    ("audits.services.webhooks", "audits.tasks"),
    ("audits.services.whatif", "audits.tasks"),
    ("audits.services.datasets", "audits.tasks"),
    ("audits.services.models._folders", "audits.tasks"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: set[str]) -> list[str]:
    """The absolute modules one import statement of a module of `package` imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, *([base] if base else [])])
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]


def _package(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(path: Path, modules: set[str]) -> dict[str, bool]:
    """First-party modules `path` imports, each mapped to whether a module-level statement imports it.

    `from package import name` counts as importing package.name when that is a module, else the package.
    Imports inside functions count too (False): a circle closed by a function-local import is still a circle.
    """
    name = _module_name(path)
    package = _package(path)
    tree = ast.parse(path.read_text())
    in_functions = {
        id(node)
        for scope in ast.walk(tree)
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(scope)
    }
    found: dict[str, bool] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target in _targets(node, package, modules):
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


# Function-local imports are kept for libraries that cost seconds to import and that most processes never use,
# so that the web process and plain metric runs never load them; everything else imports at the top, where the
# dependency graph is visible.
HEAVY_LIBRARIES = ("torch", "transformers", "captum", "weasyprint", "shap")
# First-party modules that load a heavy library when imported (checked by the test below), and skops.io, which
# loads torch through scikit-learn's array-API support.
LOADS_HEAVY_LIBRARY = {
    "audits.renderings.pdf",  # weasyprint
    "explainers.attributions",  # torch, shap (every submodule goes through the package)
    "explainers.builtin.minilm_classifier",  # torch
    "explainers.global_.tabular",  # shap (through explainers.attributions)
    "explainers.global_.text",  # torch
    "explainers.runners.hf_lm",  # torch
    "explainers.runners.hf_text",  # torch
    "skops.io",  # torch
}


def _under_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _function_local_imports(path: Path, modules: set[str]) -> list[tuple[int, str]]:
    """(line, absolute module) of each import inside a function of `path`, those under `if TYPE_CHECKING` left out."""
    package = _package(path)
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _under_type_checking(node):
            return
        if in_function and isinstance(node, ast.Import | ast.ImportFrom):
            found.extend((node.lineno, target) for target in _targets(node, package, modules))
        for child in ast.iter_child_nodes(node):
            visit(child, in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(path.read_text()), False)
    return list(dict.fromkeys(found))


def _allowed_function_local(source: str, target: str) -> bool:
    if (source, target) in FUNCTION_LOCAL_IMPORTS_ALLOWED:
        return True
    roots = (*HEAVY_LIBRARIES, *LOADS_HEAVY_LIBRARY)
    return any(target == root or target.startswith(f"{root}.") for root in roots)


def test_function_local_imports_are_only_for_heavy_libraries_and_the_tasks_hop():
    folders = ("audits", "frontend", "auditplatform", "explainers")
    paths = sorted(p for f in folders for p in (ROOT / f).rglob("*.py") if "migrations" not in p.parts)
    modules = {_module_name(p) for p in paths}
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in paths
        for line, target in _function_local_imports(path, modules)
        if not _allowed_function_local(_module_name(path), target)
    ]
    assert offenders == [], "import these at the top of the module (or say here why a library must load late)"


def test_the_first_party_modules_kept_late_do_load_a_heavy_library():
    """Each first-party entry of LOADS_HEAVY_LIBRARY imports a heavy library at module level, itself or through
    first-party modules it imports at module level; an entry that stopped doing so is to be imported at the top."""
    paths = [p for f in ("audits", "explainers") for p in (ROOT / f).rglob("*.py") if "migrations" not in p.parts]
    graph = {_module_name(p): p for p in paths}

    def module_level_imports(module: str) -> set[str]:
        path = graph[module]
        targets = {
            target
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for target in _targets(node, _package(path), set(graph))
        }
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        parents = {".".join(t.split(".")[:i]) for t in targets for i in range(1, t.count(".") + 1)}
        return targets | {p for p in parents if p in graph}

    def loads_heavy(module: str) -> bool:
        seen, todo = set(), [module]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for target in module_level_imports(current):
                if target.split(".")[0] in HEAVY_LIBRARIES:
                    return True
                if target in graph:
                    todo.append(target)
        return False

    first_party = sorted(m for m in LOADS_HEAVY_LIBRARY if m.split(".")[0] in ("audits", "explainers"))
    assert [m for m in first_party if not loads_heavy(m)] == []
    assert not loads_heavy("explainers.metrics") and not loads_heavy("audits.renderings")
