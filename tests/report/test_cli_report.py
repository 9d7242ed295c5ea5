"""`casereview report`: JSON result, audit entry, bad input exit codes (the report of the reviewed
world, tests/report/reviewed_world.py, which the real pipeline built)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade
from review.indicator_world import World


def test_report_command_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reviewed_world: World
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    reviewed_world.copy(tmp_path / "store.db").dispose()
    code = main(
        [
            "--database",
            url,
            "report",
            "--out",
            str(tmp_path / "out"),
            "--purpose",
            "board paper",
            "--recipient",
            "oversight board",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["html"], result["pdf"], result["sections"]) == (
        str(tmp_path / "out" / "report.html"),
        None,
        ["records", "typology", "groups", "review", "quality", "method"],
    )
    assert (tmp_path / "out" / "report.html").is_file()
    assert len(result["csv_files"]) == len(result["tables"]) == 23


def test_report_command_bad_input_exits_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    out = str(tmp_path / "out")
    assert main(["--database", url, "report", "--out", out, "--format", "docx"]) == 2
    bad = tmp_path / "population.csv"
    bad.write_text("borough,children\nAshdown,-4\n")
    assert main(["--database", url, "report", "--out", out, "--population", str(bad)]) == 2
