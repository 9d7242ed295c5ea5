"""Exports: CSV injection neutralised, a purpose required, one disclosure entry each."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from casereview.errors import ValidationError
from casereview.store import audit
from casereview.store.db import reading, writing
from casereview.store.exports import neutralise_cell, write_audited_csv


def test_formula_cells_are_neutralised() -> None:
    cells = ("=1+1", "+44", "-x", "@a", "\tb", "\rc", "ok", None, 7)
    assert [neutralise_cell(c) for c in cells] == [
        "'=1+1",
        "'+44",
        "'-x",
        "'@a",
        "'\tb",
        "'\rc",
        "ok",
        "",
        "7",
    ]


def test_audited_csv_writes_file_and_one_disclosure(fresh_store: Engine, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    with writing(fresh_store) as conn:
        count = write_audited_csv(
            conn,
            out,
            ("a", "b"),
            [("=cmd", 1), ("ok", 2)],
            what="things",
            purpose="  court bundle ",
            recipient="CPS",
            actor="ana",
        )
    assert count == 2
    assert out.read_bytes() == b"a,b\r\n'=cmd,1\r\nok,2\r\n"
    with reading(fresh_store) as conn:
        entries = list(audit.iter_entries(conn))
    assert [(e.action, e.object_id, e.purpose, e.recipient, e.details_dict) for e in entries] == [
        (
            "disclose",
            "things",
            "court bundle",
            "CPS",
            {"rows": 2, "file": "x.csv", "columns": ["a", "b"]},
        )
    ]


def test_no_purpose_no_export(fresh_store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="purpose"):
        with writing(fresh_store) as conn:
            write_audited_csv(
                conn,
                tmp_path / "y.csv",
                ("a",),
                [],
                what="t",
                purpose=" ",
                recipient=None,
                actor="a",
            )
    assert not (tmp_path / "y.csv").exists()
