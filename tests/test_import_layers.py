"""Imports run downwards only: domain, then infrastructure, then services, then the app.

- Domain (pure rules, no Flask, no database): crypto, the vocabulary, hours, triage, slots,
  the metadata cleaners.
- Infrastructure: models, settings, extensions, audit, passwords and the like.
- Services: advisory/services, the operations the app performs (flush only).
- App: blueprints, the CLI, and what runs or wires them (the factory, the scheduler and its
  sweeps, mail delivery, rate limits, request context, page assets).

A module may import its own layer or a lower one. Blueprints are imported by the factory and
the CLI only. Services flush; a view or command commits through advisory/transaction.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from advisory.settings import PROJECT_ROOT

DOMAIN, INFRASTRUCTURE, SERVICES, APP = range(4)
DOMAIN_MODULES = {
    "vocabulary",
    "hours",
    "closing_days",
    "line_config",
    "triage",
    "slots",
    "text_limits",
    "metadata",
    "file_types",
}
BLUEPRINTS = {"reporter", "auth", "lawyers", "coordinator", "notices", "admin", "health"}
APP_MODULES = BLUEPRINTS | {
    "cli",
    "__init__",
    "jobs",
    "scheduler",
    "ratelimit",
    "context",
    "devserver",
    "i18n",
    "page_line",
    "emergency_numbers",
    "forms",
    "callback_budget",
    "page_layout",
    "security",
    "assets",
    "body_limits",
    "too_large",
    "url_converters",
    "gunicorn_logging",
    "sealed_files",
    "metrics",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] == "crypto":
        return DOMAIN
    if parts[0] != "advisory":
        return None  # the standard library and third-party packages
    top = parts[1] if len(parts) > 1 else "__init__"
    if top in DOMAIN_MODULES:
        return DOMAIN
    if top == "services":
        return SERVICES
    if top in APP_MODULES:
        return APP
    return INFRASTRUCTURE


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources() -> list[Path]:
    return sorted(
        path
        for folder in ("advisory", "crypto")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def problems() -> set[tuple[str, str]]:
    return problems_in({module_name(path): imports_of(path) for path in sources()})


def problems_in(imports: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) for every import that runs upwards or into a blueprint."""
    found = set()
    for importer, imported_names in imports.items():
        own = layer(importer)
        assert own is not None
        for imported in imported_names:
            theirs = layer(imported)
            # `from advisory import audit` names the package as well as the module it takes
            if theirs is None or imported == "advisory" or imported.startswith(importer + "."):
                continue
            upward = theirs > own
            into_blueprint = (
                imported.split(".")[1:2] and imported.split(".")[1] in BLUEPRINTS
            ) and not (
                importer in ("advisory", "advisory.cli")
                or importer.startswith(tuple(f"advisory.{name}" for name in BLUEPRINTS | {"cli"}))
            )
            if upward or into_blueprint:
                found.add((importer, _module_of(imported)))
    return found


def _module_of(imported: str) -> str:
    """`advisory.services.intake.IntakeError` → `advisory.services.intake` (a real module)."""
    parts = imported.split(".")
    while len(parts) > 1 and not _is_module(parts):
        parts.pop()
    return ".".join(parts)


def _is_module(parts: list[str]) -> bool:
    base = PROJECT_ROOT.joinpath(*parts)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_imports_run_downwards_only():
    assert problems() == set()


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("advisory.services.outbox", "advisory.jobs"),  # a service reaching up to the app
        ("advisory.triage", "advisory.models"),  # the domain reaching up to the database
        ("advisory.mailer", "advisory.reporter.routes"),  # a blueprint from below
    ],
)
def test_the_layer_check_sees_an_upward_import(importer, imported):
    assert problems_in({importer: {imported}}) == {(importer, imported)}


def commits_in(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


# The one request and command boundary, and the scheduler's own: a sweep is a transaction, the
# mail sweep commits each delivery, and the scheduler's lock is held on its own connection.
COMMITTERS = {
    "advisory.transaction",
    "advisory.jobs",
    "advisory.scheduler",
    "advisory.scheduler_lock",
}


def test_only_the_unit_of_work_commits():
    committing = {module_name(p): commits_in(p) for p in sources() if commits_in(p)}
    assert set(committing) <= COMMITTERS, committing
    assert "advisory.transaction" in committing  # the check sees a commit where there is one


@pytest.mark.parametrize(
    "module",
    ["crypto", "advisory.hours", "advisory.triage", "advisory.metadata", "advisory.file_types"],
)
def test_domain_modules_import_no_flask_and_no_database(module):
    paths = [p for p in sources() if module_name(p).startswith(module)]
    assert paths
    for path in paths:
        for imported in imports_of(path):
            assert not imported.startswith(("flask", "sqlalchemy", "advisory.models")), (
                f"{module_name(path)} imports {imported}"
            )
