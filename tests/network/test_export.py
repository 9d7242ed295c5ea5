"""`export groups` needs a purpose. What the exports write (columns, rows, neutralised cells,
audit entries) is tested on a pipeline-built store: tests/review/test_exports.py."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from casereview.cli import main


def test_export_needs_a_purpose(fresh_store: Engine, tmp_path: Path) -> None:
    url = str(fresh_store.url.render_as_string(hide_password=False))
    code = main(["--database", url, "export", "groups", "--out", str(tmp_path / "g.csv"),
                 "--purpose", " "])
    assert code == 2
    assert not (tmp_path / "g.csv").exists()
