"""The tree tells the truth: each service's layers hold what their names say (D32).

Read from the source (ast), nothing is imported: a domain module that reaches for the database, the
broker or HTTP, or for its own service's adapters or entry points, fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# Every service, found by its composition root: a new service is held to the same rules at once.
SERVICES = tuple(sorted(p.parent.name for p in (ROOT / "services").glob("*/app.py")))
LAYERS = ("domain", "application", "adapters", "entrypoints")
TOP_LEVEL = {"__init__.py", "app.py", "settings.py", "metrics.py"}
# What a domain module must not import: I/O libraries, and the outer layers of any service.
DOMAIN_FORBIDDEN_LIBRARIES = ("sqlalchemy", "aiokafka", "faststream", "starlette", "httpx", "asyncpg")
DOMAIN_FORBIDDEN_LAYERS = ("adapters", "entrypoints")
# Between the outer layers: a use case never drives an entry point, an adapter never imports a use case
# or an entry point (D34).
OUTER_FORBIDDEN_LAYERS = {"application": ("entrypoints",), "adapters": ("application", "entrypoints")}
# An entry point parses, calls one use case and answers; the work lives in the layers below (D34).
HANDLER_MAX_LINES = 15


def imported_modules(path: Path) -> Iterator[str]:
    """Every absolute module `path` imports, at any depth (functions' lazy imports too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def modules_of(*parts: str) -> list[Path]:
    return sorted(ROOT.joinpath(*parts).rglob("*.py"))


def domain_violations(path: Path) -> list[str]:
    bad = []
    for module in imported_modules(path):
        head = module.split(".")
        outer_layer = head[0] == "services" and len(head) > 2 and head[2] in DOMAIN_FORBIDDEN_LAYERS
        if head[0] in DOMAIN_FORBIDDEN_LIBRARIES or outer_layer:
            bad.append(module)
    return bad


def outer_layer_violations(path: Path, layer: str) -> list[str]:
    forbidden = OUTER_FORBIDDEN_LAYERS[layer]
    return [
        module
        for module in imported_modules(path)
        if module.split(".")[0] == "services"
        and len(module.split(".")) > 2
        and module.split(".")[2] in forbidden
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_keeps_only_its_composition_root_settings_and_metrics_at_the_top(service: str) -> None:
    folder = ROOT / "services" / service
    assert {p.name for p in folder.glob("*.py")} == TOP_LEVEL
    for layer in LAYERS:
        init = folder / layer / "__init__.py"
        assert init.is_file(), f"services/{service}/{layer}/ is not a package"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{init}: say what it holds"


@pytest.mark.parametrize("service", SERVICES)
def test_domain_modules_import_no_io_library_and_no_adapter_or_entry_point(service: str) -> None:
    modules = modules_of("services", service, "domain")
    assert len(modules) > 1
    found = {str(p.relative_to(ROOT)): domain_violations(p) for p in modules}
    assert {path: bad for path, bad in found.items() if bad} == {}


def test_the_domain_check_catches_a_domain_module_that_reaches_for_the_database(tmp_path: Path) -> None:
    module = tmp_path / "rules.py"
    module.write_text(
        "from sqlalchemy import select\n"
        "def f():\n"
        "    from services.intake.adapters.tables import cases\n"
        "    from services.intake.domain.lifecycle import refusal\n"
    )
    assert domain_violations(module) == [
        "sqlalchemy",
        "sqlalchemy.select",
        "services.intake.adapters.tables",
        "services.intake.adapters.tables.cases",
    ]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("layer", sorted(OUTER_FORBIDDEN_LAYERS))
def test_use_cases_import_no_entry_point_and_adapters_no_use_case_or_entry_point(
    service: str, layer: str
) -> None:
    found = {
        str(p.relative_to(ROOT)): outer_layer_violations(p, layer)
        for p in modules_of("services", service, layer)
    }
    assert {path: bad for path, bad in found.items() if bad} == {}


def test_the_outer_layer_check_catches_a_lazy_import_of_an_entry_point(tmp_path: Path) -> None:
    module = tmp_path / "export.py"
    module.write_text(
        "from services.reporting.adapters.topic_log import read_to_end\n"
        "async def f():\n"
        "    from services.reporting.entrypoints.replay import replay\n"
    )
    assert outer_layer_violations(module, "application") == [
        "services.reporting.entrypoints.replay",
        "services.reporting.entrypoints.replay.replay",
    ]
    assert outer_layer_violations(module, "adapters") == [
        "services.reporting.entrypoints.replay",
        "services.reporting.entrypoints.replay.replay",
    ]


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body after its docstring; nested functions count in their parent too."""
    body = function.body
    first = body[1] if len(body) > 1 and ast.get_docstring(function) is not None else body[0]
    return (function.end_lineno or first.lineno) - first.lineno + 1


def long_functions(path: Path, limit: int) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{node.name} ({body_lines(node)} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and body_lines(node) > limit
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_entry_point_function_is_short(service: str) -> None:
    modules = modules_of("services", service, "entrypoints")
    found = {str(p.relative_to(ROOT)): long_functions(p, HANDLER_MAX_LINES) for p in modules}
    assert {path: long for path, long in found.items() if long} == {}


def test_the_length_check_counts_a_route_factory_of_closures_as_one_long_function(tmp_path: Path) -> None:
    module = tmp_path / "routes.py"
    handler = "    async def handle(request):\n" + "        x = 1\n" * 3
    module.write_text('def routes():\n    """Doc."""\n' + handler * 5 + "    return []\n")
    assert long_functions(module, HANDLER_MAX_LINES) == ["routes (21 lines)"]


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    others = tuple(f"services.{other}" for other in SERVICES if other != service)
    found = {
        str(p.relative_to(ROOT)): [m for m in imported_modules(p) if m.startswith(others)]
        for p in modules_of("services", service)
    }
    assert {path: bad for path, bad in found.items() if bad} == {}


def test_production_packages_import_no_dev_infrastructure_tools_or_tests() -> None:
    dev = ("devinfra", "tools", "tests", "bench")
    found = {
        str(p.relative_to(ROOT)): [m for m in imported_modules(p) if m.split(".")[0] in dev]
        for p in modules_of("services") + modules_of("shared")
    }
    assert {path: bad for path, bad in found.items() if bad} == {}
