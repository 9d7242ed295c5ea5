"""The web app and the command line only call the read side and render: no module under
`web/` or `cli/` imports the tables or builds a query (DESIGN.md, "one read side")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "casereview"
THIN = ("web", "cli")
BUILDERS = {"select", "insert", "update", "delete", "text"}
TABLES = "casereview.model.tables"
# Modules still to move onto the read side, named with what they must do (this test then
# lists them as still to do; remove the entry when the module calls the read side).
PENDING: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(p for d in THIN for p in (PACKAGE / d).rglob("*.py"))


def offences(path: Path) -> list[str]:
    """Every import of the tables and every call to a query builder in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == TABLES or (
                node.module == "casereview.model" and any(a.name == "tables" for a in node.names)
            ):
                found.append(f"line {node.lineno}: imports {TABLES}")
            if node.module.startswith("sqlalchemy") and any(a.name in BUILDERS for a in node.names):
                names = sorted(a.name for a in node.names if a.name in BUILDERS)
                found.append(f"line {node.lineno}: imports {', '.join(names)} from sqlalchemy")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == TABLES:
                    found.append(f"line {node.lineno}: imports {TABLES}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in {"sqlalchemy", "sa"}
            ):
                name = func.attr
            if name in BUILDERS:
                found.append(f"line {node.lineno}: builds a query with {name}()")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_thin_module_touches_no_table(path: Path) -> None:
    where = str(path.relative_to(PACKAGE))
    found = offences(path)
    if where in PENDING:
        assert found, f"{where} no longer touches the tables: remove it from PENDING"
        pytest.xfail(f"{where}: {PENDING[where]} ({'; '.join(found)})")
    assert found == [], f"{where} must call the read side: {found}"


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import select, func\n"
        "from casereview.model.tables import records\n"
        "import casereview.model.tables\n"
        "from casereview.model import tables\n"
        "rows = select(records.c.id)\n"
        "q = sa.text('select 1')\n"
        "ok = func.count()\n"
    )
    assert offences(sample) == [
        "line 1: imports select from sqlalchemy",
        "line 2: imports casereview.model.tables",
        "line 3: imports casereview.model.tables",
        "line 4: imports casereview.model.tables",
        "line 5: builds a query with select()",
        "line 6: builds a query with text()",
    ]
