"""The command line starts without the heavy libraries: `casereview --help`, `--version` and
every command's `--help` import only Typer and the code sets; every stage, rich and pydantic are
imported by the command that needs them.

Checked through `sys.modules` in a fresh interpreter, not by timing (the startup time is a
benchmark figure: benchmarks/bench_cli_startup.py). pydantic is on the list: Typer (0.29 and
later) imports it to coerce a parsed option, so a command's help is answered without parsing
the root options (`casereview.cli._help_only`).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "pandas",
    "numpy",
    "splink",
    "duckdb",
    "igraph",
    "leidenalg",
    "scipy",
    "matplotlib",
    "pyspark",
    "pyarrow",
    "sqlalchemy",
    "alembic",
    "pydantic_settings",
    "fastapi",
    "uvicorn",
    "argon2",
    "faker",
    "weasyprint",
    "python_calamine",
    "openpyxl",
    "phonenumbers",
    "pydantic",
    "pydantic_core",
    "rich",
)

PROBE = """
import json, sys
from casereview.cli import main
try:
    code = main(ARGS)
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def _loaded_after(args: list[str]) -> dict[str, object]:
    script = PROBE.replace("ARGS", repr(args)).replace("HEAVY", repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    script = f"import sys, casereview.cli; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_help_and_version_load_no_heavy_library() -> None:
    for args in (["--help"], ["--version"], ["link", "--help"], ["report", "--help"],
                 ["users", "--help"], ["pipeline", "--help"], ["synth", "--help"]):  # fmt: skip
        assert _loaded_after(args) == {"code": 0, "loaded": []}, args


EVERY_HELP = """
import contextlib, io, json, sys
import typer.main
from casereview.cli import app, main

def walk(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))

codes = {}
with contextlib.redirect_stdout(io.StringIO()):
    for path in walk(typer.main.get_command(app)):
        codes[" ".join(path)] = main([*path, "--help"])
print(json.dumps({"codes": codes, "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def test_every_commands_help_loads_no_heavy_library() -> None:
    """Every command's help, one after the other in one interpreter: none loads any of them."""
    script = EVERY_HELP.replace("HEAVY", repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(found["codes"]) > 40
    assert set(found["codes"].values()) == {0}
    assert found["loaded"] == []


def test_a_command_loads_what_it_needs() -> None:
    """The probe itself can see a heavy import: `init` needs the store and its migrations."""
    found = _loaded_after(["init", "--json"])
    assert found["code"] == 0
    loaded = found["loaded"]
    assert isinstance(loaded, list)
    assert {"sqlalchemy", "alembic", "pydantic_settings", "pydantic"} <= set(loaded)
