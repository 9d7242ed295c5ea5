"""`casereview ingest` and `casereview quarantine list|show` through the CLI: the
reconciliation line, the rows as read, and every consultation of quarantined rows audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from casereview.cli import main
from casereview.store import audit
from casereview.store.db import reading
from ingest.test_ingest_load import _write


def _audit_since(engine: Engine, seq: int) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        return [
            {**e.__dict__, "details": e.details_dict}
            for e in audit.iter_entries(conn)
            if e.seq > seq
        ]


def _head(engine: Engine) -> int:
    with reading(engine) as conn:
        return audit.head(conn)[0]


def test_quarantine_list_and_show_are_audited(
    fresh_store: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = _write(tmp_path)
    capsys.readouterr()
    assert main(["--database", store_url, "ingest", str(mapping), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rows read 6 = loaded 2 + quarantined 4" in out

    seq = _head(fresh_store)
    assert main(["--database", store_url, "quarantine", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 8 and len(listed["rows"]) == 8
    [entry] = _audit_since(fresh_store, seq)
    assert (entry["action"], entry["object_type"], entry["object_id"]) == (
        "consult",
        "quarantine",
        None,
    )
    assert entry["details"] == {"rows": 8, "import": None, "reason": None, "limit": 100}

    # The orphan person (crime 9 does not exist): its row as read, and one audit entry.
    orphan = next(r for r in listed["rows"] if r["reason"] == "orphan")
    seq = _head(fresh_store)
    assert main(["--database", store_url, "quarantine", "show", str(orphan["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["raw"]["name"] == "Orphan Person" and shown["file_name"] == "people.csv"
    [entry] = _audit_since(fresh_store, seq)
    assert (entry["action"], entry["object_type"], entry["object_id"]) == (
        "consult",
        "quarantine",
        str(orphan["id"]),
    )
    assert entry["details"] == {
        "import": orphan["import_id"],
        "row_number": orphan["row_number"],
    }

    # An entry that does not exist: a clear error and nothing consulted.
    seq = _head(fresh_store)
    assert main(["--database", store_url, "quarantine", "show", "999999"]) != 0
    assert "no quarantine entry 999999" in capsys.readouterr().err
    assert _audit_since(fresh_store, seq) == []
    capsys.readouterr()
    assert main(["--database", store_url, "audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def _count(engine: Engine, table: Any) -> int:
    from sqlalchemy import func, select

    with reading(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_several_mappings_in_one_call_are_each_imported(
    fresh_store: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from casereview.model.tables import imports, sources

    first = _write(tmp_path)
    second = tmp_path / "second.yaml"
    second.write_text(first.read_text().replace("test_police", "other_police"), encoding="utf-8")
    args = ["--database", store_url, "ingest", str(first), str(second), "--data-dir", str(tmp_path)]
    assert main([*args, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["file_name"] for r in results] == ["crimes.csv", "people.csv"] * 2
    assert _count(fresh_store, sources) == 2 and _count(fresh_store, imports) == 4

    # The same call again: every file of both is the latest import of its bytes, a no-op.
    assert main(args) == 0
    assert capsys.readouterr().out.count("unchanged") == 4
    assert _count(fresh_store, imports) == 4


def test_a_bad_mapping_among_several_stops_the_call_before_any_is_imported(
    fresh_store: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from casereview.model.tables import imports

    good = _write(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("records:", "recrods:", 1), encoding="utf-8")
    args = ["--database", store_url, "ingest", str(good), str(bad), "--data-dir", str(tmp_path)]
    assert main(args) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert _count(fresh_store, imports) == 0
