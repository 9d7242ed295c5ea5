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
